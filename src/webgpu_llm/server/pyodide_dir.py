"""Where Pyodide's core files (the npm package `pyodide`) are, for `/pyodide/`.

Looked up in this order: the --pyodide folder, $WEBGPU_LLM_PYODIDE,
./node_modules/pyodide, then node_modules/pyodide next to the source checkout
(where `make install` puts it). A folder counts when it holds `pyodide.mjs`.
"""

from __future__ import annotations

import os
from pathlib import Path

PYODIDE_ENV = "WEBGPU_LLM_PYODIDE"
PYODIDE_NPM = "pyodide@314.0.7"
MARKER = "pyodide.mjs"
CHECKOUT_ROOT = Path(__file__).resolve().parents[3]  # src/webgpu_llm/server/ -> the checkout
MISSING_HINT = (f"Pyodide not found, so /pyodide/ answers 404 and the browser engine cannot start; "
                f"get it with `npm install {PYODIDE_NPM}` in the current folder, or pass --pyodide DIR")


def find_pyodide_dir(explicit: Path | None = None) -> Path | None:
    """The first Pyodide folder in lookup order; a given folder (flag or env) must be one."""
    given = explicit or (Path(os.environ[PYODIDE_ENV]) if os.environ.get(PYODIDE_ENV) else None)
    if given is not None:
        given = given.expanduser()
        if not (given / MARKER).is_file():
            source = "--pyodide" if explicit else f"${PYODIDE_ENV}"
            raise FileNotFoundError(f"{source} {given} holds no {MARKER}; "
                                    f"it must be the folder of the npm package ({PYODIDE_NPM})")
        return given.resolve()
    for candidate in (Path.cwd() / "node_modules" / "pyodide", CHECKOUT_ROOT / "node_modules" / "pyodide"):
        if (candidate / MARKER).is_file():
            return candidate.resolve()
    return None
