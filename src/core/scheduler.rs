//! The scheduler state machine of one GPU type (DESIGN §4), pure and driven by
//! explicit timestamps.
//!
//! Events go in (job added, updated, removed, finished; capacity or policy
//! changed; ticks), each with the time it happened. What comes out is when a
//! reschedule is due and, when one runs, the new allocation and the [`Plan`]
//! that gets there; applying the plan updates phases and time accounting.
//! The live controller sleeps until [`Scheduler::next_wakeup`]; the simulator
//! schedules a virtual event there. Times are seconds on the caller's clock.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::accounting::{Accounting, AccountingSnapshot, Clock, Times};
use super::algorithms::{Algorithm, Params, canonical_cmp};
use super::job::{JobInfo, Speedup, WorkerRange};
use super::plan::{Change, Plan};
use super::profile::{self, EstimateChange};
use super::queues::{self, EVALUATION_PERIOD_SECONDS, QueuePolicy, QueueState};
use super::rate_limit::{Decision, RateLimiter};

/// Where a job is in its life.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    JsonSchema,
)]
pub enum Phase {
    /// Accepted, not yet seen by a reschedule (becomes Waiting there).
    #[default]
    Submitted,
    /// Ready to run, holding no GPUs.
    Waiting,
    /// Holding GPUs.
    Running,
    /// The MPIJob succeeded.
    Completed,
    /// The MPIJob failed.
    Failed,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Submitted => "Submitted",
            Phase::Waiting => "Waiting",
            Phase::Running => "Running",
            Phase::Completed => "Completed",
            Phase::Failed => "Failed",
        }
    }

    /// Whether the job competes for GPUs.
    pub fn is_ready(self) -> bool {
        matches!(self, Phase::Submitted | Phase::Waiting | Phase::Running)
    }

    pub fn is_finished(self) -> bool {
        matches!(self, Phase::Completed | Phase::Failed)
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Completed,
    Failed,
}

/// The knobs of one SchedulerPolicy the core reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub algorithm: Algorithm,
    /// At most one reschedule per this many seconds.
    pub rate_limit_seconds: f64,
    /// Tiresias queues, used when `algorithm.uses_queues()`.
    pub queues: QueuePolicy,
    pub params: Params,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            algorithm: Algorithm::default(),
            rate_limit_seconds: 30.0,
            queues: QueuePolicy::default(),
            params: Params::default(),
        }
    }
}

/// What [`Scheduler::update_job`] made of a changed job.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobUpdate {
    /// Set when the change triggered a reschedule.
    pub decision: Option<Decision>,
    /// The estimate change that triggered it, if that was the reason (for an Event).
    pub estimate: Option<EstimateChange>,
}

/// What the scheduler needs to know about a job from its spec and profile.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    pub name: String,
    /// Seconds; waiting time counts from here.
    pub submit_time: f64,
    pub workers: WorkerRange,
    /// Initial Tiresias queue (0 highest).
    pub priority: u32,
    /// Estimated remaining seconds with one worker.
    pub remaining_seconds: f64,
    pub speedup: Speedup,
}

impl JobSpec {
    /// A job with linear speedup and no estimate; handy for tests and traces.
    pub fn new(name: impl Into<String>, submit_time: f64, min: u32, max: u32) -> Self {
        Self {
            name: name.into(),
            submit_time,
            workers: WorkerRange {
                min,
                max,
                requested: min,
            },
            priority: 0,
            remaining_seconds: 0.0,
            speedup: Speedup::linear(),
        }
    }
}

/// One job as the scheduler tracks it. Read-only outside this module: every
/// change goes through a [`Scheduler`] event so accounting stays consistent.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    pub spec: JobSpec,
    pub phase: Phase,
    pub first_start_time: Option<f64>,
    pub finish_time: Option<f64>,
    pub queue: QueueState,
    pub accounting: Accounting,
}

impl JobRecord {
    /// Current workers (0 unless running).
    pub fn workers(&self) -> u32 {
        self.accounting.workers()
    }

    /// Time so far at `now`, without changing anything.
    pub fn times(&self, now: f64) -> Times {
        self.accounting.times(now)
    }

    /// What to persist so [`Scheduler::restore_job`] can rebuild this record.
    pub fn snapshot(&self) -> JobSnapshot {
        JobSnapshot {
            phase: self.phase,
            queue: self.queue.queue,
            gpu_seconds_at_promotion: self.queue.gpu_seconds_at_promotion,
            first_start_time: self.first_start_time,
            finish_time: self.finish_time,
            accounting: self.accounting.snapshot(),
        }
    }

    fn info(&self, queues: &QueuePolicy) -> JobInfo {
        JobInfo {
            name: self.spec.name.clone(),
            submit_time: self.spec.submit_time,
            first_start_time: self.first_start_time,
            queue: queues.clamp(self.queue.queue),
            workers: self.spec.workers,
            remaining_seconds: self.spec.remaining_seconds,
            speedup: self.spec.speedup.clone(),
        }
    }
}

/// The scheduler's state of one job, as stored in TrainingJob status and
/// read back after a restart (with the spec, which holds the rest).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobSnapshot {
    pub phase: Phase,
    pub queue: u32,
    #[serde(default)]
    pub gpu_seconds_at_promotion: f64,
    pub first_start_time: Option<f64>,
    pub finish_time: Option<f64>,
    /// Includes the current workers.
    pub accounting: AccountingSnapshot,
}

/// A job's Tiresias queue moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueChange {
    pub job: String,
    pub from: u32,
    pub to: u32,
}

/// What a tick did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tick {
    /// Queue moves to persist, by job name.
    pub queue_changes: Vec<QueueChange>,
    /// Set when the moves call for a reschedule.
    pub decision: Option<Decision>,
}

/// The outcome of a reschedule, to be applied in `plan.steps()` order and then
/// placed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reschedule {
    /// Workers for every ready job, 0 included.
    pub allocation: BTreeMap<String, u32>,
    pub plan: Plan,
    /// Jobs this reschedule saw for the first time: Submitted → Waiting.
    pub admitted: Vec<String>,
}

impl Reschedule {
    /// Job → workers for jobs that will run: the input of placement.
    pub fn running(&self) -> BTreeMap<String, u32> {
        self.allocation
            .iter()
            .filter(|&(_, &w)| w > 0)
            .map(|(j, &w)| (j.clone(), w))
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchedulerError {
    #[error("unknown job {0:?}")]
    UnknownJob(String),
    #[error("job {0:?} already exists")]
    DuplicateJob(String),
    #[error("invalid allocation: {0}")]
    InvalidAllocation(String),
    #[error("inconsistent snapshot of job {job:?}: {reason}")]
    InconsistentSnapshot { job: String, reason: String },
}

/// The scheduling state of one GPU type.
#[derive(Debug, Clone)]
pub struct Scheduler {
    jobs: BTreeMap<String, JobRecord>,
    capacity: u32,
    policy: Policy,
    limiter: RateLimiter,
    next_queue_evaluation: f64,
}

impl Scheduler {
    pub fn new(now: f64, policy: Policy, capacity: u32) -> Self {
        Self {
            jobs: BTreeMap::new(),
            capacity,
            limiter: RateLimiter::new(policy.rate_limit_seconds),
            policy,
            next_queue_evaluation: now + EVALUATION_PERIOD_SECONDS,
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// GPUs of this type.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    pub fn job(&self, name: &str) -> Option<&JobRecord> {
        self.jobs.get(name)
    }

    /// All known jobs, finished ones included, by name.
    pub fn jobs(&self) -> impl Iterator<Item = &JobRecord> {
        self.jobs.values()
    }

    /// GPUs held by running jobs.
    pub fn gpus_in_use(&self) -> u32 {
        self.jobs.values().map(JobRecord::workers).sum()
    }

    /// Jobs in `phase`.
    pub fn count(&self, phase: Phase) -> usize {
        self.jobs.values().filter(|j| j.phase == phase).count()
    }

    /// The last reschedule's snapshot time (or failed attempt).
    pub fn last_reschedule(&self) -> Option<f64> {
        self.limiter.last_run()
    }

    // ---- events -------------------------------------------------------------

    /// A new job arrived. It triggers a reschedule.
    pub fn add_job(&mut self, now: f64, spec: JobSpec) -> Result<Decision, SchedulerError> {
        if self.jobs.contains_key(&spec.name) {
            return Err(SchedulerError::DuplicateJob(spec.name));
        }
        let record = JobRecord {
            phase: Phase::Submitted,
            first_start_time: None,
            finish_time: None,
            queue: QueueState::new(self.policy.queues.clamp(spec.priority)),
            accounting: Accounting::waiting_since(spec.submit_time),
            spec,
        };
        self.jobs.insert(record.spec.name.clone(), record);
        Ok(self.limiter.trigger(now))
    }

    /// Rebuild a job after a restart from its spec and persisted snapshot.
    /// Does not trigger: the caller triggers once everything is restored.
    pub fn restore_job(&mut self, spec: JobSpec, snap: JobSnapshot) -> Result<(), SchedulerError> {
        if self.jobs.contains_key(&spec.name) {
            return Err(SchedulerError::DuplicateJob(spec.name));
        }
        let acc = snap.accounting;
        let consistent = match snap.phase {
            Phase::Submitted | Phase::Waiting => acc.clock == Clock::Waiting,
            Phase::Running => acc.clock == Clock::Running && acc.workers > 0,
            Phase::Completed | Phase::Failed => acc.clock == Clock::Stopped,
        };
        if !consistent {
            return Err(SchedulerError::InconsistentSnapshot {
                job: spec.name,
                reason: format!(
                    "phase {} with clock {:?} and {} workers",
                    snap.phase, acc.clock, acc.workers
                ),
            });
        }
        let record = JobRecord {
            phase: snap.phase,
            first_start_time: snap.first_start_time,
            finish_time: snap.finish_time,
            queue: QueueState {
                queue: snap.queue,
                gpu_seconds_at_promotion: snap.gpu_seconds_at_promotion,
            },
            accounting: Accounting::from_snapshot(acc),
            spec,
        };
        self.jobs.insert(record.spec.name.clone(), record);
        Ok(())
    }

    /// The job's spec or profile changed (name, submit time and priority are
    /// kept). New worker bounds of a ready job trigger a reschedule, and so does a
    /// new estimate that differs past the thresholds of [`profile::estimate_change`]
    /// in a number the current algorithm reads; smaller changes are simply used by
    /// the next reschedule (rescheduling restarts jobs, so not for every report).
    pub fn update_job(&mut self, now: f64, spec: JobSpec) -> Result<JobUpdate, SchedulerError> {
        let Some(job) = self.jobs.get_mut(&spec.name) else {
            return Err(SchedulerError::UnknownJob(spec.name));
        };
        let bounds_changed = job.spec.workers != spec.workers;
        let mut change = profile::estimate_change(
            (job.spec.remaining_seconds, &job.spec.speedup),
            (spec.remaining_seconds, &spec.speedup),
            spec.workers,
        );
        let algorithm = self.policy.algorithm;
        if !algorithm.uses_remaining_time() {
            change.remaining = None;
        }
        if !algorithm.uses_speedup() {
            change.speedup = None;
        }
        job.spec.workers = spec.workers;
        job.spec.remaining_seconds = spec.remaining_seconds;
        job.spec.speedup = spec.speedup;
        let ready = job.phase.is_ready();
        let estimate = (ready && !change.is_empty()).then_some(change);
        let decision =
            ((bounds_changed || estimate.is_some()) && ready).then(|| self.limiter.trigger(now));
        Ok(JobUpdate { decision, estimate })
    }

    /// A new estimate of the job's remaining seconds; unlike [`Self::update_job`]
    /// it copies nothing, for callers that refresh many jobs per reschedule
    /// (the simulator). Never triggers: estimates feed the next reschedule.
    pub fn set_remaining(&mut self, name: &str, seconds: f64) -> Result<(), SchedulerError> {
        let job = self
            .jobs
            .get_mut(name)
            .ok_or_else(|| SchedulerError::UnknownJob(name.to_owned()))?;
        job.spec.remaining_seconds = seconds;
        Ok(())
    }

    /// The job was deleted. Its GPUs come back, so a running job triggers.
    pub fn remove_job(&mut self, now: f64, name: &str) -> Result<Option<Decision>, SchedulerError> {
        let job = self
            .jobs
            .remove(name)
            .ok_or_else(|| SchedulerError::UnknownJob(name.to_owned()))?;
        Ok((job.workers() > 0).then(|| self.limiter.trigger(now)))
    }

    /// The job's MPIJob succeeded or failed. A running job triggers; a job
    /// already finished is left as it was (events may repeat).
    pub fn job_finished(
        &mut self,
        now: f64,
        name: &str,
        outcome: Outcome,
    ) -> Result<Option<Decision>, SchedulerError> {
        let job = self
            .jobs
            .get_mut(name)
            .ok_or_else(|| SchedulerError::UnknownJob(name.to_owned()))?;
        if job.phase.is_finished() {
            return Ok(None);
        }
        let was_running = job.workers() > 0;
        job.accounting.stop(now);
        job.finish_time = Some(now);
        job.phase = match outcome {
            Outcome::Completed => Phase::Completed,
            Outcome::Failed => Phase::Failed,
        };
        Ok(was_running.then(|| self.limiter.trigger(now)))
    }

    /// GPUs of this type changed (node added, removed, cordoned, NotReady).
    pub fn set_capacity(&mut self, now: f64, gpus: u32) -> Option<Decision> {
        if gpus == self.capacity {
            return None;
        }
        self.capacity = gpus;
        Some(self.limiter.trigger(now))
    }

    /// The SchedulerPolicy changed.
    pub fn set_policy(&mut self, now: f64, policy: Policy) -> Option<Decision> {
        if policy == self.policy {
            return None;
        }
        if policy.algorithm.uses_queues() && !self.policy.algorithm.uses_queues() {
            self.next_queue_evaluation = now;
        }
        self.limiter.set_window(policy.rate_limit_seconds);
        self.policy = policy;
        Some(self.limiter.trigger(now))
    }

    /// Ask for a reschedule for any other reason (e.g. after a restart).
    pub fn trigger(&mut self, now: f64) -> Decision {
        self.limiter.trigger(now)
    }

    /// Periodic work: Tiresias queues every [`EVALUATION_PERIOD_SECONDS`]
    /// under Tiresias and ElasticTiresias. Call it at [`Self::next_wakeup`]
    /// (or more often; early ticks do nothing).
    pub fn tick(&mut self, now: f64) -> Tick {
        let mut tick = Tick::default();
        if !self.policy.algorithm.uses_queues() || now < self.next_queue_evaluation {
            return tick;
        }
        self.next_queue_evaluation = now + EVALUATION_PERIOD_SECONDS;
        for job in self.jobs.values_mut().filter(|j| j.phase.is_ready()) {
            let times = job.accounting.times(now);
            if let Some(next) = queues::evaluate(&self.policy.queues, &job.queue, &times) {
                tick.queue_changes.push(QueueChange {
                    job: job.spec.name.clone(),
                    from: job.queue.queue,
                    to: next.queue,
                });
                job.queue = next;
            }
        }
        if !tick.queue_changes.is_empty() {
            tick.decision = Some(self.limiter.trigger(now));
        }
        tick
    }

    /// The next time something is due: a reschedule or a queue evaluation.
    pub fn next_wakeup(&self) -> Option<f64> {
        let queues = (self.policy.algorithm.uses_queues()
            && self.jobs.values().any(|j| j.phase.is_ready()))
        .then_some(self.next_queue_evaluation);
        match (self.limiter.next_deadline(), queues) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether a requested reschedule may run at `now`.
    pub fn reschedule_due(&self, now: f64) -> bool {
        self.limiter.is_due(now)
    }

    // ---- rescheduling -------------------------------------------------------

    /// Ready jobs as the allocator sees them, in canonical order.
    pub fn ready_jobs(&self) -> Vec<JobInfo> {
        let mut jobs: Vec<JobInfo> = self
            .jobs
            .values()
            .filter(|j| j.phase.is_ready())
            .map(|j| j.info(&self.policy.queues))
            .collect();
        jobs.sort_by(canonical_cmp);
        jobs
    }

    /// Current workers of every ready job, 0 included.
    pub fn allocation(&self) -> BTreeMap<String, u32> {
        self.jobs
            .values()
            .filter(|j| j.phase.is_ready())
            .map(|j| (j.spec.name.clone(), j.workers()))
            .collect()
    }

    /// The changes from the current allocation to `allocation` (job →
    /// workers; a ready job missing from it gets 0). Jobs that are not ready
    /// are left out on both sides, so finished jobs are never halted.
    pub fn plan(&self, allocation: &BTreeMap<String, u32>) -> Plan {
        // The same as `Plan::diff(&self.allocation(), …)` without building
        // either map: this runs on every reschedule over every queued job, and
        // only changed jobs need their names copied.
        let mut plan = Plan::default();
        for job in self.jobs.values().filter(|j| j.phase.is_ready()) {
            let (from, to) = (
                job.workers(),
                allocation.get(&job.spec.name).copied().unwrap_or(0),
            );
            if from != to {
                plan.push(Change {
                    job: job.spec.name.clone(),
                    from,
                    to,
                });
            }
        }
        plan
    }

    /// Run the policy's algorithm over the ready jobs and plan the changes.
    pub fn reschedule(&mut self, now: f64) -> Result<Reschedule, SchedulerError> {
        let algorithm = self.policy.algorithm;
        self.reschedule_with(now, |gpus, jobs, params| {
            algorithm.allocate(gpus, jobs, params)
        })
    }

    /// [`Self::reschedule`] with any allocator: `allocate(gpus, jobs, params)`
    /// returns workers aligned with `jobs`. The result is checked (length,
    /// bounds, capacity); a bad one counts as a failed reschedule.
    pub fn reschedule_with<F>(
        &mut self,
        now: f64,
        allocate: F,
    ) -> Result<Reschedule, SchedulerError>
    where
        F: FnOnce(u32, &[JobInfo], &Params) -> Vec<u32>,
    {
        let jobs = self.ready_jobs();
        let workers = allocate(self.capacity, &jobs, &self.policy.params);
        if let Err(reason) = check_allocation(self.capacity, &jobs, &workers) {
            self.limiter.failed(now);
            return Err(SchedulerError::InvalidAllocation(reason));
        }
        self.limiter.ran(now);

        let mut admitted = Vec::new();
        for job in self.jobs.values_mut() {
            if job.phase == Phase::Submitted {
                job.phase = Phase::Waiting;
                admitted.push(job.spec.name.clone());
            }
        }
        let allocation: BTreeMap<String, u32> = jobs
            .into_iter()
            .zip(workers)
            .map(|(j, w)| (j.name, w))
            .collect();
        let plan = self.plan(&allocation);
        Ok(Reschedule {
            allocation,
            plan,
            admitted,
        })
    }

    /// Applying the last reschedule failed (e.g. the API server refused):
    /// it is retried after the window. Changes that did go through should
    /// still be recorded with [`Self::apply_change`].
    pub fn reschedule_failed(&mut self, now: f64) {
        self.limiter.failed(now);
    }

    /// Record a whole plan as applied at `now`, in apply order.
    pub fn apply(&mut self, now: f64, plan: &Plan) {
        for (_, change) in plan.steps() {
            self.apply_change(now, change);
        }
    }

    /// Record one change as applied at `now`. Jobs that finished or went away
    /// since the plan was made are skipped (returns false); the job's workers
    /// become `change.to` whatever `change.from` said.
    pub fn apply_change(&mut self, now: f64, change: &Change) -> bool {
        let Some(job) = self.jobs.get_mut(&change.job) else {
            return false;
        };
        if !job.phase.is_ready() {
            return false;
        }
        match (job.workers(), change.to) {
            (0, 0) => job.phase = Phase::Waiting,
            (_, 0) => {
                job.accounting.halt(now);
                job.phase = Phase::Waiting;
            }
            (0, to) => {
                job.accounting.start(now, to);
                job.queue.started();
                job.first_start_time.get_or_insert(now);
                job.phase = Phase::Running;
            }
            (_, to) => job.accounting.resize(now, to),
        }
        true
    }

    /// A start recorded with [`Self::apply_change`] did not happen after all (the
    /// API server refused it): the job is again as `before` (its record when the
    /// start was recorded) — waiting, with its waiting time running on as if it
    /// had never started. Its spec stays the current one. Like any change that did
    /// not go through, it is retried by the next reschedule (see
    /// [`Self::reschedule_failed`]). Returns false (and changes nothing) if the job
    /// went away or is no longer running from that start.
    pub fn undo_start(&mut self, before: &JobRecord) -> bool {
        let Some(job) = self.jobs.get_mut(&before.spec.name) else {
            return false;
        };
        if job.phase != Phase::Running || before.phase.is_finished() || before.workers() != 0 {
            return false;
        }
        job.phase = before.phase;
        job.first_start_time = before.first_start_time;
        job.queue = before.queue;
        job.accounting = before.accounting;
        true
    }
}

/// Whether `workers` is a valid allocation of `gpus` to `jobs`.
fn check_allocation(gpus: u32, jobs: &[JobInfo], workers: &[u32]) -> Result<(), String> {
    if workers.len() != jobs.len() {
        return Err(format!("{} results for {} jobs", workers.len(), jobs.len()));
    }
    for (job, &w) in jobs.iter().zip(workers) {
        let WorkerRange { min, max, .. } = job.workers;
        if w != 0 && !(min..=max).contains(&w) {
            return Err(format!(
                "job {:?} got {w} workers, outside [{min}, {max}]",
                job.name
            ));
        }
    }
    let total: u64 = workers.iter().map(|&w| u64::from(w)).sum();
    if total > u64::from(gpus) {
        return Err(format!("{total} workers for {gpus} GPUs"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
