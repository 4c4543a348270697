"""Testing tools for anyiohttp applications (TestServer, TestClient, the pytest plugin)."""

__all__: list[str] = []
