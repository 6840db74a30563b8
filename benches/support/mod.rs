//! What the benches on the local control plane share: how they start, skip
//! without a cluster, read their knobs and connect.

use std::future::Future;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

/// A knob from the environment, or its default.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Run `bench` with the kubeconfig in `VODA_E2E_KUBECONFIG`. Without `--bench`
/// (`cargo test --all-targets` runs bench binaries that way) or without a
/// kubeconfig it says why it does nothing and succeeds.
pub fn main_on_cluster<F, Fut>(name: &str, bench: F) -> Result<()>
where
    F: FnOnce(PathBuf) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    if !std::env::args().any(|a| a == "--bench") {
        println!(
            "{name}: a benchmark on the local control plane; run it with `cargo bench --bench {name}`"
        );
        return Ok(());
    }
    let Some(kubeconfig) = std::env::var_os("VODA_E2E_KUBECONFIG").filter(|v| !v.is_empty()) else {
        println!(
            "{name}: skipped: set VODA_E2E_KUBECONFIG to the local control plane's kubeconfig (make cluster-up prints it)"
        );
        return Ok(());
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench(kubeconfig.into()))
}

/// A client for the cluster of this kubeconfig.
pub async fn client(kubeconfig: &Path) -> Result<Client> {
    let kc = Kubeconfig::read_from(kubeconfig).context("reading the kubeconfig")?;
    let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?;
    Ok(Client::try_from(config)?)
}
