"""A small Redis client over anyio streams: what ``RedisStorage`` needs, on either backend.

redis-py's ``redis.asyncio`` client runs on asyncio only. ``RedisClient``
speaks RESP2 (the Redis serialization protocol) over anyio's TCP streams,
so the same code runs on asyncio and trio. It has the methods of
``redis.asyncio.Redis`` that a session storage uses: ``get``,
``set(ex=)``, ``delete``, plus ``ping`` and ``execute_command`` for the
rest; replies come back as redis-py returns them (``bytes`` unless
``decode_responses=True``). It is not a full Redis client: no pipelines,
pub/sub, cluster or TLS.

Connections are pooled: a command takes an idle connection or opens one
(at most ``max_connections`` at once; more commands wait their turn), and
gives it back after the reply. A command that is cancelled, times out or
fails in transit closes its connection (its reply may still be on the
way); a kept-alive connection the server had closed is replaced once.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any, Final, Self, TypeAlias
from urllib.parse import unquote

import anyio
import anyio.abc
from anyio.streams.buffered import BufferedByteReceiveStream
from yarl import URL

__all__ = ("RedisClient", "RedisConnectionError", "RedisError", "ResponseError")

#: What a reply is: a simple string or bulk string (bytes, or str when
#: decoding), an integer, a null (None), or an array of replies.
Reply: TypeAlias = bytes | str | int | list[Any] | None
#: The longest header line accepted from the server (a simple string, an
#: error, a length): a server's lines are short, a longer one is a bad peer.
MAX_LINE: Final = 64 * 1024
_CRLF: Final = b"\r\n"


class RedisError(Exception):
    """An error from the Redis client (the base of the two below)."""


class ResponseError(RedisError):
    """The server answered the command with an error (``-ERR ...``, ``-WRONGTYPE ...``)."""


class RedisConnectionError(RedisError, ConnectionError):
    """The connection to the server failed, broke, or spoke something that is not RESP."""


def encode_command(args: Sequence[bytes | str | int | float]) -> bytes:
    """A command as the array of bulk strings RESP sends (``*N``, then ``$len`` each)."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, bytes):
            data = arg
        elif isinstance(arg, str):
            data = arg.encode("utf-8")
        elif isinstance(arg, int | float) and not isinstance(arg, bool):
            data = repr(arg).encode("ascii")
        else:
            raise TypeError(f"A Redis argument is bytes, str, int or float, not {arg!r}")
        out += (b"$%d\r\n" % len(data), data, _CRLF)
    return b"".join(out)


async def read_reply(
    buffered: BufferedByteReceiveStream, *, decode: bool = False
) -> Reply | ResponseError:
    """Read one reply; an error reply is returned as a ResponseError, not raised.

    Raises RedisConnectionError when the bytes are not RESP; IncompleteRead
    when the server closed the connection mid-reply.
    """
    try:
        line = await buffered.receive_until(_CRLF, MAX_LINE)
    except anyio.DelimiterNotFound:
        raise RedisConnectionError(f"A reply line longer than {MAX_LINE} bytes") from None
    kind, rest = line[:1], line[1:]
    if kind == b"+":
        return rest.decode("utf-8", "replace") if decode else rest
    if kind == b"-":
        return ResponseError(rest.decode("utf-8", "replace"))
    if kind not in (b":", b"$", b"*"):
        raise RedisConnectionError(f"Not a RESP reply: {line[:80]!r}")
    try:
        number = int(rest)
    except ValueError:
        raise RedisConnectionError(f"Not a RESP number: {line[:80]!r}") from None
    if kind == b":":
        return number
    if number < 0:
        return None  # RESP2's null bulk string and null array
    if kind == b"*":
        return [await read_reply(buffered, decode=decode) for _ in range(number)]
    data = await buffered.receive_exactly(number + 2)
    if data[-2:] != _CRLF:
        raise RedisConnectionError("A bulk string not ended by CRLF")
    return data[:-2].decode("utf-8") if decode else data[:-2]


class _Stale(Exception):
    """A kept-alive connection the server had closed before any byte of the reply."""


class _Connection:
    """One connection to the server; one command at a time."""

    def __init__(self, stream: anyio.abc.ByteStream) -> None:
        self.stream = stream
        self.buffered = BufferedByteReceiveStream(stream)
        self.reused = False

    async def call(
        self, args: Sequence[bytes | str | int | float], decode: bool
    ) -> Reply | ResponseError:
        """Send the command, read its reply; _Stale if a reused connection was closed."""
        try:
            await self.stream.send(encode_command(args))
            return await read_reply(self.buffered, decode=decode)
        except (anyio.IncompleteRead, anyio.BrokenResourceError, ConnectionError) as exc:
            if self.reused and not self.buffered.buffer:
                raise _Stale from exc
            raise RedisConnectionError(f"Connection to Redis lost: {exc!r}") from exc

    async def close(self) -> None:
        await anyio.aclose_forcefully(self.stream)


class RedisClient:
    """A pool of connections to one Redis server, with redis-py's method names.

    ``RedisClient(host, port, db=0, username=None, password=None)``, or
    ``RedisClient.from_url("redis://user:secret@host:6379/0")``. Use it in
    ``async with`` (or call ``aclose()``), which closes the pooled
    connections; a client may be used from many tasks at once.
    ``socket_timeout`` bounds each command and ``socket_connect_timeout``
    each connection attempt (``TimeoutError``; ``None``: no limit).
    """

    def __init__(
        self,
        host: str = "localhost",
        port: int = 6379,
        *,
        db: int = 0,
        username: str | None = None,
        password: str | None = None,
        max_connections: int = 10,
        socket_timeout: float | None = None,
        socket_connect_timeout: float | None = None,
        decode_responses: bool = False,
    ) -> None:
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, not {max_connections}")
        self.host = host
        self.port = port
        self.db = db
        self.username = username
        self._password = password
        self.max_connections = max_connections
        self.socket_timeout = socket_timeout
        self.socket_connect_timeout = socket_connect_timeout
        self.decode_responses = decode_responses
        self._idle: list[_Connection] = []
        self._slots = anyio.Semaphore(max_connections)
        self._closed = False

    @classmethod
    def from_url(cls, url: str | URL, **kwargs: Any) -> RedisClient:
        """A client for ``redis://[[username]:password@]host[:port][/db]``.

        Keyword arguments are the constructor's and win over the URL's.
        ``rediss://`` (TLS) and ``unix://`` are not supported: a ValueError.
        """
        parsed = URL(url)
        if parsed.scheme != "redis":
            raise ValueError(f"RedisClient speaks redis:// only, not {parsed.scheme}://")
        path = parsed.path.strip("/")
        try:
            db = int(path or parsed.query.get("db", "0"))
        except ValueError:
            raise ValueError(f"Not a database number in {url!r}: {path!r}") from None
        options: dict[str, Any] = {
            "host": parsed.host or "localhost",
            "port": parsed.port or 6379,
            "db": db,
            "username": unquote(parsed.raw_user) if parsed.raw_user else None,
            "password": unquote(parsed.raw_password) if parsed.raw_password else None,
        }
        return cls(**{**options, **kwargs})

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{len(self._idle)} idle"
        return f"<{type(self).__name__} redis://{self.host}:{self.port}/{self.db} {state}>"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the idle connections; commands under way close theirs when done."""
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.close()

    async def execute_command(self, *args: bytes | str | int | float) -> Reply:
        """Send one command (``"SET", key, value``) and return its reply.

        Raises ResponseError for an error reply, RedisConnectionError when
        the server cannot be reached or the connection breaks,
        TimeoutError past ``socket_timeout``.
        """
        if self._closed:
            raise RedisConnectionError("The RedisClient is closed")
        async with self._slots:
            reply = await self._call(args)
        if isinstance(reply, ResponseError):
            raise reply
        return reply

    async def _call(self, args: Sequence[bytes | str | int | float]) -> Reply | ResponseError:
        while True:
            conn = self._idle.pop() if self._idle else await self._connect()
            try:
                with anyio.fail_after(self.socket_timeout):
                    reply = await conn.call(args, self.decode_responses)
            except _Stale:
                await conn.close()
                continue  # a kept-alive connection the server had closed: again, fresh
            except BaseException:
                # Cancelled, timed out, broken, or not RESP: the reply may
                # still be on its way, so the connection cannot serve another.
                await conn.close()
                raise
            conn.reused = True
            if self._closed:
                await conn.close()
            else:
                self._idle.append(conn)
            return reply

    async def _connect(self) -> _Connection:
        try:
            with anyio.fail_after(self.socket_connect_timeout):
                stream = await anyio.connect_tcp(self.host, self.port)
        except TimeoutError:
            raise
        except OSError as exc:
            raise RedisConnectionError(
                f"Cannot connect to Redis at {self.host}:{self.port}: {exc}"
            ) from exc
        conn = _Connection(stream)
        try:
            with anyio.fail_after(self.socket_timeout):
                await self._hello(conn)
        except BaseException:
            await conn.close()
            raise
        return conn

    async def _hello(self, conn: _Connection) -> None:
        setup: list[tuple[str | int, ...]] = []
        if self._password is not None:
            credentials = (self.username,) if self.username else ()
            setup.append(("AUTH", *credentials, self._password))
        if self.db:
            setup.append(("SELECT", self.db))
        for command in setup:
            reply = await conn.call(command, decode=False)
            if isinstance(reply, ResponseError):
                raise reply

    async def ping(self) -> bool:
        """True when the server answers PONG."""
        return await self.execute_command("PING") in (b"PONG", "PONG")

    async def get(self, name: bytes | str) -> bytes | str | None:
        """The value of ``name``, or None when there is none (or it expired)."""
        reply = await self.execute_command("GET", name)
        assert reply is None or isinstance(reply, bytes | str), reply
        return reply

    async def set(
        self, name: bytes | str, value: bytes | str | int | float, *, ex: int | None = None
    ) -> bool:
        """Store ``value`` under ``name``, forgotten after ``ex`` seconds if given."""
        args: tuple[bytes | str | int | float, ...] = ("SET", name, value)
        if ex is not None:
            args += ("EX", ex)
        return await self.execute_command(*args) in (b"OK", "OK")

    async def delete(self, *names: bytes | str) -> int:
        """Forget the keys; how many there were."""
        reply = await self.execute_command("DEL", *names)
        assert isinstance(reply, int), reply
        return reply
