# Two commands on a fresh machine with Python 3.11:  make book   and   make test
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: book test install clean ort-web

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Execute the notebooks from the committed results store and build the HTML book into _build/html.
book: $(STAMP)
	-$(MAKE) ort-web   # the in-browser colorizer's runtime, served from the book (offline too)
	$(BIN)/polychromify book

# PYTEST_ARGS: more pytest arguments (CI runs the book's tests in a fresh clone instead, .ci/run)
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf _build book/_executed

# onnxruntime-web from npm, for the browser test of the book's colorizer (tests/test_browser.py)
ORT_WEB_VERSION := $(shell sed -n 's/^ORT_WEB_VERSION = "\(.*\)".*/\1/p' polychromify/book/webpage.py)
ort-web: .cache/onnxruntime-web-$(ORT_WEB_VERSION)/package/dist/ort.wasm.min.js
.cache/onnxruntime-web-$(ORT_WEB_VERSION)/package/dist/ort.wasm.min.js:
	mkdir -p $(@D)/../..
	cd $(@D)/../.. && npm pack --silent onnxruntime-web@$(ORT_WEB_VERSION) >/dev/null && tar xzf onnxruntime-web-$(ORT_WEB_VERSION).tgz && rm onnxruntime-web-$(ORT_WEB_VERSION).tgz
	test -f $@
