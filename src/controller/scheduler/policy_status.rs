//! The SchedulerPolicy's status, written beside the loop. The loop used to wait for
//! this write at the end of every round that changed a count, and with hundreds of
//! jobs arriving that was most of each round (0.1–0.6 s on a busy API server),
//! time in which new arrivals waited. Only the latest status matters, so the
//! writer skips any it had no time to write.

use std::time::Duration;

use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::crd::SchedulerPolicy;

use super::field_manager;

pub struct PolicyStatusWriter {
    latest: watch::Sender<Value>,
}

impl PolicyStatusWriter {
    pub fn start(client: Client, gpu_type: String) -> Self {
        let (latest, rx) = watch::channel(Value::Null);
        tokio::spawn(run(client, gpu_type, rx));
        Self { latest }
    }

    /// Report `status`; written unless it equals what was last written.
    pub fn set(&self, status: Value) {
        self.latest.send_replace(status);
    }
}

async fn run(client: Client, gpu_type: String, mut latest: watch::Receiver<Value>) {
    let api: Api<SchedulerPolicy> = Api::all(client);
    let pp = PatchParams::apply(&field_manager(&gpu_type)).force();
    let mut written = Value::Null;
    while latest.changed().await.is_ok() {
        let status = latest.borrow_and_update().clone();
        if status == written {
            continue;
        }
        let body = json!({
            "apiVersion": "vodascheduler.io/v1alpha1",
            "kind": "SchedulerPolicy",
            "status": status,
        });
        match api.patch_status(&gpu_type, &pp, &Patch::Apply(&body)).await {
            Ok(_) => written = status,
            // No policy (deleted): written when it is back and the loop reports again.
            Err(kube::Error::Api(e)) if e.code == 404 => written = Value::Null,
            Err(e) => {
                tracing::warn!("policy status: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                latest.mark_changed();
            }
        }
    }
}
