"""The documentation builds without a warning (sphinx-build -W), as ``tox -e docs`` does.

A literalinclude whose example lost the function it shows, a broken
cross-reference or a page left out of the toctree is a warning, so the
docs and the examples they include cannot drift apart unnoticed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .helpers import ROOT


def test_the_docs_build_without_warnings(tmp_path: Path) -> None:
    doctrees, html = tmp_path / "doctrees", tmp_path / "html"
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
    result = subprocess.run(
        [*command, "-d", str(doctrees), str(ROOT / "docs"), str(html)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (html / "faq.html").exists()
