"""Which names anyiohttp makes public, and where the API reference documents each.

A public module's public names are its ``__all__``. Several modules export
the same object (``anyiohttp.WSMsgType`` is ``anyiohttp.http.WSMsgType``, as
in aiohttp): the reference documents it once, under its *home* (the first
module of :data:`PUBLIC_MODULES` that exports it), and the page of every
other module lists it as a re-export pointing there. Sphinx would otherwise
describe one class twice and warn.

Used twice: as a Sphinx extension by docs/conf.py (the ``public-remainder``
directive, the skipping of re-exports, the ``#:`` comments of data), and by
tests/examples/test_api_reference.py, which checks every public name has a
docstring and a place in the reference.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any, NamedTuple

#: The public modules, in the order that picks a re-exported object's home.
PUBLIC_MODULES = (
    "anyiohttp",
    "anyiohttp.web",
    "anyiohttp.testing",
    "anyiohttp.pytest_plugin",
    "anyiohttp.abc",
    "anyiohttp.resolver",
    "anyiohttp.typedefs",
    "anyiohttp.http",
    "anyiohttp.streams",
    "anyiohttp.multipart",
    "anyiohttp.helpers",
    "anyiohttp.templating",
    # Before anyiohttp.sessions, whose EncryptedCookieStorage is a lazy
    # import (module __getattr__) that autodoc cannot see.
    "anyiohttp.sessions.cookie_storage",
    "anyiohttp.sessions",
    "anyiohttp.sessions.redis_client",
    "anyiohttp.sessions.redis_storage",
    "anyiohttp.cors",
    "anyiohttp.worker",
)

#: Modules that export another module's objects under aiohttp's module names.
ALIAS_MODULES = {
    "anyiohttp.test_utils": "anyiohttp.testing",
    "anyiohttp.client": "anyiohttp",
    "anyiohttp.client_middleware_digest_auth": "anyiohttp",
}

#: Public modules without ``__all__``: their docstring is their reference.
DOCSTRING_ONLY_MODULES = ("anyiohttp.hdrs", "anyiohttp.testing.plugin")


class PublicName(NamedTuple):
    """One name of one public module, and the module whose page documents it."""

    module: str
    name: str
    obj: Any
    home: str


def module_all(module: str) -> list[str]:
    """The ``__all__`` of ``module`` (imported)."""
    return list(importlib.import_module(module).__all__)


@functools.cache
def _public_names() -> tuple[PublicName, ...]:
    """The public names, computed once (the modules do not change while Sphinx runs)."""
    return tuple(_walk_public())


def public_names() -> Iterator[PublicName]:
    """Every name in the ``__all__`` of every public module, with its home."""
    return iter(_public_names())


def _walk_public() -> Iterator[PublicName]:
    """Walk the public modules in order; an object's first module is its home."""
    homes: dict[tuple[str, int], str] = {}
    for module in PUBLIC_MODULES:
        mod = importlib.import_module(module)
        for name in mod.__all__:
            obj = getattr(mod, name)
            # The name with the object: True or a str may be exported under
            # two names that are not the same thing.
            home = homes.setdefault((name, id(obj)), module)
            yield PublicName(module, name, obj, home)


def home_of(module: str, name: str, obj: Any) -> str:
    """The module whose reference page documents ``module.name``."""
    for entry in public_names():
        if entry.name == name and entry.obj is obj:
            return entry.home
    return module


def is_data(obj: Any) -> bool:
    """True for what has no docstring of its own (constants, type aliases)."""
    return not (inspect.isclass(obj) or inspect.isroutine(obj) or inspect.ismodule(obj))


def data_comment(name: str, obj: Any) -> str:
    """The ``#:`` comment over the assignment that made ``obj`` (where it was made)."""
    from sphinx.pycode import ModuleAnalyzer

    for modname, mod in sorted(sys.modules.items()):
        if not modname.startswith("anyiohttp") or not isinstance(mod, ModuleType):
            continue
        if getattr(mod, name, None) is not obj:
            continue
        try:
            docs = ModuleAnalyzer.for_module(modname).find_attr_docs()
        except Exception:  # no source (a compiled module): no comment there
            continue
        lines = docs.get(("", name))
        if lines:
            return "\n".join(lines).strip()
    return ""


def docstring(obj: Any, name: str) -> str:
    """What the reference shows for a public name: its own docstring or ``#:`` comment."""
    if is_data(obj):
        return data_comment(name, obj)
    if inspect.isclass(obj):
        return (obj.__dict__.get("__doc__") or "").strip()
    return (getattr(obj, "__doc__", None) or "").strip()


def undocumented_members(cls: type) -> list[str]:
    """Public methods and properties defined in ``cls`` itself without a docstring."""
    missing = []
    for attr, value in vars(cls).items():
        if attr.startswith("_"):
            continue
        func = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
        if isinstance(value, property):
            func = value.fget
        elif not inspect.isfunction(func):
            continue
        if not (getattr(func, "__doc__", None) or "").strip():
            missing.append(f"{cls.__qualname__}.{attr}")
    return missing


# -- the Sphinx side ---------------------------------------------------------------


def _skip_reexport(app: Any, what: str, name: str, obj: Any, skip: bool, options: Any) -> Any:
    """Leave a re-exported object to its home module's page."""
    module = getattr(app.env, "temp_data", {}).get("autodoc:module")
    if what != "module" or module not in PUBLIC_MODULES:
        return None
    if name in module_all(module) and home_of(module, name, obj) != module:
        return True
    return None


def _data_docstring(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """A constant's ``#:`` comment, read where it was assigned (not its type's docstring)."""
    if what not in ("data", "attribute") or not name.startswith("anyiohttp"):
        return
    module, _, short = name.rpartition(".")
    if module not in PUBLIC_MODULES or short not in module_all(module):
        return
    lines[:] = data_comment(short, obj).splitlines()


def _own_comments(module: str) -> set[str]:
    """Names that have a ``#:`` comment in ``module``'s own source (autodoc shows those)."""
    from sphinx.pycode import ModuleAnalyzer

    docs = ModuleAnalyzer.for_module(module).find_attr_docs()
    return {name for namespace, name in docs if namespace == ""}


def remainder_lines(module: str) -> list[str]:
    """The reStructuredText for what ``automodule`` cannot show of ``module``.

    Constants made elsewhere and imported here (``HttpVersion11``), whose
    ``#:`` comment sits where they were made, and the names whose home is
    another module's page.
    """
    entries = [e for e in public_names() if e.module == module]
    own = _own_comments(module)
    text: list[str] = []
    for e in entries:
        comment = data_comment(e.name, e.obj) if e.home == module and is_data(e.obj) else ""
        # autodoc leaves out dunder names (``__version__``) even when listed.
        if comment and (e.name not in own or e.name.startswith("__")):
            text += [f".. py:data:: {e.name}", f"   :module: {module}", f"   :value: {e.obj!r}", ""]
            text += [f"   {line}" for line in comment.splitlines()] + [""]
    elsewhere = [e for e in entries if e.home != module]
    if elsewhere:
        text += [
            f"``{module}`` also exports these names, documented where they are "
            "first exported (the same objects):",
            "",
        ]
        text += [f"* ``{e.name}``: :py:obj:`{e.home}.{e.name}`" for e in elsewhere]
    return text


def _remainder_directive() -> Any:
    from docutils import nodes
    from docutils.statemachine import StringList
    from sphinx.util.docutils import SphinxDirective

    class PublicRemainder(SphinxDirective):
        """``.. public-remainder:: MODULE``: what ``automodule`` cannot show of MODULE."""

        required_arguments = 1

        def run(self) -> list[Any]:
            container = nodes.container()
            text = StringList(remainder_lines(self.arguments[0]), source="public-remainder")
            self.state.nested_parse(text, self.content_offset, container)
            return [container]

    return PublicRemainder


def setup(app: Any) -> dict[str, Any]:
    """Register the directive and the autodoc hooks."""
    app.connect("autodoc-skip-member", _skip_reexport)
    app.connect("autodoc-process-docstring", _data_docstring)
    app.add_directive("public-remainder", _remainder_directive())
    return {"parallel_read_safe": True}
