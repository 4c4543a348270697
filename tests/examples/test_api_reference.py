"""Every public name of anyiohttp has a docstring and a place in the API reference.

A module's public names are its ``__all__``; docs/_ext/public_api.py lists
the public modules and says on which page each object is documented (an
object several modules export is documented once). A name added to an
``__all__`` without a docstring (or a ``#:`` comment, for a constant), or a
public module left out of docs/reference, fails here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import posixpath
import sys
from pathlib import Path

from sphinx.util.inventory import InventoryFile

import anyiohttp

from .helpers import ROOT

sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import public_api  # docs/_ext, put on the path just above

# Objects that own tasks, connections or an application's life: their
# docstrings say what they own and what happens when they are cancelled.
OWNERS = (
    anyiohttp.ClientSession,
    anyiohttp.BaseConnector,
    anyiohttp.TCPConnector,
    anyiohttp.ClientResponse,
    anyiohttp.ClientWebSocketResponse,
    anyiohttp.web.Application,
    anyiohttp.web.WebSocketResponse,
    anyiohttp.web.BaseRunner,
    anyiohttp.web.AppRunner,
    anyiohttp.testing.BaseTestServer,
    anyiohttp.testing.TestServer,
    anyiohttp.testing.RawTestServer,
    anyiohttp.testing.TestClient,
    anyiohttp.resolver.ThreadedResolver,
)


def documented_names(html: Path) -> set[str]:
    """Every object name in the built docs' inventory (objects.inv)."""
    with open(html / "objects.inv", "rb") as stream:
        inventory = InventoryFile.load(stream, "", posixpath.join)
    items = inventory.data.items() if hasattr(inventory, "data") else inventory.items()
    return {name for _kind, entries in items for name in entries}


def test_every_public_name_has_a_docstring() -> None:
    missing = [
        f"{entry.module}.{entry.name}"
        for entry in public_api.public_names()
        if not public_api.docstring(entry.obj, entry.name)
    ]
    assert missing == []


def test_public_classes_document_their_methods_and_properties() -> None:
    classes = {id(e.obj): e.obj for e in public_api.public_names() if inspect.isclass(e.obj)}
    missing = [
        f"{cls.__module__}.{member}"
        for cls in classes.values()
        if cls.__module__.startswith("anyiohttp")
        for member in public_api.undocumented_members(cls)
    ]
    assert missing == []


def test_every_public_name_is_in_the_reference(built_docs: Path) -> None:
    names = documented_names(built_docs)
    missing = [
        f"{entry.module}.{entry.name} (documented as {entry.home}.{entry.name})"
        for entry in public_api.public_names()
        if f"{entry.home}.{entry.name}" not in names
    ]
    assert missing == []
    modules = [
        *public_api.PUBLIC_MODULES,
        *public_api.ALIAS_MODULES,
        *public_api.DOCSTRING_ONLY_MODULES,
    ]
    assert [module for module in modules if module not in names] == []


def test_alias_modules_export_the_objects_of_the_module_they_stand_for() -> None:
    for alias, target in public_api.ALIAS_MODULES.items():
        module, original = importlib.import_module(alias), importlib.import_module(target)
        moved = [n for n in module.__all__ if getattr(module, n) is not getattr(original, n, None)]
        assert moved == []


def test_every_module_users_import_is_known_to_the_reference() -> None:
    known = {
        *public_api.PUBLIC_MODULES,
        *public_api.ALIAS_MODULES,
        *public_api.DOCSTRING_ONLY_MODULES,
    }
    top_level = [
        f"anyiohttp.{info.name}"
        for info in pkgutil.iter_modules(anyiohttp.__path__)
        if not info.name.startswith("_")
    ]
    assert [module for module in top_level if module not in known] == []
    bare = [m for m in public_api.DOCSTRING_ONLY_MODULES if not importlib.import_module(m).__doc__]
    assert bare == []


def test_owners_say_what_they_own_and_what_cancellation_does() -> None:
    # "owns", "owned", "cancelled", "cancellation": the stems are enough.
    docs = {cls.__qualname__: (cls.__dict__.get("__doc__") or "").lower() for cls in OWNERS}
    vague = [name for name, doc in docs.items() if "own" not in doc or "cancel" not in doc]
    assert vague == []
