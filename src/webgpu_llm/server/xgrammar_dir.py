"""Where web-xgrammar's bundle (the npm package `@mlc-ai/web-xgrammar`, its lib/) is, served at
`/@mlc-ai/web-xgrammar/lib/`: the place npm gives it beside a `webgpu-llm` package too, so the
client's relative `../@mlc-ai/web-xgrammar/lib/index.js` finds it in both layouts.

Looked up in this order: $WEBGPU_LLM_XGRAMMAR (the package folder),
./node_modules/@mlc-ai/web-xgrammar, then the same next to the source
checkout (where `make install` puts it). A folder counts when its lib/ holds
`index.js`.
"""

from __future__ import annotations

import os
from pathlib import Path

XGRAMMAR_ENV = "WEBGPU_LLM_XGRAMMAR"
XGRAMMAR_NPM = "@mlc-ai/web-xgrammar@0.1.27"
PACKAGE = Path("node_modules") / "@mlc-ai" / "web-xgrammar"
CHECKOUT_ROOT = Path(__file__).resolve().parents[3]  # src/webgpu_llm/server/ -> the checkout
MISSING_HINT = (f"web-xgrammar not found, so /@mlc-ai/web-xgrammar/lib/ answers 404 and the browser engine cannot apply "
                f"grammars (response_format, tools); get it with `npm install {XGRAMMAR_NPM}` beside Pyodide")


def find_xgrammar_dir() -> Path | None:
    """The served folder (the package's lib/), or None; a folder named by the env var must be one."""
    given = os.environ.get(XGRAMMAR_ENV)
    if given:
        lib = Path(given).expanduser() / "lib"
        if not (lib / "index.js").is_file():
            raise FileNotFoundError(f"${XGRAMMAR_ENV} {given} holds no lib/index.js; it must be the folder of "
                                    f"the npm package {XGRAMMAR_NPM}")
        return lib.resolve()
    for root in (Path.cwd(), CHECKOUT_ROOT):
        lib = root / PACKAGE / "lib"
        if (lib / "index.js").is_file():
            return lib.resolve()
    return None
