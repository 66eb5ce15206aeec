"""DESIGN.md decision 1: browser-side modules import nothing outside the stdlib.

Each module is imported in a fresh interpreter whose import system refuses
every top-level name that is neither in `sys.stdlib_module_names` nor
`webgpu_llm`, as Pyodide without a package index would.
"""

import pathlib
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "src" / "webgpu_llm"
BROWSER_PACKAGES = ("protocol", "engine", "model", "kernels", "gpu", "weights",
                    "tokenizer", "conversation", "grammar", "embeddings")
# Native-only modules inside browser-side packages (DESIGN.md, "Layout").
NATIVE_ONLY = {"webgpu_llm.gpu.native", "webgpu_llm.weights.download_native", "webgpu_llm.grammar.native"}

BLOCKER = r"""
import sys, importlib.abc
class StdlibOnly(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in sys.stdlib_module_names or top == "webgpu_llm":
            return None
        raise ImportError(f"third-party import {name!r} blocked (browser side is stdlib only)")
sys.meta_path.insert(0, StdlibOnly())
import importlib
for name in sys.argv[1:]:
    importlib.import_module(name)
"""


def browser_side_modules() -> list[str]:
    names = ["webgpu_llm"]
    for package in BROWSER_PACKAGES:
        for path in sorted((PACKAGE / package).rglob("*.py")):
            parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            name = ".".join(parts)
            if name not in NATIVE_ONLY:
                names.append(name)
    return names


def run_blocked(*modules: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCKER, *modules],
                          capture_output=True, text=True, timeout=120)


def test_blocker_refuses_third_party_imports():
    result = run_blocked("numpy")
    assert result.returncode != 0
    assert "blocked" in result.stderr


@pytest.mark.parametrize("module", browser_side_modules())
def test_browser_side_module_imports_with_stdlib_only(module):
    result = run_blocked(module)
    assert result.returncode == 0, result.stderr
