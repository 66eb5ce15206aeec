"""Headless Chromium (Debian's, SwiftShader WebGPU) and a static HTTP server for browser tests.

Importable from any test folder (`tests/` is on sys.path through rootdir
conftest discovery; `import browser_support` works from tests/*/).

- `launch_chromium(playwright, ...)`: Debian's /usr/bin/chromium with the
  WebGPU flags of PLATFORM.md, in a fresh user-data-dir (a persistent context,
  so `--load-extension` works too). Playwright never downloads a browser here.
- `StaticServer(folder)`: serves `folder` at `/` and the JS client
  (src/webgpu_llm/web/) at `/lib/`, on a free port of 127.0.0.1, from a thread.
  It counts requests per path and answers `Cache-Control: no-store`, so a test
  that asserts "no network request" sees every request the page makes.
"""

from __future__ import annotations

import collections
import contextlib
import http.server
import shutil
import signal
import tempfile
import threading
import urllib.parse
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
WEB_DIR = REPO / "src" / "webgpu_llm" / "web"
PYODIDE_DIR = REPO / "node_modules" / "pyodide"
XGRAMMAR_DIR = REPO / "node_modules" / "@mlc-ai" / "web-xgrammar" / "lib"  # served at /@mlc-ai/web-xgrammar/lib/
CHROMIUM = "/usr/bin/chromium"

# PLATFORM.md: what gives headless WebGPU (SwiftShader) in Debian's chromium.
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
    # Shared memory in /tmp, not /dev/shm: containers often give /dev/shm 64 MiB, less than a model's
    # uploads pass through, and Chromium's renderer dies when it runs out ("Target crashed").
    "--disable-dev-shm-usage",
]

# Module scripts, workers and service workers need a JavaScript MIME type.
CONTENT_TYPES = {
    ".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json",
    ".wasm": "application/wasm", ".html": "text/html; charset=utf-8", ".css": "text/css",
    ".zip": "application/zip", ".whl": "application/zip", ".bin": "application/octet-stream",
}


def launch_chromium(playwright, *, extension_dir: str | Path | None = None, extra_args: list[str] = (),
                    user_data_dir: str | Path | None = None):
    """Starts Debian's chromium in a fresh profile; returns a playwright BrowserContext.

    Close the context when done (its temporary profile is then removed).
    """
    owned_dir = user_data_dir is None
    profile = Path(tempfile.mkdtemp(prefix="webgpu-llm-chromium-")) if owned_dir else Path(user_data_dir)
    args = list(CHROMIUM_ARGS) + list(extra_args)
    if extension_dir is not None:
        args += [f"--disable-extensions-except={extension_dir}", f"--load-extension={extension_dir}"]
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True, args=args,
        # Playwright passes --disable-extensions by default; it would undo --load-extension.
        ignore_default_args=["--disable-extensions"] if extension_dir is not None else None,
    )
    if owned_dir:
        close = context.close

        def close_and_remove_profile(*args, **kwargs):
            # After close() returns the browser has exited and left the profile alone.
            close(*args, **kwargs)
            shutil.rmtree(profile, ignore_errors=True)

        context.close = close_and_remove_profile
    return context


@contextlib.contextmanager
def time_limit(seconds: int):
    """Raise TimeoutError in the main thread after `seconds`: playwright's page.evaluate
    has no timeout of its own, and a reply that never comes must fail a test, not hang CI."""
    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signum, _frame):
        raise TimeoutError(f"browser test ran over {seconds} s (a reply that never came?)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


Override = Callable[[http.server.BaseHTTPRequestHandler], None]


class StaticServer:
    """Serves `root` at `/` plus `mounts` (default: the JS client at `/lib/`) on 127.0.0.1.

    `requests` counts GET requests per path. `overrides[path] = fn(handler)`
    lets a test answer one path itself (a truncated body, a slow stream, ...).
    Use as a context manager, or call `stop()`.
    """

    def __init__(self, root: str | Path, mounts: dict[str, str | Path] | None = None):
        self.root = Path(root)
        self.mounts = {"/lib/": WEB_DIR} if mounts is None else {k: Path(v) for k, v in mounts.items()}
        self.requests: collections.Counter[str] = collections.Counter()
        self.overrides: dict[str, Override] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                path = urllib.parse.urlsplit(self.path).path
                with server._lock:
                    server.requests[path] += 1
                if path in server.overrides:
                    server.overrides[path](self)
                    return
                file = server.resolve(path)
                if file is None:
                    self.send_error(404, "not found")
                    return
                body = file.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPES.get(file.suffix, "application/octet-stream"))
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                # A service worker script under /lib/ may control the whole origin.
                self.send_header("Service-Worker-Allowed", "/")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):  # keep pytest output clean
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def resolve(self, path: str) -> Path | None:
        """The file a URL path names, or None (also for paths escaping their folder)."""
        path = urllib.parse.unquote(path)
        for prefix, folder in self.mounts.items():
            if path.startswith(prefix):
                base, rest = folder, path[len(prefix):]
                break
        else:
            base, rest = self.root, path.lstrip("/")
        if rest == "" or rest.endswith("/"):
            rest += "index.html"
        file = (base / rest).resolve()
        if not file.is_relative_to(base.resolve()) or not file.is_file():
            return None
        return file

    def count(self, path_prefix: str) -> int:
        """Requests so far whose path starts with path_prefix."""
        with self._lock:
            return sum(n for path, n in self.requests.items() if path.startswith(path_prefix))

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> StaticServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
