"""Structured JSON logs on stdout (journald keeps them). Only the message,
its level and origin, and a user id: request objects, SQL parameters and
form data are never serialised, so no personal data reaches the logs."""

import json
import logging
import threading
import traceback
from datetime import UTC, datetime

_context = threading.local()

# Attributes every LogRecord has; anything else came in through `extra`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# Extra values that are safe to log: identifiers and counters, not content.
_ALLOWED_EXTRA = {"user_id", "klient_id", "status_code", "count", "done", "skipped", "event"}


def set_request_user(user_id):
    _context.user_id = user_id


class RequestContextFilter(logging.Filter):
    def filter(self, record):
        if not hasattr(record, "user_id"):
            record.user_id = getattr(_context, "user_id", None)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key in _ALLOWED_EXTRA and key not in _STANDARD and value is not None:
                entry[key] = value
        if record.exc_info:
            # The exception type and where it happened, not its message: messages
            # of database errors can quote the values being written.
            exc_type = record.exc_info[0]
            entry["exception"] = exc_type.__name__ if exc_type else None
            # A database driver's numeric error code says what failed, without values.
            code = getattr(record.exc_info[1], "args", (None,))[:1]
            if code and isinstance(code[0], int):
                entry["error_code"] = code[0]
            entry["traceback"] = self._frames(record)
        return json.dumps(entry, ensure_ascii=False, default=str)

    @staticmethod
    def _frames(record):
        tb = record.exc_info[2]
        return "".join(
            f"{frame.filename}:{frame.lineno} in {frame.name}\n"
            for frame in traceback.extract_tb(tb)
        )
