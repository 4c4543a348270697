"""A streamed file upload, refused early when it cannot be accepted.

aiohttp's server guide stores an mp3 posted as ``multipart/form-data``:
a ``name`` field, then the ``mp3`` file, read part by part and chunk by
chunk so the file never sits in memory. Here the same handler writes
with anyio's async file API, never trusts the client's file name, and
owns what it creates: the file is written under a temporary name and
renamed when complete; an upload that fails, is cut off or is cancelled
(shutdown, ``request.cancel_scope``) leaves nothing behind.

The route also has an *expect handler*. A client that sends
``Expect: 100-continue`` (curl does for big bodies) waits before sending
the body; the expect handler runs before the request handler and either
accepts (returns ``None``: ``100 Continue`` goes out when the handler
starts reading the body) or refuses with a final response, so a refused
upload is never sent at all. Clients that send no ``Expect`` get the same
checks from the handler itself.

    python examples/upload.py --backend trio --dir /tmp/uploads
    # curl -H 'Authorization: Bearer s3cret' -F name=song -F mp3=@song.mp3 \\
    #     http://127.0.0.1:8080/mp3
"""

from __future__ import annotations

import argparse
import uuid
from pathlib import Path

import anyio

from anyiohttp import BodyPartReader, MultipartReader, hdrs, web

TOKEN = "s3cret"
MAX_SIZE = 50 * 2**20  # bytes

upload_dir_key = web.AppKey("upload_dir", Path)


def refusal(request: web.Request) -> web.HTTPException | None:
    """Why the upload cannot be accepted, judged from its head alone."""
    if request.headers.get(hdrs.AUTHORIZATION) != f"Bearer {TOKEN}":
        return web.HTTPUnauthorized(text="a token is needed to upload")
    size = request.content_length
    if size is not None and size > MAX_SIZE:
        return web.HTTPRequestEntityTooLarge(max_size=MAX_SIZE, actual_size=size)
    return None


async def check_expectation(request: web.Request) -> web.StreamResponse | None:
    """The route's expect handler: runs only for requests with an Expect header."""
    expect = request.headers.get(hdrs.EXPECT, "")
    if expect.lower() != "100-continue":
        raise web.HTTPExpectationFailed(text=f"Unknown Expect: {expect}")
    refused = refusal(request)
    if refused is not None:
        raise refused  # the final answer instead of 100 Continue
    return None  # accepted: 100 Continue when the handler reads the body


async def next_part(reader: MultipartReader, name: str) -> BodyPartReader:
    """The next part, which must be the field ``name``."""
    part = await reader.next()
    if not isinstance(part, BodyPartReader) or part.name != name:
        raise web.HTTPBadRequest(text=f"expected the field {name!r}")
    return part


async def store_mp3(request: web.Request) -> web.Response:
    """Stream the ``mp3`` field into the upload directory."""
    refused = refusal(request)
    if refused is not None:
        raise refused
    reader = await request.multipart()
    name = (await (await next_part(reader, "name")).read(decode=True)).decode()
    field = await next_part(reader, "mp3")
    filename = Path(field.filename or "").name  # no directories from the client
    if not filename or filename.startswith("."):
        raise web.HTTPBadRequest(text="a file name is needed")
    target = request.app[upload_dir_key] / filename
    partial = target.with_name(f".{filename}.{uuid.uuid4().hex}.part")
    size = 0
    try:
        async with await anyio.open_file(partial, "wb") as out:
            while chunk := await field.read_chunk():  # 8192 bytes by default
                size += len(chunk)
                if size > MAX_SIZE:
                    raise web.HTTPRequestEntityTooLarge(max_size=MAX_SIZE, actual_size=size)
                await out.write(chunk)
        await anyio.Path(partial).rename(target)
    finally:
        with anyio.CancelScope(shield=True):  # cleaned up even when cancelled
            await anyio.Path(partial).unlink(missing_ok=True)
    return web.Response(text=f"{name}: {filename} sized of {size} successfully stored")


def make_app(upload_dir: Path) -> web.Application:
    """The application, storing into ``upload_dir``."""
    app = web.Application()
    app[upload_dir_key] = upload_dir
    app.router.add_post("/mp3", store_mp3, expect_handler=check_expectation)
    return app


def main() -> None:
    """Serve until Ctrl+C."""
    parser = argparse.ArgumentParser(description="upload example")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    parser.add_argument("--dir", type=Path, default=Path("uploads"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    web.run_app(make_app(args.dir), host="127.0.0.1", port=args.port, backend=args.backend)


if __name__ == "__main__":
    main()
