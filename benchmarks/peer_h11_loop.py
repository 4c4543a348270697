"""A minimal HTTP/1.1 server: anyio streams and h11, nothing else.

The reference point for the foundation's hello-world throughput: whatever a
framework adds on top of h11 shows up as the gap to this loop.

    python benchmarks/peer_h11_loop.py --port 8081 --backend trio
"""

from __future__ import annotations

import argparse

import anyio
import h11
from anyio.abc import SocketStream

BODY = b"Hello, World!"


async def serve_connection(stream: SocketStream) -> None:
    conn = h11.Connection(h11.SERVER)
    async with stream:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                try:
                    data = await stream.receive(65536)
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    return
                conn.receive_data(data)
                continue
            if isinstance(event, h11.Request):
                continue
            if isinstance(event, h11.EndOfMessage):
                out = conn.send(
                    h11.Response(
                        status_code=200,
                        headers=[
                            ("Content-Type", "text/plain"),
                            ("Content-Length", str(len(BODY))),
                        ],
                    )
                )
                assert out is not None
                out += conn.send(h11.Data(data=BODY)) or b""
                out += conn.send(h11.EndOfMessage()) or b""
                try:
                    await stream.send(out)
                except anyio.BrokenResourceError:
                    return
                if conn.our_state is h11.MUST_CLOSE:
                    return
                conn.start_next_cycle()
                continue
            if isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                return


async def main(port: int) -> None:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=port)
    await listener.serve(serve_connection)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    args = parser.parse_args()
    anyio.run(main, args.port, backend=args.backend)
