//go:build tools

// Package tools records the commands built from this module; it is never compiled.
package tools

import (
	_ "sigs.k8s.io/kwok/cmd/kwok"
)
