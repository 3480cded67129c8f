"""Scoring listings against a brand's marks, photos, prices and sellers — pure functions with reasons.

``Matcher(brand).score(listing)`` → :class:`MatchResult`. Imports only ``markwatch.brand`` from the
project (never Scrapy or SQLAlchemy). See :mod:`matchers.score` for how the score is made,
:mod:`matchers.text` for the names, :mod:`matchers.images` for the photo recipe and its measurements,
:mod:`matchers.local` for transformed copies and logos (OpenCV), :mod:`matchers.ocr` for text printed
on photos (RapidOCR), :mod:`matchers.index` for the million-photo look-up.
"""

from matchers.score import ENGINE_VERSION, Matcher, MatchResult, Reason

__all__ = ["ENGINE_VERSION", "MatchResult", "Matcher", "Reason"]
