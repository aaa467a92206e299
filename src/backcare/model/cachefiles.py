"""The rules the cache folder's files follow: a lock per folder, and a one-day sweep.

The cache folder (``BACKCARE_INDEX_DIR``) is shared: ``serve --workers 2``
starts two processes that build the same caches at once, a CLI runs beside a
server, and checkouts of two pack versions (or an int8 and an fp32 process)
use one folder. Two rules keep it sound:

- A folder whose files go together (a manifest and the arrays it describes)
  is written under an exclusive ``flock`` on the folder and read under a
  shared one (``folder_lock``), so a reader never sees one writer's manifest
  with another's arrays, and a writer that merges into the manifest (the
  cross-language calibrations, one per query variant) reads it under the same
  lock it writes under, so no other writer's entry is lost. The kernel drops
  the lock when a process dies, so a killed writer blocks nobody.
- A cache file of content nobody uses any more is removed once it has not been
  used for ``STALE_CACHE_AGE_S`` (``sweep_stale``): each content change names
  a new file, and the old ones would otherwise pile up. Not at once, for the
  reason the ``pack-*`` folders wait too (``backcare.service``): two
  checkouts sharing the cache would remove each other's file in turn.

Kept in ``model`` like ``csvcells.py``: the retrieval and triage caches, both
above this layer, follow it.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

__all__ = ["STALE_CACHE_AGE_S", "folder_lock", "replace_files", "sweep_stale"]

logger = logging.getLogger(__name__)

STALE_CACHE_AGE_S = 24 * 3600
"""A cache file or folder of other content is removed once unused this long."""


@contextlib.contextmanager
def folder_lock(folder: Path, *, shared: bool = False) -> Iterator[bool]:
    """Hold an exclusive (or ``shared``) ``flock`` on ``folder`` for the block.

    Yields whether the lock is held: False when the folder cannot be opened or
    locked (missing, or a file system without ``flock``); the caller then goes
    on unlocked, as a read-only cache only costs a rebuild.
    """
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_CLOEXEC)
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        except OSError:
            yield False
        else:
            yield True
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def replace_files(folder: Path, payloads: Sequence[tuple[str, bytes]]) -> None:
    """Write each ``(name, bytes)`` into ``folder``, aside and renamed, so no reader
    sees half a file. Call it under ``folder_lock`` when the files go together.

    Raises:
        OSError: a file cannot be written; those already renamed stay.
    """
    for name, payload in payloads:
        handle, temp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(payload)
            os.replace(temp, folder / name)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)


def sweep_stale(keep: Path | None, pattern: str, *, now: float | None = None) -> list[str]:
    """Mark ``keep`` used and remove the files beside it that match ``pattern`` and
    have not been used for ``STALE_CACHE_AGE_S`` seconds.

    ``keep`` is the file this process uses (its mtime is set to now, as opening
    a ``pack-*`` folder marks it); it is never removed, present or not. Best
    effort: a read-only cache or a file that cannot be removed stays.

    Args:
        keep: the file in use; None (no cache folder) does nothing.
        pattern: a glob of the files of this kind, e.g. ``triage-xlang-*.npy``.
        now: the time to measure age from (default: the clock).

    Returns:
        The names of the files removed.
    """
    if keep is None:
        return []
    with contextlib.suppress(OSError):  # missing yet, or a read-only cache
        os.utime(keep)
    cutoff = (time.time() if now is None else now) - STALE_CACHE_AGE_S
    removed: list[str] = []
    try:
        found = sorted(keep.parent.glob(pattern))
    except OSError:
        return removed
    for path in found:
        if path.name == keep.name:
            continue
        try:
            if path.is_symlink() or not path.is_file() or path.stat().st_mtime > cutoff:
                continue
            path.unlink()
        except OSError:
            continue
        removed.append(path.name)
    if removed:
        logger.info("removed %d stale %s files from %s", len(removed), pattern, keep.parent)
    return removed
