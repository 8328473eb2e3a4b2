"""Follow files like ``tail -F``: rotation and truncation survived, read position persisted.

Positions are kept per path as ``{device, inode, offset, fingerprint}`` in a JSON file.  After a
restart, a file that was rotated meanwhile is found again by its inode among its siblings
(``app.log.1``, ``app.log-20261121``…) and read to its end before the new file is read from its
start, so nothing is lost; lines before the saved offset are never returned again.

Call :meth:`Follower.save` after the lines returned by :meth:`Follower.read` are handled: a
crash in between repeats them (at-least-once), never loses them.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

from pydantic import BaseModel

from logkit._exceptions import StateError
from logkit._templates import read_json, write_json_atomic

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

_FINGERPRINT_BYTES = 256
_MAX_LINE = 1024 * 1024


class FollowedLine(BaseModel):
    """One complete line read from a followed file.

    Attributes:
        path: the followed path (as given, even when read from its rotated predecessor).
        text: the line without its line end.
        offset: byte offset of the line in the file it was read from.
    """

    path: str
    text: str
    offset: int


@dataclass(slots=True)
class _Tracked:
    path: Path
    handle: BinaryIO | None = None
    device: int = 0
    inode: int = 0
    offset: int = 0  # end of the last complete line handed out
    buffer: bytes = b""
    fingerprint: str = ""
    pending_old: list[tuple[Path, int]] = field(default_factory=list)


def _fingerprint(handle: BinaryIO, length: int = _FINGERPRINT_BYTES) -> str:
    """Hash of the first ``length`` bytes (at most 256) and that length, as ``"n:hex"``."""
    head = os.pread(handle.fileno(), min(length, _FINGERPRINT_BYTES), 0)
    return f"{len(head)}:{hashlib.blake2b(head, digest_size=8).hexdigest()}" if head else ""


def _same_head(handle: BinaryIO, fingerprint: str | None) -> bool:
    """Whether the file still starts with the bytes ``fingerprint`` was taken from."""
    if not fingerprint:
        return True
    length = int(fingerprint.split(":", 1)[0])
    return _fingerprint(handle, length) == fingerprint


class Follower:
    """Follow one or more files and return their new complete lines.

    Args:
        paths: files to follow (they may not exist yet).
        state_path: JSON file of read positions; ``None`` keeps them in memory only.
        start_at: where to start on a file without a saved position: ``"start"`` or ``"end"``.
        sleep: the sleeping function used by :meth:`follow` (injectable for tests).

    Example:
        >>> import tempfile, pathlib
        >>> log = pathlib.Path(tempfile.mkdtemp()) / "app.log"
        >>> _ = log.write_text("one\\ntwo\\n")
        >>> with Follower([log], start_at="start") as follower:
        ...     [line.text for line in follower.read()]
        ['one', 'two']
    """

    def __init__(
        self,
        paths: Sequence[str | os.PathLike[str]],
        *,
        state_path: str | os.PathLike[str] | None = None,
        start_at: Literal["start", "end"] = "end",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._state_path = Path(state_path) if state_path is not None else None
        self._start_at = start_at
        self._sleep = sleep
        self._lock = threading.Lock()
        self._files = {str(Path(p)): _Tracked(Path(p)) for p in paths}
        saved = self._load_state()
        for key, tracked in self._files.items():
            self._open(tracked, saved.get(key))

    # -- state ---------------------------------------------------------------------------
    def _load_state(self) -> dict[str, dict[str, Any]]:
        if self._state_path is None or not self._state_path.exists():
            return {}
        data = read_json(self._state_path)
        if not isinstance(data, dict) or data.get("version") != 1:
            raise StateError(f"unsupported follower state in {self._state_path}")
        files = data.get("files", {})
        if not isinstance(files, dict):
            raise StateError(f"invalid follower state in {self._state_path}")
        return files

    def positions(self) -> dict[str, dict[str, Any]]:
        """The current read positions (what :meth:`save` writes)."""
        with self._lock:
            return {
                key: {
                    "device": t.device,
                    "inode": t.inode,
                    "offset": t.offset,
                    "fingerprint": t.fingerprint,
                }
                for key, t in self._files.items()
                if t.inode
            }

    def save(self) -> None:
        """Persist the read positions (atomically); a no-op without ``state_path``."""
        if self._state_path is not None:
            write_json_atomic(self._state_path, {"version": 1, "files": self.positions()})

    # -- opening -------------------------------------------------------------------------
    def _open(self, tracked: _Tracked, saved: dict[str, Any] | None) -> None:
        try:
            handle = tracked.path.open("rb")
        except OSError:
            if saved:
                # The file is gone for now; remember where its predecessor was left.
                old = self._find_rotated(tracked.path, saved)
                if old is not None:
                    tracked.pending_old.append((old, int(saved.get("offset", 0))))
            return
        st = os.fstat(handle.fileno())
        tracked.handle, tracked.device, tracked.inode = handle, st.st_dev, st.st_ino
        tracked.fingerprint = _fingerprint(handle)
        tracked.buffer = b""
        if saved is None:
            tracked.offset = st.st_size if self._start_at == "end" else 0
        elif (int(saved.get("device", -1)), int(saved.get("inode", -1))) == (st.st_dev, st.st_ino):
            offset = int(saved.get("offset", 0))
            same_head = _same_head(handle, saved.get("fingerprint"))
            tracked.offset = offset if offset <= st.st_size and same_head else 0
        else:
            old = self._find_rotated(tracked.path, saved)
            if old is not None:
                tracked.pending_old.append((old, int(saved.get("offset", 0))))
            tracked.offset = 0
        handle.seek(tracked.offset)

    def _open_fresh(self, tracked: _Tracked) -> bool:
        """Open a file that appeared (or replaced a rotated one): all of it is new."""
        try:
            handle = tracked.path.open("rb")
        except OSError:
            return False
        st = os.fstat(handle.fileno())
        tracked.handle, tracked.device, tracked.inode = handle, st.st_dev, st.st_ino
        tracked.offset, tracked.buffer, tracked.fingerprint = 0, b"", _fingerprint(handle)
        return True

    @staticmethod
    def _find_rotated(path: Path, saved: dict[str, Any]) -> Path | None:
        want = (int(saved.get("device", -1)), int(saved.get("inode", -1)))
        try:
            siblings = [
                p for p in path.parent.iterdir() if p.name.startswith(path.name) and p != path
            ]
        except OSError:
            return None
        for candidate in sorted(siblings):
            try:
                st = candidate.stat()
            except OSError:
                continue
            if (st.st_dev, st.st_ino) == want:
                return candidate
        return None

    # -- reading -------------------------------------------------------------------------
    def read(self) -> list[FollowedLine]:
        """Return the complete lines appended since the last call, across all files.

        Rotation (the path now names another file) and truncation (the file shrank) are
        handled: the old file is read to its end first; a truncated file is read from 0.
        """
        out: list[FollowedLine] = []
        with self._lock:
            for key, tracked in self._files.items():
                self._read_one(key, tracked, out)
        return out

    def _read_one(self, key: str, tracked: _Tracked, out: list[FollowedLine]) -> None:
        while tracked.pending_old:
            old, offset = tracked.pending_old.pop(0)
            try:
                with old.open("rb") as handle:
                    handle.seek(offset)
                    self._emit(key, handle.read(), offset, out, final=True)
            except OSError:
                pass
        if tracked.handle is None and not self._open_fresh(tracked):
            return  # the file does not exist (yet)
        try:
            st = tracked.path.stat()
        except OSError:
            st = None
        if st is not None and (st.st_dev, st.st_ino) != (tracked.device, tracked.inode):
            # Rotated: finish the old file (including an unterminated last line), then switch.
            self._drain(key, tracked, out, final=True)
            if tracked.handle is not None:
                tracked.handle.close()
            tracked.handle = None
            if self._open_fresh(tracked):
                self._drain(key, tracked, out)
            return
        if tracked.handle is not None and (
            (st is not None and st.st_size < tracked.offset + len(tracked.buffer))
            or not _same_head(tracked.handle, tracked.fingerprint)
        ):
            # Truncated in place (copytruncate), maybe refilled already: read from the top.
            tracked.buffer, tracked.offset = b"", 0
            tracked.handle.seek(0)
            tracked.fingerprint = _fingerprint(tracked.handle)
        self._drain(key, tracked, out)

    def _drain(
        self, key: str, tracked: _Tracked, out: list[FollowedLine], *, final: bool = False
    ) -> None:
        if tracked.handle is None:
            return
        data = tracked.handle.read()
        if not data and not (final and tracked.buffer):
            return
        if not tracked.fingerprint or not tracked.fingerprint.startswith(f"{_FINGERPRINT_BYTES}:"):
            tracked.fingerprint = _fingerprint(tracked.handle)
        chunk = tracked.buffer + data
        consumed = self._emit(key, chunk, tracked.offset, out, final=final)
        tracked.offset += consumed
        tracked.buffer = chunk[consumed:]

    @staticmethod
    def _emit(key: str, chunk: bytes, base: int, out: list[FollowedLine], *, final: bool) -> int:
        consumed = 0
        while True:
            end = chunk.find(b"\n", consumed)
            if end < 0:
                break
            raw = chunk[consumed:end].rstrip(b"\r")
            out.append(
                FollowedLine(path=key, text=raw.decode("utf-8", "replace"), offset=base + consumed)
            )
            consumed = end + 1
        rest = len(chunk) - consumed
        if rest and (final or rest > _MAX_LINE):
            raw = chunk[consumed:].rstrip(b"\r")
            out.append(
                FollowedLine(path=key, text=raw.decode("utf-8", "replace"), offset=base + consumed)
            )
            consumed = len(chunk)
        return consumed

    def follow(
        self, *, interval: float = 0.5, stop: Callable[[], bool] = lambda: False
    ) -> Iterator[FollowedLine]:
        """Yield lines as they are appended, forever or until ``stop()`` is true.

        Positions are saved after each batch has been consumed by the caller.
        """
        while not stop():
            batch = self.read()
            yield from batch
            if batch:
                self.save()
            else:
                self._sleep(interval)

    def close(self) -> None:
        """Close the open files."""
        with self._lock:
            for tracked in self._files.values():
                if tracked.handle is not None:
                    tracked.handle.close()
                    tracked.handle = None

    def __enter__(self) -> Follower:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
