#!/usr/bin/env python
"""Run aiohttp 3.14's own example programs on anyiohttp, on asyncio and on trio.

The examples are aiohttp's code and are never copied into this repository.
Get them from aiohttp's source distribution::

    .venv/bin/pip download --no-binary :all: --no-deps aiohttp==3.14.5 -d /tmp/aiohttp-sdist
    tar xzf /tmp/aiohttp-sdist/aiohttp-3.14.5.tar.gz -C /tmp/aiohttp-sdist

then run (from the project root)::

    .venv/bin/python scripts/aiohttp_examples.py /tmp/aiohttp-sdist/aiohttp-3.14.5/examples

``--reference`` adds a column with the unchanged programs on aiohttp itself
(installed in the venv), which checks the expectations below; ``-k NAME``
keeps the programs whose name contains NAME; ``-v`` prints each run's output.

Each program is copied to a temporary directory and changed there, only so:

* imports: ``import aiohttp`` becomes ``import anyiohttp as aiohttp``;
  ``from aiohttp[.x] import ...`` becomes ``from anyiohttp[.x] import ...``.
* trio: ``run_app(...)`` gets ``backend="trio"`` (``python -m anyiohttp.web``
  gets ``--backend trio``); a program that starts itself with
  ``asyncio.run(main())`` or ``loop.run_until_complete(main())`` is started
  with ``anyio.run(lambda: main(), backend="trio")`` instead.
* ports: the fixed port 8080 (and valkey's 6379) become free ports, and a
  ``run_app()`` given no port gets ``host="127.0.0.1", port=<free port>``;
  ``http(s)://httpbin.org`` becomes a local server that answers as httpbin.

A program that passes ``loop=`` (which anyiohttp refuses, saying to remove
it) is then run a second time with the ``loop=`` arguments of its calls to
aiohttp's names removed, as docs/migrating.rst says to do; the reason column
says whether it then runs.

Every program is then driven as it is meant to be used: servers get the
requests their docstrings and comments describe and are stopped with SIGINT
(they must exit cleanly), clients are run against a local server that serves
what they expect, and self-contained programs (their own server and client)
are run to the end; the outputs are checked. The table gives each program's
result per column: ``ok``, ``FAIL``, ``skipped`` (see Needs), or
``departure`` (the program uses something anyiohttp deliberately does not
do: a ``loop=`` argument, an asyncio protocol factory, or an asyncio function
called under trio; each is in docs/migrating.rst). The exit status is 1 if
anything is ``FAIL``.

Needs: httpx and websockets (the test extra), redis-server and the valkey
package (``pip install valkey``) for ``background_tasks.py``, which is
skipped without them.
"""

from __future__ import annotations

import argparse
import ast
import base64
import contextlib
import hashlib
import http.server
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect
from websockets.sync.server import serve as ws_serve

TARGETS = ("aiohttp", "asyncio", "trio")
STARTUP_TIMEOUT = 15.0
RUN_TIMEOUT = 60.0


class Failed(Exception):
    """The program did not do what it should; the message is the reason."""


class Departure(Exception):
    """The program uses what anyiohttp deliberately does not do; the message says what."""


class Skipped(Exception):
    """What the program needs is not on this machine; the message says what."""


# ---------------------------------------------------------------- rewriting


def _offsets(source: bytes) -> list[int]:
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def _span(node: ast.AST, starts: list[int]) -> tuple[int, int]:
    # ast column offsets count UTF-8 bytes: the edits are made on bytes.
    start = starts[node.lineno - 1] + node.col_offset  # type: ignore[attr-defined]
    end = starts[node.end_lineno - 1] + node.end_col_offset  # type: ignore[attr-defined]
    return start, end


def _is_call_to(node: ast.AST, name: str) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id == name) or (
        isinstance(func, ast.Attribute) and func.attr == name
    )


def rewrite(
    source: str,
    *,
    target: str,
    port: int,
    redis_port: int,
    httpbin: str,
    drop_loop: bool = False,
) -> str:
    """Return ``source`` changed as the module docstring says, for ``target``.

    ``drop_loop``: also remove the ``loop=`` arguments given to aiohttp's
    names (what docs/migrating.rst tells the user to do).
    """
    raw = source.encode()
    starts = _offsets(raw)
    edits: list[tuple[int, int, bytes]] = []  # (start, end, replacement)
    first_import: int | None = None
    tree = ast.parse(raw)
    if drop_loop:
        edits.extend(_loop_argument_edits(tree, starts))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and first_import is None:
            first_import = _span(node, starts)[0]
        if target != "aiohttp":
            edits.extend(_import_edits(node, raw, starts))
        if _is_call_to(node, "run_app"):
            assert isinstance(node, ast.Call)
            extra = ""
            if not any(k.arg == "port" for k in node.keywords):
                extra += f', host="127.0.0.1", port={port}'
            if target == "trio":
                extra += ', backend="trio"'
            if extra:
                last = (node.args + [k.value for k in node.keywords])[-1]
                end = _span(last, starts)[1]
                edits.append((end, end, extra.encode()))
        if target == "trio" and (
            _is_call_to(node, "run") or _is_call_to(node, "run_until_complete")
        ):
            assert isinstance(node, ast.Call)
            func = node.func
            is_asyncio_run = isinstance(func, ast.Attribute) and (
                func.attr == "run_until_complete"
                or (isinstance(func.value, ast.Name) and func.value.id == "asyncio")
            )
            if is_asyncio_run and len(node.args) == 1:
                start, end = _span(node, starts)
                arg_start, arg_end = _span(node.args[0], starts)
                call = b"anyio.run(lambda: " + raw[arg_start:arg_end] + b', backend="trio")'
                edits.append((start, end, call))
    if target == "trio" and first_import is not None:
        edits.append((first_import, first_import, b"import anyio\n"))
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        raw = raw[:start] + text + raw[end:]
    out = raw.decode()
    out = re.sub(r"\b8080\b", str(port), out)
    out = re.sub(r"\b6379\b", str(redis_port), out)
    return re.sub(r"https?://httpbin\.org", httpbin, out)


def _aiohttp_names(tree: ast.AST) -> set[str]:
    """The names a module binds by importing aiohttp or names from it."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(
                (a.asname or a.name).split(".")[0]
                for a in node.names
                if a.name.split(".")[0] == "aiohttp"
            )
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "aiohttp":
            names.update(a.asname or a.name for a in node.names)
    return names


def _loop_argument_edits(tree: ast.AST, starts: list[int]) -> Iterator[tuple[int, int, bytes]]:
    """Remove ``loop=...`` from the calls of aiohttp's names, with its comma."""
    ours = _aiohttp_names(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        root = node.func
        while isinstance(root, ast.Attribute):
            root = root.value
        if not (isinstance(root, ast.Name) and root.id in ours):
            continue
        items = sorted(node.args + node.keywords, key=lambda n: _span(n, starts))
        for i, item in enumerate(items):
            if isinstance(item, ast.keyword) and item.arg == "loop":
                start, end = _span(item, starts)
                if i > 0:
                    start = _span(items[i - 1], starts)[1]
                elif len(items) > 1:
                    end = _span(items[1], starts)[0]
                yield start, end, b""


def _import_edits(node: ast.AST, raw: bytes, starts: list[int]) -> Iterator[tuple[int, int, bytes]]:
    if isinstance(node, ast.Import):
        names = [a for a in node.names if a.name == "aiohttp" or a.name.startswith("aiohttp.")]
        if names:
            start, end = _span(node, starts)
            parts = []
            for alias in node.names:
                if alias.name == "aiohttp" or alias.name.startswith("aiohttp."):
                    new = alias.name.replace("aiohttp", "anyiohttp", 1)
                    bound = alias.asname or ("aiohttp" if alias.name == "aiohttp" else None)
                    parts.append(f"{new} as {bound}" if bound else new)
                    if alias.name != "aiohttp" and not alias.asname:
                        parts.append("anyiohttp as aiohttp")
                else:
                    parts.append(f"{alias.name} as {alias.asname}" if alias.asname else alias.name)
            yield start, end, ("import " + ", ".join(parts)).encode()
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        if node.module == "aiohttp" or node.module.startswith("aiohttp."):
            start, end = _span(node, starts)
            text = re.sub(rb"^from\s+aiohttp\b", b"from anyiohttp", raw[start:end])
            yield start, end, text


# ---------------------------------------------------------------- running


def free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago (never 8080 or 6379)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in (8080, 6379):
            return port


def wait_port(
    port: int, proc: subprocess.Popen[bytes] | None, timeout: float = STARTUP_TIMEOUT
) -> None:
    """Wait until something accepts on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise Failed("exited before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise Failed(f"nothing listening on port {port} after {timeout:.0f}s")


@dataclass
class Run:
    """One program prepared for one target, in its own directory."""

    name: str
    target: str
    workdir: Path
    port: int
    redis_port: int
    verbose: bool
    drop_loop: bool = False
    proc: subprocess.Popen[bytes] | None = None
    outputs: list[str] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return self.workdir / self.name

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _files(self) -> tuple[Path, Path]:
        return self.workdir / f"{self.name}.out", self.workdir / f"{self.name}.err"

    def start(self, argv: list[str] | None = None, stdin: bool = False) -> subprocess.Popen[bytes]:
        """Start the program (or ``argv``) with its output going to files."""
        out, err = self._files()
        env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONWARNINGS="ignore")
        self.proc = subprocess.Popen(
            argv or [sys.executable, str(self.path)],
            cwd=self.workdir,
            env=env,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=out.open("wb"),
            stderr=err.open("wb"),
        )
        return self.proc

    def stdout(self) -> str:
        return self._files()[0].read_text(errors="replace")

    def stderr(self) -> str:
        return self._files()[1].read_text(errors="replace")

    def serve(self, argv: list[str] | None = None) -> None:
        """Start a server program and wait until it listens on the port."""
        proc = self.start(argv)
        try:
            wait_port(self.port, proc)
        except Failed as exc:
            raise self.crash(str(exc)) from None

    def stop(self) -> None:
        """SIGINT the server: it must exit with status 0 and no traceback."""
        proc = self.proc
        assert proc is not None
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise Failed(f"did not stop within {RUN_TIMEOUT:.0f}s of SIGINT") from None
        if proc.returncode != 0 or "Traceback" in self.stderr():
            raise self.crash(f"exit status {proc.returncode} after SIGINT")

    def run_to_end(self, argv: list[str] | None = None) -> str:
        """Run a program that ends by itself; it must exit 0 without a traceback."""
        proc = self.proc or self.start(argv)
        try:
            proc.wait(RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise Failed(f"still running after {RUN_TIMEOUT:.0f}s") from None
        if proc.returncode != 0 or "Traceback" in self.stderr():
            raise self.crash(f"exit status {proc.returncode}")
        return self.stdout()

    def crash(self, what: str) -> Exception:
        """The error for a program that failed: its exception, classified."""
        err = self.stderr()
        lines = [ln for ln in err.splitlines() if ln.strip()]
        last = next(
            (ln for ln in reversed(lines) if re.match(r"^[\w.]+(Error|Exception|Exit)\b", ln)), None
        )
        message = f"{what}: {last}" if last else (f"{what}: {lines[-1]}" if lines else what)
        # Under trio, a failing frame of the program itself calling an asyncio
        # function is the program's asyncio use, not an anyiohttp bug.
        if self.target == "trio":
            called = _program_asyncio_call(err, self.name)
            if called:
                return Departure(f"calls {called} under trio ({message})")
        return Failed(message)

    def stop_quietly(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _program_asyncio_call(err: str, name: str) -> str | None:
    frames = re.findall(rf'File "[^"]*{re.escape(name)}", line \d+, in \w+\n\s+(.+)', err)
    for line in reversed(frames):
        match = re.search(r"\b(asyncio\.\w+|loop\.\w+)", line)
        if match:
            return match.group(1)
    return None


def expect(text: str, *parts: str) -> None:
    """Each of ``parts`` must be in ``text``."""
    for part in parts:
        if part not in text:
            raise Failed(f"output lacks {part!r}")


def check(cond: bool, what: str) -> None:
    if not cond:
        raise Failed(what)


def http_client(run: Run) -> httpx.Client:
    return httpx.Client(base_url=run.base, timeout=10, follow_redirects=False)


# ---------------------------------------------------------------- local peers


@contextlib.contextmanager
def http_peer(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[int]:
    """A threaded http.server on a free port, for the client programs."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


class _Quiet(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


_DIGEST_HASHES: dict[str, Callable[[bytes], Any]] = {
    "MD5": hashlib.md5,
    "SHA-256": hashlib.sha256,
    "SHA-512": hashlib.sha512,
}


class HttpbinPeer(_Quiet):
    """What the examples ask of httpbin: /get, /basic-auth/{user}/{password}, and
    /digest-auth/{qop}/{user}/{password}/{algorithm} (checked by RFC 7616)."""

    def do_GET(self) -> None:
        if self.path == "/get":
            url = f"http://{self.headers['Host']}/get"
            return self.answer(200, json.dumps({"args": {}, "url": url}).encode())
        basic = re.fullmatch(r"/basic-auth/(\w+)/(\w+)", self.path)
        if basic:
            expected = base64.b64encode(f"{basic[1]}:{basic[2]}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                return self.answer(401, b"", {"WWW-Authenticate": 'Basic realm="Fake Realm"'})
            body = json.dumps({"authenticated": True, "user": basic[1]}, indent=2)
            return self.answer(200, body.encode())
        match = re.fullmatch(r"/digest-auth/([\w-]+)/(\w+)/(\w+)/([\w-]+)", self.path)
        if not match:
            return self.answer(404, b"{}")
        qop, user, password, algorithm = match.groups()
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Digest ") and self._valid(auth[7:], qop, user, password, algorithm):
            return self.answer(200, json.dumps({"authenticated": True, "user": user}).encode())
        challenge = (
            f'Digest realm="me@kennethreitz.com", nonce="{secrets.token_hex(16)}", '
            f'qop="{qop}", opaque="{secrets.token_hex(16)}", algorithm={algorithm}, stale=FALSE'
        )
        return self.answer(401, b"", {"WWW-Authenticate": challenge})

    def _valid(self, header: str, qop: str, user: str, password: str, algorithm: str) -> bool:
        fields: dict[str, str] = {}
        for key, quoted, bare in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', header):
            fields[key] = quoted or bare
        digest = _DIGEST_HASHES[algorithm]

        def h(data: str) -> str:
            return str(digest(data.encode()).hexdigest())

        if fields.get("username") != user or fields.get("qop") != qop:
            return False
        ha1 = h(f"{user}:{fields['realm']}:{password}")
        ha2 = h(f"GET:{fields['uri']}") if qop == "auth" else h(f"GET:{fields['uri']}:{h('')}")
        expected = h(f"{ha1}:{fields['nonce']}:{fields['nc']}:{fields['cnonce']}:{qop}:{ha2}")
        return fields.get("response") == expected


CURL_BODY = secrets.token_bytes(100_000)


class CurlPeer(_Quiet):
    def do_GET(self) -> None:
        self.answer(200, CURL_BODY, {"Content-Type": "application/octet-stream"})


@contextlib.contextmanager
def ws_chat_peer() -> Iterator[int]:
    """A WebSocket server that welcomes each client and echoes its text back."""

    def handler(conn: Any) -> None:
        with contextlib.suppress(ConnectionClosed):  # a client that fails early
            conn.send("Welcome!!!")
            for message in conn:
                conn.send(f"echo {message}")

    with ws_serve(handler, "127.0.0.1", 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server.socket.getsockname()[1]
        finally:
            server.shutdown()


# ---------------------------------------------------------------- drivers


def passes_loop(*expected: str) -> Callable[[Run], None]:
    """A driver for a program that passes ``loop=`` (excluded by the task).

    As it is, it must fail with our error about ``loop=``; with ``loop=``
    removed from its calls of aiohttp's names (``run_one`` tries that next),
    its output must have each of ``expected``, as on aiohttp.
    """

    def driver(run: Run) -> None:
        if run.target == "aiohttp" or run.drop_loop:
            expect(run.run_to_end(), *expected)
            return
        try:
            run.run_to_end()
        except Failed as exc:
            if "takes no loop= argument" in str(exc):
                raise Departure(f"passes loop=; as is: {exc}") from None
            raise
        raise Failed("passes loop= yet ran")

    return driver


client_auth = passes_loop("\n200\n", '"authenticated": true', '"user": "andrew"')
client_json = passes_loop("\n200\n", "'url': 'http://127.0.0.1:")
# A resolver sends graph.facebook.com to a local TLS server on the port it returns.
fake_server = passes_loop("{'name': 'John Doe', 'id': '12345678901234567'}", "'total_count': 3}")


def serve_pages(run: Run, pages: dict[str, tuple[int, str]]) -> None:
    """GET each path: the status and a part of the body must be as given."""
    run.serve()
    with http_client(run) as client:
        for path, (status, part) in pages.items():
            resp = client.get(path)
            check(resp.status_code == status, f"GET {path}: {resp.status_code}, expected {status}")
            check(part in resp.text, f"GET {path}: body lacks {part!r}")
    run.stop()


def web_srv(run: Run) -> None:
    """The basic server: intro, /simple, /change_body, /hello/John, /hello."""
    serve_pages(
        run,
        {
            "/": (200, "Type 127.0.0.1:"),
            "/simple": (200, "Simple answer"),
            "/change_body": (200, "Body changed"),
            "/hello/John": (200, "Hello, John"),
            "/hello": (200, "Hello, Anonymous"),
        },
    )


def web_srv_route_deco(run: Run) -> None:
    """The decorator route table registers /hello only, not /hello/{name}."""
    serve_pages(
        run,
        {
            "/": (200, "Type 127.0.0.1:"),
            "/simple": (200, "Simple answer"),
            "/change_body": (200, "Body changed"),
            "/hello": (200, "Hello, Anonymous"),
            "/hello/John": (404, "Not Found"),
        },
    )


def web_rewrite_headers_middleware(run: Run) -> None:
    """The middleware sets the Server header on the unprepared response."""
    run.serve()
    with http_client(run) as client:
        resp = client.get("/")
        check(resp.text == "Everything is fine", f"body {resp.text!r}")
        check(
            resp.headers.get("server") == "Secured Server Software",
            f"Server: {resp.headers.get('server')}",
        )
        check(client.get("/nowhere").status_code == 404, "GET /nowhere is not 404")
    run.stop()


def web_classview(run: Run) -> None:
    """The class-based view answers GET with the query, POST with the form."""
    run.serve()
    with http_client(run) as client:
        resp = client.get("/")
        check("Class based view example" in resp.text, "index page")
        check(resp.headers["content-type"].startswith("text/html"), "index is not text/html")
        got = client.get("/get", params={"a": "1"}, headers={"X-Test": "yes"}).json()
        check(got["method"] == "get" and got["args"] == {"a": "1"}, f"GET /get: {got}")
        check(got["headers"].get("X-Test") == "yes", f"GET /get headers: {got['headers']}")
        posted = client.post("/post?b=2", data={"field": "value"}).json()
        check(
            posted["method"] == "post" and posted["data"] == {"field": "value"},
            f"POST /post: {posted}",
        )
        check(posted["args"] == {"b": "2"}, f"POST /post args: {posted['args']}")
        check(client.post("/get").status_code == 405, "POST /get is not 405")
    run.stop()


def web_cookies(run: Run) -> None:
    """/login sets AUTH and redirects; / shows the cookies; /logout deletes AUTH."""
    run.serve()
    with http_client(run) as client:
        login = client.get("/login")
        check(
            login.status_code == 302 and login.headers["location"] == "/",
            f"/login: {login.status_code}",
        )
        check(
            "AUTH=secret" in login.headers.get("set-cookie", ""),
            f"/login Set-Cookie: {login.headers}",
        )
        page = client.get("/")
        check(
            "{&#x27;AUTH&#x27;: &#x27;secret&#x27;}" in page.text
            or "'AUTH': 'secret'" in page.text,
            page.text,
        )
        run.outputs.append(page.text)
        logout = client.get("/logout")
        cookie = logout.headers.get("set-cookie", "")
        check(
            logout.status_code == 302 and cookie.startswith('AUTH=""'),
            f"/logout Set-Cookie: {cookie!r}",
        )
        check("Max-Age=0" in cookie, f"/logout Set-Cookie: {cookie!r}")
        check("AUTH" not in client.cookies, "AUTH still set after logout")
    run.stop()


def server_simple(run: Run) -> None:
    """Hello pages and a WebSocket echo on /echo (text is greeted, bytes echoed)."""
    run.serve()
    with http_client(run) as client:
        check(client.get("/").text == "Hello, Anonymous", "GET /")
        check(client.get("/John").text == "Hello, John", "GET /John")
    with ws_connect(f"ws://127.0.0.1:{run.port}/echo", open_timeout=10) as ws:
        ws.send("Bob")
        check(ws.recv(10) == "Hello, Bob", "ws text echo")
        ws.send(b"\x00\x01")
        check(ws.recv(10) == b"\x00\x01", "ws binary echo")
    run.stop()


def static_files(run: Run) -> None:
    """The examples directory served at /, with an index page."""
    run.serve()
    with http_client(run) as client:
        index = client.get("/")
        check(index.status_code == 200, f"GET /: {index.status_code}")
        check(
            '<a href="/web_srv.py">web_srv.py</a>' in index.text, "index lacks a link to web_srv.py"
        )
        check("Index of /" in index.text, "index lacks its title")
        run.outputs.append(index.text)
        page = client.get("/web_srv.py")
        check(
            page.content == (run.workdir / "web_srv.py").read_bytes(),
            "GET /web_srv.py differs from the file",
        )
        check(client.get("/missing.txt").status_code == 404, "GET /missing.txt is not 404")
        check(client.get("/../etc/passwd").status_code in (403, 404), "path traversal not refused")
    run.stop()


def web_ws(run: Run) -> None:
    """A chat: the page on plain GET, welcome, joins, relayed text, departures."""
    run.serve()
    with http_client(run) as client:
        page = client.get("/")
        check(
            page.status_code == 200 and "<html" in page.text.lower(), "GET / is not websocket.html"
        )
    url = f"ws://127.0.0.1:{run.port}/"
    with ws_connect(url, open_timeout=10) as first:
        check(first.recv(10) == "Welcome!!!", "first client not welcomed")
        with ws_connect(url, open_timeout=10) as second:
            check(second.recv(10) == "Welcome!!!", "second client not welcomed")
            check(first.recv(10) == "Someone joined", "first client not told of the join")
            second.send("hi all")
            check(first.recv(10) == "hi all", "text not relayed")
        check(first.recv(10) == "Someone disconnected.", "first client not told of the departure")
        run.stop()  # on_shutdown closes the remaining WebSocket
        check(_connection_ends(first, run), "the WebSocket stayed open after shutdown")
        check(first.protocol.close_rcvd is not None, "no Close from the server")


def _connection_ends(ws: Any, run: Run) -> bool:
    """Read ``ws`` until it closes (within 5s); note the Close frame that came, if any."""
    try:
        while True:
            ws.recv(5)
    except TimeoutError:
        return False
    except ConnectionClosed as exc:
        run.outputs.append(f"WebSocket closed: received {exc.rcvd}, sent {exc.sent}")
        return True


def cli_app(run: Run) -> None:
    """``python -m aiohttp.web -H ... -P ... cli_app:init --repeat N MESSAGE``."""
    module = "aiohttp.web" if run.target == "aiohttp" else "anyiohttp.web"
    argv = [sys.executable, "-m", module, "-H", "127.0.0.1", "-P", str(run.port)]
    if run.target == "trio":
        argv += ["--backend", "trio"]
    argv += ["cli_app:init", "--repeat", "3", "Hello World"]
    run.serve(argv)
    with http_client(run) as client:
        text = client.get("/").text
        check(text == "\n".join(["Hello World"] * 3), f"GET /: {text!r}")
    run.stop()
    # aiohttp's CLI logs at DEBUG (so the access log shows) and says Stopped at the end.
    expect(run.stderr(), '"GET / HTTP/1.1" 200', "Stopped\n")


def lowlevel_srv(run: Run) -> None:
    """``loop.create_server(web.Server(handler))``, then GET / answers OK."""
    proc = run.start()
    try:
        wait_port(run.port, proc)
    except Failed as exc:
        raise run.crash(str(exc)) from None
    try:
        with http_client(run) as client:
            text = client.get("/").text
        check(text == "OK", f"GET /: {text!r}")
    except httpx.HTTPError as exc:
        run.stop_quietly()
        err = run.stderr()
        if run.target != "aiohttp" and "ServerRunner" in err:
            raise Departure(
                f"web.Server is not an asyncio protocol factory; logged: {_first_line(err)}"
            ) from None
        raise Failed(f"GET /: {type(exc).__name__}") from None
    run.stop_quietly()


def _first_line(err: str) -> str:
    return next((ln for ln in err.splitlines() if ln.strip()), "")


def client_ws(run: Run) -> None:
    """The console chat client: a name, a line, its echo printed, then EOF."""
    with ws_chat_peer() as port:
        proc = run.start([sys.executable, str(run.path), "--port", str(port)], stdin=True)
        assert proc.stdin is not None
        proc.stdin.write(b"alice\nhello there\n")
        proc.stdin.flush()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while "echo alice: hello there" not in run.stdout() and time.monotonic() < deadline:
            if proc.poll() is not None:
                raise run.crash(f"exit status {proc.returncode}")
            time.sleep(0.05)
        proc.stdin.close()  # Ctrl+D
        out = run.run_to_end()
    expect(out, "Text:  Welcome!!!", "Text:  echo alice: hello there")


def curl(run: Run) -> None:
    """``curl.py URL`` prints the response's repr and the size downloaded."""
    with http_peer(CurlPeer) as port:
        url = f"http://127.0.0.1:{port}/file"
        out = run.run_to_end([sys.executable, str(run.path), url])
    expect(out, f"<ClientResponse({url}) [200 OK]>", f"Downloaded: {len(CURL_BODY)}")


def digest_auth_qop_auth(run: Run) -> None:
    """Digest auth (qop auth and auth-int, MD5/SHA-256/SHA-512) against a local httpbin."""
    out = run.run_to_end()
    check(
        out.count("Authentication successful!") == 6,
        f"{out.count('Authentication successful!')} of 6 succeeded",
    )
    expect(out, "Authenticated user: my")


def basic_auth_middleware(run: Run) -> None:
    out = run.run_to_end()
    expect(
        out,
        "Authentication successful!",
        "User: user",
        "Authentication failed as expected (wrong credentials)",
        "Successfully accessed protected resource!",
    )


def combined_middleware(run: Run) -> None:
    out = run.run_to_end()
    expect(
        out,
        "Success after retry! Response: {'message': 'Access granted'",
        "Success after retries! Response: {'message': 'Success after retries!'",
        "Final status after retries: 500",
        "Status: 404 (no retries for 404)",
        "Status without middleware: 401",
    )
    log = run.stderr()
    check(
        log.count("Retrying request") == 5,
        f"{log.count('Retrying request')} retries logged, expected 5",
    )


def logging_middleware(run: Run) -> None:
    out = run.run_to_end()
    expect(
        out,
        "Response: {'message': 'Hello, World!'}",
        "Response: {'message': 'Hello, Alice!'}",
        "Response: {'message': 'Slow response completed', 'delay': 2.0}",
        "Response: Error response with status 404",
        "Response: {'echo': {'name': 'Bob', 'age': 30, 'city': 'New York'}",
        "Concurrent request 2: {'message': 'Hello, User2!'}",
    )
    check(run.stderr().count("[RESPONSE]") == 8, "not 8 responses logged")


def retry_middleware(run: Run) -> None:
    out = run.run_to_end()
    expect(
        out,
        "Response: Request #1: Status 200",
        "Response: Request #4: Status 200\nSuccess after retries!",
        "Response: Request #4: Status 500",
        "Response: Request #2: Status 200",
        "Final status: 404",
        "Response received after delay: {'delay': 0.5",
    )


def token_refresh_middleware(run: Run) -> None:
    out = run.run_to_end()
    expect(
        out,
        "Success! Response: {'message': 'Access granted to protected resource'",
        "User info: {'user_id': 'user123'",
        "Request 1: Success",
        "Request 3: Success",
        "Success after token refresh!",
        "Failed as expected without auth: {'error': 'Invalid or expired token'}",
    )
    check(
        run.stderr().count("Refreshing access token") == 2,
        "the token was not refreshed exactly twice",
    )


def background_tasks(run: Run) -> None:
    """A valkey channel relayed to the WebSockets on /news; shutdown closes them."""
    try:
        import valkey
    except ImportError:
        raise Skipped("the valkey package is not installed") from None
    if shutil.which("redis-server") is None:
        raise Skipped("no redis-server on PATH")
    redis = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(run.redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(run.redis_port, redis)
        run.serve()
        publisher = valkey.Valkey(host="127.0.0.1", port=run.redis_port)
        with ws_connect(f"ws://127.0.0.1:{run.port}/news", open_timeout=10) as ws:
            ws.send("client says hi")
            message = None
            for _ in range(50):  # the listener subscribes in the background: publish until it hears
                publisher.publish("news", "breaking")
                with contextlib.suppress(TimeoutError):
                    message = ws.recv(0.2)
                    break
            check(
                message is not None and "'data': 'breaking'" in str(message),
                f"relayed: {message!r}",
            )
            run.stop()
            check(_connection_ends(ws, run), "the WebSocket stayed open after shutdown")
        check("cleanup background tasks..." in run.stdout(), "cleanup context not exited")
    finally:
        redis.terminate()
        redis.wait()


DRIVERS: dict[str, Callable[[Run], None]] = {
    "background_tasks.py": background_tasks,
    "basic_auth_middleware.py": basic_auth_middleware,
    "cli_app.py": cli_app,
    "client_auth.py": client_auth,
    "client_json.py": client_json,
    "client_ws.py": client_ws,
    "combined_middleware.py": combined_middleware,
    "curl.py": curl,
    "digest_auth_qop_auth.py": digest_auth_qop_auth,
    "fake_server.py": fake_server,
    "logging_middleware.py": logging_middleware,
    "lowlevel_srv.py": lowlevel_srv,
    "retry_middleware.py": retry_middleware,
    "server_simple.py": server_simple,
    "static_files.py": static_files,
    "token_refresh_middleware.py": token_refresh_middleware,
    "web_classview.py": web_classview,
    "web_cookies.py": web_cookies,
    "web_rewrite_headers_middleware.py": web_rewrite_headers_middleware,
    "web_srv.py": web_srv,
    "web_srv_route_deco.py": web_srv_route_deco,
    "web_srv_route_table.py": web_srv,
    "web_ws.py": web_ws,
}


# ---------------------------------------------------------------- main


def run_one(examples: Path, name: str, target: str, verbose: bool) -> tuple[str, str]:
    """Drive ``name`` on ``target``; one that passes ``loop=`` is tried again without it."""
    status, reason = run_variant(examples, name, target, verbose, drop_loop=False)
    if status == "departure" and reason.startswith("passes loop="):
        fixed, why = run_variant(examples, name, target, verbose, drop_loop=True)
        if fixed != "ok":
            return fixed, f"with loop= removed: {why}"
        reason = reason.replace("passes loop=;", "passes loop=, runs once it is removed;", 1)
    return status, reason


def run_variant(
    examples: Path, name: str, target: str, verbose: bool, *, drop_loop: bool
) -> tuple[str, str]:
    """Prepare ``name`` for ``target`` in a fresh directory and drive it."""
    with tempfile.TemporaryDirectory(prefix=f"example-{target}-") as tmp:
        workdir = Path(tmp)
        for item in examples.iterdir():
            if item.is_file():
                shutil.copy(item, workdir / item.name)
        run = Run(name, target, workdir, free_port(), free_port(), verbose, drop_loop)
        with http_peer(HttpbinPeer) as httpbin_port:
            httpbin = f"http://127.0.0.1:{httpbin_port}"
            for py in workdir.glob("*.py"):
                source = (examples / py.name).read_text()
                py.write_text(
                    rewrite(
                        source,
                        target=target,
                        port=run.port,
                        redis_port=run.redis_port,
                        httpbin=httpbin,
                        drop_loop=drop_loop,
                    )
                )
            try:
                DRIVERS[name](run)
                result = ("ok", "")
            except Departure as exc:
                result = ("departure", str(exc))
            except Skipped as exc:
                result = ("skipped", str(exc))
            except Failed as exc:
                result = ("FAIL", str(exc))
            except Exception as exc:  # a driver's request failed: the program misbehaved
                result = ("FAIL", run.crash(f"{type(exc).__name__}: {exc}").args[0])
            finally:
                run.stop_quietly()
            if verbose:
                variant = f"{target}, loop= removed" if drop_loop else target
                print(
                    f"--- {name} [{variant}] stdout\n{run.stdout()}\n--- stderr\n{run.stderr()}",
                    file=sys.stderr,
                )
                for extra in run.outputs:
                    print(f"--- {name} [{target}] page\n{extra}", file=sys.stderr)
    return result


def _short(reason: str, limit: int = 150) -> str:
    """A reason cut to the table's width (``-v`` shows everything)."""
    return reason if len(reason) <= limit else reason[: limit - 1] + "…"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("examples", type=Path, help="aiohttp's examples/ directory")
    parser.add_argument(
        "--reference", action="store_true", help="also run the programs unchanged on aiohttp"
    )
    parser.add_argument(
        "-k", dest="filter", default="", help="only programs whose name contains this"
    )
    parser.add_argument("-v", dest="verbose", action="store_true", help="print each run's output")
    options = parser.parse_args()
    examples: Path = options.examples
    if not (examples / "web_srv.py").is_file():
        parser.error(f"{examples} is not aiohttp's examples directory (see --help)")
    names = sorted(p.name for p in examples.glob("*.py") if p.name != "__init__.py")
    unknown = sorted(set(names) - set(DRIVERS))
    if unknown:
        print(f"no driver for: {', '.join(unknown)}", file=sys.stderr)
    targets = TARGETS if options.reference else TARGETS[1:]
    rows = []
    for name in names:
        if options.filter not in name or name not in DRIVERS:
            continue
        results = {t: run_one(examples, name, t, options.verbose) for t in targets}
        reasons: dict[str, list[str]] = {}  # one reason, the targets that gave it
        for t, (_, reason) in results.items():
            if reason:
                reasons.setdefault(_short(reason), []).append(t)
        reasons_text = "; ".join(f"{'+'.join(ts)}: {r}" for r, ts in reasons.items())
        rows.append([name, *(results[t][0] for t in targets), reasons_text])
        print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    header = ["program", *targets, "reason"]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    print()
    for row in [header, *rows]:
        print(
            "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1]
        )
    counts = {t: sum(r[1 + i] == "ok" for r in rows) for i, t in enumerate(targets)}
    print("\nok: " + ", ".join(f"{t} {n}/{len(rows)}" for t, n in counts.items()))
    return 1 if any("FAIL" in r[1 : 1 + len(targets)] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
