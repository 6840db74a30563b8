#!/usr/bin/env bash
# Stop every process of the local control plane that up.sh started (by the
# pids it recorded) and remove its state (etcd data, certificates, logs).
# Set KEEP_LOGS=1 to keep $STATE/logs (copied to $STATE.logs).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ ! -d "$STATE" ]; then
  log "no local control plane in $STATE"
  exit 0
fi
stopped=()
# Processes of this project started next to the cluster (make demo).
for f in "$STATE"/pids/voda-*.pid; do
  [ -e "$f" ] || continue
  kill -TERM "$(cat "$f")" 2>/dev/null || true
  stopped+=("$(basename "$f" .pid)")
done
for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
  c="${COMPONENTS[$i]}"
  if component_alive "$c"; then
    pid="$(cat "$STATE/pids/$c.pid")"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do component_alive "$c" || break; sleep 0.25; done
    if component_alive "$c"; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
    stopped+=("$c")
  fi
done
if [ "${KEEP_LOGS:-0}" = 1 ] && [ -d "$STATE/logs" ]; then
  rm -rf "$STATE.logs"; cp -r "$STATE/logs" "$STATE.logs"; log "logs kept in $STATE.logs"
fi
clean_state
log "stopped ${stopped[*]:-nothing (no process was running)}; removed $STATE"
