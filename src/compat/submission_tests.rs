//! Tests of `POST /training` parsing: both kinds, the conversion, naming, and every
//! bad-input row of the issue that is decided before the API server is asked.

use super::*;
use crate::crd::JobPhase;
use crate::workload::mpijob::CleanPodPolicy;

const LEGACY: &str = include_str!("../../examples/legacy/tensorflow2-keras-mnist-elastic.yaml");
const TRAINING_JOB: &str = include_str!("../../examples/tensorflow2-keras-mnist-elastic.yaml");
const NS: &str = "voda-scheduler";

fn now() -> Timestamp {
    "2022-10-19T04:56:48Z".parse().expect("timestamp")
}

fn build(body: &str) -> Result<TrainingJob, SubmitError> {
    parse(body.as_bytes()).and_then(|s| s.into_training_job(NS, now()))
}

fn launcher_env(job: &TrainingJob) -> Vec<(String, Option<String>)> {
    job.spec
        .mpi_job
        .mpi_replica_specs
        .launcher
        .template
        .spec
        .as_ref()
        .expect("pod spec")
        .containers[0]
        .env
        .iter()
        .flatten()
        .map(|e| (e.name.clone(), e.value.clone()))
        .collect()
}

#[test]
fn legacy_mpijob_converts() {
    let job = build(LEGACY).expect("the legacy example is accepted");
    assert_eq!(
        job.metadata.name.as_deref(),
        Some("tensorflow2-keras-mnist-elastic-20221019-045648")
    );
    assert_eq!(job.metadata.namespace.as_deref(), Some(NS));
    let spec = &job.spec;
    assert_eq!(spec.gpu_type, "nvidia-gtx-1080ti");
    assert_eq!(
        spec.workers,
        WorkerBounds {
            min: 1,
            max: 8,
            requested: None
        }
    );
    assert_eq!(spec.epochs, Some(150));
    assert_eq!(spec.priority, None);
    assert_eq!(spec.category, None);
    let mpi = &spec.mpi_job;
    assert_eq!(mpi.slots_per_worker, Some(1));
    assert_eq!(
        mpi.run_policy.as_ref().and_then(|r| r.clean_pod_policy),
        Some(CleanPodPolicy::Running)
    );
    assert_eq!(mpi.mpi_replica_specs.launcher.replicas, Some(1));
    assert_eq!(
        mpi.mpi_replica_specs.launcher.restart_policy.as_deref(),
        Some("OnFailure")
    );
    // The scheduler owns the worker count: the legacy `replicas: 2` is gone.
    assert_eq!(mpi.mpi_replica_specs.worker.replicas, None);
    // JOB_NAME now matches the job; the other env the command line uses is kept.
    let env = launcher_env(&job);
    assert!(env.contains(&(
        "JOB_NAME".into(),
        Some("tensorflow2-keras-mnist-elastic-20221019-045648".into())
    )));
    for name in ["NP", "MIN_NP", "MAX_NP", "EPOCHS"] {
        assert!(env.iter().any(|(n, _)| n == name), "{name} kept");
    }
    assert_eq!(env.iter().filter(|(n, _)| n == "JOB_NAME").count(), 1);
    // Volumes and the worker's nodeSelector are carried over as written.
    let worker = mpi
        .mpi_replica_specs
        .worker
        .template
        .spec
        .as_ref()
        .expect("worker");
    assert_eq!(
        worker
            .node_selector
            .as_ref()
            .and_then(|n| n.get("vodascheduler/accelerator"))
            .map(String::as_str),
        Some("nvidia-gtx-1080ti")
    );
    assert_eq!(
        worker.containers[0].volume_mounts.as_ref().map(Vec::len),
        Some(1)
    );
    // The whole thing is a valid TrainingJob as far as its Rust type goes.
    let round_trip: TrainingJob =
        serde_json::from_value(serde_json::to_value(&job).expect("serialises")).expect("parses");
    assert_eq!(round_trip.spec, job.spec);
    assert_eq!(round_trip.metadata, job.metadata);
}

#[test]
fn legacy_long_spelling_and_v1_run_policy() {
    let body = LEGACY
        .replace("{name: NP, value: \"1\"}", "{name: NUM_PROC, value: \"2\"}")
        .replace(
            "{name: MIN_NP, value: \"1\"}",
            "{name: MIN_NUM_PROC, value: \"1\"}",
        )
        .replace(
            "{name: MAX_NP, value: \"8\"}",
            "{name: MAX_NUM_PROC, value: \"4\"}",
        )
        .replace(
            "{name: EPOCHS, value: \"150\"}",
            "{name: EPOCHS, value: \"10\"}\n            - {name: JOB_PRIORITY, value: \"2\"}",
        )
        .replace(
            "cleanPodPolicy: Running",
            "cleanPodPolicy: All\n  runPolicy: {backoffLimit: 3}",
        );
    let job = build(&body).expect("accepted");
    assert_eq!(
        job.spec.workers,
        WorkerBounds {
            min: 1,
            max: 4,
            requested: Some(2)
        }
    );
    assert_eq!((job.spec.epochs, job.spec.priority), (Some(10), Some(2)));
    let rp = job.spec.mpi_job.run_policy.expect("run policy");
    assert_eq!(rp.clean_pod_policy, Some(CleanPodPolicy::All));
    assert_eq!(rp.backoff_limit, Some(3));
}

#[test]
fn legacy_without_job_name_env_gets_one() {
    let body = LEGACY.replace(
        "            - {name: JOB_NAME, value: \"tensorflow2-keras-mnist-elastic\"}\n",
        "",
    );
    assert!(!body.contains("JOB_NAME, value"));
    let job = build(&body).expect("accepted");
    let env = launcher_env(&job);
    assert_eq!(
        env.last(),
        Some(&(
            "JOB_NAME".to_owned(),
            Some("tensorflow2-keras-mnist-elastic-20221019-045648".to_owned())
        ))
    );
}

#[test]
fn legacy_main_container_moves_first_and_restart_policy_maps() {
    let body = LEGACY
        .replace("cleanPodPolicy: Running", "cleanPodPolicy: Running\n  mainContainer: mpi-launcher")
        .replace("restartPolicy: OnFailure", "restartPolicy: ExitCode")
        .replace(
            "          containers:\n          - name: mpi-launcher",
            "          containers:\n          - {name: sidecar, image: busybox}\n          - name: mpi-launcher",
        );
    let job = build(&body).expect("accepted");
    let launcher = &job.spec.mpi_job.mpi_replica_specs.launcher;
    assert_eq!(launcher.restart_policy.as_deref(), Some("OnFailure"));
    let names: Vec<&str> = launcher
        .template
        .spec
        .as_ref()
        .expect("spec")
        .containers
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["mpi-launcher", "sidecar"]);
}

#[test]
fn training_job_gets_the_suffix_and_job_name() {
    let job = build(TRAINING_JOB).expect("the TrainingJob example is accepted");
    assert_eq!(
        job.metadata.name.as_deref(),
        Some("tensorflow2-keras-mnist-elastic-20221019-045648")
    );
    assert_eq!(job.spec.gpu_type, "nvidia-gtx-1080ti");
    assert_eq!(job.spec.workers.max, 8);
    assert!(launcher_env(&job).contains(&(
        "JOB_NAME".into(),
        Some("tensorflow2-keras-mnist-elastic-20221019-045648".into())
    )));
    assert!(job.status.is_none());
}

#[test]
fn posted_status_and_server_fields_are_dropped() {
    let body = TRAINING_JOB.replace(
        "  namespace: voda-scheduler\n",
        "  namespace: voda-scheduler\n  resourceVersion: \"42\"\n  uid: abc\n  labels: {team: vision}\n  annotations: {kubectl.kubernetes.io/last-applied-configuration: '{}', note: kept}\n",
    ) + "status:\n  phase: Completed\n";
    let job = build(&body).expect("accepted");
    assert_eq!(job.metadata.resource_version, None);
    assert_eq!(job.metadata.uid, None);
    assert_eq!(
        job.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("team"))
            .map(String::as_str),
        Some("vision")
    );
    let ann = job.metadata.annotations.expect("annotations");
    assert_eq!(ann.len(), 1);
    assert_eq!(ann.get("note").map(String::as_str), Some("kept"));
    assert!(job.status.is_none_or(|s| s.phase == JobPhase::Submitted));
}

#[test]
fn namespace_may_be_left_out() {
    let body = LEGACY.replace("  namespace: voda-scheduler\n", "");
    let job = build(&body).expect("accepted");
    assert_eq!(job.metadata.namespace.as_deref(), Some(NS));
}

/// Every bad input of the issue that is caught before the API server: the error, and
/// that it is one line. (Nothing is written in these cases: `parse`/`into_training_job`
/// run before any request to the API server.)
#[test]
fn bad_inputs() {
    let long_name = format!("  name: {}\n", "a".repeat(39));
    let cases: Vec<(&str, String, &str)> = vec![
        ("empty body", "  \n".into(), "empty body"),
        ("malformed YAML", "apiVersion: [kubeflow.org/v1\nkind: MPIJob".into(), "malformed YAML"),
        ("malformed YAML (tabs)", "kind: MPIJob\n\tspec: {}".into(), "malformed YAML"),
        ("two documents", format!("{LEGACY}\n---\n{LEGACY}"), "malformed YAML"),
        ("a JSON string holding a path", "\"examples/yaml/tensorflow2/tensorflow2-keras-mnist-elastic.yaml\"".into(), "the server reads no files for a client"),
        ("a bare path", "/etc/passwd".into(), "the server reads no files for a client"),
        ("a number", "42".into(), "not a Kubernetes object"),
        ("a list", "- a\n- b".into(), "not a Kubernetes object"),
        ("no kind", "metadata: {name: x}".into(), "not a Kubernetes object"),
        ("another kind", LEGACY.replace("kind: MPIJob", "kind: TFJob"), "kind \"TFJob\" is neither MPIJob nor TrainingJob"),
        ("a Pod", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}".into(), "kind \"Pod\" is neither MPIJob nor TrainingJob"),
        ("old MPIJob version", LEGACY.replace("kubeflow.org/v1", "kubeflow.org/v1alpha2"), "apiVersion \"kubeflow.org/v1alpha2\" is not supported for kind MPIJob"),
        ("TrainingJob version", TRAINING_JOB.replace("vodascheduler.io/v1alpha1", "vodascheduler.io/v1"), "is not supported for kind TrainingJob"),
        ("no GPU type (MPIJob)", LEGACY.replace("          nodeSelector:\n            vodascheduler/accelerator: nvidia-gtx-1080ti\n", ""), "no GPU type"),
        ("no GPU type (TrainingJob)", TRAINING_JOB.replace("  gpuType: nvidia-gtx-1080ti\n", ""), "no GPU type"),
        ("empty GPU type", TRAINING_JOB.replace("gpuType: nvidia-gtx-1080ti", "gpuType: ''"), "no GPU type"),
        ("bad GPU type", LEGACY.replace("vodascheduler/accelerator: nvidia-gtx-1080ti", "vodascheduler/accelerator: Nvidia_GTX"), "not a valid GPU type name"),
        ("min > max (MPIJob)", LEGACY.replace("{name: MIN_NP, value: \"1\"}", "{name: MIN_NP, value: \"9\"}"), "launcher env MIN_NP (9) is greater than MAX_NP (8)"),
        ("min > max (TrainingJob)", TRAINING_JOB.replace("min: 1\n    max: 8", "min: 9\n    max: 8"), "spec.workers.min (9) is greater than spec.workers.max (8)"),
        ("requested out of range", TRAINING_JOB.replace("min: 1\n    max: 8", "min: 1\n    max: 8\n    requested: 9"), "spec.workers.requested is 9"),
        ("zero workers", TRAINING_JOB.replace("min: 1\n", "min: 0\n"), "spec.workers.min is 0"),
        ("worker replicas in a TrainingJob", TRAINING_JOB.replace("      Worker:\n", "      Worker:\n        replicas: 2\n"), "the scheduler sets the worker count"),
        ("launcher replicas", LEGACY.replace("    Launcher:\n      replicas: 1", "    Launcher:\n      replicas: 2"), "exactly 1 replica"),
        ("no launcher", LEGACY.replace("    Launcher:", "    Driver:"), "no Launcher"),
        ("non-numeric env", LEGACY.replace("{name: MAX_NP, value: \"8\"}", "{name: MAX_NP, value: \"eight\"}"), "launcher env MAX_NP is \"eight\""),
        ("no name", LEGACY.replace("  name: tensorflow2-keras-mnist-elastic\n", ""), "the job has no name"),
        ("name not a DNS label", LEGACY.replace("name: tensorflow2-keras-mnist-elastic\n", "name: TensorFlow2.mnist\n"), "is not valid"),
        ("name too long once suffixed", LEGACY.replace("  name: tensorflow2-keras-mnist-elastic\n", &long_name), "is too long"),
        ("another namespace", LEGACY.replace("namespace: voda-scheduler", "namespace: default"), "metadata.namespace is \"default\""),
        ("wrong field type", TRAINING_JOB.replace("epochs: 150", "epochs: many"), "malformed YAML: spec.epochs"),
    ];
    for (what, body, says) in cases {
        let err = build(&body).expect_err(what);
        let msg = err.to_string();
        assert!(
            msg.contains(says),
            "{what}: {msg:?} does not contain {says:?}"
        );
        let one_line = crate::compat::ApiError::bad_request(&msg);
        assert_eq!(one_line.status, axum::http::StatusCode::BAD_REQUEST);
        assert!(!one_line.message.contains('\n'), "{what}");
    }
}

#[test]
fn non_utf8_body() {
    assert_eq!(parse(&[0xff, 0xfe, b'a']), Err(SubmitError::NotUtf8));
}

#[test]
fn longest_name_accepted_one_more_refused() {
    // max 8 workers → final name ≤ 54, base ≤ 38.
    let ok = LEGACY.replace(
        "name: tensorflow2-keras-mnist-elastic\n",
        &format!("name: {}\n", "a".repeat(38)),
    );
    let job = build(&ok).expect("38 characters fit");
    assert_eq!(job.metadata.name.map(|n| n.len()), Some(54));
    let too_long = LEGACY.replace(
        "name: tensorflow2-keras-mnist-elastic\n",
        &format!("name: {}\n", "a".repeat(39)),
    );
    assert!(matches!(
        build(&too_long),
        Err(SubmitError::Name(NameError::TooLong { .. }))
    ));
}
