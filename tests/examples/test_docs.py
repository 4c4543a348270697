"""The documentation builds without a warning (sphinx-build -W), as ``tox -e docs`` does.

A literalinclude whose example lost the function it shows, a broken
cross-reference or a page left out of the toctree is a warning, so the
docs and the examples they include cannot drift apart unnoticed. The
build itself is the ``built_docs`` fixture (conftest.py), shared with the
API reference's test.
"""

from __future__ import annotations

from pathlib import Path


def test_the_docs_build_without_warnings(built_docs: Path) -> None:
    assert (built_docs / "faq.html").exists()
    assert (built_docs / "api.html").exists()
