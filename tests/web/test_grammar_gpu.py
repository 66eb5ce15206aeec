"""The browser grammar engine end to end in headless Chromium: Pyodide runs grammar/browser.py's
XGrammarBackend over web/grammar.js (web-xgrammar as served), with the real SmolLM2 tokenizer,
and the matcher's mask is written into a real GPU buffer (SwiftShader WebGPU) and read back.

The mask read back must equal the bytes grammar.js holds, and its allowed ids must be exactly the
tokens that can start the grammar's text, computed here from the tokenizer."""

import json
import shutil
from pathlib import Path

import pytest

from browser_support import PYODIDE_DIR, XGRAMMAR_DIR
from webgpu_llm.server.wheel import build_wheel_bytes, wheel_filename
from webgpu_llm.tokenizer import Tokenizer

pytestmark = pytest.mark.skipif(not (PYODIDE_DIR / "pyodide.mjs").exists() or not (XGRAMMAR_DIR / "index.js").exists(),
                                reason="needs node_modules/pyodide and @mlc-ai/web-xgrammar (make install)")

WORDS = ("yes", " no", "maybe so")
MASK_OFFSET = 256  # bytes before the mask in the GPU buffer, so the offset is honoured

PYTHON = """
import json
from webgpu_llm.gpu.browser import BrowserDevice
from webgpu_llm.gpu.device import BufferCopy, BufferUsage
from webgpu_llm.grammar.browser import XGrammarBackend
from webgpu_llm.grammar.matcher import mask_words
from webgpu_llm.grammar.spec import EbnfGrammar, GrammarError
from webgpu_llm.tokenizer import Tokenizer
from pyodide.http import pyfetch

async def run(bridge, args):
    device = BrowserDevice(bridge)
    args = json.loads(args)
    tokenizer = Tokenizer.from_str(await (await pyfetch(args["tokenizer_url"])).string())
    grammar_js = await bridge.grammar()
    backend = await XGrammarBackend.create(grammar_js, tokenizer, args["vocab_size"], args["stop"])
    matcher = await backend.matcher(await backend.compile(EbnfGrammar(args["ebnf"])))
    size = mask_words(backend.vocab_size) * 4
    results = []
    for token in [None] + args["accept"]:
        if token is not None:
            assert matcher.accept_token(token), token
        mask_buffer = device.create_buffer(args["offset"] + size, BufferUsage.STORAGE | BufferUsage.COPY_SRC
                                           | BufferUsage.COPY_DST, "grammar-mask")
        readback = device.create_buffer(size, BufferUsage.MAP_READ | BufferUsage.COPY_DST, "mask-readback")
        await matcher.write_next_mask(device, mask_buffer, args["offset"])
        device.submit((), [BufferCopy(mask_buffer, args["offset"], readback, 0, size)])
        on_gpu = await device.read_buffer(readback)
        held = grammar_js.maskBytes(matcher.id).to_bytes()
        results.append({"gpu": on_gpu.hex(), "js": held.hex(), "terminated": matcher.is_terminated()})
        device.destroy_buffer(mask_buffer)
        device.destroy_buffer(readback)
    refused = []
    for text in ("root ::= (\\n", None):
        if text is None:  # text past grammar/gbnf.py that xgrammar's own parser refuses: its wasm call aborts
            import webgpu_llm.grammar.browser as browser_module
            browser_module.grammar_ebnf = lambda grammar: "root ::= ("
            text = 'root ::= "never compiled"'
        try:
            await backend.compile(EbnfGrammar(text))
            refused.append(None)
        except GrammarError as error:
            refused.append(str(error))
    return json.dumps({"steps": results, "refused": refused})
"""

PAGE_SCRIPT = """async ([wheelURL, python, args]) => {
    const { GpuBridge } = await import("/lib/bridge.js");
    const { startRuntime } = await import("/lib/runtime.js");
    const bridge = await GpuBridge.create();
    const pyodide = await startRuntime({ wheelURL });
    pyodide.runPython(python);
    return await pyodide.globals.get("run")(bridge, args);
}"""


def allowed(mask_hex: str) -> set[int]:
    mask = bytes.fromhex(mask_hex)
    return {i for i in range(len(mask) * 8) if mask[i >> 3] >> (i & 7) & 1}


def starts_of(tokenizer: Tokenizer, texts: list[str]) -> set[int]:
    """Tokens whose bytes can begin one of `texts` (what a grammar of these literals allows first)."""
    return {t for t in range(tokenizer.vocab_size) if t not in tokenizer.special_token_ids
            and any(text.encode().startswith(tokenizer.token_bytes(t)) for text in texts)}


def test_mask_reaches_a_gpu_buffer_from_pyodide(page, server, models_dir, smollm2_folder):
    folder = Path(smollm2_folder("q4f16_1"))
    shutil.copy(folder / "tokenizer.json", models_dir / "tokenizer.json")
    (models_dir / wheel_filename()).write_bytes(build_wheel_bytes())
    chat = json.loads((folder / "mlc-chat-config.json").read_text())
    tokenizer = Tokenizer.from_file(folder / "tokenizer.json")
    stop = sorted(set(chat["conv_template"]["stop_token_ids"]) | {chat["eos_token_id"]})
    rest = tokenizer.encode("maybe so", add_special_tokens=False)
    assert len(rest) >= 2
    vocab_size = chat["vocab_size"] + 7  # padding rows, never allowed
    args = {"tokenizer_url": f"{server.url}/models/tokenizer.json", "vocab_size": vocab_size, "stop": stop,
            "ebnf": "root ::= " + " | ".join(json.dumps(w) for w in WORDS) + "\n", "accept": rest,
            "offset": MASK_OFFSET}
    result = json.loads(page.evaluate(PAGE_SCRIPT, [f"{server.url}/models/{wheel_filename()}", PYTHON,
                                                    json.dumps(args)]))
    steps = result["steps"]
    for step in steps:
        assert step["gpu"] == step["js"]  # the GPU holds exactly the mask grammar.js computed
        assert len(bytes.fromhex(step["gpu"])) == (vocab_size + 31) // 32 * 4
    assert allowed(steps[0]["gpu"]) == starts_of(tokenizer, list(WORDS))
    text = tokenizer.decode(rest[:1])
    assert allowed(steps[1]["gpu"]) == starts_of(tokenizer, ["maybe so"[len(text):]])
    assert allowed(steps[-1]["gpu"]) == set(stop) and steps[-1]["terminated"]
    assert not any(step["terminated"] for step in steps[:-1])
    syntax, aborted = result["refused"]
    assert "EBNF grammar, line 1, column 10" in syntax  # grammar/gbnf.py's message, as natively
    assert "xgrammar" in aborted and "Aborted" in aborted
