"""The browser-side packages as a pure-Python wheel, for Pyodide.

Contents: every `.py`, `.wgsl` and `.json` file of the package (the package
data pyproject.toml declares, minus web/), except the native-only parts
(DESIGN.md, "Layout"). Layout and metadata follow the wheel spec
(https://packaging.python.org/en/latest/specifications/binary-distribution-format/):
`webgpu_llm-<version>.dist-info/` with METADATA, WHEEL (Root-Is-Purelib,
Tag py3-none-any) and RECORD (urlsafe-base64 sha256 without padding, size).
Bytes are deterministic: sorted entries, fixed timestamps and modes.

    python -m webgpu_llm.server.wheel OUT_DIR     (web/package.json's prepack)
"""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import zipfile
from pathlib import Path

from .. import __version__

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DIST_NAME = "webgpu_llm"  # the wheel spec's escaped form of "webgpu-llm"
INCLUDED_SUFFIXES = (".py", ".wgsl", ".json")
# Paths relative to the package; a folder excludes everything under it.
NATIVE_ONLY = ("convert", "server", "benchmarks", "web", "cli.py", "gpu/native.py", "grammar/native.py",
               "weights/download_native.py")
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold
METADATA = f"""Metadata-Version: 2.1
Name: webgpu-llm
Version: {__version__}
Summary: webgpu-llm's browser-side engine (standard library only), for Pyodide.
Requires-Python: >=3.11
"""
WHEEL = """Wheel-Version: 1.0
Generator: webgpu_llm.server.wheel
Root-Is-Purelib: true
Tag: py3-none-any
"""


def wheel_filename(version: str = __version__) -> str:
    return f"{DIST_NAME}-{version}-py3-none-any.whl"


def package_files(package_dir: Path = PACKAGE_DIR) -> list[tuple[str, Path]]:
    """(archive name, file) of every browser-side file, sorted by archive name."""
    files = []
    for path in package_dir.rglob("*"):
        relative = path.relative_to(package_dir).as_posix()
        if (not path.is_file() or path.suffix not in INCLUDED_SUFFIXES or "__pycache__" in relative.split("/")
                or any(relative == x or relative.startswith(x + "/") for x in NATIVE_ONLY)):
            continue
        files.append((f"webgpu_llm/{relative}", path))
    return sorted(files)


def build_wheel_bytes(package_dir: Path = PACKAGE_DIR) -> bytes:
    entries = [(name, path.read_bytes()) for name, path in package_files(package_dir)]
    dist_info = f"{DIST_NAME}-{__version__}.dist-info"
    entries += [(f"{dist_info}/METADATA", METADATA.encode()), (f"{dist_info}/WHEEL", WHEEL.encode())]
    record = "".join(f"{name},sha256={_digest(data)},{len(data)}\n" for name, data in entries)
    entries.append((f"{dist_info}/RECORD", (record + f"{dist_info}/RECORD,,\n").encode()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries:
            archive.writestr(_entry(name), data)
    return out.getvalue()


def build_wheel(out_dir: Path) -> Path:
    """Write the wheel into `out_dir` (created if missing); returns its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / wheel_filename()
    target.write_bytes(build_wheel_bytes())
    return target


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # unix, so the mode below is read the same everywhere
    info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
    return info


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m webgpu_llm.server.wheel OUT_DIR", file=sys.stderr)
        return 2
    print(build_wheel(Path(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
