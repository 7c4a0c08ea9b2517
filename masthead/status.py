"""The exit codes of every masthead command, in one place (the README's table lists them)."""

OK = 0
PROBLEMS = 1
"""Problems in the content or templates."""
USAGE = 2
"""A bad option or argument, invalid settings, a refused output folder."""
INTERNAL = 70
"""Something masthead did not foresee (EX_SOFTWARE)."""
OUTPUT = 74
"""The output or the cache could not be written (EX_IOERR)."""
BUSY = 75
"""Another build holds the output folder and --no-wait was given (EX_TEMPFAIL)."""
INTERRUPTED = 130
"""Ctrl-C."""
