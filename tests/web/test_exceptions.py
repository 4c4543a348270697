"""The HTTPException tree mirrors aiohttp's."""

from __future__ import annotations

import inspect

import pytest

from anyiohttp import web


def all_exceptions() -> list[type[web.HTTPException]]:
    return [
        obj
        for obj in vars(web).values()
        if inspect.isclass(obj) and issubclass(obj, web.HTTPException) and obj.status_code > 0
    ]


def test_every_class_is_grouped_by_its_status() -> None:
    classes = all_exceptions()
    assert len(classes) == 51  # as many as aiohttp 3.14 has
    for cls in classes:
        group = {
            2: web.HTTPSuccessful,
            3: web.HTTPRedirection,
            4: web.HTTPClientError,
            5: web.HTTPServerError,
        }[cls.status_code // 100]
        assert issubclass(cls, group), cls
        assert issubclass(cls, web.Response) and issubclass(cls, Exception)
        if cls.status_code >= 400:
            assert issubclass(cls, web.HTTPError)


def test_default_text_and_reason() -> None:
    exc = web.HTTPNotFound()
    assert exc.status == 404 and exc.reason == "Not Found"
    assert exc.text == "404: Not Found"
    assert str(exc) == "Not Found"
    assert web.HTTPNoContent().body is None


def test_redirects_need_a_location() -> None:
    exc = web.HTTPSeeOther("/there")
    assert exc.location == "/there" and exc.headers["Location"] == "/there"
    with pytest.raises(ValueError, match="location"):
        web.HTTPFound("")


def test_method_not_allowed_and_too_large_and_legal() -> None:
    exc = web.HTTPMethodNotAllowed("get", ["POST", "PUT"])
    assert exc.method == "GET" and exc.allowed_methods == {"POST", "PUT"}
    assert exc.headers["Allow"] == "POST,PUT"
    big = web.HTTPRequestEntityTooLarge(max_size=10, actual_size=20)
    assert big.text == "Maximum request body size 10 exceeded, actual body size 20"
    legal = web.HTTPUnavailableForLegalReasons("https://authority.example")
    assert legal.headers["Link"] == '<https://authority.example>; rel="blocked-by"'


def test_custom_text_and_headers() -> None:
    exc = web.HTTPBadRequest(text="nope", headers={"X-Why": "because"})
    assert exc.text == "nope" and exc.headers["X-Why"] == "because"
