"""DNS resolvers for ``TCPConnector(resolver=...)``, as ``aiohttp.resolver``.

:class:`ThreadedResolver` asks the system (``getaddrinfo`` in a worker
thread, through anyio, so it runs on either backend); it is the
:data:`DefaultResolver`. A resolver of one's own subclasses
:class:`~anyiohttp.abc.AbstractResolver`: the connector connects to the
``host`` and ``port`` of each :class:`~anyiohttp.abc.ResolveResult` it
returns, in order.
"""

from __future__ import annotations

import socket
from typing import Final

import anyio

from ._backend import NO_LOOP, NoLoop, refuse_loop
from .abc import AbstractResolver, ResolveResult

__all__ = ("DefaultResolver", "ThreadedResolver")

_NUMERIC_FLAGS: Final = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
_NAME_FLAGS: Final = socket.NI_NUMERICHOST | socket.NI_NUMERICSERV


class ThreadedResolver(AbstractResolver):
    """The system's resolver (``getaddrinfo``), run in a worker thread.

    It owns nothing between calls (``close()`` has nothing to do). A
    ``resolve()`` cancelled while the thread runs returns at once; the
    thread finishes its lookup on its own and its answer is dropped.
    """

    def __init__(self, *, loop: NoLoop = NO_LOOP) -> None:
        refuse_loop(self, loop)  # aiohttp's ThreadedResolver(loop=...)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The TCP addresses of ``host``, in the system's order (duplicates dropped)."""
        infos = await anyio.getaddrinfo(
            host, port, family=family, type=socket.SOCK_STREAM, flags=socket.AI_ADDRCONFIG
        )
        results: list[ResolveResult] = []
        seen: set[tuple[str, int]] = set()
        for info_family, _type, proto, _name, address in infos:
            if info_family == socket.AF_INET6:
                if len(address) < 3:
                    continue  # no IPv6 in this Python
                if address[3]:
                    # A link-local address: its scope goes into the host (fe80::1%eth0).
                    name, service = await anyio.getnameinfo(address, _NAME_FLAGS)
                    resolved, resolved_port = name, int(service)
                else:
                    resolved, resolved_port = str(address[0]), int(address[1])
            else:
                resolved, resolved_port = str(address[0]), int(address[1])
            if (resolved, resolved_port) in seen:
                continue
            seen.add((resolved, resolved_port))
            results.append(
                ResolveResult(
                    hostname=host,
                    host=resolved,
                    port=resolved_port,
                    family=info_family,
                    proto=proto,
                    flags=_NUMERIC_FLAGS,
                )
            )
        return results

    async def close(self) -> None:
        """Nothing to release."""


#: The resolver a TCPConnector uses when given none.
DefaultResolver = ThreadedResolver
