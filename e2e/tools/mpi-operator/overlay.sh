# Read by e2e/cluster/build-tools.sh; part of the cache key.
# mpi-operator v0.8.0 serves /healthz on ":8080" (all interfaces, fixed port,
# cmd/mpi-operator/app/server.go). The local control plane listens on loopback
# only and may run next to other clusters, so the build swaps that one address
# through `go build -overlay` (the module source itself is untouched):
# 127.0.0.1:8080 by default, or $MPI_OPERATOR_HEALTH_ADDR.
OVERLAY_MODULE=github.com/kubeflow/mpi-operator
OVERLAY_FILE=cmd/mpi-operator/app/server.go
OVERLAY_SED='s|Addr:    fmt.Sprintf(":%d", healthCheckPort),|Addr:    vodaHealthAddr(healthCheckPort),|'
OVERLAY_APPEND='
// vodaHealthAddr is added by the voda-scheduler e2e build (e2e/tools/mpi-operator/overlay.sh).
func vodaHealthAddr(port int) string {
	if a := os.Getenv("MPI_OPERATOR_HEALTH_ADDR"); a != "" {
		return a
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}'
