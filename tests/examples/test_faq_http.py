"""The FAQ's examples about HTTP itself: compression, uploads, fan-out, the client."""

from __future__ import annotations

import gzip
import os
import sys
from pathlib import Path

import anyio
import fan_out
import gzip_app
import pytest
import upload

import anyiohttp

from .helpers import BACKENDS, run_example

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("way", ["signal", "middleware"])
async def test_compression_for_the_whole_app(anyiohttp_client, way: str) -> None:  # type: ignore[no-untyped-def]
    client = await anyiohttp_client(gzip_app.make_app(way), auto_decompress=False)
    gz = {"Accept-Encoding": "gzip"}
    resp = await client.get("/", headers=gz)
    assert resp.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(await resp.read()).decode() == "anyiohttp " * 200
    resp = await client.get("/", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in resp.headers
    assert await resp.text() == "anyiohttp " * 200
    resp = await client.get("/image.png", headers=gz)
    assert "Content-Encoding" not in resp.headers and len(await resp.read()) == 1008
    resp = await client.get("/streamed", headers=gz)
    body = await resp.read()
    if way == "signal":
        assert resp.headers["Content-Encoding"] == "gzip"
        body = gzip.decompress(body)
    else:  # the handler streamed it before the middleware saw it
        assert "Content-Encoding" not in resp.headers
    assert body.decode().splitlines() == [f"line {n}" for n in range(100)]


async def test_fan_out_in_a_task_group(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    app = fan_out.make_app()
    client = await anyiohttp_client(app)
    resp = await client.get("/report/paris")
    assert await resp.json() == {"city": "paris", "temperature": 18, "wind": 12}
    resp = await client.get("/report/atlantis")
    assert resp.status == 502
    assert await resp.text() == (
        "upstream failed: /upstream/temperature/atlantis: 404, /upstream/wind/atlantis: 404"
    )
    assert not app[fan_out.connector_key].closed  # the pool is the app's, not the report's


def _form(data: bytes, filename: str = "song.mp3") -> anyiohttp.FormData:
    form = anyiohttp.FormData()
    form.add_field("name", "my song")
    form.add_field("mp3", data, filename=filename, content_type="audio/mpeg")
    return form


@pytest.mark.parametrize("expect100", [False, True])
async def test_upload_streams_to_a_file(  # type: ignore[no-untyped-def]
    anyiohttp_client, tmp_path: Path, expect100: bool
) -> None:
    client = await anyiohttp_client(upload.make_app(tmp_path))
    data = os.urandom(300_000)
    token = {"Authorization": f"Bearer {upload.TOKEN}"}
    resp = await client.post(
        "/mp3", data=_form(data, "../../evil.mp3"), headers=token, expect100=expect100
    )
    assert await resp.text() == "my song: evil.mp3 sized of 300000 successfully stored"
    assert (tmp_path / "evil.mp3").read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["evil.mp3"]  # no partial file left
    resp = await client.post("/mp3", data=_form(data), expect100=expect100)
    assert resp.status == 401
    resp = await client.post("/mp3", data=_form(data, ""), headers=token)
    assert resp.status == 400
    assert [p.name for p in tmp_path.iterdir()] == ["evil.mp3"]


async def test_upload_refused_before_the_body_with_curl(anyiohttp_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    song = tmp_path / "in" / "song.mp3"
    song.write_bytes(os.urandom(2_000_000))
    server = await anyiohttp_server(upload.make_app(tmp_path / "out"))
    url = str(server.make_url("/mp3"))
    curl = ["curl", "-s", "-v", "-H", "Expect: 100-continue", "-F", "name=song"]
    curl += ["-F", f"mp3=@{song}", url]
    with anyio.fail_after(20):
        refused = await anyio.run_process(curl, check=False)
        accepted = await anyio.run_process(
            [*curl, "-H", f"Authorization: Bearer {upload.TOKEN}"], check=False
        )
    assert b"< HTTP/1.1 401" in refused.stderr and b"100 Continue" not in refused.stderr
    assert b"< HTTP/1.1 100 Continue" in accepted.stderr
    assert accepted.stdout == b"song: song.mp3 sized of 2000000 successfully stored"
    assert (tmp_path / "out" / "song.mp3").read_bytes() == song.read_bytes()


@pytest.mark.parametrize("backend", BACKENDS)
def test_local_addr(backend: str) -> None:
    host = "127.0.0.2" if sys.platform == "linux" else "127.0.0.1"
    out = run_example("local_addr.py", "--local-host", host, "--backend", backend)
    assert out == f"request came from {host}\n"


@pytest.mark.parametrize("backend", BACKENDS)
def test_session_built_at_import_time(backend: str) -> None:
    out = run_example("session_anywhere.py", "--backend", backend)
    lines = out.splitlines()
    assert (
        lines[0]
        == "outside the block: ClientSession is not open; use it as an async context manager:"
    )
    assert "    async with anyiohttp.ClientSession() as session:" in lines
    assert lines[-2:] == ["inside the block: 200 hello", "after the block: closed = True"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_deprecations_are_listed(backend: str) -> None:
    out = run_example("deprecations.py", "--backend", backend)
    lines = out.splitlines()
    assert lines[0] == "200 still works yes"
    assert (
        lines[1]
        == "DeprecationWarning (deprecations.py): Bare functions are deprecated, use async ones"
    )
    # (where the second points depends on how deep in the startup it is raised)
    assert lines[2].startswith("DeprecationWarning (")
    assert ': old-style middleware "<function old_style_middleware' in lines[2]
    assert len(lines) == 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_testing_tools_without_pytest(backend: str) -> None:
    out = run_example("testing_tools.py", "--backend", backend)
    assert out.splitlines() == [
        'mocked request: 200 {"hello": "ann"}',
        "test client: 200 {'hello': 'bob'}",
        "client code: eve",
    ]


async def test_an_upload_cut_off_leaves_no_file(anyiohttp_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server = await anyiohttp_server(upload.make_app(tmp_path))
    boundary = "b0undary"
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=name\r\n\r\nsong\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=mp3; filename=song.mp3\r\n"
        "Content-Type: audio/mpeg\r\n\r\n"
    ).encode()
    request = (
        "POST /mp3 HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {upload.TOKEN}\r\nContent-Length: 10000000\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n\r\n"
    ).encode()
    with anyio.fail_after(10):
        async with await anyio.connect_tcp("127.0.0.1", server.port) as stream:
            await stream.send(request + head + bytes(200_000))
            while not any(p.name.endswith(".part") for p in tmp_path.iterdir()):
                await anyio.sleep(0.01)
        # The client is gone: the handler's next read fails, its finally cleans up.
        while list(tmp_path.iterdir()):
            await anyio.sleep(0.01)
