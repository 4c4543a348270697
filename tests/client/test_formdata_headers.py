"""FormData refuses control characters in what goes into part headers, as aiohttp 3.14."""

from __future__ import annotations

import io
from typing import Any

import aiohttp
import pytest

import anyiohttp
from anyiohttp import web

from ..conftest import run_app

INJECTIONS = ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\x00b", "a\x1fb", "a\x7fb"]


def add_field_error(form_class: Any, **kwargs: Any) -> tuple[type[BaseException], str] | None:
    kwargs.setdefault("name", "field")
    kwargs.setdefault("value", "v")
    try:
        form_class().add_field(**kwargs)
    except (ValueError, TypeError) as exc:
        return type(exc), str(exc)
    return None


@pytest.mark.parametrize("bad", INJECTIONS)
@pytest.mark.parametrize("where", ["name", "filename", "content_type"])
def test_control_characters_in_part_headers_raise_value_error(where: str, bad: str) -> None:
    error = add_field_error(anyiohttp.FormData, **{where: bad})
    assert error is not None
    assert error[0] is ValueError
    assert "header injection" in error[1]
    assert error == add_field_error(aiohttp.FormData, **{where: bad})


def test_control_characters_in_a_file_objects_name_raise_value_error() -> None:
    upload = io.BytesIO(b"data")
    upload.name = "evil\r\nX-Injected: 1.txt"  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="header injection"):
        anyiohttp.FormData().add_field("file", upload)


@pytest.mark.parametrize(
    "kwargs",
    [{"content_type": b"text/plain"}, {"content_type": 1}, {"filename": b"a.txt"}],
)
def test_non_str_content_type_or_filename_raise_type_error(kwargs: dict[str, Any]) -> None:
    error = add_field_error(anyiohttp.FormData, **kwargs)
    assert error is not None
    assert error == add_field_error(aiohttp.FormData, **kwargs)
    assert error[0] is TypeError


def test_tab_is_allowed_as_in_aiohttp() -> None:
    anyiohttp.FormData().add_field("a\tb", "v", filename="c\td.txt", content_type="text/plain")


def test_multipart_writer_refuses_control_characters_in_part_headers() -> None:
    writer = anyiohttp.MultipartWriter("form-data")
    with pytest.raises(ValueError, match="header injection"):
        writer.append("text", {"X-Part": "a\r\nX-Injected: 1"})
    assert len(writer) == 0


@pytest.mark.anyio
async def test_form_parts_reach_the_server_with_the_given_headers() -> None:
    async def echo(request: web.Request) -> web.Response:
        reader = await request.multipart()
        seen = []
        async for part in reader:
            seen.append(
                f"{part.name}|{part.filename}|{part.headers.get('Content-Type')}|"  # type: ignore[union-attr]
                f"{(await part.read()).decode()}"  # type: ignore[union-attr]
            )
        return web.Response(text="\n".join(seen))

    app = web.Application()
    app.router.add_post("/", echo)
    form = anyiohttp.FormData()
    form.add_field("doc", "hello", filename="a b.txt", content_type="text/plain; charset=utf-8")
    form.add_field("plain", "x", content_type="text/x-custom")
    async with run_app(app) as url, anyiohttp.ClientSession() as session:
        with pytest.raises(ValueError, match="header injection"):
            form.add_field("evil", "x", content_type="text/plain\r\nX-Injected: 1")
        async with session.post(url, data=form) as resp:
            assert resp.status == 200
            assert (await resp.text()).splitlines() == [
                "doc|a b.txt|text/plain; charset=utf-8|hello",
                "plain|None|text/x-custom|x",
            ]
