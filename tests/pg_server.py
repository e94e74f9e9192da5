"""A throw-away PostgreSQL server on loopback, from Debian's packages (tests only).

``tests/setup_system.sh`` installs the ``postgresql`` package. initdb refuses to run as root, so as root
the server runs as the ``postgres`` system user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} not found: run tests/setup_system.sh (apt install postgresql)")
    return found[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a SQLAlchemy URL of a fresh database; stop the server and delete its files afterwards."""
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    base = Path(tempfile.mkdtemp(prefix="wb-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    if as_root:
        shutil.chown(base, "postgres"), shutil.chown(sock, "postgres")
    port = free_port()
    run = lambda *cmd: subprocess.run([*prefix, *cmd], check=True, capture_output=True, text=True)  # noqa: E731
    try:
        run(_bin("initdb"), "-D", str(data), "-U", "workbook", "--auth=trust", "-E", "UTF8")
        run(_bin("pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-t", "60", "start", "-o",
            f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off")
        for _ in range(50):
            if subprocess.run([_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                              capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        run(_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "workbook", "workbook_test")
        yield f"postgresql+psycopg://workbook@127.0.0.1:{port}/workbook_test"
    finally:
        subprocess.run([*prefix, _bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
