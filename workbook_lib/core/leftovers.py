"""What a process killed outright leaves behind (a kernel's connection file, an uploaded file, the app server's
folder), and removing it once that process is gone.

Such a file or folder is named with ``tagged(prefix)``: the prefix, the pid of the process that owns it and a short
hash of the host (a home or /tmp shared between machines never mistakes another machine's process for a dead one).
The owner removes it itself on every path it can (``with`` / ``finally`` / shutdown); ``remove_stale`` removes those
whose owner has died, and is called where the next one is made. Nothing heavy at import.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
from pathlib import Path

HOST = hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def alive(pid: int) -> bool:
    """Whether a process with this id exists (another user's counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def tagged(prefix: str, pid: int | None = None) -> str:
    """The start of a name that records its owner: ``<prefix>-<pid>-<host>-``."""
    return f"{prefix}-{os.getpid() if pid is None else pid}-{HOST}-"


def owner_gone(name: str, prefix: str) -> bool:
    """Whether ``name`` was made by ``tagged(prefix)`` on this host by a process that no longer exists."""
    found = re.match(rf"{re.escape(prefix)}-(\d+)-([0-9a-f]{{8}})-", name)
    return bool(found) and found[2] == HOST and not alive(int(found[1]))


def remove_stale(folder: Path, prefix: str) -> list[Path]:
    """Remove the files and folders in ``folder`` named by ``tagged(prefix)`` whose process is gone; those removed."""
    removed = []
    try:
        entries = list(Path(folder).glob(f"{prefix}-*"))
    except OSError:
        return removed
    for path in entries:
        try:
            if not owner_gone(path.name, prefix) or path.lstat().st_uid != os.getuid():
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        except OSError:
            continue
        removed.append(path)
    return removed
