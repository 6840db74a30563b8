//! The progress credential of a TrainingJob: a Secret, owned by the job, holding a
//! random token and the URL to report to. The manager creates it; the MPIJob's
//! launcher gets both as environment variables (`secretKeyRef`), so only the job
//! itself can report its progress, and deleting the job deletes the credential.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::Resource;
use kube::api::ObjectMeta;

use super::labels;
use crate::crd::TrainingJob;

/// Label on every progress credential, so the manager watches only these Secrets.
pub const CREDENTIAL_LABEL: &str = "vodascheduler.io/progress-credential";
/// Secret key of the token.
pub const TOKEN_KEY: &str = "token";
/// Secret key of the report URL.
pub const URL_KEY: &str = "url";
/// Launcher environment variable with the token.
pub const TOKEN_ENV: &str = "VODA_PROGRESS_TOKEN";
/// Launcher environment variable with the report URL.
pub const URL_ENV: &str = "VODA_PROGRESS_URL";

/// Name of the credential Secret of job `name`.
pub fn secret_name(job_name: &str) -> String {
    format!("{job_name}-voda-progress")
}

/// The route a job reports to, relative to the manager's base URL.
pub fn report_path(namespace: &str, name: &str) -> String {
    format!("/training/{namespace}/{name}/progress")
}

/// The report URL of a job, given the manager's base URL as pods reach it.
pub fn report_url(base: &str, namespace: &str, name: &str) -> String {
    format!(
        "{}{}",
        base.trim_end_matches('/'),
        report_path(namespace, name)
    )
}

/// A fresh token: 32 random bytes from the operating system, hex-encoded.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The credential Secret of `job`; `None` if the job has no name, namespace or uid yet.
pub fn secret_for(job: &TrainingJob, token: &str, url: &str) -> Option<Secret> {
    let name = job.metadata.name.clone()?;
    let owner = job.controller_owner_ref(&())?;
    Some(Secret {
        metadata: ObjectMeta {
            name: Some(secret_name(&name)),
            namespace: job.metadata.namespace.clone(),
            labels: Some(BTreeMap::from([
                (CREDENTIAL_LABEL.to_owned(), "true".to_owned()),
                (labels::TRAINING_JOB.to_owned(), name),
            ])),
            owner_references: Some(vec![owner]),
            ..Default::default()
        },
        type_: Some("Opaque".to_owned()),
        data: Some(BTreeMap::from([
            (TOKEN_KEY.to_owned(), ByteString(token.as_bytes().to_vec())),
            (URL_KEY.to_owned(), ByteString(url.as_bytes().to_vec())),
        ])),
        ..Default::default()
    })
}

/// A value of the credential, if present and text.
pub fn value<'a>(secret: &'a Secret, key: &str) -> Option<&'a str> {
    let bytes = secret.data.as_ref()?.get(key)?;
    std::str::from_utf8(&bytes.0).ok()
}

/// Whether `secret` is the credential of this very job (not of an earlier job of the
/// same name whose Secret the garbage collector has not removed yet).
pub fn belongs_to(secret: &Secret, job: &TrainingJob) -> bool {
    let uid = job.metadata.uid.as_deref();
    uid.is_some()
        && secret
            .metadata
            .owner_references
            .iter()
            .flatten()
            .any(|o| o.kind == "TrainingJob" && Some(o.uid.as_str()) == uid)
}

/// Compare a presented token with the stored one in time that does not depend on
/// where they differ, so response times do not leak the token byte by byte.
pub fn token_matches(presented: &str, stored: &str) -> bool {
    use subtle::ConstantTimeEq;
    // Lengths are not secret (every token is 64 hex digits); ct_eq of slices of
    // different lengths is false.
    !stored.is_empty() && bool::from(presented.as_bytes().ct_eq(stored.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> TrainingJob {
        let text = include_str!("../../examples/tensorflow2-keras-mnist-elastic.yaml");
        let mut job: TrainingJob = serde_norway::from_str(text).expect("example parses");
        job.metadata.uid = Some("uid-1".into());
        job
    }

    #[test]
    fn tokens_are_random_and_64_hex_digits() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn the_secret_is_owned_by_the_job_and_holds_token_and_url() {
        let j = job();
        let url = report_url(
            "http://manager:55587/",
            "voda-scheduler",
            "tensorflow2-keras-mnist-elastic",
        );
        assert_eq!(
            url,
            "http://manager:55587/training/voda-scheduler/tensorflow2-keras-mnist-elastic/progress"
        );
        let s = secret_for(&j, "t0k", &url).unwrap();
        assert_eq!(
            s.metadata.name.as_deref(),
            Some("tensorflow2-keras-mnist-elastic-voda-progress")
        );
        assert_eq!(value(&s, TOKEN_KEY), Some("t0k"));
        assert_eq!(value(&s, URL_KEY), Some(url.as_str()));
        assert!(belongs_to(&s, &j));
        let mut other = job();
        other.metadata.uid = Some("uid-2".into());
        assert!(!belongs_to(&s, &other), "a same-named later job");
    }

    #[test]
    fn tokens_match_only_exactly() {
        assert!(token_matches("abc", "abc"));
        assert!(!token_matches("abd", "abc"));
        assert!(!token_matches("ab", "abc"));
        assert!(!token_matches("abcd", "abc"));
        assert!(!token_matches("", ""));
    }
}
