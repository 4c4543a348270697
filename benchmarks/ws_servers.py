"""WebSocket echo servers for benchmarks/ws_echo.py (one per process).

python benchmarks/ws_servers.py anyiohttp --backend trio --port 9001
python benchmarks/ws_servers.py aiohttp --port 9002
python benchmarks/ws_servers.py websockets --port 9003
"""

from __future__ import annotations

import argparse
import asyncio


def run_anyiohttp(port: int, backend: str) -> None:
    from anyiohttp import web

    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type is web.WSMsgType.TEXT:
                await ws.send_str(msg.data)
            elif msg.type is web.WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/", echo)
    web.run_app(app, host="127.0.0.1", port=port, backend=backend, access_log=None, print=None)


def run_aiohttp(port: int) -> None:
    from aiohttp import WSMsgType, web

    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await ws.send_str(msg.data)
            elif msg.type == WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/", echo)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def run_websockets(port: int) -> None:
    from websockets.asyncio.server import serve

    async def echo(ws) -> None:  # type: ignore[no-untyped-def]
        async for message in ws:
            await ws.send(message)

    async def main() -> None:
        async with serve(echo, "127.0.0.1", port, compression=None) as server:
            await server.serve_forever()

    asyncio.run(main())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("impl", choices=("anyiohttp", "aiohttp", "websockets"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    if args.impl == "anyiohttp":
        run_anyiohttp(args.port, args.backend)
    elif args.impl == "aiohttp":
        run_aiohttp(args.port)
    else:
        run_websockets(args.port)
