# Read by e2e/cluster/build-tools.sh; part of the cache key.
# mpi-operator v0.8.0 serves /healthz on ":8080" (all interfaces, fixed port,
# cmd/mpi-operator/app/server.go). The local control plane listens on loopback
# only and may run next to other clusters, so the build changes that one
# address in a copy of the module and builds with a `replace` to the copy (the
# module cache and go.mod stay untouched): 127.0.0.1:8080 by default, or
# $MPI_OPERATOR_HEALTH_ADDR.
PATCH_MODULE=github.com/kubeflow/mpi-operator
PATCH_FILE=cmd/mpi-operator/app/server.go
PATCH_SED='s|Addr:    fmt.Sprintf(":%d", healthCheckPort),|Addr:    vodaHealthAddr(healthCheckPort),|'
PATCH_APPEND='
// vodaHealthAddr is added by the voda-scheduler e2e build (e2e/tools/mpi-operator/patch.sh).
func vodaHealthAddr(port int) string {
	if a := os.Getenv("MPI_OPERATOR_HEALTH_ADDR"); a != "" {
		return a
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}'
