"""An uploaded file a form reads is written in a folder of the kernel's own, removed when the reading ends however
it ends, and by the next upload when the kernel was killed while reading (hostile input, item 11 c)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from workbook_lib.core import forms

from ..conftest import ROOT

KILLED = textwrap.dedent("""
    import os, signal
    from workbook_lib.core.forms import uploaded_file

    with uploaded_file({"name": "register.csv", "content": b"Risk ID\\nR1\\n"}) as path:
        print(path, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # the kernel dies while it reads the file
""")


@pytest.fixture
def tmp(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    return tmp_path


def test_an_upload_is_there_while_it_is_read_and_gone_after(tmp):
    with forms.uploaded_file({"name": "../../etc/register.csv", "content": b"Risk ID\nR1\n"}) as path:
        assert path.name == "register.csv" and path.read_bytes() == b"Risk ID\nR1\n"
        assert path.parent.parent == tmp  # never a path from the browser
    assert list(tmp.iterdir()) == []
    with pytest.raises(ValueError, match="bad file"):
        with forms.uploaded_file({"name": "x.xlsx", "content": b"PK"}):
            raise ValueError("bad file")
    assert list(tmp.iterdir()) == []


@pytest.mark.parametrize("name, kept", [("..", "upload"), ("x" * 300 + ".xlsx", "upload.xlsx"),
                                        ("a\x00b.csv", "ab.csv")])
def test_an_odd_upload_name_becomes_a_plain_one(tmp, name, kept):
    with forms.uploaded_file({"name": name, "content": b""}) as path:
        assert path.name == kept and path.is_file()


def test_a_killed_kernels_upload_is_removed_by_the_next_upload(tmp):
    killed = subprocess.run([sys.executable, "-c", KILLED], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "TMPDIR": str(tmp)})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    left = Path(killed.stdout.strip())
    assert left.is_file() and left.parent.parent == tmp
    with forms.uploaded_file({"name": "next.csv", "content": b""}):
        assert not left.parent.exists()
    assert list(tmp.iterdir()) == []
