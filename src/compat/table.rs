//! The job table of `GET /training`, byte for byte in the old scheduler's layout. Pure.
//!
//! The old service printed `fmt.Sprintf("%-60s %-10s %-10d %-20s %-10s %-10s %-10s\n")`
//! per job, with times as Go's `time.Duration.Round(time.Second)`, rows sorted. Names
//! longer than their column push the rest of the row right instead of being cut, as
//! Go's `%-60s` did, so no name is ever shown truncated.

use jiff::Timestamp;

use crate::core::accounting::Accounting;
use crate::crd::{JobPhase, TrainingJob, TrainingJobStatus};
use crate::display::go_duration;

/// One line of the table, durations in seconds as of the moment it was built.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: String,
    pub status: JobPhase,
    pub workers: u32,
    pub scheduler: String,
    pub waiting_seconds: f64,
    pub running_seconds: f64,
}

impl Row {
    /// The row of `job` at `now`.
    ///
    /// Status is written on transitions only, so the scheduler's accounting is totals
    /// as of its last transition plus what its clock has been counting since; the core
    /// derives the time so far from that: a waiting job keeps waiting, a running job
    /// keeps running, a finished job's times are frozen. A job no scheduler has taken
    /// on yet has no accounting and has been waiting since it was submitted.
    pub fn of(job: &TrainingJob, now: Timestamp) -> Row {
        // Borrowed, not cloned: a table of thousands of jobs is built per request.
        let no_status = TrainingJobStatus::default();
        let status = job.status.as_ref().unwrap_or(&no_status);
        let (waiting, running) = match status.accounting {
            Some(snapshot) => {
                let t = Accounting::from_snapshot(snapshot).times(unix_seconds(now));
                (t.waiting_seconds, t.running_seconds)
            }
            None if status.phase.is_finished() => (0.0, 0.0),
            None => {
                let since = status
                    .submit_time
                    .as_ref()
                    .or(job.metadata.creation_timestamp.as_ref());
                (since.map_or(0.0, |t| seconds_between(t.0, now)), 0.0)
            }
        };
        Row {
            name: job.metadata.name.clone().unwrap_or_default(),
            status: status.phase,
            workers: status.workers,
            // A job no scheduler has picked up yet belongs to the one of its GPU type.
            scheduler: status
                .scheduler
                .as_deref()
                .filter(|s| !s.is_empty())
                .unwrap_or(&job.spec.gpu_type)
                .to_owned(),
            waiting_seconds: waiting,
            running_seconds: running,
        }
    }
}

/// Unix seconds, the clock the controller keeps accounting on.
fn unix_seconds(t: Timestamp) -> f64 {
    t.as_nanosecond() as f64 / 1e9
}

/// Seconds from `from` to `to`, never negative (clocks of different machines disagree
/// a little; a duration shown must not run backwards).
fn seconds_between(from: Timestamp, to: Timestamp) -> f64 {
    let nanos = to.as_nanosecond() - from.as_nanosecond();
    (nanos as f64 / 1e9).max(0.0)
}

fn phase_name(phase: JobPhase) -> &'static str {
    match phase {
        JobPhase::Submitted => "Submitted",
        JobPhase::Waiting => "Waiting",
        JobPhase::Running => "Running",
        JobPhase::Completed => "Completed",
        JobPhase::Failed => "Failed",
    }
}

/// The header line, as the old scheduler printed it.
pub fn header() -> String {
    line(
        "NAME",
        "STATUS",
        "WORKERS",
        "SCHEDULER",
        "WAITING",
        "RUNNING",
        "TOTAL",
    )
}

fn line(
    name: &str,
    status: &str,
    workers: &str,
    scheduler: &str,
    waiting: &str,
    running: &str,
    total: &str,
) -> String {
    format!(
        "{name:<60} {status:<10} {workers:<10} {scheduler:<20} {waiting:<10} {running:<10} {total:<10}\n"
    )
}

/// The whole table: header, then one line per row sorted by name.
pub fn render(mut rows: Vec<Row>) -> String {
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    // ~136 bytes a line; reserving avoids regrowing a 700 KB string for 5,000 jobs.
    let mut out = String::with_capacity((rows.len() + 1) * 140);
    out.push_str(&header());
    for r in &rows {
        // Total is the sum before rounding, then rounded, as Go rounded its total.
        let total = r.waiting_seconds + r.running_seconds;
        out.push_str(&line(
            &r.name,
            phase_name(r.status),
            &r.workers.to_string(),
            &r.scheduler,
            &go_duration(r.waiting_seconds),
            &go_duration(r.running_seconds),
            &go_duration(total),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::accounting::{AccountingSnapshot, Clock};

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("test timestamp")
    }

    fn job(name: &str, gpu: &str, status: Option<TrainingJobStatus>) -> TrainingJob {
        let yaml = format!(
            "apiVersion: vodascheduler.io/v1alpha1\nkind: TrainingJob\nmetadata: {{name: {name}, creationTimestamp: '2022-10-19T04:56:00Z'}}\nspec:\n  gpuType: {gpu}\n  workers: {{min: 1, max: 8}}\n  mpiJob:\n    mpiReplicaSpecs:\n      Launcher: {{template: {{spec: {{containers: [{{name: l, image: i}}]}}}}}}\n      Worker: {{template: {{spec: {{containers: [{{name: w, image: i}}]}}}}}}\n"
        );
        let mut j: TrainingJob = serde_norway::from_str(&yaml).expect("test job");
        j.status = status;
        j
    }

    /// A status as the scheduler writes it: totals as of `since`, and the clock the
    /// phase runs.
    fn status(
        phase: JobPhase,
        workers: u32,
        waiting: f64,
        running: f64,
        since: &str,
    ) -> TrainingJobStatus {
        let clock = match phase {
            JobPhase::Submitted | JobPhase::Waiting => Clock::Waiting,
            JobPhase::Running => Clock::Running,
            JobPhase::Completed | JobPhase::Failed => Clock::Stopped,
        };
        TrainingJobStatus {
            phase,
            workers,
            scheduler: Some("nvidia-gtx-1080ti".into()),
            accounting: Some(AccountingSnapshot {
                as_of: unix_seconds(ts(since)),
                clock,
                workers: if clock == Clock::Running { workers } else { 0 },
                waiting_seconds: waiting,
                running_seconds: running,
                ..AccountingSnapshot::default()
            }),
            ..TrainingJobStatus::default()
        }
    }

    #[test]
    fn seed_example_layout() {
        // The seed's job: running for 28 s on one worker, never waited.
        let j = job(
            "tensorflow2-keras-mnist-elastic-20221019-045648",
            "nvidia-gtx-1080ti",
            Some(status(
                JobPhase::Running,
                1,
                0.0,
                0.0,
                "2022-10-19T04:56:48Z",
            )),
        );
        let table = render(vec![Row::of(&j, ts("2022-10-19T04:57:16Z"))]);
        let want = concat!(
            "NAME                                                         STATUS     WORKERS    SCHEDULER            WAITING    RUNNING    TOTAL     \n",
            "tensorflow2-keras-mnist-elastic-20221019-045648              Running    1          nvidia-gtx-1080ti    0s         28s        28s       \n",
        );
        assert_eq!(table, want);
        // Column starts as in the seed: 0, 61, 72, 83, 104, 115, 126.
        let row = table.lines().nth(1).expect("row");
        for (col, text) in [
            (61, "Running"),
            (72, "1"),
            (83, "nvidia-gtx-1080ti"),
            (104, "0s"),
            (115, "28s"),
            (126, "28s"),
        ] {
            assert_eq!(&row[col..col + text.len()], text);
        }
    }

    #[test]
    fn empty_table_is_the_header() {
        assert_eq!(render(vec![]), header());
        assert_eq!(header().len(), 137);
    }

    #[test]
    fn rows_sorted_by_name() {
        let now = ts("2022-10-19T05:00:00Z");
        let rows = ["b", "a-b", "a", "c-20221019-045648", "a-a"]
            .into_iter()
            .map(|n| {
                Row::of(
                    &job(
                        n,
                        "g",
                        Some(status(
                            JobPhase::Waiting,
                            0,
                            0.0,
                            0.0,
                            "2022-10-19T05:00:00Z",
                        )),
                    ),
                    now,
                )
            })
            .collect();
        let names: Vec<String> = render(rows)
            .lines()
            .skip(1)
            .map(|l| l.split(' ').next().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(names, ["a", "a-a", "a-b", "b", "c-20221019-045648"]);
    }

    #[test]
    fn running_time_grows_while_running() {
        let j = job(
            "r",
            "g",
            Some(status(
                JobPhase::Running,
                4,
                30.0,
                60.0,
                "2022-10-19T05:00:00Z",
            )),
        );
        let r = Row::of(&j, ts("2022-10-19T05:01:05Z"));
        assert_eq!((r.waiting_seconds, r.running_seconds), (30.0, 125.0));
        assert_eq!(r.workers, 4);
        let line = render(vec![r]);
        assert!(line.contains(" 30s        2m5s       2m35s "), "{line}");
    }

    #[test]
    fn waiting_time_grows_while_waiting() {
        let j = job(
            "w",
            "g",
            Some(status(
                JobPhase::Waiting,
                0,
                10.0,
                3600.0,
                "2022-10-19T05:00:00Z",
            )),
        );
        let r = Row::of(&j, ts("2022-10-19T07:03:00Z"));
        assert_eq!((r.waiting_seconds, r.running_seconds), (7390.0, 3600.0));
        let line = render(vec![r]);
        assert!(line.contains("2h3m10s    1h0m0s     3h3m10s"), "{line}");
    }

    #[test]
    fn finished_jobs_are_frozen() {
        for phase in [JobPhase::Completed, JobPhase::Failed] {
            let j = job(
                "f",
                "g",
                Some(status(phase, 0, 5.0, 65.0, "2022-10-19T05:00:00Z")),
            );
            let r = Row::of(&j, ts("2022-10-20T05:00:00Z"));
            assert_eq!((r.waiting_seconds, r.running_seconds), (5.0, 65.0));
            assert!(render(vec![r]).contains("5s         1m5s       1m10s"));
        }
    }

    #[test]
    fn job_without_status_waits_since_creation_under_its_gpu_type() {
        let j = job("new", "nvidia-tesla-v100", None);
        let r = Row::of(&j, ts("2022-10-19T04:56:28Z"));
        assert_eq!(r.status, JobPhase::Submitted);
        assert_eq!(r.scheduler, "nvidia-tesla-v100");
        assert_eq!(r.waiting_seconds, 28.0);
        assert_eq!(r.workers, 0);
    }

    #[test]
    fn admitted_job_without_accounting_waits_since_submission() {
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
        let j = job(
            "admitted",
            "g",
            Some(TrainingJobStatus {
                phase: JobPhase::Waiting,
                submit_time: Some(Time(ts("2022-10-19T04:57:00Z"))),
                ..TrainingJobStatus::default()
            }),
        );
        let r = Row::of(&j, ts("2022-10-19T04:58:05Z"));
        assert_eq!((r.waiting_seconds, r.running_seconds), (65.0, 0.0));
        assert_eq!(r.scheduler, "g");
    }

    #[test]
    fn clock_skew_never_runs_backwards() {
        let j = job(
            "s",
            "g",
            Some(status(
                JobPhase::Running,
                1,
                0.0,
                10.0,
                "2022-10-19T05:00:10Z",
            )),
        );
        let r = Row::of(&j, ts("2022-10-19T05:00:00Z"));
        assert_eq!(r.running_seconds, 10.0);
    }

    #[test]
    fn total_rounds_the_sum_like_go() {
        let r = Row {
            name: "x".into(),
            status: JobPhase::Running,
            workers: 1,
            scheduler: "g".into(),
            waiting_seconds: 0.4,
            running_seconds: 0.4,
        };
        // Each rounds to 0s, their sum to 1s, as Go rounded three separate durations.
        assert!(render(vec![r]).contains("0s         0s         1s "));
    }

    #[test]
    fn long_names_push_the_row_right_instead_of_being_cut() {
        let name = "n".repeat(70);
        let j = job(
            &name,
            "g",
            Some(status(
                JobPhase::Waiting,
                0,
                0.0,
                0.0,
                "2022-10-19T05:00:00Z",
            )),
        );
        let table = render(vec![Row::of(&j, ts("2022-10-19T05:00:00Z"))]);
        assert!(table.contains(&format!("{name} Waiting    0 ")), "{table}");
    }
}
