"""`webgpu-llm serve` argument handling, in-process with uvicorn replaced (nothing listens)."""

import pytest

from server_cases import FAKE_MODEL_ID
from webgpu_llm import cli
from webgpu_llm.server import app as server_app
from webgpu_llm.server import pyodide_dir, xgrammar_dir


@pytest.fixture
def started(monkeypatch):
    """Records the settings `serve` would run uvicorn with."""
    calls = []
    monkeypatch.setattr(server_app, "run", lambda app, settings: calls.append(settings))
    return calls


@pytest.fixture
def no_pyodide_anywhere(monkeypatch, tmp_path):
    monkeypatch.delenv(pyodide_dir.PYODIDE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(pyodide_dir, "CHECKOUT_ROOT", tmp_path)


def test_defaults_bind_loopback_port_8000(fake_site, started):
    assert cli.main(["serve", "--models", str(fake_site / "cache"), "--model", FAKE_MODEL_ID]) == 0
    settings = started[0]
    assert (settings.host, settings.port, settings.model) == ("127.0.0.1", 8000, FAKE_MODEL_ID)
    assert settings.models_folder == fake_site / "cache" / "models"


def test_missing_pyodide_warns_once_and_still_serves(fake_site, started, no_pyodide_anywhere, capsys):
    assert cli.main(["serve", "--models", str(fake_site / "cache"), "--model", FAKE_MODEL_ID]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line and "Pyodide" in line]
    assert len(warnings) == 1 and "npm install pyodide@314.0.7" in warnings[0]
    assert started[0].pyodide_dir is None


@pytest.fixture
def no_xgrammar_anywhere(monkeypatch, tmp_path):
    monkeypatch.delenv(xgrammar_dir.XGRAMMAR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(xgrammar_dir, "CHECKOUT_ROOT", tmp_path)


def test_missing_xgrammar_warns_once_and_still_serves(fake_site, started, no_xgrammar_anywhere, capsys):
    assert cli.main(["serve", "--models", str(fake_site / "cache"), "--model", FAKE_MODEL_ID]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line and "xgrammar" in line]
    assert len(warnings) == 1 and "npm install @mlc-ai/web-xgrammar@0.1.27" in warnings[0]
    assert started[0].xgrammar_dir is None


def test_xgrammar_lookup_order(tmp_path, monkeypatch, no_xgrammar_anywhere):
    env, local = tmp_path / "env", tmp_path / xgrammar_dir.PACKAGE
    for folder in (env, local):
        (folder / "lib").mkdir(parents=True)
        (folder / "lib" / "index.js").write_text("// bundle\n")
    assert xgrammar_dir.find_xgrammar_dir() == (local / "lib").resolve()  # ./node_modules/... (cwd is tmp_path)
    monkeypatch.setenv(xgrammar_dir.XGRAMMAR_ENV, str(env))
    assert xgrammar_dir.find_xgrammar_dir() == (env / "lib").resolve()
    monkeypatch.setenv(xgrammar_dir.XGRAMMAR_ENV, str(tmp_path / "nothing"))
    with pytest.raises(FileNotFoundError, match="lib/index.js"):
        xgrammar_dir.find_xgrammar_dir()


def test_pyodide_lookup_order(tmp_path, monkeypatch, no_pyodide_anywhere):
    flag, env, local = (tmp_path / name / "pyodide" for name in ("flag", "env", "node_modules"))
    for folder in (flag, env, local):
        folder.mkdir(parents=True)
        (folder / "pyodide.mjs").write_text("export {};\n")
    assert pyodide_dir.find_pyodide_dir() == local.resolve()  # ./node_modules/pyodide (cwd is tmp_path)
    monkeypatch.setenv(pyodide_dir.PYODIDE_ENV, str(env))
    assert pyodide_dir.find_pyodide_dir() == env.resolve()
    assert pyodide_dir.find_pyodide_dir(flag) == flag.resolve()


def test_a_pyodide_folder_without_pyodide_is_an_error(fake_site, started, tmp_path, capsys):
    code = cli.main(["serve", "--models", str(fake_site / "cache"), "--pyodide", str(tmp_path)])
    assert code == 2 and "pyodide.mjs" in capsys.readouterr().err and not started


def test_an_unknown_default_model_fails_at_start(fake_site, started, capsys):
    code = cli.main(["serve", "--models", str(fake_site / "cache"), "--model", "No-Such-Model"])
    assert code == 2 and "No-Such-Model" in capsys.readouterr().err and not started
