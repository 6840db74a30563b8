# One entry point for people and CI. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CARGO ?= cargo

.PHONY: help
help: ## list targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

.PHONY: test
test: lint unit e2e ## everything CI runs: lint, unit tests, e2e on the local control plane

.PHONY: lint
lint: ## rustfmt and clippy, warnings are errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

.PHONY: unit
unit: ## unit, property and CRD-staleness tests (no cluster needed)
	@# tests/python_progress_helper.rs runs the Python helper's tests with python3.
	@bash -c '. e2e/cluster/lib.sh && need_cmds python3:python3'
	$(CARGO) test --all-targets

.PHONY: crds
# The chart ships a copy of every file of crds/ (tests/crds_up_to_date.rs checks it).
CHART_CRDS := charts/voda-scheduler/crds
crds: ## regenerate crds/ from the Rust types and copy them into the Helm chart
	$(CARGO) run --quiet -- crd --out-dir crds
	rm -f $(CHART_CRDS)/*
	cp crds/* $(CHART_CRDS)/

.PHONY: demo
demo: ## local cluster + CRDs + manager + a scheduler per GPU type + example jobs; leaves it running
	@CARGO="$(CARGO)" demo/run.sh

.PHONY: bench
bench: ## criterion benchmarks of the scheduling core
	$(CARGO) bench --bench algorithms --bench placement

# ---- local control plane (e2e/) ----------------------------------------------
# Real kube-apiserver, controller manager, scheduler, etcd, kwok fake GPU nodes
# and the MPI operator, built from pinned Go modules (e2e/tools/) into
# $(VODA_CACHE) (default ~/.cache/voda-scheduler). See e2e/README.md.
.PHONY: tools cluster-up cluster-down e2e
tools: ## build or reuse the control plane binaries (pinned Go modules in e2e/tools/)
	@e2e/cluster/build-tools.sh

cluster-up: ## start or reuse the local control plane (NODES="type:count:gpus ..."); last line: admin kubeconfig
	@e2e/cluster/up.sh

cluster-down: ## stop the local control plane and remove its state
	@e2e/cluster/down.sh

e2e: ## build/reuse the local control plane and run the e2e tests on it (KEEP_CLUSTER=1 keeps it up)
	@CARGO="$(CARGO)" e2e/run.sh
