"""Typed errors. Library code raises them; the CLI (and the console) turn each into one line, exit 2.

Every message says what is wrong and what to do, in terms of the thing the user handed over (a file,
a key, a URL, a listing), never in terms of one front end's flags: the CLI adds those where it knows them.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input or environment, shown as one line with exit status 2."""

    exit_code = 2


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
