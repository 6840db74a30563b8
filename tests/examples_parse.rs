//! Every example manifest parses into the Rust types (the API server checks the rest
//! in the e2e tests).

use voda_scheduler::crd::{SchedulerPolicy, TrainingJob};

fn examples() -> Vec<(String, serde_json::Value)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("examples/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable example");
        let value: serde_json::Value =
            serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out.push((path.display().to_string(), value));
    }
    out
}

#[test]
fn examples_are_valid_resources() {
    let mut jobs = 0;
    let mut policies = 0;
    for (path, value) in examples() {
        match value["kind"].as_str() {
            Some("TrainingJob") => {
                let job: TrainingJob =
                    serde_json::from_value(value).unwrap_or_else(|e| panic!("{path}: {e}"));
                let w = job.spec.workers;
                assert!(1 <= w.min && w.min <= w.max, "{path}: bad worker bounds");
                jobs += 1;
            }
            Some("SchedulerPolicy") => {
                let _: SchedulerPolicy =
                    serde_json::from_value(value).unwrap_or_else(|e| panic!("{path}: {e}"));
                policies += 1;
            }
            Some("Namespace") => {}
            other => panic!("{path}: unexpected kind {other:?}"),
        }
    }
    assert!(jobs >= 2, "an elastic and a non-elastic job");
    assert_eq!(policies, 2, "one policy per default GPU type");
}

#[test]
fn the_legacy_mnist_job_keeps_its_settings() {
    let (_, value) = examples()
        .into_iter()
        .find(|(p, _)| p.ends_with("tensorflow2-keras-mnist-elastic.yaml"))
        .expect("the legacy example is there");
    let job: TrainingJob = serde_json::from_value(value).expect("parses");
    assert_eq!(job.spec.gpu_type, "nvidia-gtx-1080ti");
    assert_eq!((job.spec.workers.min, job.spec.workers.max), (1, 8));
    assert_eq!(job.spec.epochs, Some(150));
}
