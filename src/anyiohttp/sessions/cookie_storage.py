"""Sessions in an encrypted cookie: aiohttp_session.cookie_storage's storage.

The cookie is a Fernet token (AES-128-CBC and HMAC-SHA256, from the
``cryptography`` package) of the JSON ``{"created": ..., "session": {...}}``,
as aiohttp_session writes it: the same secret key reads the cookies of either
library. Needs the ``sessions`` extra: ``pip install anyiohttp[sessions]``.
"""

from __future__ import annotations

import base64
import logging
from typing import Unpack

from cryptography import fernet
from cryptography.fernet import InvalidToken

from .. import web
from . import AbstractStorage, Session, StorageOptions

__all__ = ("EncryptedCookieStorage",)

log = logging.getLogger("anyiohttp.sessions")


class EncryptedCookieStorage(AbstractStorage):
    """The session encrypted and signed into the cookie with a secret key.

    ``secret_key`` is 32 raw bytes (``os.urandom(32)``), their urlsafe
    base64 form as a ``str`` (``fernet.Fernet.generate_key().decode()``), or
    a ``Fernet`` (a ``MultiFernet`` rotates keys). The keyword arguments are
    :class:`StorageOptions` (``cookie_name``, ``max_age``, ``samesite``...).
    A cookie that does not decrypt, or is older than ``max_age``, starts a
    new session (logged).
    """

    def __init__(
        self,
        secret_key: str | bytes | bytearray | fernet.Fernet | fernet.MultiFernet,
        **options: Unpack[StorageOptions],
    ) -> None:
        super().__init__(**options)
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
