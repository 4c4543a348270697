"""examples/health.py and examples/deploy/: the probes, and the deployment files' commands.

No container engine, systemd or Kubernetes runs here: the tests run the
commands those files give (the Dockerfile's CMD, the manifest's command,
Gunicorn's configuration) on this machine and check that the files agree
with each other and with the time budget docs/deployment.rst explains.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import anyio
import health
import pytest

from anyiohttp import web

from .helpers import EXAMPLES

DEPLOY = EXAMPLES / "deploy"

pytestmark = pytest.mark.anyio


# -- the probes -----------------------------------------------------------------------


async def test_liveness_and_readiness(  # type: ignore[no-untyped-def]
    anyiohttp_client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drain = tmp_path / "drain"
    monkeypatch.setenv("DRAIN_FILE", str(drain))
    client = await anyiohttp_client(health.make_app())
    resp = await client.get("/healthz")
    assert await resp.text() == "ok"
    resp = await client.get("/readyz")
    assert await resp.json() == {"ready": True}
    drain.touch()
    resp = await client.get("/readyz")
    assert resp.status == 503
    assert await resp.json() == {"ready": False, "failed": {"drain": "RuntimeError('draining')"}}
    resp = await client.get("/healthz")  # alive all the same
    assert resp.status == 200


async def test_a_slow_check_fails_readiness_in_bounded_time(  # type: ignore[no-untyped-def]
    anyiohttp_client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "CHECK_TIMEOUT", 0.2)

    async def hangs(app: web.Application) -> None:
        await anyio.sleep_forever()

    app = web.Application()
    health.add_health_routes(app, {"database": health.database_ping, "upstream": hangs})
    client = await anyiohttp_client(app)
    with anyio.fail_after(5):
        resp = await client.get("/readyz")
    assert resp.status == 503
    assert await resp.json() == {"ready": False, "failed": {"upstream": "TimeoutError()"}}


# -- the files agree ------------------------------------------------------------------


def dockerfile_cmd() -> list[str]:
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", "")
    (cmd,) = re.findall(r"^CMD (\[.*\])$", text, flags=re.MULTILINE)
    return list(json.loads(cmd))


def manifest_command() -> list[str]:
    text = (DEPLOY / "kubernetes.yaml").read_text()
    block = text.split("command:\n", 1)[1].split("ports:", 1)[0]
    return [item.strip().strip('"') for item in re.findall(r"^\s+- (.*)$", block, re.MULTILINE)]


def manifest_number(key: str) -> int:
    (value,) = re.findall(rf"^\s+{key}: (\d+)", (DEPLOY / "kubernetes.yaml").read_text(), re.M)
    return int(value)


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_the_image_and_the_manifest_run_the_same_command() -> None:
    assert manifest_command() == dockerfile_cmd()


def test_the_grace_period_covers_pre_stop_shutdown_and_cleanup() -> None:
    grace = manifest_number("terminationGracePeriodSeconds")
    text = (DEPLOY / "kubernetes.yaml").read_text()
    (pre_stop,) = re.findall(r'command: \["sleep", "(\d+)"\]', text)
    shutdown = float(option(dockerfile_cmd(), "--shutdown-timeout"))
    assert int(pre_stop) + shutdown + 5 <= grace  # 5 s left for the cleanup contexts
    readiness = text.split("readinessProbe:", 1)[1]
    timeout = int(re.findall(r"timeoutSeconds: (\d+)", readiness)[0])
    assert timeout > health.CHECK_TIMEOUT


def test_the_image_copies_what_its_ignore_file_lets_in() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    allowed = {
        line[1:].rstrip("/")
        for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    copied = set()
    for line in text.splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            copied.update(part.rstrip("/") for part in line.split()[1:-1])
    assert copied == allowed
    for path in copied:
        assert (EXAMPLES.parent / path).exists(), path


def test_systemd_waits_longer_than_the_shutdown() -> None:
    text = (DEPLOY / "app.service").read_text()
    exec_start = text.split("ExecStart=", 1)[1].split("\n#", 1)[0].replace("\\\n", " ").split()
    shutdown = float(option(exec_start, "--shutdown-timeout"))
    (stop,) = re.findall(r"^TimeoutStopSec=(\d+)$", text, re.MULTILINE)
    assert int(stop) > shutdown
    assert "KillMode=mixed" in text.splitlines()


# -- the commands run ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve_and_stop(command: list[str], port: int, env: dict[str, str] | None = None) -> str:
    """Start ``command`` in examples/, probe it, SIGTERM it; it must exit 0."""
    proc = subprocess.Popen(
        command,
        cwd=EXAMPLES,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.communicate()[0].decode()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
                    assert json.load(r) == {"ready": True}
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    assert r.read() == b"ok"
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out.decode()
        return out.decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_images_command_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    command = dockerfile_cmd()
    assert command[0] == "python"
    port = _free_port()
    command[0] = sys.executable
    command[command.index("--host") + 1] = "127.0.0.1"  # 0.0.0.0 in the container
    command[command.index("--port") + 1] = str(port)
    _serve_and_stop(command, port, env={"DRAIN_FILE": str(tmp_path / "drain")})


@pytest.mark.parametrize(
    "worker",
    ["anyiohttp.worker.GunicornTrioWebWorker", "anyiohttp.worker.GunicornWebWorker"],
)
def test_the_gunicorn_configuration(tmp_path: Path, worker: str) -> None:
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py")]
    command += ["-b", f"127.0.0.1:{port}", "-w", "2", "-k", worker, "health:make_app()"]
    out = _serve_and_stop(
        command, port, env={"HOME": str(tmp_path), "DRAIN_FILE": str(tmp_path / "drain")}
    )
    assert '"GET /readyz HTTP/1.1" 200' in out
