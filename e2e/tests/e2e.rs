//! Integration tests on the real local control plane (see e2e/README.md).

mod compat;
