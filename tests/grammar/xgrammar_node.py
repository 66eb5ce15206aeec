"""web-xgrammar 0.1.27 under node (xgrammar_node.mjs), driven one JSON line at a time.

Node runs the npm package itself and the engine's own web/grammar.js; one
process serves a whole test module. Tests skip when node or the package is
missing (`make install` puts the package in node_modules/).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "node_modules" / "@mlc-ai" / "web-xgrammar" / "lib" / "index.js"
GRAMMAR_JS = ROOT / "src" / "webgpu_llm" / "web" / "grammar.js"
SCRIPT = Path(__file__).with_name("xgrammar_node.mjs")
REPLY_TIMEOUT_S = 300  # one compile of a large grammar against a 49k vocabulary, with margin


class XGrammarError(RuntimeError):
    """xgrammar (or grammar.js) answered an error."""


class XGrammarNode:
    def __init__(self):
        node = shutil.which("node")
        if node is None or not BUNDLE.is_file():
            pytest.skip("node or node_modules/@mlc-ai/web-xgrammar is missing (make install)")
        self.process = subprocess.Popen([node, str(SCRIPT), str(BUNDLE), str(GRAMMAR_JS)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1)

    def call(self, **request) -> dict:
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"node exited with {self.process.wait(timeout=10)} during {request['op']}")
        reply = json.loads(line)
        if "error" in reply:
            raise XGrammarError(reply["error"])
        return reply

    def bridge(self) -> "NodeGrammarBridge":
        """web/grammar.js's GrammarBridge in this node, with the method names grammar/browser.py calls."""
        return NodeGrammarBridge(self)

    def mask(self, matcher_id: int) -> bytes:
        return base64.b64decode(self.call(op="mask", matcher=matcher_id)["mask"])

    def writes(self) -> list[dict]:
        """The writeBuffer calls since last asked: [{id, offset, data (bytes)}]."""
        return [{**w, "data": base64.b64decode(w["data"])} for w in self.call(op="writes")["writes"]]

    def accepts(self, ebnf: str, strings: list[str]) -> list[bool]:
        """Whether xgrammar's grammar accepts each whole string (no tokenizer involved)."""
        return self.call(op="check", ebnf=ebnf, strings=strings)["accepted"]

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class NodeGrammarBridge:
    """Calls GrammarBridge methods in node the way Pyodide calls them in the browser: the JS
    methods that return promises are awaited, the others answer at once; JS errors are raised."""

    ASYNC = frozenset({"setTokenizer", "compile", "createMatcher"})

    def __init__(self, node: XGrammarNode):
        self._node = node

    def __getattr__(self, method: str):
        def call(*args):
            return self._node.call(op="call", method=method, args=list(args))["result"]

        if method in self.ASYNC:
            async def call_async(*args):
                return call(*args)
            return call_async
        return call


def allowed_ids(mask: bytes) -> list[int]:
    return [i for i in range(len(mask) * 8) if mask[i >> 3] >> (i & 7) & 1]
