"""Static hosting: exact bytes and media types, and no path outside the served folders.

The real server for the package's own folders and raw traversal attempts
(http.client sends the path as written; httpx would normalize `..` away);
an in-process app over a fake site for symlinks and the generated files.
"""

import http.client
import urllib.parse
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from server_cases import FAKE_MODEL_ID, MODEL_ID, SECRET
from webgpu_llm.server.app import build_app
from webgpu_llm.server.settings import WEB_DIR, ServerSettings
from webgpu_llm.server.static_files import file_under
from webgpu_llm.server.wheel import build_wheel_bytes, wheel_filename

PYODIDE_CORE = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
MEDIA_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
               ".html": "text/html", ".css": "text/css", ".json": "application/json", ".zip": "application/zip"}


def raw_get(base_url: str, path: str) -> tuple[int, bytes]:
    """GET with the path sent exactly as given."""
    url = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def assert_served(response: httpx.Response, path: Path) -> None:
    assert response.status_code == 200, (path, response.text[:200])
    assert response.content == path.read_bytes(), path
    assert response.headers["content-length"] == str(path.stat().st_size)
    if path.suffix in MEDIA_TYPES:
        assert response.headers["content-type"].startswith(MEDIA_TYPES[path.suffix]), path


# ------------------------------------------------------------------ the real server

def test_lib_serves_the_files_of_web_exactly(server_url):
    generated = ("prebuilt_app_config.js", wheel_filename())  # served from memory (test_generated_files_...)
    files = [p for p in WEB_DIR.iterdir() if p.is_file() and p.name not in generated]
    assert files, "src/webgpu_llm/web/ has no files"
    for path in files:
        response = httpx.get(f"{server_url}/lib/{path.name}")
        assert_served(response, path)
        assert response.headers["service-worker-allowed"] == "/"  # lets /lib/sw.js control the origin


def test_root_serves_the_chat_app(server_url):
    app_dir = WEB_DIR / "app"
    if not (app_dir / "index.html").is_file():
        pytest.skip("web/app/index.html is not written yet")
    assert_served(httpx.get(server_url + "/"), app_dir / "index.html")
    for path in (p for p in app_dir.rglob("*") if p.is_file()):
        assert_served(httpx.get(f"{server_url}/{path.relative_to(app_dir).as_posix()}"), path)


def test_pyodide_core_files(server_url):
    from webgpu_llm.server.pyodide_dir import find_pyodide_dir

    folder = find_pyodide_dir()
    assert folder is not None, "Pyodide is missing: make install puts it in node_modules/pyodide"
    for name in PYODIDE_CORE:
        assert_served(httpx.get(f"{server_url}/pyodide/{name}"), folder / name)


def test_xgrammar_bundle(server_url):
    from webgpu_llm.server.xgrammar_dir import find_xgrammar_dir

    folder = find_xgrammar_dir()
    assert folder is not None, "web-xgrammar is missing: make install puts it in node_modules/@mlc-ai/web-xgrammar"
    for path in (folder / "index.js", folder / "xgrammar.d.ts"):
        assert_served(httpx.get(f"{server_url}/@mlc-ai/web-xgrammar/lib/{path.name}"), path)


def test_model_files_are_served_exactly(server_url, smollm2):
    files = sorted(p for p in Path(smollm2).iterdir() if p.is_file())
    names = {p.name for p in files}
    assert {"mlc-chat-config.json", "tensor-cache.json", "tokenizer.json", "params_shard_0.bin"} <= names
    with httpx.Client(base_url=server_url, timeout=60) as http:
        for path in files:
            assert_served(http.get(f"/models/{MODEL_ID}/resolve/main/{path.name}"), path)
        head = http.head(f"/models/{MODEL_ID}/resolve/main/params_shard_0.bin")
        assert head.headers["content-length"] == str((Path(smollm2) / "params_shard_0.bin").stat().st_size)
        missing = http.get("/models/No-Such-Model/resolve/main/mlc-chat-config.json")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "model_not_found"
        assert http.get(f"/models/{MODEL_ID}/resolve/main/nothing.bin").json()["error"]["code"] == "not_found"


def traversal_paths(model_cache: Path) -> list[str]:
    """Paths that would reach a file outside the served folders if `..`, an absolute path or an
    encoding got through: the package's cli.py, pyproject.toml, /etc/passwd, a file in the cache root."""
    model = f"/models/{MODEL_ID}/resolve/main"
    return [
        "/lib/../cli.py", "/lib/%2e%2e/cli.py", "/lib/%2E%2E/cli.py", "/lib/..%2fcli.py", "/lib/%2e%2e%2fcli.py",
        "/lib/..%5ccli.py", "/lib/./../cli.py", "/..%2f..%2fcli.py", "/%2e%2e/%2e%2e/cli.py", "/../../cli.py",
        "/pyodide/../../pyproject.toml", "/pyodide/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/@mlc-ai/web-xgrammar/lib/../../../../pyproject.toml", "/@mlc-ai/web-xgrammar/lib/%2e%2e%2fpackage.json",
        f"{model}/../../secret.txt", f"{model}/%2e%2e/%2e%2e/secret.txt", f"{model}/..%2f..%2fsecret.txt",
        "/models/..%2fsecret.txt/resolve/main/x", "/models/%2e%2e/resolve/main/secret.txt",
        "//etc/passwd", "/%2fetc%2fpasswd", "/lib//etc/passwd", "/lib/%2fetc%2fpasswd", f"{model}//etc/passwd",
        f"{model}/%2fetc%2fpasswd", "/lib/version.js%00", f"{model}/{model_cache}/secret.txt",
    ]


def test_no_path_leaves_the_served_folders(server_url, model_cache):
    (Path(model_cache) / "secret.txt").write_text(SECRET)
    for path in traversal_paths(Path(model_cache)):
        status, body = raw_get(server_url, path)
        assert status in (400, 404), (path, status)
        for leaked in (SECRET, "def cmd_serve", "[build-system]", "root:", '"@mlc-ai/web-xgrammar"'):
            assert leaked.encode() not in body, (path, leaked)


# ------------------------------------------------------------------ in-process, fake site

@pytest.fixture
def fake_client(fake_site):
    settings = ServerSettings(model=FAKE_MODEL_ID, cache_root=fake_site / "cache", web_dir=fake_site / "web")
    return TestClient(build_app(settings))


def test_symlinks_may_not_escape(fake_client, fake_site):
    for path in ("/lib/escape.js", "/escape.css", "/outside_dir/secret.txt",
                 f"/models/{FAKE_MODEL_ID}/resolve/main/escape.bin"):
        response = fake_client.get(path)
        assert response.status_code == 404 and SECRET not in response.text, path
    assert fake_client.get("/lib/alias.js").content == (fake_site / "web" / "version.js").read_bytes()


def test_lib_is_flat_and_the_app_has_subfolders(fake_client, fake_site):
    assert fake_client.get("/lib/nested/deep.js").status_code == 404
    assert fake_client.get("/lib/app/index.html").status_code == 404  # the app is at /, not under /lib
    assert fake_client.get("/icons/logo.svg").content == (fake_site / "web" / "app" / "icons" / "logo.svg").read_bytes()
    assert fake_client.get("/").content == (fake_site / "web" / "app" / "index.html").read_bytes()
    assert fake_client.get("/lib/").status_code == 404


def test_generated_files_replace_those_on_disk(fake_client):
    config = fake_client.get("/lib/prebuilt_app_config.js")
    assert config.headers["content-type"].startswith("text/javascript")
    assert FAKE_MODEL_ID in config.text and "must not serve" not in config.text
    wheel = fake_client.get(f"/lib/{wheel_filename()}")
    assert wheel.content == build_wheel_bytes()


def test_without_pyodide_its_route_is_404(fake_client):
    response = fake_client.get("/pyodide/pyodide.mjs")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_without_xgrammar_its_route_is_404(fake_client):
    response = fake_client.get("/@mlc-ai/web-xgrammar/lib/index.js")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_examples_are_served_when_asked_and_404_otherwise(fake_client, fake_site):
    assert fake_client.get("/examples/json-mode/").status_code == 404
    examples = Path(__file__).resolve().parents[2] / "examples"
    settings = ServerSettings(model=FAKE_MODEL_ID, cache_root=fake_site / "cache", web_dir=fake_site / "web",
                              examples_dir=examples)
    client = TestClient(build_app(settings))
    assert client.get("/examples/json-mode/").content == (examples / "json-mode" / "index.html").read_bytes()
    script = client.get("/examples/json-mode/json_mode.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.content == (examples / "json-mode" / "json_mode.js").read_bytes()
    for path in ("/examples/../pyproject.toml", "/examples/%2e%2e/README.md", "/examples/nope.js"):
        assert client.get(path).status_code == 404, path


def test_file_under_accepts_only_plain_relative_names(fake_site):
    web = fake_site / "web"
    assert file_under(web, "version.js") == (web / "version.js").resolve()
    assert file_under(web, "nested/deep.js") == (web / "nested" / "deep.js").resolve()
    for bad in ("", ".", "..", "../outside/secret.txt", "nested/../version.js", "./version.js", "/etc/passwd",
                str(web / "version.js"), "nested\\deep.js", "version.js\x00", "nested/", "nested", "escape.js"):
        assert file_under(web, bad) is None, bad
    assert file_under(web, "nested/deep.js", flat=True) is None
