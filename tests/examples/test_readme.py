"""README.md: its server and client run as shown, and it points only inside the repository."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .helpers import ROOT

README = ROOT / "README.md"


def code_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", README.read_text(), flags=re.MULTILINE | re.DOTALL)


def test_a_ten_line_server_and_a_ten_line_client() -> None:
    server, client = code_blocks()
    assert "web.run_app(" in server and "ClientSession()" in client
    assert len(server.splitlines()) <= 10 and len(client.splitlines()) <= 10


def test_links_and_commands_stay_in_the_repository() -> None:
    text = README.read_text()
    assert "../" not in text
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        if not target.startswith("http"):
            assert (ROOT / target).exists(), target
    assert "    scripts/hello --backend trio" in text
    assert "    scripts/test" in text
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("exec scripts/test")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_server_and_the_client_run_as_shown(tmp_path: Path) -> None:
    server, client = code_blocks()
    port = str(_free_port())
    (tmp_path / "server.py").write_text(server.replace("8080", port))
    (tmp_path / "client.py").write_text(client.replace("8080", port))
    proc = subprocess.Popen(
        [sys.executable, "server.py"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, proc.communicate()
            try:
                socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.05)
        result = subprocess.run(
            [sys.executable, "client.py"], cwd=tmp_path, capture_output=True, text=True, timeout=30
        )
        assert result.stdout == "200 {'hello': 'ann'}\n", result.stderr
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0
        assert f"Running on http://127.0.0.1:{port}" in out.decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_readme_code_type_checks(tmp_path: Path) -> None:
    mypy_api = pytest.importorskip("mypy.api")
    for name, code in zip(("server.py", "client.py"), code_blocks(), strict=True):
        (tmp_path / name).write_text(code)
    out, err, status = mypy_api.run(["--strict", "--no-incremental", str(tmp_path)])
    assert status == 0, out + err
