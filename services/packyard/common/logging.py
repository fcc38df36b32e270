"""Logging set up once per process: readable text locally, JSON lines for collectors.

Every record carries the service name and, when a span is active, its trace and span ids.
Messages are constant event names ("upload.accepted") with fields in ``extra=``.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from opentelemetry import trace

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        ctx = trace.get_current_span().get_span_context()
        record.trace_id = f"{ctx.trace_id:032x}" if ctx.is_valid else ""
        record.span_id = f"{ctx.span_id:016x}" if ctx.is_valid else ""
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    skip = _STANDARD | {"service", "trace_id", "span_id"}
    return {k: v for k, v in record.__dict__.items() if k not in skip}


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "service": getattr(record, "service", ""),
            "event": record.getMessage(),
            "logger": record.name,
        }
        if getattr(record, "trace_id", ""):
            doc["trace_id"] = record.trace_id  # type: ignore[attr-defined]
            doc["span_id"] = record.span_id  # type: ignore[attr-defined]
        doc.update(_extras(record))
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        line = (
            f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<7} "
            f"{getattr(record, 'service', '')}: {record.getMessage()}"
        )
        if fields:
            line += " " + fields
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class _SafeExtraLogger(logging.Logger):
    """A field in ``extra=`` that shadows a LogRecord attribute ("filename", "created") makes
    the stdlib raise, turning a log line into a failed request; such fields get a prefix."""

    def makeRecord(
        self, name, level, fn, lno, msg, args, exc_info, func=None, extra=None, sinfo=None
    ):  # type: ignore[no-untyped-def]
        if extra:
            extra = {(f"x_{k}" if k in _STANDARD else k): v for k, v in extra.items()}
        return super().makeRecord(name, level, fn, lno, msg, args, exc_info, func, extra, sinfo)


logging.setLoggerClass(_SafeExtraLogger)


def setup_logging(service: str, level: str = "INFO", fmt: str = "text") -> None:
    # Loggers made before this module was imported are plain Loggers: give them the guard too.
    for existing in list(logging.Logger.manager.loggerDict.values()):
        if type(existing) is logging.Logger:
            existing.__class__ = _SafeExtraLogger
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter(service))
    handler.setFormatter(_JsonFormatter() if fmt == "json" else _TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Access logs of uvicorn would duplicate ours and may carry query strings.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
