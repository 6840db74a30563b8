#!/usr/bin/env bash
# `make e2e`: start the local control plane if it is not running, run the e2e
# tests on it, and stop it again if this run started it (KEEP_CLUSTER=1 keeps
# it). Extra arguments go to the test binary (e.g. a test name filter).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/cluster/lib.sh"

started=0
if ! { [ -f "$STATE/admin.kubeconfig" ] && apiserver_ready; }; then started=1; fi
t0=$SECONDS
KUBECONFIG_ADMIN="$("$E2E_DIR/cluster/up.sh" | tail -n1)"
log "control plane up in $((SECONDS - t0))s: $KUBECONFIG_ADMIN"

finish() {
  local rc=$?
  if [ $rc -ne 0 ]; then tail_logs; fi
  if [ "$started" = 1 ] && [ "${KEEP_CLUSTER:-0}" != 1 ]; then
    "$E2E_DIR/cluster/down.sh" || true
  else
    log "the control plane keeps running (KUBECONFIG=$KUBECONFIG_ADMIN); stop it with 'make cluster-down'"
  fi
  exit $rc
}
trap finish EXIT

cd "$REPO_DIR"
VODA_E2E_KUBECONFIG="$KUBECONFIG_ADMIN" VODA_E2E_KUBECTL="$STATE/bin/kubectl" VODA_E2E_HELM="$STATE/bin/helm" \
  "${CARGO:-cargo}" test --test e2e -- --ignored --test-threads=1 "$@"
