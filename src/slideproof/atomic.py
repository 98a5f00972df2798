"""Files that are either whole or absent: write to a temp file beside the target, then rename.

A reader (another build sharing the cache, a CI step reading the report) sees the old file or
the new one, never half of one, even if the writer is killed midway.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: str | Path, text: str, durable: bool = False,
                 mode: int | None = None) -> None:
    """``mode``: the permissions the file gets (a temp file is made readable by its owner
    only; a file written again keeps its own)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
