"""The public API is typed: a type checker catches what a user gets wrong."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")


def check(tmp_path: Path, code: str) -> tuple[str, int]:
    source = tmp_path / "user_code.py"
    source.write_text(textwrap.dedent(code))
    out, err, status = mypy_api.run(
        [str(source), "--strict", "--no-incremental", "--follow-imports=silent"]
    )
    return out + err, status


def test_a_misspelt_request_argument_is_a_type_error(tmp_path: Path) -> None:
    out, status = check(
        tmp_path,
        """
        import anyiohttp

        async def main(session: anyiohttp.ClientSession) -> None:
            async with session.get("http://x", jsn={"a": 1}) as resp:
                await resp.read()
            await session.post("http://x", data=b"x", timout=3)
        """,
    )
    assert status == 1, out
    assert 'Unexpected keyword argument "jsn"' in out
    assert 'Unexpected keyword argument "timout"' in out


def test_correct_request_arguments_type_check(tmp_path: Path) -> None:
    out, status = check(
        tmp_path,
        """
        import anyiohttp

        async def main(session: anyiohttp.ClientSession) -> None:
            async with session.get(
                "http://x", params={"q": "1"}, headers={"A": "b"}, timeout=3, ssl=False
            ) as resp:
                await resp.read()
            async with session.post("http://x", json={"a": 1}, allow_redirects=False) as resp:
                await resp.read()
            async with session.request("PUT", "http://x", data=b"x", max_redirects=2) as resp:
                await resp.read()
        """,
    )
    assert status == 0, out


def test_the_public_names_are_seen_by_the_type_checker(tmp_path: Path) -> None:
    out, status = check(
        tmp_path,
        """
        import anyiohttp
        from anyiohttp import web

        async def main(session: anyiohttp.ClientSession) -> int:
            config: anyiohttp.TraceConfig = anyiohttp.TraceConfig()
            try:
                async with session.get("http://x") as resp:
                    return resp.status
            except anyiohttp.ClientResponseError as exc:
                return exc.status
            except (anyiohttp.ServerTimeoutError, anyiohttp.ClientError):
                return len(config.on_request_start) + web.HTTPOk.status_code
        """,
    )
    assert status == 0, out
