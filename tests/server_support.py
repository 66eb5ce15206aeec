"""The real `webgpu-llm serve` as a subprocess, for tests in any folder.

    with running_server(model_cache) as base_url:      # e.g. "http://127.0.0.1:41234"
        openai.OpenAI(base_url=base_url + "/v1", api_key="none")

`models_root` is a cache root (models in <models_root>/models/<id>, as the
`model_cache` fixture holds them); the server sees it as WEBGPU_LLM_CACHE.
Its output goes to a log file whose tail is shown if it fails to start.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

START_TIMEOUT_S = 120
STOP_TIMEOUT_S = 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(models_root: str | Path, *, model: str | None = None,
                   extra_args: tuple[str, ...] | list[str] = ()) -> Iterator[str]:
    """Start `webgpu-llm serve` on a free port, yield its base URL, stop it (and its children)."""
    port = free_port()
    command = [sys.executable, "-m", "webgpu_llm.cli", "serve", "--port", str(port), *extra_args]
    if model is not None:
        command += ["--model", str(model)]
    env = {**os.environ, "WEBGPU_LLM_CACHE": str(models_root)}
    with tempfile.TemporaryFile("w+") as log:
        # Own session: stopping it reaches the whole process group it may have started.
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_answering(base_url, process, log)
            yield base_url
        finally:
            _stop(process)


def _wait_until_answering(base_url: str, process: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"webgpu-llm serve exited with {process.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(base_url + "/v1/models", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError(f"webgpu-llm serve did not answer within {START_TIMEOUT_S} s:\n{_tail(log)}")


def _stop(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(STOP_TIMEOUT_S)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # whatever is left of its process group
    process.wait()


def _tail(log, chars: int = 4000) -> str:
    log.flush()
    log.seek(0)
    return log.read()[-chars:]
