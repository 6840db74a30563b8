//! Job names: the `-YYYYMMDD-hhmmss` suffix the old training service added, and the
//! length limit that keeps every object the MPI operator derives from a name valid.
//!
//! A TrainingJob name only has to be a DNS-1123 subdomain (253 characters), but the
//! MPIJob it runs has the same name, and mpi-operator v2beta1 derives from it:
//!
//! - a headless Service named `<name>` (a DNS-1035 label: ≤ 63, starts with a letter),
//! - the launcher batch Job and pod hostname `<name>-launcher` (a DNS label, and the
//!   value of the Job's pod labels, both ≤ 63),
//! - worker pods with hostname `<name>-worker-<i>` for i up to replicas − 1; the
//!   operator's own validation rejects the MPIJob unless `<name>-worker-<replicas−1>` is
//!   a DNS-1035 label (`validateMPIJobName`),
//! - the label value `training.kubeflow.org/job-name=<name>` (≤ 63).
//!
//! So the longest name is 63 minus the longest derived suffix, which depends on how many
//! workers the job may get (`workers.max`): 54 characters up to 10 workers, 53 up to
//! 100, 52 up to 1,000, 51 up to 4,096 (the CRD's ceiling). Refusing such names when
//! the job is posted beats a job that is accepted and then can never start.

use jiff::Timestamp;

/// Longest DNS label (RFC 1035/1123).
pub const DNS_LABEL_MAX: usize = 63;
/// Longest DNS subdomain, the limit of most Kubernetes object names.
pub const DNS_SUBDOMAIN_MAX: usize = 253;
/// `-YYYYMMDD-hhmmss`.
pub const SUFFIX_LEN: usize = 16;

const LAUNCHER_SUFFIX: &str = "-launcher";
const WORKER_INFIX: &str = "-worker-";

/// The suffix for a job created at `now`: `-YYYYMMDD-hhmmss`, UTC, 24-hour clock.
pub fn timestamp_suffix(now: Timestamp) -> String {
    // Timestamp formats in UTC, so the name does not depend on the server's zone.
    now.strftime("-%Y%m%d-%H%M%S").to_string()
}

/// The name a job posted as `base` at `now` gets.
pub fn suffixed_name(base: &str, now: Timestamp) -> String {
    format!("{base}{}", timestamp_suffix(now))
}

/// Longest final (suffixed) name for a job that may get up to `max_workers` workers.
pub fn max_name_len(max_workers: u32) -> usize {
    let highest_index = max_workers.saturating_sub(1);
    let worker = WORKER_INFIX.len() + decimal_digits(highest_index);
    DNS_LABEL_MAX - worker.max(LAUNCHER_SUFFIX.len())
}

/// Longest base name (before the suffix) for a job with up to `max_workers` workers.
pub fn max_base_len(max_workers: u32) -> usize {
    max_name_len(max_workers) - SUFFIX_LEN
}

fn decimal_digits(n: u32) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// Why a base name cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the job has no name: set metadata.name")]
    Empty,
    #[error(
        "job name {0:?} is not valid: use lower-case letters, digits and '-', starting with a letter (the MPI operator names a Service after the job)"
    )]
    Invalid(String),
    #[error(
        "job name {name:?} is too long: with the -YYYYMMDD-hhmmss suffix it would have {len} characters, but a job with up to {max_workers} workers may have at most {limit} (the MPI operator derives '<name>-worker-{highest}' and '<name>-launcher', which must fit in 63); use at most {base_limit} characters"
    )]
    TooLong {
        name: String,
        len: usize,
        max_workers: u32,
        limit: usize,
        highest: u32,
        base_limit: usize,
    },
}

/// Checks that `base` with the suffix makes a name the MPI operator can run.
pub fn check_base_name(base: &str, max_workers: u32) -> Result<(), NameError> {
    if base.is_empty() {
        return Err(NameError::Empty);
    }
    // DNS-1035 label start (the Service), then letters, digits and '-'. The suffix ends
    // in a digit, so a trailing '-' in the base is still a valid label.
    let mut chars = base.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !starts_with_letter || !rest_ok {
        return Err(NameError::Invalid(base.to_owned()));
    }
    let limit = max_name_len(max_workers);
    let len = base.len() + SUFFIX_LEN;
    if len > limit {
        return Err(NameError::TooLong {
            name: base.to_owned(),
            len,
            max_workers,
            limit,
            highest: max_workers.saturating_sub(1),
            base_limit: limit - SUFFIX_LEN,
        });
    }
    Ok(())
}

/// Whether `name` is a syntactically valid Kubernetes object name (DNS-1123
/// subdomain), so it can be put in a URL path without surprises.
pub fn is_dns_subdomain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= DNS_SUBDOMAIN_MAX
        && name.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b.iter()
                    .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        })
}

/// Whether `name` is a DNS-1123 label (≤ 63), as GPU types (node label values and
/// SchedulerPolicy names) must be.
pub fn is_dns_label(name: &str) -> bool {
    name.len() <= DNS_LABEL_MAX && !name.contains('.') && is_dns_subdomain(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("test timestamp")
    }

    #[test]
    fn suffix_is_utc_24_hour() {
        assert_eq!(
            timestamp_suffix(at("2022-10-19T16:56:48Z")),
            "-20221019-165648"
        );
        // An offset in the input does not leak into the name: this is 04:56:48 UTC.
        assert_eq!(
            timestamp_suffix(at("2022-10-19T06:56:48+02:00")),
            "-20221019-045648"
        );
        assert_eq!(
            suffixed_name(
                "tensorflow2-keras-mnist-elastic",
                at("2022-10-19T04:56:48.999Z")
            ),
            "tensorflow2-keras-mnist-elastic-20221019-045648"
        );
        assert_eq!(
            timestamp_suffix(at("2022-10-19T04:56:48Z")).len(),
            SUFFIX_LEN
        );
    }

    #[test]
    fn limit_follows_the_worker_hostnames() {
        // <name>-launcher (9) dominates <name>-worker-N while N has one digit.
        assert_eq!(max_name_len(1), 54);
        assert_eq!(max_name_len(8), 54);
        assert_eq!(max_name_len(10), 54);
        assert_eq!(max_name_len(11), 53); // -worker-10
        assert_eq!(max_name_len(100), 53); // -worker-99
        assert_eq!(max_name_len(101), 52);
        assert_eq!(max_name_len(4096), 51); // -worker-4095
        assert_eq!(max_base_len(8), 38);
        assert_eq!(max_base_len(4096), 35);
        // Degenerate input does not underflow.
        assert_eq!(max_name_len(0), 54);
        assert_eq!(max_name_len(u32::MAX), 63 - 8 - 10);
    }

    #[test]
    fn longest_allowed_name_makes_valid_derived_names() {
        for max in [1, 9, 10, 11, 99, 100, 101, 4096] {
            let base = "a".repeat(max_base_len(max));
            assert_eq!(check_base_name(&base, max), Ok(()));
            let name = format!("{base}-20221019-045648");
            assert!(format!("{name}-worker-{}", max - 1).len() <= 63, "{max}");
            assert!(format!("{name}-launcher").len() <= 63, "{max}");
            let longer = format!("{base}b");
            assert!(matches!(
                check_base_name(&longer, max),
                Err(NameError::TooLong { .. })
            ));
        }
    }

    #[test]
    fn names_must_be_dns_1035_labels() {
        assert_eq!(check_base_name("", 1), Err(NameError::Empty));
        for bad in ["1job", "-job", "Job", "my.job", "my_job", "job name", "jöb"] {
            assert_eq!(
                check_base_name(bad, 1),
                Err(NameError::Invalid(bad.to_owned())),
                "{bad}"
            );
        }
        for good in ["job", "j", "job-1", "job-"] {
            assert_eq!(check_base_name(good, 1), Ok(()), "{good}");
        }
    }

    #[test]
    fn too_long_message_says_what_to_do() {
        let base = "x".repeat(39);
        let err = check_base_name(&base, 8).expect_err("39 + 16 > 54");
        let msg = err.to_string();
        assert!(msg.contains("55 characters"), "{msg}");
        assert!(msg.contains("at most 54"), "{msg}");
        assert!(msg.contains("use at most 38 characters"), "{msg}");
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn subdomain_and_label_checks() {
        assert!(is_dns_subdomain("a-b.c"));
        assert!(is_dns_subdomain(&"a".repeat(253)));
        assert!(!is_dns_subdomain(&"a".repeat(254)));
        for bad in ["", "A", "a..b", ".a", "a-", "-a", "a/b", "a b", "\"a\""] {
            assert!(!is_dns_subdomain(bad), "{bad}");
        }
        assert!(is_dns_label("nvidia-gtx-1080ti"));
        assert!(!is_dns_label("a.b"));
        assert!(!is_dns_label(&"a".repeat(64)));
    }
}
