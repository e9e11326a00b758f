"""Everything a process needs, built once from settings: database, encryption keys, dispatcher."""

from __future__ import annotations

import logging
import os
import sys
from datetime import timedelta
from pathlib import Path

import structlog
from structlog.typing import EventDict, WrappedLogger

from cannasync.connectors.limits import configure_shared_limits
from cannasync.settings import Settings
from cannasync.store.db import make_engine, make_session_factory, upgrade
from cannasync.store.outbox import Backoff
from cannasync.store.secrets import SecretBox
from cannasync.store.uow import Database

_SECRET_NAMES = ("password", "api_key", "key", "token", "secret", "authorization", "credentials")


def _redact(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """Last line of defence: a field whose name says secret is never written to a log."""
    for name in list(event):
        if any(word in name.lower() for word in _SECRET_NAMES) and name != "event":
            event[name] = "[redacted]"
    return event


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    """One format for every line on stderr: ours and the libraries' (uvicorn, Dramatiq, APScheduler), so that with
    ``json`` each is a JSON object carrying the correlation id bound where it was written."""
    # A JSON line turns ``exc_info`` into the exception's type, message and frames (``exception``); without it
    # the line would say only ``"exc_info": true``, or ``<traceback object at …>`` for a library's 500.
    rendering: list[structlog.typing.Processor] = (
        [structlog.processors.dict_tracebacks, structlog.processors.JSONRenderer()]
        if json
        else [structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)]
    )
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *rendering],
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # The HTTP client logs whole URLs (a postback token, a query string); our `vendor_call` line replaces it.
    for chatty in ("httpx2", "httpcore2", "httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    structlog.configure(
        processors=[*shared, *rendering],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),  # stdout is for output (demo --json)
        cache_logger_on_first_use=True,
    )


def load_keys(settings: Settings) -> list[str]:
    """Keys from settings, or the embedded mode's key file (created, readable by its owner only, on first start)."""
    if settings.secret_keys.strip():
        return [key.strip() for key in settings.secret_keys.split(",") if key.strip()]
    path: Path = settings.key_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(SecretBox.new_key() + "\n")
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


class Runtime:
    def __init__(self, settings: Settings, *, migrate: bool = True, search_path: str | None = None) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(settings.resolved_database_url, search_path=search_path)
        if migrate:
            upgrade(self.engine)
        first, longest = settings.retry_first_seconds, settings.retry_max_seconds
        backoff = Backoff(timedelta(seconds=first), timedelta(seconds=longest))
        self.db = Database(make_session_factory(self.engine), SecretBox(load_keys(settings)), backoff)
        # Connectors never read settings: the process says here whether rate limits are shared through Redis.
        configure_shared_limits(settings.resolved_redis_url)

    def close(self) -> None:
        self.engine.dispose()
