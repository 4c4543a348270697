"""Static files: FileResponse and add_static, traversal attempts included."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from anyiohttp import web

from ..conftest import raw_exchange, run_app

pytestmark = pytest.mark.anyio


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "public"
    (root / "sub").mkdir(parents=True)
    (root / "index.html").write_text("<h1>home</h1>")
    (root / "sub" / "data.json").write_text('{"a": 1}')
    (root / "big.bin").write_bytes(bytes(range(256)) * 4096)
    (tmp_path / "secret.txt").write_text("top secret")
    os.symlink(tmp_path / "secret.txt", root / "leak.txt")
    return root


def make_app(root: Path, **kwargs: object) -> web.Application:
    app = web.Application()
    app.router.add_static("/static", root, name="static", **kwargs)  # type: ignore[arg-type]
    return app


async def test_files_types_and_validators(anyiohttp_client, tree: Path) -> None:  # type: ignore[no-untyped-def]
    client = await anyiohttp_client(make_app(tree))
    resp = await client.get("/static/index.html")
    assert resp.status == 200 and await resp.text() == "<h1>home</h1>"
    assert resp.content_type == "text/html"
    assert resp.headers["Accept-Ranges"] == "bytes"
    etag, modified = resp.headers["ETag"], resp.headers["Last-Modified"]
    again = await client.get("/static/index.html", headers={"If-None-Match": etag})
    assert again.status == 304 and await again.read() == b""
    since = await client.get("/static/index.html", headers={"If-Modified-Since": modified})
    assert since.status == 304
    changed = await client.get("/static/index.html", headers={"If-Match": '"other"'})
    assert changed.status == 412
    nested = await client.get("/static/sub/data.json")
    assert await nested.json() == {"a": 1}
    head = await client.head("/static/big.bin")
    assert head.status == 200 and head.headers["Content-Length"] == str(256 * 4096)


async def test_byte_ranges(anyiohttp_client, tree: Path) -> None:  # type: ignore[no-untyped-def]
    client = await anyiohttp_client(make_app(tree))
    data = (tree / "big.bin").read_bytes()
    part = await client.get("/static/big.bin", headers={"Range": "bytes=100-199"})
    assert part.status == 206 and await part.read() == data[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
    tail = await client.get("/static/big.bin", headers={"Range": "bytes=-10"})
    assert await tail.read() == data[-10:]
    bad = await client.get("/static/big.bin", headers={"Range": f"bytes={len(data)}-"})
    assert bad.status == 416 and bad.headers["Content-Range"] == f"bytes */{len(data)}"
    whole = await client.get("/static/big.bin")
    assert await whole.read() == data
    # If-Range: the part only while the client's validator still holds.
    etag, modified = whole.headers["ETag"], whole.headers["Last-Modified"]
    for validator in (etag, modified):
        same = await client.get(
            "/static/big.bin", headers={"Range": "bytes=0-9", "If-Range": validator}
        )
        assert same.status == 206 and await same.read() == data[:10]
    for stale in ('"another"', "Mon, 01 Jan 2001 00:00:00 GMT", "W/" + etag):
        changed = await client.get(
            "/static/big.bin", headers={"Range": "bytes=0-9", "If-Range": stale}
        )
        assert changed.status == 200 and await changed.read() == data


@pytest.mark.parametrize(
    "target",
    [
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/sub/%2E%2E/%2E%2E/secret.txt",
        "/static/..%2Fsecret.txt",
        "/static//etc/passwd",
        "/static/leak.txt",
        "/static/nothing-here",
    ],
)
async def test_nothing_outside_the_root_is_served(tree: Path, target: str) -> None:
    async with run_app(make_app(tree)) as url:
        raw = await raw_exchange(
            url, f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        )
    assert raw.split(b" ", 2)[1] in (b"403", b"404"), raw[:100]
    assert b"top secret" not in raw


async def test_directories_and_index(anyiohttp_client, tree: Path) -> None:  # type: ignore[no-untyped-def]
    plain = await anyiohttp_client(make_app(tree))
    assert (await plain.get("/static/sub")).status == 403
    listing = await anyiohttp_client(make_app(tree, show_index=True))
    page = await (await listing.get("/static/sub")).text()
    assert '<a href="/static/sub/data.json">data.json</a>' in page


async def test_follow_symlinks_and_url_for(anyiohttp_client, tree: Path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(tree, follow_symlinks=True, append_version=True)
    client = await anyiohttp_client(app)
    assert await (await client.get("/static/leak.txt")).text() == "top secret"
    url = app.router["static"].url_for(filename="index.html")  # type: ignore[call-arg]
    assert url.path == "/static/index.html" and len(url.query["v"]) == 16


async def test_file_response_from_a_handler(anyiohttp_client, tree: Path) -> None:  # type: ignore[no-untyped-def]
    async def download(request: web.Request) -> web.FileResponse:
        return web.FileResponse(tree / "sub" / "data.json", headers={"X-Kind": "file"})

    async def missing(request: web.Request) -> web.FileResponse:
        return web.FileResponse(tree / "gone.txt")

    app = web.Application()
    app.router.add_get("/download", download)
    app.router.add_get("/missing", missing)
    client = await anyiohttp_client(app)
    resp = await client.get("/download")
    assert resp.headers["X-Kind"] == "file" and await resp.json() == {"a": 1}
    assert (await client.get("/missing")).status == 404


def test_add_static_needs_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="No directory"):
        web.Application().router.add_static("/s", tmp_path / "nope")


async def test_a_compressed_file_is_served_as_itself(anyiohttp_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import gzip

    (tmp_path / "archive.tar.gz").write_bytes(gzip.compress(b"tar bytes"))
    client = await anyiohttp_client(make_app(tmp_path))
    resp = await client.get("/static/archive.tar.gz")
    # As aiohttp: the gzip file itself, not content for the client to unpack.
    assert resp.headers["Content-Type"] == "application/gzip"
    assert "Content-Encoding" not in resp.headers
    assert gzip.decompress(await resp.read()) == b"tar bytes"


async def test_a_pre_compressed_sibling_goes_to_clients_that_accept_it(  # type: ignore[no-untyped-def]
    anyiohttp_client, tmp_path: Path
) -> None:
    import gzip

    (tmp_path / "site.css").write_text("body { color: red }" * 50)
    (tmp_path / "site.css.gz").write_bytes(gzip.compress(b"body { color: red }" * 50))
    (tmp_path / "other.css").write_text("plain")
    (tmp_path / "elsewhere.gz").write_bytes(gzip.compress(b"not this one"))
    os.symlink(tmp_path / "elsewhere.gz", tmp_path / "other.css.gz")
    client = await anyiohttp_client(make_app(tmp_path))

    resp = await client.get("/static/site.css", headers={"Accept-Encoding": "gzip"})
    assert resp.headers["Content-Encoding"] == "gzip"
    assert resp.headers["Vary"] == "Accept-Encoding"
    assert resp.headers["Content-Type"].startswith("text/css")
    assert await resp.text() == "body { color: red }" * 50  # the client decodes it

    resp = await client.get("/static/site.css", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in resp.headers
    assert await resp.text() == "body { color: red }" * 50

    # A symlinked sibling is not followed.
    resp = await client.get("/static/other.css", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in resp.headers and await resp.text() == "plain"
