"""Hostile text made harmless where it leaves markwatch: terminals, spreadsheets, notices.

Listing fields (titles, seller names, URLs, ids) are written by counterfeiters. They are stored as
they came; these helpers neutralise them at the edges:

- :func:`display_text` drops control, format and bidi-override characters (U+202E turns a notice's
  line around; ESC sequences repaint a terminal), for notices and terminal tables;
- :func:`csv_cell` neutralises a cell a spreadsheet program would run as a formula (OWASP's CSV
  injection advice: a leading ``'`` before ``= + - @`` and tab/CR), for CSV files;
- :func:`is_formula_like` tells the XLSX writer which strings to store explicitly as text.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

#: Characters that make a spreadsheet program read a cell as a formula (ASCII and full-width forms).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")

_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85]+")


def display_text(value: object, *, keep_newlines: bool = False) -> str:
    """``value`` as text without control (Cc), format (Cf: bidi overrides, zero-width) or separator
    characters; line breaks become one space unless ``keep_newlines`` (then only ``\\n`` stays)."""
    text = "" if value is None else str(value)
    if keep_newlines:
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    else:
        text = _LINE_BREAKS.sub(" ", text)
    out = []
    for ch in text:
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif ch == "\t":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"):
            continue
        else:
            out.append(ch)
    return "".join(out)


def is_formula_like(value: object) -> bool:
    """True for a string a spreadsheet would run: ``=HYPERLINK(…)``, ``=cmd|' /C calc'!A0``, ``@SUM``."""
    return isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_LEADS)


def csv_cell(value: Any) -> Any:
    """A CSV cell that no spreadsheet runs: formula-leading strings get a leading ``'``."""
    if is_formula_like(value):
        return "'" + str(value)
    return value
