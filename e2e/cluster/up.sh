#!/usr/bin/env bash
# Start the local control plane (see e2e/README.md): etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok and the MPI operator as host
# processes on loopback, fake GPU nodes, the MPIJob CRD and this repo's crds/.
# The last line printed is the path of the admin kubeconfig.
#
# Env:
#   NODES            node pools "type:count:gpus[:cpu:memory] ..."
#                    (default "nvidia-gtx-1080ti:2:4 nvidia-tesla-v100:2:8")
#   VODA_CACHE       binaries and state (default ~/.cache/voda-scheduler)
#   VODA_CLUSTER     cluster name, for a second cluster next to the first (default "default")
#   VODA_PORT_BASE   first of the loopback ports (default 46400; see lib.sh)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_cmds openssl:openssl curl:curl flock:util-linux setsid:util-linux

start_all=$SECONDS
BIN="$("$E2E_DIR/cluster/build-tools.sh" | tail -n1)"
[ -x "$BIN/kube-apiserver" ] || die "tools are not complete (see the build output above)"
mkdir -p "$STATE"
exec 8>"$STATE.lock"
flock -w 300 8 || die "another cluster-up/cluster-down of $STATE has been running for 5 minutes (lock $STATE.lock)"

KUBECONFIG_ADMIN="$STATE/admin.kubeconfig"
kubectl() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }

# ---- is one running already? -------------------------------------------------
if [ -d "$STATE/pids" ] && compgen -G "$STATE/pids/*.pid" >/dev/null; then
  alive=() dead=()
  for c in "${COMPONENTS[@]}"; do
    if component_alive "$c"; then alive+=("$c"); else dead+=("$c"); fi
  done
  if [ ${#dead[@]} -eq 0 ] && apiserver_ready; then
    log "a cluster is already running in $STATE (ports from $VODA_PORT_BASE); reusing it"
    if [ "$(readlink "$STATE/bin")" != "$BIN" ]; then
      log "note: it runs the binaries of $(readlink "$STATE/bin"), not of the current pins ($BIN); 'make cluster-down cluster-up' switches"
    fi
    install_crds
    log "ready (reused) in $((SECONDS - start_all))s"
    echo "$KUBECONFIG_ADMIN"
    exit 0
  fi
  if [ ${#alive[@]} -gt 0 ]; then
    die "the cluster in $STATE is only partly running: ${dead[*]:-apiserver not ready} down, ${alive[*]} up (logs in $STATE/logs). Run 'make cluster-down' (e2e/cluster/down.sh) and 'make cluster-up' again."
  fi
  log "removing the state of a cluster that is no longer running ($STATE)"
  clean_state
  mkdir -p "$STATE"
fi

for p in "$PORT_ETCD" "$PORT_ETCD_PEER" "$PORT_APISERVER" "$PORT_KCM" "$PORT_SCHEDULER" "$PORT_MPI_OPERATOR"; do
  if port_in_use "$p"; then
    clean_state
    die "127.0.0.1:$p is already in use by another program; pick other ports with VODA_PORT_BASE=<n> (uses n+43..n+81)"
  fi
done

mkdir -p "$STATE"/{pids,logs,pki,etcd}
ln -sfn "$BIN" "$STATE/bin"

# ---- PKI ---------------------------------------------------------------------
PKI="$STATE/pki"
log "generating certificates in $PKI"
gen_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
gen_key "$PKI/ca.key"
openssl req -x509 -new -key "$PKI/ca.key" -sha256 -days 3650 -subj "/CN=voda-e2e-ca" -out "$PKI/ca.crt" 2>/dev/null
# sign NAME SUBJECT EXTFILE-LINES
sign() {
  local name="$1" subj="$2" ext="$3"
  gen_key "$PKI/$name.key"
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  printf '%b\n' "$ext" > "$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}
CLIENT_EXT='basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth'
sign apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:$SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
# The admin is in system:masters: full access, including impersonation of
# ServiceAccounts and users for RBAC tests.
sign admin "/O=system:masters/CN=voda-admin" "$CLIENT_EXT"
sign kube-controller-manager "/CN=system:kube-controller-manager" "$CLIENT_EXT"
sign kube-scheduler "/CN=system:kube-scheduler" "$CLIENT_EXT"
sign kwok "/O=system:masters/CN=kwok-controller" "$CLIENT_EXT"
sign mpi-operator "/O=system:masters/CN=mpi-operator" "$CLIENT_EXT"
# Front proxy (request header authentication), as kubeadm sets it up: the
# controller manager and scheduler expect it, and aggregated APIs need it.
gen_key "$PKI/front-proxy-ca.key"
openssl req -x509 -new -key "$PKI/front-proxy-ca.key" -sha256 -days 3650 -subj "/CN=voda-e2e-front-proxy-ca" -out "$PKI/front-proxy-ca.crt" 2>/dev/null
gen_key "$PKI/front-proxy-client.key"
openssl req -new -key "$PKI/front-proxy-client.key" -subj "/CN=front-proxy-client" 2>/dev/null |
  openssl x509 -req -CA "$PKI/front-proxy-ca.crt" -CAkey "$PKI/front-proxy-ca.key" -CAcreateserial -days 3650 -sha256 \
    -extfile <(printf '%b\n' "$CLIENT_EXT") -out "$PKI/front-proxy-client.crt" 2>/dev/null
gen_key "$PKI/sa.key"
openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null

# write_kubeconfig NAME USER
write_kubeconfig() {
  local name="$1" user="$2"
  cat > "$STATE/$name.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: voda-e2e
  cluster:
    server: https://127.0.0.1:$PORT_APISERVER
    certificate-authority-data: $(base64 -w0 < "$PKI/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 < "$PKI/$name.crt")
    client-key-data: $(base64 -w0 < "$PKI/$name.key")
contexts:
- name: voda-e2e
  context:
    cluster: voda-e2e
    user: $user
    namespace: default
current-context: voda-e2e
EOF
  chmod 600 "$STATE/$name.kubeconfig"
}
write_kubeconfig admin voda-admin
write_kubeconfig kube-controller-manager system:kube-controller-manager
write_kubeconfig kube-scheduler system:kube-scheduler
write_kubeconfig kwok kwok-controller
write_kubeconfig mpi-operator mpi-operator

cat > "$STATE/cluster.env" <<EOF
# The local control plane in $STATE (sourceable by sh).
VODA_E2E_KUBECONFIG=$KUBECONFIG_ADMIN
VODA_E2E_BIN=$BIN
VODA_E2E_KUBECTL=$BIN/kubectl
VODA_PORT_ETCD=$PORT_ETCD
VODA_PORT_APISERVER=$PORT_APISERVER
VODA_PORT_KUBE_CONTROLLER_MANAGER=$PORT_KCM
VODA_PORT_KUBE_SCHEDULER=$PORT_SCHEDULER
VODA_PORT_MPI_OPERATOR=$PORT_MPI_OPERATOR
EOF

# From here on a failure stops what was started, so no half cluster is left.
trap 'rc=$?; if [ $rc -ne 0 ]; then log "start-up failed; stopping what was started (logs were in $STATE/logs)"; tail_logs; "$E2E_DIR/cluster/down.sh" >/dev/null 2>&1 || true; fi' EXIT

# ---- processes ---------------------------------------------------------------
log "starting etcd on 127.0.0.1:$PORT_ETCD"
start_component etcd "$BIN/etcd" \
  --name=voda-e2e --data-dir="$STATE/etcd" \
  --listen-client-urls="http://127.0.0.1:$PORT_ETCD" --advertise-client-urls="http://127.0.0.1:$PORT_ETCD" \
  --listen-peer-urls="http://127.0.0.1:$PORT_ETCD_PEER" --initial-advertise-peer-urls="http://127.0.0.1:$PORT_ETCD_PEER" \
  --initial-cluster="voda-e2e=http://127.0.0.1:$PORT_ETCD_PEER" \
  --unsafe-no-fsync --quota-backend-bytes=2147483648 --log-level=warn
wait_until 60 "etcd health" curl -fsS "http://127.0.0.1:$PORT_ETCD/health"

# OwnerReferencesPermissionEnforcement (on in e.g. OpenShift) on top of the
# defaults: setting blockOwnerDeletion needs update on the owner's finalizers, so
# the chart's RBAC test fails as such clusters would if the scheduler needed it.
log "starting kube-apiserver on https://127.0.0.1:$PORT_APISERVER"
start_component kube-apiserver "$BIN/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$PORT_ETCD" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$PORT_APISERVER" \
  --cert-dir="$PKI/apiserver-generated" \
  --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --client-ca-file="$PKI/ca.crt" \
  --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --proxy-client-cert-file="$PKI/front-proxy-client.crt" --proxy-client-key-file="$PKI/front-proxy-client.key" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --authorization-mode=RBAC --allow-privileged=true \
  --enable-admission-plugins=OwnerReferencesPermissionEnforcement \
  --endpoint-reconciler-type=none \
  --profiling=false --v=1
wait_until 120 "kube-apiserver /readyz" apiserver_ready

log "starting kube-controller-manager and kube-scheduler"
start_component kube-controller-manager "$BIN/kube-controller-manager" \
  --kubeconfig="$STATE/kube-controller-manager.kubeconfig" \
  --authentication-kubeconfig="$STATE/kube-controller-manager.kubeconfig" \
  --authorization-kubeconfig="$STATE/kube-controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$PORT_KCM" --cert-dir="$PKI/kcm-generated" \
  --leader-elect=false --use-service-account-credentials=true \
  --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
  --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --kube-api-qps=100 --kube-api-burst=200 \
  --profiling=false --v=1
start_component kube-scheduler "$BIN/kube-scheduler" \
  --kubeconfig="$STATE/kube-scheduler.kubeconfig" \
  --authentication-kubeconfig="$STATE/kube-scheduler.kubeconfig" \
  --authorization-kubeconfig="$STATE/kube-scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$PORT_SCHEDULER" --cert-dir="$PKI/scheduler-generated" \
  --leader-elect=false --profiling=false --v=1

# kwok: its default node stages (initialize, heartbeat with lease) and its pod
# stages pod-ready and pod-delete, straight from the module, plus ours for
# finishing pods (kwok-stages.yaml) instead of its pod-complete.
KWOK_STAGES="$(tool_module_dir kwok sigs.k8s.io/kwok)/kustomize/stage"
for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
         pod/fast/pod-ready.yaml pod/fast/pod-delete.yaml; do
  cat "$KWOK_STAGES/$f"; echo "---"
done > "$STATE/kwok.yaml"
cat "$E2E_DIR/cluster/kwok-stages.yaml" >> "$STATE/kwok.yaml"
log "starting kwok"
start_component kwok "$BIN/kwok" \
  --kubeconfig="$STATE/kwok.kubeconfig" --config="$STATE/kwok.yaml" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --cidr=10.244.0.1/16 --node-ip=10.255.0.1 --node-lease-duration-seconds=40 -v=INFO

wait_until 60 "kube-controller-manager /healthz" curl -fsSk "https://127.0.0.1:$PORT_KCM/healthz"
wait_until 60 "kube-scheduler /healthz" curl -fsSk "https://127.0.0.1:$PORT_SCHEDULER/healthz"

install_crds

log "starting the MPI operator"
MPI_OPERATOR_HEALTH_ADDR="127.0.0.1:$PORT_MPI_OPERATOR" KUBECONFIG="" start_component mpi-operator "$BIN/mpi-operator" \
  --kubeConfig="$STATE/mpi-operator.kubeconfig" --lock-namespace=kube-system \
  --threadiness=4 --kube-api-qps=50 --kube-api-burst=100 --v=2
wait_until 60 "mpi-operator /healthz" curl -fsS "http://127.0.0.1:$PORT_MPI_OPERATOR/healthz"
wait_until 60 "mpi-operator leader lease" sh -c "'$BIN/kubectl' --kubeconfig '$KUBECONFIG_ADMIN' -n kube-system get lease mpi-operator -o jsonpath='{.spec.holderIdentity}' 2>/dev/null | grep -q ."

# ---- nodes -------------------------------------------------------------------
"$E2E_DIR/cluster/nodes.sh" ${NODES:+"$NODES"}

wait_until 60 "the default ServiceAccount" kubectl -n default get serviceaccount default

trap - EXIT
log "ready in $((SECONDS - start_all))s; kubeconfig (admin, system:masters):"
echo "$KUBECONFIG_ADMIN"
