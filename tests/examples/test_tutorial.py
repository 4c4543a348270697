"""docs/tutorial.rst: its files pass their tests in a fresh folder, and its commands work.

The tutorial's Python is all included from examples/tutorial/ (the docs
build fails on a missing piece); its shell commands are listed here and run
the way the tutorial shows them, on a free port instead of 8080.
"""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .helpers import ROOT

TUTORIAL = ROOT / "docs" / "tutorial.rst"
FILES = ROOT / "examples" / "tutorial"

# Every command of the tutorial; the ones after the set-up are run below.
SETUP = [
    "mkdir notes && cd notes",
    "python3 -m venv .venv",
    ".venv/bin/pip install '/path/to/anyiohttp[trio]' pytest",
]
SERVE = ".venv/bin/python notes.py --backend {backend}"
FIRST_CURL = ("curl http://127.0.0.1:8080/", "no notes yet")  # the first notes.py
CURLS = {
    "curl http://127.0.0.1:8080/": "0 note(s)",
    """curl -X POST http://127.0.0.1:8080/notes -d '{"text": "buy milk"}'""": (
        '{"id": 1, "text": "buy milk", "link": null, "title": null}'
    ),
    "curl http://127.0.0.1:8080/notes": (
        '[{"id": 1, "text": "buy milk", "link": null, "title": null}]'
    ),
}
PYTEST = ".venv/bin/python -m pytest -q"
CLIENT = '.venv/bin/python client.py http://127.0.0.1:8080 "read the docs" --backend trio'


def tutorial_commands() -> list[str]:
    text = TUTORIAL.read_text()
    return [line.strip()[2:] for line in text.splitlines() if line.strip().startswith("$ ")]


def tutorial_client_output() -> list[str]:
    text = TUTORIAL.read_text()
    block = text.split("restart empties them)::\n\n", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in block.splitlines()]


def test_the_tutorial_shows_the_commands_tested_here() -> None:
    serve = [SERVE.format(backend=b) for b in ("trio", "asyncio")]
    assert tutorial_commands() == [*SETUP, *serve, FIRST_CURL[0], *CURLS, PYTEST, CLIENT]


def test_the_tutorial_has_no_code_of_its_own() -> None:
    text = TUTORIAL.read_text()
    blocks = re.findall(r"^\.\. code-block:: (\w+)", text, flags=re.MULTILINE)
    assert set(blocks) == {"console"}
    literal = [line for line in text.splitlines() if line.endswith("::") and ".. " not in line]
    assert literal == ["restart empties them)::"]  # the client's output, checked below


def _copy_files(folder: Path) -> None:
    for name in ("notes.py", "test_notes.py", "client.py"):
        shutil.copy(FILES / name, folder / name)


def _shown_lines(name: str) -> set[str]:
    """The lines of examples/tutorial/<name> that the tutorial's literalincludes show."""
    from sphinx.config import Config
    from sphinx.directives.code import LiteralIncludeReader

    text = TUTORIAL.read_text()
    pattern = rf"^\.\. literalinclude:: \.\./examples/tutorial/{re.escape(name)}\n((?:   :.*\n)*)"
    shown: set[str] = set()
    for match in re.finditer(pattern, text, flags=re.MULTILINE):
        options = dict(re.findall(r"   :([\w-]+):[ ]*(.*)", match.group(1)))
        config = Config({"source_encoding": "utf-8"})
        content, _ = LiteralIncludeReader(str(FILES / name), options, config).read()
        shown.update(line.strip() for line in content.splitlines())
    return shown


@pytest.mark.parametrize("name", ["first_route.py", "notes.py", "client.py"])
def test_the_pieces_shown_add_up_to_the_whole_file(name: str) -> None:
    # A reader who copies every piece in order gets every line of the file
    # (its docstring and its section comments aside): nothing is left out.
    shown = _shown_lines(name)
    text = (FILES / name).read_text()
    body = text.split('"""', 2)[2]  # after the module docstring
    missing = [
        line.strip()
        for line in body.splitlines()
        if line.strip() and not line.strip().startswith("# --") and line.strip() not in shown
    ]
    assert missing == []


def test_the_tests_pass_in_a_fresh_folder(tmp_path: Path) -> None:
    _copy_files(tmp_path)
    command = PYTEST.replace(".venv/bin/python", sys.executable).split()
    result = subprocess.run(
        [*command, "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 passed" in result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _serving(folder: Path, backend: str, port: int, script: str = "notes.py") -> Iterator[None]:
    command = SERVE.format(backend=backend).replace(".venv/bin/python", sys.executable)
    command = command.replace("notes.py", script)
    proc = subprocess.Popen(
        [*command.split(), "--port", str(port)],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, proc.communicate()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.05)
        yield
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _shell(command: str, port: int) -> str:
    command = command.replace("8080", str(port)).replace(".venv/bin/python", sys.executable)
    result = subprocess.run(
        command, shell=True, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_the_server_answers_curl_and_the_client(tmp_path: Path, backend: str) -> None:
    _copy_files(tmp_path)
    port = _free_port()
    with _serving(tmp_path, backend, port):
        client_output = _shell(f"cd {tmp_path} && {CLIENT}", port)
        assert client_output.splitlines() == tutorial_client_output()
    port = _free_port()
    with _serving(tmp_path, backend, port):
        for command, answer in CURLS.items():
            assert _shell(f"{command} -s", port) == answer


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_the_first_notes_py_answers_curl(tmp_path: Path, backend: str) -> None:
    shutil.copy(FILES / "first_route.py", tmp_path / "first_route.py")
    port = _free_port()
    with _serving(tmp_path, backend, port, script="first_route.py"):
        command, answer = FIRST_CURL
        assert _shell(f"{command} -s", port) == answer
