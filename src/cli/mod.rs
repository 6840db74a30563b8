//! Subcommands of the `voda-scheduler` binary.
