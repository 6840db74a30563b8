//! `voda-scheduler allocate`: "what would the scheduler do?" for one JSON case.
//!
//! Input numbers are read as JSON numbers and checked here, so that every error
//! names the field (`jobs[2].workers.min`) instead of a serde position.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::core::algorithms::{Algorithm, Params};
use crate::core::job::{JobInfo, Speedup, WorkerRange};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawCase {
    algorithm: String,
    gpus: f64,
    compaction_threshold: Option<f64>,
    jobs: Vec<RawJob>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawJob {
    name: String,
    submit_time: f64,
    #[serde(default)]
    first_start_time: Option<f64>,
    #[serde(default)]
    queue: Option<f64>,
    workers: RawWorkers,
    #[serde(default)]
    remaining_seconds: Option<f64>,
    #[serde(default)]
    speedup: Option<Vec<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkers {
    min: f64,
    max: f64,
    requested: Option<f64>,
}

/// A validated case, ready for the core.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub algorithm: Algorithm,
    pub gpus: u32,
    pub params: Params,
    pub jobs: Vec<JobInfo>,
}

#[derive(Serialize, Debug, PartialEq)]
pub struct Output {
    pub allocation: BTreeMap<String, u32>,
}

/// Why a case was refused; the message names the offending field.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("malformed input: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Invalid(String),
}

fn invalid(msg: impl Into<String>) -> InputError {
    InputError::Invalid(msg.into())
}

fn finite_non_negative(field: &str, v: f64) -> Result<f64, InputError> {
    if !v.is_finite() || v < 0.0 {
        return Err(invalid(format!(
            "{field} must be a finite number ≥ 0, got {v}"
        )));
    }
    Ok(v)
}

fn whole(field: &str, v: f64, least: u32) -> Result<u32, InputError> {
    if !v.is_finite() || v.fract() != 0.0 || v < f64::from(least) || v > f64::from(u32::MAX) {
        return Err(invalid(format!(
            "{field} must be a whole number ≥ {least}, got {v}"
        )));
    }
    // Checked above: integral and within u32.
    Ok(v as u32)
}

/// Parse and validate one case.
pub fn parse(input: &str) -> Result<Case, InputError> {
    let raw: RawCase = serde_json::from_str(input)?;
    let algorithm = raw
        .algorithm
        .parse::<Algorithm>()
        .map_err(|e| invalid(format!("algorithm: {e}")))?;
    let gpus = whole("gpus", raw.gpus, 0)?;
    let compaction_threshold = match raw.compaction_threshold {
        Some(v) => whole("compactionThreshold", v, 0)?,
        None => Params::default().compaction_threshold,
    };
    let mut seen = HashSet::new();
    let mut jobs = Vec::with_capacity(raw.jobs.len());
    for (i, j) in raw.jobs.into_iter().enumerate() {
        let at = |f: &str| format!("jobs[{i}].{f}");
        if j.name.is_empty() {
            return Err(invalid(format!("{}: must not be empty", at("name"))));
        }
        if !seen.insert(j.name.clone()) {
            return Err(invalid(format!("duplicate job name {:?}", j.name)));
        }
        let min = whole(&at("workers.min"), j.workers.min, 1)?;
        let max = whole(&at("workers.max"), j.workers.max, 1)?;
        if min > max {
            return Err(invalid(format!("{}: min {min} > max {max}", at("workers"))));
        }
        let requested = match j.workers.requested {
            Some(v) => whole(&at("workers.requested"), v, 1)?,
            None => min,
        };
        if !(min..=max).contains(&requested) {
            return Err(invalid(format!(
                "{}: requested {requested} is outside [min {min}, max {max}]",
                at("workers")
            )));
        }
        let speedup = match j.speedup {
            None => Speedup::linear(),
            Some(table) => {
                for (k, v) in table.iter().enumerate() {
                    finite_non_negative(&at(&format!("speedup[{k}]")), *v)?;
                }
                Speedup(table)
            }
        };
        jobs.push(JobInfo {
            submit_time: finite_non_negative(&at("submitTime"), j.submit_time)?,
            first_start_time: j
                .first_start_time
                .map(|v| finite_non_negative(&at("firstStartTime"), v))
                .transpose()?,
            queue: j
                .queue
                .map(|v| whole(&at("queue"), v, 0))
                .transpose()?
                .unwrap_or(0),
            workers: WorkerRange {
                min,
                max,
                requested,
            },
            remaining_seconds: j
                .remaining_seconds
                .map(|v| finite_non_negative(&at("remainingSeconds"), v))
                .transpose()?
                .unwrap_or(0.0),
            speedup,
            name: j.name,
        });
    }
    Ok(Case {
        algorithm,
        gpus,
        params: Params {
            compaction_threshold,
        },
        jobs,
    })
}

/// Run the core on a validated case.
pub fn run(case: &Case) -> Output {
    let workers = case.algorithm.allocate(case.gpus, &case.jobs, &case.params);
    Output {
        allocation: case
            .jobs
            .iter()
            .zip(workers)
            .map(|(j, w)| (j.name.clone(), w))
            .collect(),
    }
}

/// The whole command on a string: JSON output, or the one-line error.
pub fn allocate_json(input: &str) -> Result<String, InputError> {
    let case = parse(input)?;
    Ok(serde_json::to_string(&run(&case))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(input: &str) -> String {
        allocate_json(input).unwrap_err().to_string()
    }

    const JOB: &str = r#"{"name":"a","submitTime":0,"workers":{"min":1,"max":4}}"#;

    #[test]
    fn defaults_fill_in() {
        let case = parse(&format!(
            r#"{{"algorithm":"FIFO","gpus":4,"jobs":[{JOB}]}}"#
        ))
        .unwrap();
        let j = &case.jobs[0];
        assert_eq!(j.workers.requested, 1);
        assert_eq!(j.queue, 0);
        assert_eq!(j.remaining_seconds, 0.0);
        assert_eq!(j.first_start_time, None);
        assert_eq!(j.speedup, Speedup::linear());
        assert_eq!(case.params.compaction_threshold, 10);
    }

    #[test]
    fn every_input_job_is_in_the_output() {
        let out = allocate_json(&format!(
            r#"{{"algorithm":"FIFO","gpus":0,"jobs":[{JOB},{}]}}"#,
            JOB.replace("\"a\"", "\"b\"")
        ))
        .unwrap();
        assert_eq!(out, r#"{"allocation":{"a":0,"b":0}}"#);
    }

    #[test]
    fn unknown_algorithm_lists_valid_names() {
        let e = err(r#"{"algorithm":"LIFO","gpus":4,"jobs":[]}"#);
        assert!(e.contains("\"LIFO\""), "{e}");
        for a in Algorithm::ALL {
            assert!(e.contains(a.as_str()), "{e}");
        }
    }

    #[test]
    fn bad_inputs_name_the_field() {
        let cases = [
            (
                r#"{"algorithm":"FIFO","gpus":4,"jobs":["#.to_string(),
                "malformed input",
            ),
            (
                r#"{"algorithm":"FIFO","gpus":-1,"jobs":[]}"#.to_string(),
                "gpus",
            ),
            (
                r#"{"algorithm":"FIFO","gpus":2.5,"jobs":[]}"#.to_string(),
                "gpus",
            ),
            (
                r#"{"algorithm":"FIFO","gpus":4,"gpu":4,"jobs":[]}"#.to_string(),
                "unknown field `gpu`",
            ),
            (
                format!(r#"{{"algorithm":"FIFO","gpus":4,"jobs":[{JOB},{JOB}]}}"#),
                "duplicate job name \"a\"",
            ),
            (
                JOB.replace(r#""max":4"#, r#""max":0"#),
                "jobs[0].workers.max",
            ),
            (
                JOB.replace(r#""min":1,"max":4"#, r#""min":5,"max":4"#),
                "jobs[0].workers: min 5 > max 4",
            ),
            (
                JOB.replace(r#""max":4"#, r#""max":4,"requested":9"#),
                "requested 9 is outside [min 1, max 4]",
            ),
            (
                JOB.replace(r#""submitTime":0"#, r#""submitTime":-3"#),
                "jobs[0].submitTime",
            ),
            (
                JOB.replace(
                    r#""submitTime":0"#,
                    r#""submitTime":0,"remainingSeconds":-1"#,
                ),
                "jobs[0].remainingSeconds",
            ),
            (
                JOB.replace(r#""submitTime":0"#, r#""submitTime":0,"speedup":[0,1,-2]"#),
                "jobs[0].speedup[2]",
            ),
            (
                JOB.replace(r#""submitTime":0"#, r#""submitTime":1e999"#),
                "malformed input",
            ),
        ];
        for (input, want) in cases {
            let input = if input.starts_with(r#"{"name""#) {
                format!(r#"{{"algorithm":"FIFO","gpus":4,"jobs":[{input}]}}"#)
            } else {
                input
            };
            let e = err(&input);
            assert!(e.contains(want), "input {input}: got {e:?}, want {want:?}");
            assert!(!e.contains('\n'), "one line: {e:?}");
        }
    }
}
