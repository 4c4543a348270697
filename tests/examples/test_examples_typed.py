"""The examples are typed: mypy --strict accepts them as they are shown in the docs."""

from __future__ import annotations

from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_examples_pass_mypy_strict() -> None:
    out, err, status = mypy_api.run(["--strict", "--no-incremental", str(EXAMPLES)])
    assert status == 0, out + err
