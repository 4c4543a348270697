"""The layers point one way: client/ and web/ share http/ and the top-level modules.

Checked from the source's own import statements (type-only imports included,
except those under ``if TYPE_CHECKING:`` in abc.py, which users subclass).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "anyiohttp"


def imported_modules(path: Path) -> set[str]:
    """The anyiohttp modules ``path`` imports, as dotted names."""
    package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("anyiohttp")}


def modules_under(folder: str) -> list[Path]:
    return sorted((SRC / folder).rglob("*.py"))


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("client", "anyiohttp.web"),
        ("web", "anyiohttp.client"),
        ("http", "anyiohttp.web"),
        ("http", "anyiohttp.client"),
        ("http", "anyiohttp._asyncio_stream"),
        ("http", "anyiohttp._trio_stream"),
    ],
)
def test_a_layer_does_not_import_another(folder: str, forbidden: str) -> None:
    offenders = {
        str(path.relative_to(SRC)): sorted(
            name for name in imported_modules(path) if name.startswith(forbidden)
        )
        for path in modules_under(folder)
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_import_anyiohttp_loads_no_server_module() -> None:
    code = "import sys, anyiohttp; print(sorted(m for m in sys.modules if 'anyiohttp.web' in m))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_no_function_in_src_is_longer_than_80_lines() -> None:
    long = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                body = body[1:]  # the docstring does not count
            if body and (length := body[-1].end_lineno - body[0].lineno + 1) > 80:  # type: ignore[operator]  # end_lineno is set on parsed nodes
                long.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name} ({length} lines)")
    assert long == []
