# One entry point for people and CI. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CARGO ?= cargo

.PHONY: help
help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

.PHONY: test
test: lint unit ## everything CI runs: lint and unit tests (e2e joins once the control plane lands)

.PHONY: lint
lint: ## rustfmt and clippy, warnings are errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

.PHONY: unit
unit: ## unit, property and CRD-staleness tests (no cluster needed)
	$(CARGO) test --all-targets

.PHONY: crds
crds: ## regenerate crds/ from the Rust types
	$(CARGO) run --quiet -- crd --out-dir crds

.PHONY: bench
bench: ## criterion benchmarks of the scheduling core
	$(CARGO) bench --bench algorithms --bench placement

# ---- local control plane (e2e/) ----------------------------------------------
.PHONY: e2e
e2e: ## build/reuse the local control plane and run the e2e tests on it
	@echo "e2e: not wired yet"
