"""The browser-side wheel: served bytes, a valid wheel, deterministic, importable alone, nothing native."""

import base64
import hashlib
import io
import subprocess
import sys
import zipfile

import httpx
import pytest

from webgpu_llm import __version__
from webgpu_llm.server.wheel import build_wheel_bytes, wheel_filename

DIST_INFO = f"webgpu_llm-{__version__}.dist-info"
NATIVE_ONLY = ("webgpu_llm/convert/", "webgpu_llm/server/", "webgpu_llm/benchmarks/", "webgpu_llm/web/",
               "webgpu_llm/cli.py", "webgpu_llm/gpu/native.py", "webgpu_llm/grammar/native.py")
# -I: no PYTHONPATH, no user site; -S: no site-packages. Only the wheel's folder is on sys.path.
IMPORT_ALL = """
import importlib, importlib.resources, pathlib, sys
root = pathlib.Path(sys.argv[1])
sys.path.insert(0, str(root))
names = [".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
         for p in sorted(root.rglob("*.py"))]
for name in names:
    module = importlib.import_module(name)
    assert module.__file__.startswith(str(root)), module.__file__
assert importlib.resources.files("webgpu_llm.kernels").joinpath("gemv.wgsl").read_text().strip()
assert importlib.resources.files("webgpu_llm.conversation").joinpath("templates.json").read_text()
print(len(names))
"""


@pytest.fixture(scope="module")
def wheel_bytes():
    return build_wheel_bytes()


@pytest.fixture(scope="module")
def unpacked(wheel_bytes, tmp_path_factory):
    folder = tmp_path_factory.mktemp("wheel")
    zipfile.ZipFile(io.BytesIO(wheel_bytes)).extractall(folder)
    return folder


def test_served_wheel_is_the_built_one(server_url, wheel_bytes):
    response = httpx.get(f"{server_url}/lib/{wheel_filename()}")
    assert response.status_code == 200 and response.content == wheel_bytes
    assert wheel_filename() == f"webgpu_llm-{__version__}-py3-none-any.whl"


def test_build_is_deterministic_and_the_module_cli_writes_it(tmp_path, wheel_bytes):
    assert build_wheel_bytes() == wheel_bytes
    result = subprocess.run([sys.executable, "-m", "webgpu_llm.server.wheel", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / wheel_filename()).read_bytes() == wheel_bytes


def test_metadata_and_record(wheel_bytes):
    archive = zipfile.ZipFile(io.BytesIO(wheel_bytes))
    wheel = archive.read(f"{DIST_INFO}/WHEEL").decode()
    assert "Root-Is-Purelib: true" in wheel and "Tag: py3-none-any" in wheel
    metadata = archive.read(f"{DIST_INFO}/METADATA").decode()
    assert "Name: webgpu-llm" in metadata and f"Version: {__version__}" in metadata
    rows = [line.split(",") for line in archive.read(f"{DIST_INFO}/RECORD").decode().splitlines()]
    assert sorted(row[0] for row in rows) == sorted(archive.namelist())
    for name, digest, size in rows:
        if name == f"{DIST_INFO}/RECORD":
            assert (digest, size) == ("", "")
            continue
        data = archive.read(name)
        expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert (digest, size) == (f"sha256={expected}", str(len(data))), name
    assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_contents_are_the_browser_side_only(wheel_bytes):
    names = zipfile.ZipFile(io.BytesIO(wheel_bytes)).namelist()
    assert not [n for n in names if n.startswith(NATIVE_ONLY)]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    for expected in ("webgpu_llm/__init__.py", "webgpu_llm/engine/engine.py", "webgpu_llm/kernels/gemv.wgsl",
                     "webgpu_llm/conversation/templates.json", "webgpu_llm/gpu/device.py"):
        assert expected in names


def test_every_module_imports_from_the_wheel_alone(unpacked):
    result = subprocess.run([sys.executable, "-I", "-S", "-c", IMPORT_ALL, str(unpacked)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 20


def test_pip_installs_it(tmp_path, wheel_bytes):
    wheel = tmp_path / wheel_filename()
    wheel.write_bytes(wheel_bytes)
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                             "--target", str(tmp_path / "site"), str(wheel)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "webgpu_llm" / "kernels" / "gemv.wgsl").is_file()
    assert (tmp_path / "site" / DIST_INFO / "RECORD").is_file()
