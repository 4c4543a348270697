"""run_app(app, **kwargs): keyword arguments it does not name go to the AppRunner, as aiohttp's.

run_app calls anyio.run itself and blocks until a signal: each test serves
on a socket it made, talks to it from a thread, and ends it with SIGINT as
a user would (the thread sends it whatever happened, so run_app returns).
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from typing import Any

import aiohttp.web
import pytest

from anyiohttp import web

BACKENDS = pytest.mark.parametrize("backend", ["asyncio", "trio"])


def exchange(port: int, request: bytes) -> bytes:
    """One request on a new connection; what came back until the server closed it."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def run_and_ask(requests: list[bytes], lib: Any = web, **kwargs: object) -> list[bytes]:
    """``lib.run_app`` on a listening socket; the answers to ``requests``, sent from a thread."""

    async def hello(request: Any) -> Any:
        return lib.Response(text="hello")

    app = lib.Application()
    app.router.add_get("/", hello)
    answers: list[bytes] = []
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()  # connections wait in the backlog until the server accepts
        port = sock.getsockname()[1]

        def client() -> None:
            try:
                answers.extend(exchange(port, request) for request in requests)
            finally:
                os.kill(os.getpid(), signal.SIGINT)  # run_app's graceful shutdown

        thread = threading.Thread(target=client)
        thread.start()
        try:
            lib.run_app(app, sock=sock, print=None, **kwargs)
        finally:
            thread.join(timeout=30)
    return answers


SHORT = b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"v" * 50 + b"\r\nConnection: close\r\n\r\n"
LONG = b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"v" * 150 + b"\r\nConnection: close\r\n\r\n"


@BACKENDS
def test_parser_limits_reach_the_server(backend: str) -> None:
    short, long = run_and_ask([SHORT, LONG], backend=backend, max_field_size=100)
    assert short.startswith(b"HTTP/1.1 200") and short.endswith(b"hello")
    assert long.startswith(b"HTTP/1.1 400")  # the header field is over the limit


def test_as_aiohttp_answers() -> None:
    ours = run_and_ask([SHORT, LONG], max_field_size=100)
    theirs = run_and_ask([SHORT, LONG], aiohttp.web, max_field_size=100)
    # The status codes (aiohttp's 400 says HTTP/1.0, the version it could not read).
    assert [answer.split()[1] for answer in ours] == [answer.split()[1] for answer in theirs]
    assert [answer.split()[1] for answer in ours] == [b"200", b"400"]


@BACKENDS
def test_without_them_the_defaults_hold(backend: str) -> None:
    (long,) = run_and_ask([LONG], backend=backend)
    assert long.startswith(b"HTTP/1.1 200")


def test_an_unknown_keyword_argument_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'max_feild_size'"):
        web.run_app(web.Application(), host="127.0.0.1", port=0, print=None, max_feild_size=1)
