"""The package's TypeScript declarations (web/*.d.ts) against its JS: `tsc --noEmit --strict` (TypeScript
from npm, `make install`) over fixtures/uses_every_export.ts, which imports the package as an app does
and uses every name index.js exports. A runtime export that the fixture does not use fails here, and
so does one whose module's .d.ts does not declare it, so no export goes without a declaration."""

import functools
import json
import re
import shutil
import subprocess

import pytest

from browser_support import REPO, WEB_DIR

NODE = shutil.which("node") or "/usr/bin/node"
TSC = REPO / "node_modules" / ".bin" / "tsc"
FIXTURE = REPO / "tests" / "web" / "fixtures" / "uses_every_export.ts"
PACKAGE = json.loads((WEB_DIR / "package.json").read_text())

needs_tsc = pytest.mark.skipif(not TSC.exists(), reason="needs node_modules/typescript (make install)")


@functools.cache
def runtime_exports(modules: tuple[str, ...]) -> dict[str, list[str]]:
    """The names each module of web/ exports, as node imports it (one node run)."""
    urls = {module: (WEB_DIR / module).as_uri() for module in modules}
    script = (f"const urls = {json.dumps(urls)}; const out = {{}};"
              "for (const [module, url] of Object.entries(urls)) out[module] = Object.keys(await import(url)).sort();"
              "console.log(JSON.stringify(out));")
    result = subprocess.run([NODE, "--input-type=module", "-e", script], capture_output=True, text=True,
                            check=True, timeout=60)
    return json.loads(result.stdout)


def declared_modules() -> list[str]:
    """The JS modules that have declarations beside them (openai_api.d.ts is types only)."""
    return sorted(p.name.removesuffix(".d.ts") + ".js" for p in WEB_DIR.glob("*.d.ts")
                  if (WEB_DIR / (p.name.removesuffix(".d.ts") + ".js")).exists())


def names_check_source() -> str:
    """TypeScript that fails to compile when a module's .d.ts lacks one of its runtime exports."""
    lines = []
    exports = runtime_exports(tuple(declared_modules()))
    for index, module in enumerate(declared_modules()):
        names = exports[module]
        lines.append(f'import * as module{index} from "webgpu-llm/{module}";')
        lines.append(f"export const names{index}: Array<keyof typeof module{index}> = {json.dumps(names)};")
    return "\n".join(lines) + "\n"


def project(tmp_path, module_resolution: str):
    """An app folder: the package in node_modules/webgpu-llm, the fixture and a strict tsconfig."""
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "webgpu-llm").symlink_to(WEB_DIR, target_is_directory=True)
    (tmp_path / "package.json").write_text('{"type": "module"}')
    shutil.copy(FIXTURE, tmp_path / FIXTURE.name)
    (tmp_path / "every_module_declared.ts").write_text(names_check_source())
    module = "nodenext" if module_resolution == "nodenext" else "esnext"
    (tmp_path / "tsconfig.json").write_text(json.dumps({
        "compilerOptions": {"strict": True, "noEmit": True, "noUnusedLocals": True, "skipLibCheck": False,
                            "target": "es2022", "module": module, "moduleResolution": module_resolution,
                            "lib": ["es2022", "dom", "dom.iterable"], "types": []},
        "files": [FIXTURE.name, "every_module_declared.ts"]}))
    return tmp_path


@needs_tsc
@pytest.mark.parametrize("module_resolution", ["bundler", "nodenext"])
def test_tsc_strict_passes_over_a_file_using_every_export(tmp_path, module_resolution):
    folder = project(tmp_path, module_resolution)
    result = subprocess.run([str(TSC), "-p", str(folder / "tsconfig.json")], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_fixture_imports_every_runtime_export_of_index_js():
    source = FIXTURE.read_text()
    value_imports = re.search(r'import \{([^}]*)\} from "webgpu-llm";', source)
    assert value_imports, "the fixture imports values from webgpu-llm in one `import {...}`"
    imported = {name.strip() for name in value_imports.group(1).split(",") if name.strip()}
    exported = set(runtime_exports(("index.js",))["index.js"])
    assert exported - imported == set(), "exports of index.js the fixture does not use"
    assert imported - exported == set(), "names the fixture imports that index.js does not export"


def test_declarations_ship_with_the_npm_package():
    assert PACKAGE["types"] == "./index.d.ts"
    assert PACKAGE["exports"]["."] == {"types": "./index.d.ts", "default": "./index.js"}
    assert PACKAGE["exports"]["./*.js"] == {"types": "./*.d.ts", "default": "./*.js"}
    declarations = {p.name for p in WEB_DIR.glob("*.d.ts")}
    assert declarations <= set(PACKAGE["files"]), sorted(declarations - set(PACKAGE["files"]))
    # Every module index.js re-exports from has its declarations.
    index = (WEB_DIR / "index.js").read_text()
    for module in set(re.findall(r'from "\./([a-z_]+)\.js"', index)):
        assert (WEB_DIR / f"{module}.d.ts").exists(), module


def test_the_server_serves_declarations_as_typescript():
    from webgpu_llm.server.static_files import media_type_of

    assert media_type_of("index.d.ts").startswith("application/typescript")
