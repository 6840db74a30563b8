# Shared settings for the local control plane scripts; sourced, not run.
# shellcheck shell=bash

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_DIR="$(cd "$E2E_DIR/.." && pwd)"
TOOLS_SRC="$E2E_DIR/tools"
VODA_CACHE="${VODA_CACHE:-$HOME/.cache/voda-scheduler}"
# The order the tools are built in: what the control plane needs first.
TOOLS=(etcd kubernetes kwok mpi-operator helm)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Cache key of one tool: its pins (go.mod, go.sum), what it builds (tools.go,
# build.conf, patch.sh) and the Go toolchain. A pin change gives a new key and a rebuild.
tool_key() {
  local t="$1"
  { cat "$TOOLS_SRC/$t/go.mod" "$TOOLS_SRC/$t/go.sum" "$TOOLS_SRC/$t/tools.go" "$TOOLS_SRC/$t/build.conf"
    if [ -f "$TOOLS_SRC/$t/patch.sh" ]; then echo patch; cat "$TOOLS_SRC/$t/patch.sh"; fi
    go env GOVERSION GOOS GOARCH; } | sha256sum | cut -c1-12
}

# Directory holding the binaries of one tool, built or not.
tool_dir() { echo "$VODA_CACHE/tools/$1-$(tool_key "$1")"; }

# Directory with a symlink to every binary (KUBEBUILDER_ASSETS points here).
bin_dir() {
  local key
  key="$(for t in "${TOOLS[@]}"; do tool_key "$t"; done | sha256sum | cut -c1-12)"
  echo "$VODA_CACHE/bin-$key"
}

# Install Debian packages for commands that are missing (root only).
need_cmds() {
  local missing=() c pkg
  for c in "$@"; do
    pkg="${c#*:}"; c="${c%%:*}"
    command -v "$c" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing ${missing[*]}"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
      || die "could not install ${missing[*]}"
  else
    die "missing commands; install the Debian packages: ${missing[*]}"
  fi
}

# ---- the running cluster -----------------------------------------------------
VODA_CLUSTER="${VODA_CLUSTER:-default}"
STATE="$VODA_CACHE/clusters/$VODA_CLUSTER"
# Fixed loopback ports, VODA_PORT_BASE + offset (defaults in brackets).
VODA_PORT_BASE="${VODA_PORT_BASE:-46400}"
PORT_APISERVER=$((VODA_PORT_BASE + 43))     # [46443] kube-apiserver (https)
PORT_KCM=$((VODA_PORT_BASE + 57))           # [46457] kube-controller-manager /healthz (https)
PORT_SCHEDULER=$((VODA_PORT_BASE + 59))     # [46459] kube-scheduler /healthz (https)
PORT_ETCD=$((VODA_PORT_BASE + 79))          # [46479] etcd clients (http)
PORT_ETCD_PEER=$((VODA_PORT_BASE + 80))     # [46480] etcd peers (http)
PORT_MPI_OPERATOR=$((VODA_PORT_BASE + 81))  # [46481] mpi-operator /healthz (http)
SERVICE_CIDR=10.96.0.0/16
SERVICE_IP=10.96.0.1
# Start order; down.sh stops them in reverse.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok mpi-operator)

# Directory of a module in the module cache, downloading it if needed, at the
# version pinned in e2e/tools/<tool>/go.mod.
tool_module_dir() {
  (cd "$TOOLS_SRC/$1" && go mod download -json "$2" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
}

# start_component NAME BINARY ARGS...: runs in its own session, logs to
# $STATE/logs/NAME.log, pid in $STATE/pids/NAME.pid.
start_component() {
  local name="$1"; shift
  # (fds 8 and 9 are the scripts' locks: a component must not inherit them)
  setsid "$@" >"$STATE/logs/$name.log" 2>&1 < /dev/null 8>&- 9>&- &
  echo $! > "$STATE/pids/$name.pid"
}

# True when the process in NAME.pid is alive and is still the binary we started.
component_alive() {
  local f="$STATE/pids/$1.pid" pid exe
  [ -f "$f" ] || return 1
  pid="$(cat "$f")"
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
  [ "$(basename "${exe% (deleted)}")" = "$(basename "$(component_binary "$1")")" ]
}
component_binary() { echo "$1"; }

apiserver_ready() {
  curl -fsS --max-time 5 --cacert "$STATE/pki/ca.crt" --cert "$STATE/pki/admin.crt" --key "$STATE/pki/admin.key" \
    "https://127.0.0.1:$PORT_APISERVER/readyz" >/dev/null 2>&1
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_until SECONDS WHAT COMMAND...: polls COMMAND every 0.5 s.
wait_until() {
  local timeout="$1" what="$2" t0=$SECONDS; shift 2
  until "$@" >/dev/null 2>&1; do
    if [ $((SECONDS - t0)) -ge "$timeout" ]; then die "timed out after ${timeout}s waiting for $what"; fi
    for c in "${COMPONENTS[@]}"; do
      if [ -f "$STATE/pids/$c.pid" ] && ! component_alive "$c"; then
        die "$c exited while waiting for $what (log: $STATE/logs/$c.log)"
      fi
    done
    sleep 0.5
  done
  log "$what: ok ($((SECONDS - t0))s)"
}

tail_logs() {
  for c in "${COMPONENTS[@]}"; do
    [ -s "$STATE/logs/$c.log" ] || continue
    echo "---- last lines of $STATE/logs/$c.log" >&2
    tail -n 15 "$STATE/logs/$c.log" >&2
  done
}

clean_state() { rm -rf "$STATE"; rm -f "$STATE.lock"; }

# The MPIJob CRD, from the mpi-operator module in the module cache, and this
# repository's crds/; waits until all are Established.
install_crds() {
  local k=("$BIN/kubectl" --kubeconfig "$KUBECONFIG_ADMIN") files=()
  files+=("$(tool_module_dir mpi-operator github.com/kubeflow/mpi-operator)/manifests/base/kubeflow.org_mpijobs.yaml")
  if compgen -G "$REPO_DIR/crds/*.yaml" >/dev/null; then files+=("$REPO_DIR"/crds/*.yaml); fi
  local args=() f
  for f in "${files[@]}"; do args+=(-f "$f"); done
  log "installing CRDs: ${files[*]#"$REPO_DIR/"}"
  "${k[@]}" apply --server-side --force-conflicts --field-manager=voda-e2e "${args[@]}" >/dev/null
  # (kubectl wait fails at once while a new CRD has no conditions yet.)
  wait_until 60 "CRDs Established" "${k[@]}" wait --for=condition=Established --timeout=10s "${args[@]}"
}
