"""Sessions in an encrypted cookie: aiohttp_session.cookie_storage's storage.

The cookie is a Fernet token (AES-128-CBC and HMAC-SHA256, from the
``cryptography`` package) of the JSON ``{"created": ..., "session": {...}}``,
as aiohttp_session writes it: the same secret key reads the cookies of either
library. Needs the ``sessions`` extra: ``pip install anyiohttp[sessions]``.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from typing import Any

from cryptography import fernet
from cryptography.fernet import InvalidToken

from .. import web
from . import AbstractStorage, Session

__all__ = ("EncryptedCookieStorage",)

log = logging.getLogger("anyiohttp.sessions")


class EncryptedCookieStorage(AbstractStorage):
    """The session encrypted and signed into the cookie with a secret key.

    ``secret_key`` is 32 raw bytes (``os.urandom(32)``), their urlsafe
    base64 form as a ``str`` (``fernet.Fernet.generate_key().decode()``), or
    a ``Fernet`` (a ``MultiFernet`` rotates keys). A cookie that does not
    decrypt, or is older than ``max_age``, starts a new session (logged).
    """

    def __init__(
        self,
        secret_key: str | bytes | bytearray | fernet.Fernet | fernet.MultiFernet,
        *,
        cookie_name: str = "AIOHTTP_SESSION",
        domain: str | None = None,
        max_age: int | None = None,
        path: str = "/",
        secure: bool | None = None,
        httponly: bool = True,
        samesite: str | None = None,
        encoder: Callable[[object], str] = json.dumps,
        decoder: Callable[[str], Any] = json.loads,
    ) -> None:
        super().__init__(
            cookie_name=cookie_name,
            domain=domain,
            max_age=max_age,
            path=path,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            encoder=encoder,
            decoder=decoder,
        )
        if isinstance(secret_key, fernet.Fernet | fernet.MultiFernet):
            self._fernet = secret_key
        else:
            if isinstance(secret_key, bytes | bytearray):
                secret_key = base64.urlsafe_b64encode(secret_key)
            self._fernet = fernet.Fernet(secret_key)

    async def load_session(self, request: web.Request) -> Session:
        """The session the cookie holds, or a new one if there is none or it is not valid."""
        cookie = self.load_cookie(request)
        if cookie is None:
            return Session(None, data=None, new=True, max_age=self.max_age)
        try:
            plain = self._fernet.decrypt(cookie.encode("utf-8"), ttl=self.max_age)
            data = self._decoder(plain.decode("utf-8"))
        except InvalidToken:
            log.warning("Cannot decrypt cookie value, create a new fresh session")
            return Session(None, data=None, new=True, max_age=self.max_age)
        return Session(None, data=data, new=False, max_age=self.max_age)

    async def save_session(
        self, request: web.Request, response: web.StreamResponse, session: Session
    ) -> None:
        """Encrypt the session into the cookie (an empty session deletes it)."""
        if session.empty:
            self.save_cookie(response, "", max_age=session.max_age)
            return
        plain = self._encoder(self._get_session_data(session)).encode("utf-8")
        token = self._fernet.encrypt(plain).decode("utf-8")
        self.save_cookie(response, token, max_age=session.max_age)
