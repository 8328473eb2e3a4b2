"""A rotating file sink that several processes can append to at once.

Every formatted line is written with **one** ``write(2)`` on a descriptor opened with
``O_APPEND``, so lines from different processes never tear or interleave.  Rotation is
coordinated with an ``flock`` on ``<file>.lock``: writers hold it shared while writing, the
rotating process holds it exclusive, re-checks the size and renames ``f → f.1 → f.2 …``; the
others notice the new inode before their next write and reopen.

When the file cannot be opened (folder missing and not creatable, not writable, disk full) the
handler falls back to stderr, prints **one** warning there, and keeps every event; it tries the
file again every ``retry_after`` seconds.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)


class ConcurrentRotatingFileHandler(logging.Handler):
    """A ``logging.Handler`` appending whole lines to a file shared by several processes.

    Args:
        path: the log file.
        max_bytes: rotate once the file reaches this size (0 disables rotation).
        backups: how many rotated files to keep (``path.1`` is the newest).
        mode: permission bits for new files.
        fallback: where events go when the file is unusable (default ``sys.stderr``).
        retry_after: seconds between attempts to get back to the file after a failure.
        clock: monotonic clock (tests).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        max_bytes: int = 10 * 1024 * 1024,
        backups: int = 5,
        mode: int = 0o640,
        fallback: IO[str] | None = None,
        retry_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.retry_after = retry_after
        # False when another handler already shows every event on the console.
        self.fallback_enabled = True
        self._clock = clock
        self._failed_at = 0.0
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.backups = max(backups, 1)
        self.mode = mode
        self._fallback = fallback
        self._fd: int | None = None
        self._lock_fd: int | None = None
        self._inode: tuple[int, int] | None = None
        self._warned = False
        self._failed = False
        self._io_lock = threading.Lock()
        self._open()

    @property
    def using_fallback(self) -> bool:
        """True when events currently go to stderr because the file is unusable."""
        return self._failed

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, _FLAGS, self.mode)
            lock_fd = os.open(self.path.with_name(self.path.name + ".lock"), _FLAGS, self.mode)
        except OSError as exc:
            self._fail(exc)
            return
        self._close_fds()
        self._fd, self._lock_fd = fd, lock_fd
        st = os.fstat(fd)
        self._inode = (st.st_dev, st.st_ino)
        self._failed = False

    def _close_fds(self) -> None:
        for fd in (self._fd, self._lock_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._fd = self._lock_fd = None

    def _fail(self, exc: OSError) -> None:
        self._failed = True
        self._failed_at = self._clock()
        if not self._warned:
            self._warned = True
            stream = self._fallback or sys.stderr
            stream.write(
                f"logkit: cannot write log file {self.path} ({exc.strerror or exc}); "
                "logging to stderr instead\n"
            )
            stream.flush()

    def _write_fallback(self, line: str) -> None:
        stream = self._fallback or sys.stderr
        if getattr(stream, "closed", False):
            stream = sys.stderr
        stream.write(line)
        stream.flush()

    def emit(self, record: logging.LogRecord) -> None:
        """Format the record and append it as one line (or to stderr when the file failed)."""
        try:
            text = self.format(record)
        except Exception:
            self.handleError(record)
            return
        line = text.replace("\n", "\\n") if "\n" in text else text
        self.write_line(line + "\n")

    def write_line(self, line: str) -> None:
        """Append one already formatted line that ends with a newline."""
        data = line.encode("utf-8", "backslashreplace")
        with self._io_lock:
            if self._failed and self._clock() - self._failed_at >= self.retry_after:
                self._open()  # the folder may be writable again; fails quietly otherwise
            if self._failed or self._fd is None:
                if self.fallback_enabled:
                    self._write_fallback(line)
                return
            try:
                self._append(data)
            except OSError as exc:
                self._fail(exc)
                self._write_fallback(line)

    def _append(self, data: bytes) -> None:
        if self._lock_fd is None or self._fd is None:
            raise OSError(9, "log file is closed")
        fcntl.flock(self._lock_fd, fcntl.LOCK_SH)
        try:
            fd = self._reopen_if_rotated()
            written = os.write(fd, data)
            size = os.fstat(fd).st_size
        finally:
            if self._lock_fd is not None:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        if written != len(data):
            raise OSError(28, "short write (disk full?)")
        if self.max_bytes and size >= self.max_bytes:
            self._rotate()

    def _reopen_if_rotated(self) -> int:
        try:
            st = self.path.stat()
            current: tuple[int, int] | None = (st.st_dev, st.st_ino)
        except FileNotFoundError:
            current = None
        if current != self._inode or self._fd is None:
            fd = os.open(self.path, _FLAGS, self.mode)
            if self._fd is not None:
                os.close(self._fd)
            self._fd = fd
            st = os.fstat(fd)
            self._inode = (st.st_dev, st.st_ino)
        return self._fd

    def _rotate(self) -> None:
        if self._lock_fd is None:
            return
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            try:
                size = self.path.stat().st_size
            except FileNotFoundError:
                size = 0
            if size >= self.max_bytes:  # nobody rotated while we waited for the lock
                for i in range(self.backups - 1, 0, -1):
                    src = self.path.with_name(f"{self.path.name}.{i}")
                    if src.exists():
                        src.replace(self.path.with_name(f"{self.path.name}.{i + 1}"))
                self.path.replace(self.path.with_name(f"{self.path.name}.1"))
            self._reopen_if_rotated()
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the file descriptors."""
        with self._io_lock:
            self._close_fds()
        super().close()
