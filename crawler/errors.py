"""The one error type a user sees: a single line that says what is wrong and what to do."""


class UserError(Exception):
    """A problem with the user's input or environment, shown as one line with exit status 2."""

    exit_code = 2
