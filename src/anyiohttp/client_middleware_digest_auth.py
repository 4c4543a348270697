"""``anyiohttp.client_middleware_digest_auth``: the module path aiohttp users import.

``from aiohttp.client_middleware_digest_auth import DigestAuthMiddleware``
(as aiohttp's own digest example does) keeps working with the import changed;
the middleware lives in :mod:`anyiohttp.client.digest_auth`.
"""

from .client.digest_auth import DigestAuthMiddleware

__all__ = ("DigestAuthMiddleware",)
