"""anyiohttp.sessions.redis_client.RedisClient against a real redis-server, on both backends."""

from __future__ import annotations

import uuid

import anyio
import anyio.abc
import pytest

from anyiohttp.sessions.redis_client import (
    RedisClient,
    RedisConnectionError,
    ResponseError,
    encode_command,
)

from ..redis_server import free_port

pytestmark = pytest.mark.anyio


def unique(prefix: str) -> str:
    """A key no other test uses (the server is shared by the test process)."""
    return f"{prefix}:{uuid.uuid4().hex}"


def test_commands_are_arrays_of_bulk_strings() -> None:
    assert encode_command(["SET", b"k\r\n", 7, 1.5]) == (
        b"*4\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$1\r\n7\r\n$3\r\n1.5\r\n"
    )
    with pytest.raises(TypeError, match="bytes, str, int or float"):
        encode_command(["SET", "k", None])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        encode_command(["SET", "k", True])  # redis-py refuses a bool too


async def test_get_set_delete_and_expiry(redis_port: int) -> None:
    key = unique("basic")
    async with RedisClient("127.0.0.1", redis_port) as client:
        assert await client.ping() is True
        assert await client.get(key) is None
        assert await client.set(key, "välue") is True
        assert await client.get(key) == "välue".encode()
        assert await client.execute_command("TTL", key) == -1  # no expiry
        assert await client.set(key, b"\x00\xffbinary", ex=100) is True
        assert await client.get(key) == b"\x00\xffbinary"
        ttl = await client.execute_command("TTL", key)
        assert isinstance(ttl, int) and 0 < ttl <= 100
        assert await client.delete(key, unique("absent")) == 1
        assert await client.get(key) is None
        await client.execute_command("RPUSH", key, "a", "b")
        assert await client.execute_command("LRANGE", key, 0, -1) == [b"a", b"b"]
        await client.delete(key)
    async with RedisClient("127.0.0.1", redis_port, decode_responses=True) as client:
        await client.set(key, "text")
        assert await client.get(key) == "text"
        assert await client.execute_command("PING") == "PONG"
        await client.delete(key)


async def test_error_replies_raise_and_leave_the_connection_usable(redis_port: int) -> None:
    key = unique("wrongtype")
    async with RedisClient("127.0.0.1", redis_port, max_connections=1) as client:
        await client.execute_command("RPUSH", key, "x")
        with pytest.raises(ResponseError, match="WRONGTYPE"):
            await client.get(key)
        with pytest.raises(ResponseError, match="unknown command"):
            await client.execute_command("NOSUCHCOMMAND")
        assert await client.delete(key) == 1  # the same (only) connection, still in step
        before = await client.execute_command("CLIENT", "ID")
        assert await client.execute_command("CLIENT", "ID") == before


async def test_from_url_with_a_user_password_and_database(redis_port: int) -> None:
    user, key = f"u{uuid.uuid4().hex[:8]}", unique("db3")
    async with RedisClient("127.0.0.1", redis_port) as admin:
        await admin.execute_command("ACL", "SETUSER", user, "on", ">s3cr@t", "~*", "&*", "+@all")
        try:
            url = f"redis://{user}:s3cr%40t@127.0.0.1:{redis_port}/3"
            async with RedisClient.from_url(url) as client:
                assert (client.db, client.username) == (3, user)
                await client.set(key, "in three")
                assert await client.execute_command("ACL", "WHOAMI") == user.encode()
            assert await admin.get(key) is None  # database 0
            await admin.execute_command("SELECT", 3)  # this connection only
            assert await admin.get(key) == b"in three"
            await admin.delete(key)
            await admin.execute_command("SELECT", 0)
            wrong = f"redis://{user}:wrong@127.0.0.1:{redis_port}/0"
            async with RedisClient.from_url(wrong) as client:
                with pytest.raises(ResponseError, match="WRONGPASS"):
                    await client.ping()
        finally:
            await admin.execute_command("ACL", "DELUSER", user)
    with pytest.raises(ValueError, match="redis:// only"):
        RedisClient.from_url("rediss://127.0.0.1/0")
    with pytest.raises(ValueError, match="database number"):
        RedisClient.from_url("redis://127.0.0.1/zero")


async def test_a_connection_the_server_closed_is_replaced(redis_port: int) -> None:
    key = unique("stale")
    async with (
        RedisClient("127.0.0.1", redis_port, max_connections=1) as client,
        RedisClient("127.0.0.1", redis_port) as admin,
    ):
        await client.set(key, "kept")
        first_id = await client.execute_command("CLIENT", "ID")
        assert await admin.execute_command("CLIENT", "KILL", "ID", first_id) == 1
        assert await client.get(key) == b"kept"  # on a fresh connection, no error
        assert await client.execute_command("CLIENT", "ID") != first_id
        await client.delete(key)


async def test_a_cancelled_or_timed_out_command_closes_its_connection(redis_port: int) -> None:
    key = unique("blocked")
    async with (
        RedisClient("127.0.0.1", redis_port, max_connections=1) as client,
        RedisClient("127.0.0.1", redis_port) as admin,
    ):
        first_id = await client.execute_command("CLIENT", "ID")
        with anyio.move_on_after(0.2) as scope:
            await client.execute_command("BLPOP", key, 10)  # blocks server-side
        assert scope.cancelled_caught
        # Its late reply must not be read as the next command's: a new connection.
        await admin.execute_command("RPUSH", key, "late")
        second_id = await client.execute_command("CLIENT", "ID")
        assert second_id != first_id
        assert await client.execute_command("LPOP", key) == b"late"

    async with RedisClient("127.0.0.1", redis_port, socket_timeout=0.2) as client:
        with pytest.raises(TimeoutError):
            await client.execute_command("BLPOP", key, 10)
        assert await client.ping() is True


async def test_concurrent_commands_share_a_bounded_pool(redis_port: int) -> None:
    key = unique("counter")
    async with (
        RedisClient("127.0.0.1", redis_port, max_connections=3) as client,
        RedisClient("127.0.0.1", redis_port) as admin,
    ):
        ids: set[object] = set()

        async def work() -> None:
            for _ in range(10):
                await client.execute_command("INCR", key)
                ids.add(await client.execute_command("CLIENT", "ID"))

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                for _ in range(20):
                    tg.start_soon(work)
        assert await admin.get(key) == b"200"
        assert 1 <= len(ids) <= 3
        await admin.delete(key)
    assert "closed" in repr(client)
    with pytest.raises(RedisConnectionError, match="closed"):
        await client.ping()


async def test_connection_errors_are_redis_connection_errors() -> None:
    port = free_port()  # nothing listens there now
    async with RedisClient("127.0.0.1", port) as client:
        with pytest.raises(RedisConnectionError, match="Cannot connect to Redis") as info:
            await client.get("x")
    assert isinstance(info.value, ConnectionError)


@pytest.mark.parametrize(
    "answer",
    [b"HTTP/1.1 400 Bad Request\r\n\r\n", b"$5\r\nab", b":notanumber\r\n", b"$1\r\nabc"],
    ids=["http", "closed-mid-reply", "bad-integer", "bulk-without-crlf"],
)
async def test_a_peer_that_does_not_speak_resp_is_a_connection_error(answer: bytes) -> None:
    async def serve(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            await stream.receive()
            await stream.send(answer)

    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, serve)
            async with RedisClient("127.0.0.1", port) as client:
                with anyio.fail_after(10), pytest.raises(RedisConnectionError):
                    await client.get("x")
            tg.cancel_scope.cancel()
