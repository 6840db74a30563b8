//! Per-job time accounting (DESIGN §4), kept as totals up to a timestamp plus
//! the state the job has been in since.
//!
//! Totals change only on transitions (start, resize, halt, stop), so status is
//! written only then; "time so far" at any `now` is derived by adding the time
//! since the last transition, without mutating anything. Times are seconds on
//! the caller's clock (the controller uses Unix time, the simulator its own).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What the job's clock is counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Clock {
    /// Waiting for GPUs (submitted or halted).
    #[default]
    Waiting,
    /// Running on `workers` GPUs.
    Running,
    /// Completed or failed: nothing accrues any more.
    Stopped,
}

/// Time so far, all in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Times {
    pub running_seconds: f64,
    pub waiting_seconds: f64,
    /// Running seconds × workers.
    pub gpu_seconds: f64,
    /// Running + waiting: the job's age until it stops.
    pub total_seconds: f64,
    /// Reset when the job starts (Tiresias demotion, promotion).
    pub running_seconds_since_start: f64,
    /// Reset when the job starts (Tiresias demotion).
    pub gpu_seconds_since_start: f64,
    /// Reset when the job is halted (Tiresias promotion).
    pub waiting_seconds_since_halt: f64,
}

/// Everything needed to rebuild a job's accounting after a restart: the totals
/// as of `asOf`, and what has been accruing since. Stored in TrainingJob status.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountingSnapshot {
    /// Seconds; the totals below are exact at this instant.
    pub as_of: f64,
    pub clock: Clock,
    /// Workers while `clock` is `running`, else 0.
    pub workers: u32,
    pub running_seconds: f64,
    pub waiting_seconds: f64,
    pub gpu_seconds: f64,
    pub running_seconds_since_start: f64,
    pub gpu_seconds_since_start: f64,
    pub waiting_seconds_since_halt: f64,
}

/// A job's time accounting.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Accounting(AccountingSnapshot);

impl Accounting {
    /// A job waiting since `submit_time`.
    pub fn waiting_since(submit_time: f64) -> Self {
        Self(AccountingSnapshot {
            as_of: submit_time,
            ..AccountingSnapshot::default()
        })
    }

    pub fn from_snapshot(snapshot: AccountingSnapshot) -> Self {
        let mut s = snapshot;
        if s.clock != Clock::Running {
            s.workers = 0;
        }
        Self(s)
    }

    pub fn snapshot(&self) -> AccountingSnapshot {
        self.0
    }

    pub fn clock(&self) -> Clock {
        self.0.clock
    }

    /// Workers being counted (0 unless running).
    pub fn workers(&self) -> u32 {
        self.0.workers
    }

    /// Time so far at `now`. A `now` before the last transition reads as that
    /// transition: time never runs backwards here.
    pub fn times(&self, now: f64) -> Times {
        let s = self.advanced(now);
        Times {
            running_seconds: s.running_seconds,
            waiting_seconds: s.waiting_seconds,
            gpu_seconds: s.gpu_seconds,
            total_seconds: s.running_seconds + s.waiting_seconds,
            running_seconds_since_start: s.running_seconds_since_start,
            gpu_seconds_since_start: s.gpu_seconds_since_start,
            waiting_seconds_since_halt: s.waiting_seconds_since_halt,
        }
    }

    /// The job starts on `workers` GPUs (from waiting).
    pub fn start(&mut self, now: f64, workers: u32) {
        self.0 = self.advanced(now);
        self.0.running_seconds_since_start = 0.0;
        self.0.gpu_seconds_since_start = 0.0;
        self.0.clock = Clock::Running;
        self.0.workers = workers;
    }

    /// A running job scales in or out; nothing resets.
    pub fn resize(&mut self, now: f64, workers: u32) {
        self.0 = self.advanced(now);
        self.0.workers = workers;
    }

    /// The job is halted and waits again.
    pub fn halt(&mut self, now: f64) {
        self.0 = self.advanced(now);
        self.0.waiting_seconds_since_halt = 0.0;
        self.0.clock = Clock::Waiting;
        self.0.workers = 0;
    }

    /// The job completed or failed.
    pub fn stop(&mut self, now: f64) {
        self.0 = self.advanced(now);
        self.0.clock = Clock::Stopped;
        self.0.workers = 0;
    }

    fn advanced(&self, now: f64) -> AccountingSnapshot {
        let mut s = self.0;
        // `max` also turns a NaN difference into 0.
        let dt = (now - s.as_of).max(0.0);
        match s.clock {
            Clock::Running => {
                let gpu = dt * f64::from(s.workers);
                s.running_seconds += dt;
                s.running_seconds_since_start += dt;
                s.gpu_seconds += gpu;
                s.gpu_seconds_since_start += gpu;
            }
            Clock::Waiting => {
                s.waiting_seconds += dt;
                s.waiting_seconds_since_halt += dt;
            }
            Clock::Stopped => {}
        }
        s.as_of = s.as_of.max(now);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_run_halt_run_complete() {
        let mut a = Accounting::waiting_since(100.0);
        assert_eq!(a.times(110.0).waiting_seconds, 10.0);

        a.start(120.0, 2); // waited 20
        a.resize(130.0, 4); // 10 s on 2 GPUs
        a.halt(140.0); // 10 s on 4 GPUs
        let t = a.times(140.0);
        assert_eq!(t.running_seconds, 20.0);
        assert_eq!(t.gpu_seconds, 60.0);
        assert_eq!(t.waiting_seconds, 20.0);

        a.start(170.0, 1); // waited 30 more
        a.stop(180.0); // 10 s on 1 GPU
        let done = a.times(180.0);
        assert_eq!(
            done,
            Times {
                running_seconds: 30.0,
                waiting_seconds: 50.0,
                gpu_seconds: 70.0,
                total_seconds: 80.0,
                running_seconds_since_start: 10.0,
                gpu_seconds_since_start: 10.0,
                waiting_seconds_since_halt: 30.0,
            }
        );
        // Nothing accrues after the job stops.
        assert_eq!(a.times(1_000.0), done);
        assert_eq!(a.clock(), Clock::Stopped);
        assert_eq!(a.workers(), 0);
    }

    #[test]
    fn since_last_start_and_since_last_halt_reset() {
        let mut a = Accounting::waiting_since(0.0);
        a.start(10.0, 2);
        a.halt(20.0);
        // Halting resets waiting-since-halt but keeps the last run's numbers.
        let t = a.times(25.0);
        assert_eq!(t.waiting_seconds_since_halt, 5.0);
        assert_eq!(t.waiting_seconds, 15.0);
        assert_eq!(t.running_seconds_since_start, 10.0);
        assert_eq!(t.gpu_seconds_since_start, 20.0);
        // Starting resets the since-start numbers and freezes waiting-since-halt.
        a.start(30.0, 3);
        let t = a.times(32.0);
        assert_eq!(t.running_seconds_since_start, 2.0);
        assert_eq!(t.gpu_seconds_since_start, 6.0);
        assert_eq!(t.waiting_seconds_since_halt, 10.0);
        assert_eq!(t.running_seconds, 12.0);
        assert_eq!(t.gpu_seconds, 26.0);
    }

    #[test]
    fn deriving_times_does_not_mutate_and_never_runs_backwards() {
        let mut a = Accounting::waiting_since(50.0);
        a.start(60.0, 2);
        let before = a;
        assert_eq!(a.times(100.0).gpu_seconds, 80.0);
        assert_eq!(a, before);
        assert_eq!(a.times(40.0), a.times(60.0));
        // A late event (timestamp before the last transition) adds nothing.
        a.halt(55.0);
        assert_eq!(a.times(60.0).running_seconds, 0.0);
        assert_eq!(a.times(f64::NAN), a.times(60.0));
    }

    #[test]
    fn rebuilding_from_a_snapshot_gives_identical_times() {
        let mut a = Accounting::waiting_since(1_000.0);
        a.start(1_030.5, 4);
        a.resize(1_100.25, 2);
        let json = serde_json::to_string(&a.snapshot()).unwrap();
        assert!(json.contains("\"asOf\":1100.25"), "{json}");
        assert!(json.contains("\"clock\":\"running\""), "{json}");
        assert!(json.contains("\"gpuSecondsSinceStart\""), "{json}");
        let back = Accounting::from_snapshot(serde_json::from_str(&json).unwrap());
        for now in [1_100.25, 1_234.0, 99_999.0] {
            assert_eq!(back.times(now), a.times(now));
        }
    }
}
