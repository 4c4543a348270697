"""The FAQ's routing examples: route tables, prefixes, sub-apps, Accept-based dispatch."""

from __future__ import annotations

import accept_routing
import blueprints
import pytest
import route_table

pytestmark = pytest.mark.anyio


async def test_route_table_decorators_and_prefix_route(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client = await anyiohttp_client(route_table.make_app())
    resp = await client.get("/")
    assert await resp.text() == "index"
    resp = await client.get("/users/ann")
    assert await resp.json() == {"name": "ann", "url": "/users/ann"}
    resp = await client.get("/notes/7")
    assert await resp.json() == {"id": 7}
    resp = await client.delete("/notes/7")
    assert resp.status == 204
    resp = await client.get("/notes/seven")
    assert resp.status == 404
    for method in ("GET", "POST", "DELETE"):
        resp = await client.request(method, "/files/a/b/c.txt")
        assert await resp.json() == {"method": method, "tail": "a/b/c.txt"}
    resp = await client.get("/files/")
    assert resp.status == 404


async def test_blueprints_mount_their_routes_and_middlewares(anyiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client = await anyiohttp_client(blueprints.make_app())
    resp = await client.get("/")
    assert await resp.json() == {"status": "/api/status", "dashboard": "/admin/"}
    resp = await client.get("/api/status")
    assert await resp.json() == {"status": "ok"}
    resp = await client.get("/admin/")
    assert resp.status == 401 and await resp.text() == "admin only"
    token = {"Authorization": f"Bearer {blueprints.ADMIN_TOKEN}"}
    resp = await client.get("/admin/", headers=token)
    assert resp.status == 200 and await resp.text() == "admin dashboard"


@pytest.mark.parametrize(
    ("accept", "status", "content_type"),
    [
        ("application/json", 200, "application/json"),
        ("application/xml", 200, "application/xml"),
        ("text/html;q=0.9, application/xml;q=0.5, application/json;q=0.8", 200, "application/json"),
        ("application/json;q=0, */*", 200, "application/json"),
        ("application/*;q=0.1, image/png", 200, "application/json"),
        ("", 200, "application/json"),
        ("image/png", 406, "text/plain"),
    ],
)
async def test_accept_header_picks_the_handler(  # type: ignore[no-untyped-def]
    anyiohttp_client, accept: str, status: int, content_type: str
) -> None:
    client = await anyiohttp_client(accept_routing.make_app())
    headers = {"Accept": accept} if accept else {"Accept": ""}
    resp = await client.get("/user/a<b", headers=headers)
    assert resp.status == status
    assert resp.content_type == content_type
    if content_type == "application/xml":
        assert await resp.text() == "<user><name>a&lt;b</name></user>"
    elif status == 200:
        assert await resp.json() == {"name": "a<b"}
        assert resp.headers["Vary"] == "Accept"
    else:
        assert "application/json, application/xml" in await resp.text()


def test_accepted_orders_by_quality() -> None:
    assert accept_routing.accepted("a/b;q=0.5, c/d, e/f;q=0, g/h;q=0.5") == ["c/d", "a/b", "g/h"]
    assert accept_routing.accepted("a/b;q=x") == []
