"""Typed errors. Library code raises them; the CLI (and the console) turn each into one line, exit 2.

Every message says what is wrong and what to do, in terms of the thing the user handed over (a file,
a key, a URL, a listing), never in terms of one front end's flags: the CLI adds those where it knows them.
"""

from __future__ import annotations

from enum import StrEnum


class NextStep(StrEnum):
    """What the user should do next, named once; each front end says it in its own words (the CLI
    as a command line, the console as a link)."""

    upgrade_db = "upgrade-db"  # migrate the database to the code's schema
    list_cases = "list-cases"  # look the case ids up
    list_listings = "list-listings"  # look the listing ids up
    confirm_suspects = "confirm-suspects"  # confirm suspects before exporting
    capture_evidence = "capture-evidence"  # capture evidence of confirmed listings


class UserError(Exception):
    """A problem with the user's input or environment, shown as one line with exit status 2.

    ``param`` names the input at fault by its Python name (``min_score``, ``out``): the CLI shows it as
    its option (``--min-score``), the console as its form field. ``next_step`` says what to do next.
    The message itself names neither, so library code never speaks of one front end's flags.
    """

    exit_code = 2

    def __init__(self, message: str, *, param: str | None = None, next_step: NextStep | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.next_step = next_step


class ConfigError(UserError):
    """A brand file, settings file or environment variable that cannot be used as written."""


class DatabaseError(UserError):
    """The database cannot be reached, is not migrated, or refused an operation."""


class InputError(UserError):
    """A record handed in (a JSON line, a listing field) that cannot be taken as it is."""


class HostileInputError(InputError):
    """A field that would make markwatch act outside its bounds: a foreign URL, a path, a bad platform."""


class BusyError(UserError):
    """Another process holds what this one needs (a crawl of the same brand, a lock)."""
