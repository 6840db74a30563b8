//go:build tools

// Package tools records the commands built from this module; it is never compiled.
package tools

import (
	_ "github.com/kubeflow/mpi-operator/cmd/mpi-operator"
)
