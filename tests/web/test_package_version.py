"""The JS client finds the engine wheel by version: web/version.js, web/package.json
(and the wheel it packs) and the Python package must say the same version."""

import json
import re

from browser_support import WEB_DIR
from webgpu_llm import __version__


def test_js_version_and_npm_package_match_the_python_package():
    version_js = re.search(r'VERSION = "([^"]+)"', (WEB_DIR / "version.js").read_text()).group(1)
    package = json.loads((WEB_DIR / "package.json").read_text())
    assert version_js == package["version"] == __version__
    assert f"webgpu_llm-{__version__}-py3-none-any.whl" in package["files"]
    assert "private" not in package  # publishable to the npm registry


def test_npm_package_lists_every_module_of_the_client():
    package = json.loads((WEB_DIR / "package.json").read_text())
    modules = {p.name for p in WEB_DIR.glob("*.js")}
    assert modules <= set(package["files"]), sorted(modules - set(package["files"]))
