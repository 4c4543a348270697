"""Examples are imported by their module names: put examples/ on sys.path.

The docs are built once for the tests that read them (``built_docs``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import ROOT

EXAMPLES = Path(__file__).parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))


@pytest.fixture(scope="session")
def built_docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTML docs, built once per session as ``tox -e docs`` does (``-W``)."""
    out = tmp_path_factory.mktemp("docs")
    doctrees, html = out / "doctrees", out / "html"
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
    result = subprocess.run(
        [*command, "-d", str(doctrees), str(ROOT / "docs"), str(html)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return html
