"""The runner's side of :mod:`latentlib.events`: print a chapter's events as they come.

While papermill executes a chapter, a thread follows the chapter's events file and
prints each event on the terminal (stderr): notices always, progress (fits, epochs,
cache hits) unless ``progress`` is off. On a terminal an epoch line overwrites the one
before it; in a log (no terminal) every tenth epoch and the last are printed.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any, TextIO


def read_events(path: Path) -> list[dict[str, Any]]:
    """Every well-formed event in ``path`` (a line cut short by a kill is skipped)."""
    events = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return events


def read_notices(path: Path) -> list[dict[str, Any]]:
    """The notices among the events of ``path``, without repeats."""
    seen, out = set(), []
    for event in read_events(path):
        if event.get("kind") == "notice" and event["message"] not in seen:
            seen.add(event["message"])
            out.append({"kind": event.get("notice", ""), "message": event["message"]})
    return out


class EventPrinter:
    """Context manager: follow ``path`` in a thread and print its events."""

    def __init__(self, path: Path, *, study: str, progress: bool = True, stream: TextIO | None = None,
                 interval: float = 0.5) -> None:
        self.path, self.study, self.progress = path, study, progress
        self.stream = stream or sys.stderr
        self.interval = interval
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._stop = threading.Event()
        self._offset = 0
        self._open_line = False

    def __enter__(self) -> "EventPrinter":
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self._drain()
        if self._open_line:
            self.stream.write("\n")

    def _follow(self) -> None:
        while not self._stop.wait(self.interval):
            self._drain()

    def _drain(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
        except OSError:
            return
        complete, _, _ = chunk.rpartition("\n")  # a half-written line waits for the next read
        if not complete:
            return
        self._offset += len(complete.encode("utf-8")) + 1
        for line in complete.split("\n"):
            try:
                self.show(json.loads(line))
            except json.JSONDecodeError:
                continue

    def show(self, event: dict[str, Any]) -> None:
        kind, message = event.get("kind"), event.get("message", "")
        if kind == "notice":
            self._line(f"[{self.study}] notice: {message}", overwrite=False)
        elif self.progress:
            epoch, epochs = event.get("epoch"), event.get("epochs")
            if epoch is not None and not self.tty and not (epoch == epochs or epoch % 10 == 0):
                return
            self._line(f"[{self.study}] {message}", overwrite=self.tty and epoch is not None)
        self.stream.flush()

    def _line(self, text: str, *, overwrite: bool) -> None:
        if overwrite:
            self.stream.write("\r\033[K" + text)
            self._open_line = True
            return
        if self._open_line:
            self.stream.write("\n")
            self._open_line = False
        self.stream.write(text + "\n")
