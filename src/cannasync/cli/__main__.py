"""``python -m cannasync.cli``: the same command as ``cannasync``."""

from cannasync.cli import app

app()
