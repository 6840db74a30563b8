//! The job model: how fast a job progresses on its workers, what a restart
//! costs, and when the job will finish.
//!
//! A job's work is its duration on one GPU. With `k` workers it progresses at
//! `s[k]` work-seconds per second, times `cross_node_factor` when its workers
//! span more than one node. Every start, rescale and migration restarts the
//! job (Horovod re-forms its ring and reloads a checkpoint): for
//! `restart_overhead` seconds it holds its GPUs but makes no progress. A halted
//! job keeps its progress (it resumes from its checkpoint).

use crate::core::job::Speedup;

/// The cluster-wide knobs of the job model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JobModel {
    /// Seconds without progress after every start, rescale and migration.
    pub restart_overhead: f64,
    /// Speed factor of a job whose workers span more than one node, in (0, 1].
    pub cross_node_factor: f64,
}

impl Default for JobModel {
    fn default() -> Self {
        Self {
            restart_overhead: 30.0,
            cross_node_factor: 0.9,
        }
    }
}

impl JobModel {
    pub fn validate(&self) -> Result<(), String> {
        if !(self.restart_overhead.is_finite() && self.restart_overhead >= 0.0) {
            return Err(format!(
                "restart overhead {} must be finite and ≥ 0",
                self.restart_overhead
            ));
        }
        if !(self.cross_node_factor > 0.0 && self.cross_node_factor <= 1.0) {
            return Err(format!(
                "cross-node factor {} is outside (0, 1]",
                self.cross_node_factor
            ));
        }
        Ok(())
    }

    /// Work-seconds per second on `workers` GPUs.
    pub fn speed(&self, speedup: &Speedup, workers: u32, cross_node: bool) -> f64 {
        let factor = if cross_node {
            self.cross_node_factor
        } else {
            1.0
        };
        speedup.at(workers) * factor
    }
}

/// How far one job has got. Progress is brought up to date lazily, at the
/// times the engine touches the job, like the core's time accounting.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    work: f64,
    done: f64,
    /// Work-seconds per second once the restart is over; 0 while halted.
    speed: f64,
    /// No progress before this time (the restart overhead).
    restart_until: f64,
    /// `done` is exact at this time.
    as_of: f64,
}

impl Progress {
    /// A job with `work` one-GPU seconds to do, not running, at `now`.
    pub fn new(work: f64, now: f64) -> Self {
        Self {
            work,
            done: 0.0,
            speed: 0.0,
            restart_until: now,
            as_of: now,
        }
    }

    /// One-GPU seconds left (as of the last update).
    pub fn remaining(&self) -> f64 {
        (self.work - self.done).max(0.0)
    }

    /// Bring `done` up to `now`.
    pub fn advance(&mut self, now: f64) {
        if now <= self.as_of {
            return;
        }
        let from = self.as_of.max(self.restart_until);
        if self.speed > 0.0 && now > from {
            self.done = (self.done + (now - from) * self.speed).min(self.work);
        }
        self.as_of = now;
    }

    /// The job (re)starts at `now` on a new configuration: after `overhead`
    /// seconds it runs at `speed`. A restart during a restart starts over.
    pub fn restart(&mut self, now: f64, speed: f64, overhead: f64) {
        self.advance(now);
        self.speed = speed;
        self.restart_until = now + overhead;
    }

    /// The job's speed changes at `now` without a restart.
    pub fn set_speed(&mut self, now: f64, speed: f64) {
        self.advance(now);
        self.speed = speed;
    }

    /// The job is halted at `now`; it keeps what it has done.
    pub fn halt(&mut self, now: f64) {
        self.advance(now);
        self.speed = 0.0;
        self.restart_until = now;
    }

    /// When the job finishes if nothing changes; `None` while halted.
    pub fn finish_time(&self) -> Option<f64> {
        (self.speed > 0.0)
            .then(|| self.as_of.max(self.restart_until) + self.remaining() / self.speed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_pays_the_overhead_then_runs_at_its_speed() {
        let mut p = Progress::new(400.0, 0.0);
        assert_eq!(p.finish_time(), None);
        p.restart(10.0, 4.0, 30.0);
        // 30 s of restart, then 400 / 4 = 100 s.
        assert_eq!(p.finish_time(), Some(140.0));
        p.advance(40.0);
        assert_eq!(p.remaining(), 400.0);
        p.advance(90.0);
        assert_eq!(p.remaining(), 200.0);
        assert_eq!(p.finish_time(), Some(140.0));
    }

    #[test]
    fn rescales_restart_and_halts_keep_progress() {
        let mut p = Progress::new(100.0, 0.0);
        p.restart(0.0, 1.0, 10.0);
        p.restart(5.0, 2.0, 10.0); // a restart inside a restart starts over
        assert_eq!(p.finish_time(), Some(15.0 + 50.0));
        p.halt(25.0); // 10 s at speed 2
        assert_eq!(p.remaining(), 80.0);
        assert_eq!(p.finish_time(), None);
        p.advance(1000.0);
        assert_eq!(p.remaining(), 80.0);
        p.restart(1000.0, 4.0, 0.0);
        assert_eq!(p.finish_time(), Some(1020.0));
        p.set_speed(1010.0, 2.0); // 40 done, 40 left at 2
        assert_eq!(p.finish_time(), Some(1030.0));
        p.advance(2000.0);
        assert_eq!(p.remaining(), 0.0);
    }

    #[test]
    fn speed_is_the_speedup_times_the_cross_node_factor() {
        let m = JobModel::default();
        let s = Speedup(vec![0.0, 1.0, 1.5]);
        assert_eq!(m.speed(&s, 2, false), 1.5);
        assert!((m.speed(&s, 2, true) - 1.35).abs() < 1e-12);
        assert_eq!(m.speed(&s, 0, false), 0.0);
        assert!(m.validate().is_ok());
        for bad in [
            JobModel {
                restart_overhead: -1.0,
                ..m
            },
            JobModel {
                cross_node_factor: 0.0,
                ..m
            },
            JobModel {
                cross_node_factor: 1.5,
                ..m
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
