#!/usr/bin/env bash
# `make demo`: the local control plane, the CRDs and policies, the manager and a
# scheduler per GPU type, and a handful of jobs you can watch being scheduled.
# The cluster and the voda-scheduler processes keep running afterwards.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/cluster/lib.sh"
DEMO_DIR="$REPO_DIR/demo"
NS=voda-scheduler

KUBECONFIG_ADMIN="$("$E2E_DIR/cluster/up.sh" | tail -n1)"
export KUBECONFIG="$KUBECONFIG_ADMIN"
kubectl() { "$STATE/bin/kubectl" "$@"; }

log "building voda-scheduler"
(cd "$REPO_DIR" && "${CARGO:-cargo}" build --quiet --bin voda-scheduler)
BIN="${CARGO_TARGET_DIR:-$REPO_DIR/target}/debug/voda-scheduler"

# A previous demo's processes and jobs make way for this one.
for f in "$STATE"/pids/voda-*.pid; do
  [ -e "$f" ] || continue
  kill -TERM "$(cat "$f")" 2>/dev/null || true
  rm -f "$f"
done
kubectl apply --server-side -f "$REPO_DIR/examples/00-namespace.yaml" >/dev/null
kubectl delete trainingjobs -n "$NS" --all --wait=true >/dev/null
kubectl apply --server-side --force-conflicts -f "$DEMO_DIR/policies.yaml" >/dev/null

start() { # name args...
  local name=$1; shift
  setsid "$BIN" "$@" >"$STATE/logs/voda-$name.log" 2>&1 < /dev/null 8>&- 9>&- &
  echo $! >"$STATE/pids/voda-$name.pid"
}
start manager manager --listen 127.0.0.1:55587
start scheduler-nvidia-gtx-1080ti scheduler --gpu-type nvidia-gtx-1080ti --listen 127.0.0.1:55588
start scheduler-nvidia-tesla-v100 scheduler --gpu-type nvidia-tesla-v100 --listen 127.0.0.1:55589
for port in 55587 55588 55589; do
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
    sleep 0.2
  done
done
log "manager on :55587, schedulers on :55588 (nvidia-gtx-1080ti) and :55589 (nvidia-tesla-v100)"

echo
echo "Jobs arrive over the next 20 seconds; each one's training 'finishes' 30-50 s after"
echo "its launcher starts. Watch them wait, start, scale and complete"
echo "(kubectl get trainingjobs -n $NS --watch):"
echo
kubectl get trainingjobs -n "$NS" --watch &
watch_pid=$!
trap 'kill $watch_pid 2>/dev/null || true' EXIT
kubectl apply -f "$DEMO_DIR/1-resnet-a.yaml" -f "$DEMO_DIR/4-gpt-d.yaml" >/dev/null
sleep 10
kubectl apply -f "$DEMO_DIR/2-bert-b.yaml" -f "$DEMO_DIR/5-vit-e.yaml" >/dev/null
sleep 10
kubectl apply -f "$DEMO_DIR/3-mnist-c.yaml" >/dev/null

deadline=$((SECONDS + ${DEMO_SECONDS:-300}))
while [ $SECONDS -lt $deadline ]; do
  phases="$(kubectl get trainingjobs -n "$NS" -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}')"
  if [ -n "$phases" ] && ! grep -qvE '^(Completed|Failed)$' <<<"$phases"; then break; fi
  sleep 2
done
sleep 1
kill $watch_pid 2>/dev/null || true
echo
kubectl get trainingjobs -n "$NS"
echo
kubectl get schedulerpolicies
cat <<EOT

The cluster and the voda-scheduler processes keep running. Look around:
  export KUBECONFIG=$KUBECONFIG_ADMIN
  $STATE/bin/kubectl get trainingjobs -A        # or: kubectl describe tj -n $NS resnet-a
  $STATE/bin/kubectl get events -n $NS --sort-by=.lastTimestamp
  curl -s localhost:55588/metrics | grep voda_scheduler
  logs: $STATE/logs/voda-*.log
Submit your own: kubectl apply -f examples/tensorflow2-keras-mnist-elastic.yaml
Tear it all down: make cluster-down
EOT
