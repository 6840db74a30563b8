#!/usr/bin/env bash
# Create (or update) fake GPU nodes that kwok runs, on the running local
# control plane. Idempotent: nodes are named <type>-<index>.
#   nodes.sh ["type:count:gpus[:cpu:memory] ..."]
# default: $NODES, else "nvidia-gtx-1080ti:2:4 nvidia-tesla-v100:2:8"
# Examples:
#   e2e/cluster/nodes.sh "nvidia-tesla-a100:1:8"        # add one 8-GPU A100 node
#   e2e/cluster/nodes.sh "nvidia-tesla-v100:4:8:64:512Gi"
# Delete nodes with kubectl: kubectl delete node nvidia-tesla-a100-0
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SPEC="${1:-${NODES:-nvidia-gtx-1080ti:2:4 nvidia-tesla-v100:2:8}}"
KUBECONFIG_ADMIN="$STATE/admin.kubeconfig"
[ -f "$KUBECONFIG_ADMIN" ] || die "no local control plane in $STATE; run 'make cluster-up' first"
k=("$STATE/bin/kubectl" --kubeconfig "$KUBECONFIG_ADMIN")

manifest="$(mktemp)"; trap 'rm -f "$manifest"' EXIT
names=()
for pool in $SPEC; do
  IFS=: read -r type count gpus cpu mem <<<"$pool"
  [[ "$type" =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ ]] || die "node pool '$pool': type must be a DNS-1123 name"
  [[ "$count" =~ ^[0-9]+$ && "$gpus" =~ ^[0-9]+$ ]] || die "node pool '$pool': want type:count:gpus[:cpu:memory]"
  cpu="${cpu:-32}" mem="${mem:-256Gi}"
  for ((i = 0; i < count; i++)); do
    name="$type-$i"; names+=("$name")
    cat >> "$manifest" <<YAML
---
apiVersion: v1
kind: Node
metadata:
  name: $name
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/arch: amd64
    kubernetes.io/os: linux
    kubernetes.io/hostname: $name
    vodascheduler/accelerator: $type
spec: {}
status:
  allocatable: {cpu: "$cpu", memory: "$mem", pods: "110", nvidia.com/gpu: "$gpus"}
  capacity: {cpu: "$cpu", memory: "$mem", pods: "110", nvidia.com/gpu: "$gpus"}
  nodeInfo:
    architecture: amd64
    kubeletVersion: fake
    operatingSystem: linux
YAML
  done
done
[ ${#names[@]} -gt 0 ] || { log "no nodes requested"; exit 0; }
"${k[@]}" apply -f "$manifest" >/dev/null
# kwok fills in the status (Ready, addresses, heartbeats). apply does not
# update the status of a node that already exists, so set the GPUs there too.
for pool in $SPEC; do
  IFS=: read -r type count gpus cpu mem <<<"$pool"
  cpu="${cpu:-32}" mem="${mem:-256Gi}"
  for ((i = 0; i < count; i++)); do
    "${k[@]}" patch node "$type-$i" --subresource=status --type=merge \
      -p "{\"status\":{\"allocatable\":{\"cpu\":\"$cpu\",\"memory\":\"$mem\",\"pods\":\"110\",\"nvidia.com/gpu\":\"$gpus\"},\"capacity\":{\"cpu\":\"$cpu\",\"memory\":\"$mem\",\"pods\":\"110\",\"nvidia.com/gpu\":\"$gpus\"}}}" >/dev/null
  done
done
"${k[@]}" wait --for=condition=Ready --timeout=60s "${names[@]/#/node/}" >/dev/null
log "nodes Ready: ${names[*]}"
