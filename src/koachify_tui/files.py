"""Writing files a command produces (exports, reject reports, the config) without ever destroying one.

Every such file is written to a temporary file beside its target and renamed over it only when the writing
succeeded: a failure half-way (a bad --list, a full disk, an exception) leaves the old file byte-identical.
Targets that would destroy something else are refused before anything is written: the open database or its
WAL/SHM/journal, the command's input file, a directory.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from .i18n import _

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


class UnsafeTarget(ValueError):
    """A file a command was asked to write would destroy something; the message says what."""


def database_files(url: str | None) -> dict[Path, str]:
    """The files of an SQLite database URL (the database, its WAL, SHM and rollback journal), each with what
    it is; {} for other databases."""
    if not url or not url.startswith("sqlite:///"):
        return {}
    path = Path(url.removeprefix("sqlite:///"))
    files = {path: _("the open database")}
    for suffix in ("-wal", "-shm", "-journal"):
        files[path.with_name(path.name + suffix)] = _("the open database's {part} file").format(part=suffix[1:].upper())
    return files


def _same(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return a.samefile(b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def check_target(path: Path, *, protected: Mapping[Path, str] | None = None) -> Path:
    """The resolved path to write, or UnsafeTarget when writing it would destroy a directory or one of the
    `protected` files (path → what it is: "the database", "the input file")."""
    target = path.expanduser().resolve()
    if target.is_dir():
        raise UnsafeTarget(_("{path} is a directory: give a file name").format(path=path))
    for other, what in (protected or {}).items():
        if _same(target, Path(other).expanduser()):
            raise UnsafeTarget(_("refusing to overwrite {path}: it is {what}").format(path=path, what=what))
    if not target.parent.is_dir():
        raise UnsafeTarget(_("no directory {path}").format(path=target.parent))
    return target


class AtomicFile:
    """`with AtomicFile(path) as fh:` writes `path` through a temporary file renamed into place on success.

    An exception (or `discard()`) leaves `path` as it was. A new file is private (0600); an existing one
    keeps its mode."""

    def __init__(
        self,
        path: Path,
        *,
        protected: Mapping[Path, str] | None = None,
        encoding: str = "utf-8",
        newline: str | None = None,
        mode: int = PRIVATE_FILE,
    ) -> None:
        self.target = check_target(path, protected=protected)
        self._encoding, self._newline = encoding, newline
        try:
            self._mode = self.target.stat().st_mode & 0o777
        except FileNotFoundError:
            self._mode = mode
        self._tmp: Path | None = None
        self._fh: IO[Any] | None = None
        self.discarded = False

    def __enter__(self) -> IO[Any]:
        fd, name = tempfile.mkstemp(dir=self.target.parent, prefix=f".{self.target.name}.", suffix=".tmp")
        self._tmp = Path(name)
        os.fchmod(fd, self._mode)
        self._fh = os.fdopen(fd, "w", encoding=self._encoding, newline=self._newline)
        return self._fh

    def discard(self) -> None:
        """Keep the target as it was (nothing worth writing)."""
        self.discarded = True

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._fh is not None and self._tmp is not None
        try:
            if exc_type is None and not self.discarded:
                self._fh.flush()
                os.fsync(self._fh.fileno())
            self._fh.close()
            if exc_type is None and not self.discarded:
                os.replace(self._tmp, self.target)
        finally:
            self._tmp.unlink(missing_ok=True)


def write_text(path: Path, text: str, *, protected: Mapping[Path, str] | None = None, mode: int = PRIVATE_FILE) -> None:
    """Replace `path`'s content with `text` atomically (see AtomicFile)."""
    with AtomicFile(path, protected=protected, mode=mode) as fh:
        fh.write(text)


def private_dir(path: Path) -> None:
    """Create `path` (and parents) with the new directories private (0700)."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
