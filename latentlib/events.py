"""What a running chapter tells the terminal: notices (fallbacks, skipped files, refitted
caches) and progress (data fetches, fits and their epochs).

A chapter executes in a kernel process whose output goes into the notebook, not to the
terminal of the user who ran ``latentlib run``. So the library appends each event as one
JSON line to the file named by ``$LATENTLIB_EVENTS`` (set by the runner, which prints
the lines as they come and stores the notices with the chapter). Outside a run nothing
is written; a notice is then only a warning. Every notice of this process is also kept
in :func:`notices`, which result records include.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from typing import Any

EVENTS_ENV = "LATENTLIB_EVENTS"
_NOTICES: list[dict[str, Any]] = []


def emit(kind: str, message: str, **fields: Any) -> None:
    """Send one event to the runner's terminal (a no-op outside ``latentlib run``)."""
    path = os.environ.get(EVENTS_ENV)
    if not path:
        return
    line = json.dumps({"time": time.time(), "kind": kind, "message": message, **fields}, default=str)
    with open(path, "a", encoding="utf-8") as handle:  # one short append per event: lines never interleave
        handle.write(line + "\n")


def notice(kind: str, message: str, **fields: Any) -> None:
    """Something the reader of the chapter must know (a fallback, skipped input, a
    refitted cache entry): a warning in the notebook, a line on the terminal, and an
    entry in every later record of this process."""
    _NOTICES.append({"kind": kind, "message": message, **fields})
    warnings.warn(message, stacklevel=2)
    emit("notice", message, notice=kind, **fields)


def notices() -> list[dict[str, Any]]:
    """The notices of this process so far."""
    return list(_NOTICES)
