"""Builds the unpacked extension: this folder's files plus what an extension must ship itself
(its content security policy allows only its own scripts), laid out as `webgpu-llm serve`
serves them, so the client's relative URLs (../pyodide/, ../@mlc-ai/web-xgrammar/lib/, the
wheel beside lib/) hold:

    lib/                          the JS client (src/webgpu_llm/web/) and the engine wheel
    pyodide/                      Pyodide's core files (the npm package `pyodide`)
    @mlc-ai/web-xgrammar/lib/     web-xgrammar's bundle
    config.js                     SERVER_URL, the `webgpu-llm serve` that has the model files

    python examples/chrome-extension/build.py OUT_DIR [--server http://127.0.0.1:8000]

then load OUT_DIR at chrome://extensions ("Load unpacked") and open its popup.
"""

import argparse
import json
import shutil
import sys
from pathlib import Path

from webgpu_llm.server.pyodide_dir import MISSING_HINT as PYODIDE_HINT
from webgpu_llm.server.pyodide_dir import find_pyodide_dir
from webgpu_llm.server.settings import WEB_DIR
from webgpu_llm.server.wheel import build_wheel
from webgpu_llm.server.xgrammar_dir import MISSING_HINT as XGRAMMAR_HINT
from webgpu_llm.server.xgrammar_dir import find_xgrammar_dir

HERE = Path(__file__).resolve().parent
EXTENSION_FILES = ("manifest.json", "background.js", "popup.html", "popup.js")
# What loadPyodide fetches: the loader, the wasm module and its JS, the standard library, the lock file.
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")


def build(out_dir: Path, server_url: str) -> Path:
    pyodide_dir, xgrammar_dir = find_pyodide_dir(), find_xgrammar_dir()
    if pyodide_dir is None or xgrammar_dir is None:
        raise SystemExit(PYODIDE_HINT if pyodide_dir is None else XGRAMMAR_HINT)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in EXTENSION_FILES:
        shutil.copy(HERE / name, out_dir / name)
    shutil.copy(HERE.parent / "shared.js", out_dir / "shared.js")
    (out_dir / "config.js").write_text(f"export const SERVER_URL = {json.dumps(server_url.rstrip('/'))};\n")
    shutil.copytree(WEB_DIR, out_dir / "lib", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("app", "*.json", "*.d.ts", "__pycache__"))
    build_wheel(out_dir / "lib")
    (out_dir / "pyodide").mkdir(exist_ok=True)
    for name in PYODIDE_FILES:
        shutil.copy(pyodide_dir / name, out_dir / "pyodide" / name)
    shutil.copytree(xgrammar_dir, out_dir / "@mlc-ai" / "web-xgrammar" / "lib", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.map", "*.d.ts"))
    return out_dir


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--server", default="http://127.0.0.1:8000", help="the webgpu-llm serve with the model")
    args = parser.parse_args(argv)
    print(build(args.out_dir, args.server))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
