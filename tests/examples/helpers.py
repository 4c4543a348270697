"""Running example programs as the docs show them: a subprocess per backend."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"
BACKENDS = ("asyncio", "trio")


def run_example(name: str, *args: str, timeout: float = 30) -> str:
    """Run ``examples/<name>`` to its end and return what it printed (it must succeed)."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, (
        f"exit status {result.returncode}\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout
