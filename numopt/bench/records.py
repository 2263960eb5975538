"""The records file: JSON lines, one record per finished run, appended and fsync'ed.

Only the process that drives the suite writes it, one complete line per ``append`` followed
by ``flush`` and ``os.fsync``, so a killed run loses at most the line being written. On
opening for ``--resume`` a torn last line (no newline, or not valid JSON) is cut off;
records are keyed by ``problem|solver|repeat`` and a key already present is never
written twice. An exclusive lock on the file keeps a second runner from writing into it.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["RecordStore", "read_records"]


def read_records(path) -> list[dict]:
    """All complete records of ``path`` (a torn last line is ignored)."""
    path = Path(path)
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines(keepends=True):
        if not line.endswith("\n"):
            break
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            break
    return out


class RecordStore:
    """Append-only JSON-lines store of run records.

    Parameters
    ----------
    path : the ``records.jsonl`` file.
    resume : keep existing records (and skip their keys); otherwise an existing
        non-empty file is an error unless ``overwrite``.
    overwrite : start from an empty file.
    """

    def __init__(self, path, resume: bool = False, overwrite: bool = False):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        exists = self.path.exists() and self.path.stat().st_size > 0
        if exists and not (resume or overwrite):
            raise ValueError(f"{self.path} already holds records; pass --resume to continue that run "
                             f"or --overwrite to start again")
        self._fh = open(self.path, "a", encoding="utf-8")
        self._lock()
        if overwrite and not resume:
            self._fh.truncate(0)
        self._repair()
        self.records = read_records(self.path)
        self.keys = {r["key"] for r in self.records}

    def _lock(self) -> None:
        """One writer per records file (an OS lock, released even if the process is killed)."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            return
        try:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._fh.close()
            raise ValueError(f"{self.path} is being written by another numopt bench process") from None

    def _repair(self) -> None:
        """Cut a torn last line left by a killed writer."""
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        good = 0
        for line in data.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break
            try:
                json.loads(line)
            except json.JSONDecodeError:
                break
            good += len(line)
        if good != len(data):
            with open(self.path, "r+b") as fh:
                fh.truncate(good)
                fh.flush()
                os.fsync(fh.fileno())

    def append(self, record: dict) -> bool:
        """Write ``record`` durably; returns False (and writes nothing) if its key is present."""
        if record["key"] in self.keys:
            return False
        self._fh.write(json.dumps(record, sort_keys=True, default=str) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.keys.add(record["key"])
        self.records.append(record)
        return True

    def close(self) -> None:
        self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
