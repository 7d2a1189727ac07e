"""Structured JSON logs (structlog), with request and delivery context bound to every line."""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any

import structlog


def configure_logging(*, level: str = "INFO", json: bool = True, service: str = "") -> None:
    """Route structlog and stdlib logging to stderr as one JSON object per line (or console text)."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    shared: list[Any] = [
        # contextvars carry delivery / certificate_id from handlers and the worker into every line
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if service:
        shared.append(_service(service))
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=_StderrLogger,
        cache_logger_on_first_use=False,
    )
    handler = _StderrHandler()
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(processor=renderer, foreign_pre_chain=shared))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    # uvicorn's access log duplicates ours and is not JSON
    logging.getLogger("uvicorn.access").disabled = True


#: held while a line is written: the event loop and worker threads log at once, structlog's and
#: stdlib's records alike, and each line must reach the file whole (``print`` writes the text and the
#: newline in two calls, so two threads' records could share a line)
_WRITING = threading.RLock()


class _StderrLogger:
    """Writes each line to the *current* ``sys.stderr``: a stream captured at configure time may be closed
    later (test runners, CliRunner), and a log line must never crash the caller."""

    def __init__(self, *_args: Any) -> None:
        pass

    def msg(self, message: str) -> None:
        """Write one rendered line, whole."""
        with _WRITING:
            stream = sys.stderr
            stream.write(message + "\n")
            stream.flush()

    log = debug = info = warning = warn = error = critical = exception = fatal = msg


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stdlib handler bound to the current ``sys.stderr`` at each record, for the same reason; it writes
    under the same lock as structlog's lines."""

    def createLock(self) -> None:
        """Share the one write lock instead of a lock of this handler's own."""
        self.lock = _WRITING

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _service(name: str) -> Any:
    def add(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
        event.setdefault("service", name)
        return event

    return add


def get_logger(name: str) -> Any:
    """A structlog logger for ``name``."""
    return structlog.get_logger(name)
