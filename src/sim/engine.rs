//! The virtual-time event loop: it feeds a trace to the core's [`Scheduler`]
//! and plays out its decisions on the job model.
//!
//! Every scheduling rule (algorithms, time accounting, Tiresias queues, trigger
//! coalescing and the rate limit, placement) is the core's: the engine only
//! says when things happen — a job arrives, a job's work runs out, the core's
//! [`Scheduler::next_wakeup`] comes — and applies the returned plan to the
//! model. Events at the same instant are handled in a fixed order: finishes
//! (they free GPUs), arrivals, the queue tick, then a reschedule if one is due.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};
use std::hash::{BuildHasher, Hasher};

use super::model::{JobModel, Progress};
use super::trace::Trace;
use crate::core::algorithms::Algorithm;
use crate::core::job::{Speedup, WorkerRange};
use crate::core::placement::{DenseJob, Nodes, PlacementError, place_dense};
use crate::core::plan::Action;
use crate::core::scheduler::{JobSpec, Outcome, Policy, Scheduler, SchedulerError};

/// The modelled cluster: `nodes` identical nodes of `gpus_per_node` GPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cluster {
    pub nodes: u32,
    pub gpus_per_node: u32,
}

impl Default for Cluster {
    fn default() -> Self {
        Self {
            nodes: 4,
            gpus_per_node: 8,
        }
    }
}

impl Cluster {
    pub fn gpus(&self) -> u32 {
        self.nodes.saturating_mul(self.gpus_per_node)
    }

    /// Node names sort in numeric order (zero-padded), so placement's
    /// name-order tie-breaks follow the node numbers.
    fn node_map(&self) -> Nodes {
        let width = self.nodes.to_string().len();
        (0..self.nodes)
            .map(|i| (format!("node-{i:0width$}"), self.gpus_per_node))
            .collect()
    }
}

/// Everything a run depends on besides the trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub cluster: Cluster,
    pub model: JobModel,
    /// The algorithm, rate limit, queues and knobs, exactly as a
    /// SchedulerPolicy gives them to the live scheduler.
    pub policy: Policy,
}

impl Config {
    /// `algorithm` on `cluster` with the default job model and policy knobs.
    pub fn with_defaults(cluster: Cluster, algorithm: Algorithm) -> Self {
        Config {
            cluster,
            model: JobModel::default(),
            policy: Policy {
                algorithm,
                ..Policy::default()
            },
        }
    }
}

/// What happened to one job.
#[derive(Debug, Clone, PartialEq)]
pub struct JobResult {
    pub name: String,
    pub category: String,
    pub workers: WorkerRange,
    /// One-GPU seconds.
    pub work: f64,
    pub submit: f64,
    pub first_start: f64,
    pub finish: f64,
    /// Seconds waiting for GPUs in all (before the first start and after halts),
    /// from the core's time accounting.
    pub queueing_delay: f64,
    /// GPU-seconds held (restarts included), from the core's time accounting.
    pub gpu_seconds: f64,
    pub starts: u32,
    pub halts: u32,
    /// Scale-ins and scale-outs.
    pub rescales: u32,
    /// Worker pods moved to another node by placement.
    pub migrations: u32,
}

impl JobResult {
    /// Job completion time: submission to finish.
    pub fn jct(&self) -> f64 {
        self.finish - self.submit
    }
}

/// GPUs in use from `time` until the next point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsagePoint {
    pub time: f64,
    pub gpus: u32,
}

/// The outcome of simulating one algorithm over one trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub algorithm: Algorithm,
    pub gpus: u32,
    /// In trace order.
    pub jobs: Vec<JobResult>,
    /// A step function, one point per instant at which the count changed.
    pub usage: Vec<UsagePoint>,
    pub reschedules: u64,
    /// Most GPUs in use at once, checked after every single change of a plan.
    pub peak_gpus: u32,
    /// Most workers placement put on one node.
    pub peak_node_gpus: u32,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error(
        "job {job:?} needs {needs} GPUs to start ({what}) but the cluster has {gpus}; \
         it could never run"
    )]
    JobTooLarge {
        job: String,
        needs: u32,
        what: &'static str,
        gpus: u32,
    },
    #[error("scheduler: {0}")]
    Scheduler(#[from] SchedulerError),
    #[error("placement: {0}")]
    Placement(#[from] PlacementError),
    #[error("simulation stalled at t = {time} s with {left} jobs unfinished (first: {example:?})")]
    Stalled {
        time: f64,
        left: usize,
        example: String,
    },
}

/// Simulate `trace` under `config`.
pub fn simulate(trace: &Trace, config: &Config) -> Result<Run, SimError> {
    Engine::new(trace, config)?.run()
}

/// FNV-1a for job-name lookups: the engine looks a name up for every change
/// and migration, and SipHash's DoS resistance buys nothing on a trace the
/// user chose.
#[derive(Debug, Clone, Copy, Default)]
struct BuildFnv;

struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

impl BuildHasher for BuildFnv {
    type Hasher = Fnv;

    fn build_hasher(&self) -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

/// A job's finish, valid while the job's `version` is unchanged.
#[derive(Debug, Clone, Copy, PartialEq)]
struct FinishAt {
    time: f64,
    job: usize,
    version: u64,
}

impl Eq for FinishAt {}

impl Ord for FinishAt {
    fn cmp(&self, other: &Self) -> Ordering {
        self.time
            .total_cmp(&other.time)
            .then(self.job.cmp(&other.job))
            .then(self.version.cmp(&other.version))
    }
}

impl PartialOrd for FinishAt {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The engine's view of one job.
struct SimJob {
    spec: JobSpec,
    category: String,
    work: f64,
    progress: Progress,
    workers: u32,
    cross_node: bool,
    /// Bumped whenever the predicted finish changes; stale heap entries are skipped.
    version: u64,
    /// The remaining work the core was last told.
    told_remaining: f64,
    first_start: Option<f64>,
    starts: u32,
    halts: u32,
    rescales: u32,
    migrations: u32,
    result: Option<JobResult>,
}

struct Engine<'a> {
    config: &'a Config,
    sched: Scheduler,
    /// GPUs per node, nodes in name order (placement works by position).
    capacity: Vec<u32>,
    jobs: Vec<SimJob>,
    by_name: HashMap<String, usize, BuildFnv>,
    /// Job indices by (submit, name): the canonical order.
    arrivals: Vec<usize>,
    next_arrival: usize,
    finishes: BinaryHeap<Reverse<FinishAt>>,
    /// Jobs holding GPUs; a set so iteration order is fixed.
    running: BTreeSet<usize>,
    /// Where workers are, from the last placement, by job index; no workers
    /// for a job without pods.
    binding: Vec<DenseJob>,
    /// The targets of the last placement.
    placed: BTreeMap<String, u32>,
    in_use: u32,
    usage: Vec<UsagePoint>,
    reschedules: u64,
    peak_gpus: u32,
    peak_node_gpus: u32,
    unfinished: usize,
    /// Past this virtual time the run is declared stalled (a livelock guard).
    horizon: f64,
}

impl<'a> Engine<'a> {
    fn new(trace: &Trace, config: &'a Config) -> Result<Self, SimError> {
        config.model.validate().map_err(SimError::Config)?;
        let gpus = config.cluster.gpus();
        if config.cluster.nodes == 0 || config.cluster.gpus_per_node == 0 {
            return Err(SimError::Config("the cluster has no GPUs".into()));
        }
        let mut jobs = Vec::with_capacity(trace.jobs.len());
        let mut by_name = HashMap::with_capacity_and_hasher(trace.jobs.len(), BuildFnv);
        let mut serial = 0.0;
        let mut last_submit: f64 = 0.0;
        for (i, t) in trace.jobs.iter().enumerate() {
            // Every algorithm starts a job with at least `min` (Tiresias: exactly
            // `requested`) workers, so either above the cluster means it waits forever.
            for (needs, what) in [(t.workers.min, "min"), (t.workers.requested, "requested")] {
                if needs > gpus {
                    return Err(SimError::JobTooLarge {
                        job: t.name.clone(),
                        needs,
                        what,
                        gpus,
                    });
                }
            }
            let speedup: Speedup = t.speedup_table();
            let slowest = config
                .model
                .speed(&speedup, t.workers.min, true)
                .max(f64::MIN_POSITIVE);
            serial += config.model.restart_overhead + t.work / slowest;
            last_submit = last_submit.max(t.submit);
            if by_name.insert(t.name.clone(), i).is_some() {
                return Err(SchedulerError::DuplicateJob(t.name.clone()).into());
            }
            jobs.push(SimJob {
                spec: JobSpec {
                    name: t.name.clone(),
                    submit_time: t.submit,
                    workers: t.workers,
                    priority: 0,
                    remaining_seconds: t.work,
                    speedup,
                },
                category: t.category.clone(),
                work: t.work,
                progress: Progress::new(t.work, t.submit),
                workers: 0,
                cross_node: false,
                version: 0,
                told_remaining: t.work,
                first_start: None,
                starts: 0,
                halts: 0,
                rescales: 0,
                migrations: 0,
                result: None,
            });
        }
        let mut arrivals: Vec<usize> = (0..jobs.len()).collect();
        arrivals.sort_by(|&a, &b| {
            let (a, b) = (&jobs[a].spec, &jobs[b].spec);
            a.submit_time
                .total_cmp(&b.submit_time)
                .then_with(|| a.name.cmp(&b.name))
        });
        // Running the jobs one after another at their slowest would finish by
        // `last_submit + serial`; a hundred times that means nothing is progressing.
        let horizon = last_submit + 100.0 * serial + 86_400.0;
        let n_jobs = jobs.len();
        Ok(Self {
            config,
            sched: Scheduler::new(0.0, config.policy.clone(), gpus),
            capacity: config.cluster.node_map().into_values().collect(),
            unfinished: jobs.len(),
            jobs,
            by_name,
            arrivals,
            next_arrival: 0,
            finishes: BinaryHeap::new(),
            running: BTreeSet::new(),
            binding: vec![DenseJob::default(); n_jobs],
            placed: BTreeMap::new(),
            in_use: 0,
            usage: vec![UsagePoint { time: 0.0, gpus: 0 }],
            reschedules: 0,
            peak_gpus: 0,
            peak_node_gpus: 0,
            horizon,
        })
    }

    fn run(mut self) -> Result<Run, SimError> {
        let mut now = 0.0_f64;
        while self.unfinished > 0 {
            let Some(next) = self.next_event() else {
                return Err(self.stalled(now));
            };
            // The core may report a queue evaluation that is already due; time
            // never runs backwards.
            now = now.max(next);
            if now > self.horizon {
                return Err(self.stalled(now));
            }
            while let Some(job) = self.pop_finish(now) {
                self.finish(now, job)?;
            }
            while let Some(&job) = self.arrivals.get(self.next_arrival) {
                if self.jobs[job].spec.submit_time > now {
                    break;
                }
                self.next_arrival += 1;
                self.sched.add_job(now, self.jobs[job].spec.clone())?;
            }
            self.sched.tick(now);
            if self.sched.reschedule_due(now) {
                self.reschedule(now)?;
            }
        }
        let algorithm = self.config.policy.algorithm;
        let gpus = self.config.cluster.gpus();
        let jobs = self
            .jobs
            .into_iter()
            .filter_map(|j| j.result)
            .collect::<Vec<_>>();
        Ok(Run {
            algorithm,
            gpus,
            jobs,
            usage: self.usage,
            reschedules: self.reschedules,
            peak_gpus: self.peak_gpus,
            peak_node_gpus: self.peak_node_gpus,
        })
    }

    fn stalled(&self, now: f64) -> SimError {
        let example = self
            .jobs
            .iter()
            .find(|j| j.result.is_none())
            .map(|j| j.spec.name.clone())
            .unwrap_or_default();
        SimError::Stalled {
            time: now,
            left: self.unfinished,
            example,
        }
    }

    /// The earliest of: the next arrival, the next valid finish, the core's wakeup.
    fn next_event(&mut self) -> Option<f64> {
        self.drop_stale_finishes();
        let arrival = self
            .arrivals
            .get(self.next_arrival)
            .map(|&j| self.jobs[j].spec.submit_time);
        let finish = self.finishes.peek().map(|Reverse(f)| f.time);
        [arrival, finish, self.sched.next_wakeup()]
            .into_iter()
            .flatten()
            .min_by(f64::total_cmp)
    }

    fn drop_stale_finishes(&mut self) {
        while let Some(Reverse(f)) = self.finishes.peek() {
            let job = &self.jobs[f.job];
            if job.version == f.version && job.result.is_none() {
                return;
            }
            self.finishes.pop();
        }
    }

    fn pop_finish(&mut self, now: f64) -> Option<usize> {
        self.drop_stale_finishes();
        match self.finishes.peek() {
            Some(Reverse(f)) if f.time <= now => {
                let job = f.job;
                self.finishes.pop();
                Some(job)
            }
            _ => None,
        }
    }

    /// A job's work ran out at `now`.
    fn finish(&mut self, now: f64, i: usize) -> Result<(), SimError> {
        let name = self.jobs[i].spec.name.clone();
        self.sched.job_finished(now, &name, Outcome::Completed)?;
        let times = self
            .sched
            .job(&name)
            .map(|r| r.times(now))
            .ok_or_else(|| SchedulerError::UnknownJob(name.clone()))?;
        // A finished job never takes part in scheduling again; dropping it keeps
        // every later reschedule proportional to the jobs still in the system.
        self.sched.remove_job(now, &name)?;
        self.binding[i].workers.clear();
        self.running.remove(&i);
        let job = &mut self.jobs[i];
        job.progress.advance(now);
        self.in_use -= job.workers;
        job.workers = 0;
        job.result = Some(JobResult {
            name,
            category: job.category.clone(),
            workers: job.spec.workers,
            work: job.work,
            submit: job.spec.submit_time,
            first_start: job.first_start.unwrap_or(now),
            finish: now,
            queueing_delay: times.waiting_seconds,
            gpu_seconds: times.gpu_seconds,
            starts: job.starts,
            halts: job.halts,
            rescales: job.rescales,
            migrations: job.migrations,
        });
        self.unfinished -= 1;
        self.record_usage(now);
        Ok(())
    }

    fn reschedule(&mut self, now: f64) -> Result<(), SimError> {
        // The algorithms see each job's true remaining work, as a perfectly
        // learned profile would report it.
        for &i in &self.running {
            let job = &mut self.jobs[i];
            job.progress.advance(now);
            let remaining = job.progress.remaining();
            if remaining != job.told_remaining {
                job.told_remaining = remaining;
                job.spec.remaining_seconds = remaining;
                self.sched.set_remaining(&job.spec.name, remaining)?;
            }
        }

        let r = self.sched.reschedule(now)?;
        self.reschedules += 1;
        let mut restarted: BTreeSet<usize> = BTreeSet::new();
        for (action, change) in r.plan.steps() {
            self.sched.apply_change(now, change);
            let i = self.index(&change.job)?;
            let job = &mut self.jobs[i];
            job.progress.advance(now);
            match action {
                Action::Halt => {
                    job.halts += 1;
                    job.progress.halt(now);
                    job.version += 1;
                    job.cross_node = false;
                    self.running.remove(&i);
                    // Its pods are gone; a later start places it afresh.
                    self.binding[i].workers.clear();
                }
                Action::Start => {
                    job.starts += 1;
                    job.first_start.get_or_insert(now);
                    self.running.insert(i);
                    restarted.insert(i);
                }
                Action::ScaleIn | Action::ScaleOut => {
                    job.rescales += 1;
                    restarted.insert(i);
                }
            }
            self.in_use = self.in_use - job.workers + change.to;
            job.workers = change.to;
            // Checked after every step, not only at the end: the apply order
            // (halts, scale-ins, starts, scale-outs) must never overcommit.
            self.peak_gpus = self.peak_gpus.max(self.in_use);
        }

        let mut speed_changed: BTreeSet<usize> = BTreeSet::new();
        let targets = r.running();
        // With the same targets as last time, placement plans the same layout
        // and keeps every worker where it is, so running it would change nothing.
        if targets != self.placed {
            // Positions in name order (the targets' order), as the named
            // placement would number them.
            let order: Vec<usize> = targets
                .keys()
                .map(|name| self.index(name))
                .collect::<Result<_, _>>()?;
            let counts: Vec<u32> = targets.values().copied().collect();
            let current: Vec<&DenseJob> = order.iter().map(|&i| &self.binding[i]).collect();
            let p = place_dense(&self.capacity, &counts, &current)?;
            for m in &p.migrations {
                let i = order[m.job];
                self.jobs[i].migrations += 1;
                restarted.insert(i);
            }
            // Per-node load (for the capacity check) and which jobs span nodes.
            let mut load = vec![0u32; self.capacity.len()];
            for (&i, workers) in order.iter().zip(&p.workers) {
                let first = workers.first();
                let mut cross = false;
                for node in workers {
                    load[*node] += 1;
                    cross |= Some(node) != first;
                }
                if self.jobs[i].cross_node != cross {
                    self.jobs[i].cross_node = cross;
                    speed_changed.insert(i);
                }
            }
            if let Some(&most) = load.iter().max() {
                self.peak_node_gpus = self.peak_node_gpus.max(most);
            }
            for (&i, workers) in order.iter().zip(p.workers) {
                let binding = &mut self.binding[i].workers;
                binding.clear();
                binding.extend(
                    workers
                        .into_iter()
                        .enumerate()
                        .map(|(index, node)| (index as u32, Some(node))),
                );
            }
            self.placed = targets;
        }

        let model = self.config.model;
        for &i in restarted.union(&speed_changed) {
            let job = &mut self.jobs[i];
            let speed = model.speed(&job.spec.speedup, job.workers, job.cross_node);
            if restarted.contains(&i) {
                job.progress.restart(now, speed, model.restart_overhead);
            } else {
                job.progress.set_speed(now, speed);
            }
            job.version += 1;
            if let Some(time) = job.progress.finish_time() {
                self.finishes.push(Reverse(FinishAt {
                    time,
                    job: i,
                    version: job.version,
                }));
            }
        }
        // Superseded finishes stay in the heap until they surface; with many
        // restarts they would outnumber the live ones, so sweep them now and then.
        if self.finishes.len() > 4 * self.running.len() + 1024 {
            let jobs = &self.jobs;
            self.finishes.retain(|Reverse(f)| {
                jobs[f.job].version == f.version && jobs[f.job].result.is_none()
            });
        }
        debug_assert_eq!(self.in_use, self.sched.gpus_in_use());
        self.record_usage(now);
        Ok(())
    }

    fn index(&self, name: &str) -> Result<usize, SimError> {
        self.by_name
            .get(name)
            .copied()
            .ok_or_else(|| SchedulerError::UnknownJob(name.to_owned()).into())
    }

    fn record_usage(&mut self, now: f64) {
        let gpus = self.in_use;
        let n = self.usage.len();
        if n > 0 && self.usage[n - 1].time == now {
            self.usage[n - 1].gpus = gpus;
            // A change undone within the same instant is no change.
            if n > 1 && self.usage[n - 2].gpus == gpus {
                self.usage.pop();
            }
        } else if self.usage.last().is_none_or(|last| last.gpus != gpus) {
            self.usage.push(UsagePoint { time: now, gpus });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::speedup::SpeedupModel;
    use crate::sim::trace::TraceJob;

    fn job(name: &str, submit: f64, min: u32, requested: u32, max: u32, duration: f64) -> TraceJob {
        TraceJob::new(
            name.into(),
            name.into(),
            submit,
            WorkerRange {
                min,
                max,
                requested,
            },
            duration,
            SpeedupModel::Linear,
        )
    }

    fn config(algorithm: Algorithm, nodes: u32, gpus_per_node: u32) -> Config {
        let cluster = Cluster {
            nodes,
            gpus_per_node,
        };
        Config::with_defaults(cluster, algorithm)
    }

    fn trace(jobs: Vec<TraceJob>) -> Trace {
        Trace {
            source: "test".into(),
            jobs,
        }
    }

    #[test]
    fn a_lone_job_starts_at_once_and_pays_one_restart() {
        let t = trace(vec![job("a", 5.0, 2, 2, 2, 100.0)]);
        let run = simulate(&t, &config(Algorithm::Fifo, 1, 8)).unwrap();
        let a = &run.jobs[0];
        assert_eq!((a.first_start, a.finish), (5.0, 5.0 + 30.0 + 100.0));
        assert_eq!(a.gpu_seconds, 2.0 * 130.0);
        assert_eq!((a.starts, a.rescales, a.migrations), (1, 0, 0));
        assert_eq!(
            run.usage,
            vec![
                UsagePoint { time: 0.0, gpus: 0 },
                UsagePoint { time: 5.0, gpus: 2 },
                UsagePoint {
                    time: 135.0,
                    gpus: 0
                }
            ]
        );
    }

    #[test]
    fn a_job_across_nodes_runs_at_the_cross_node_factor() {
        // 8 workers on 4-GPU nodes must span two nodes.
        let t = trace(vec![job("a", 0.0, 8, 8, 8, 90.0)]);
        let mut c = config(Algorithm::Fifo, 2, 4);
        c.model.cross_node_factor = 0.5;
        let run = simulate(&t, &c).unwrap();
        assert_eq!(run.jobs[0].finish, 30.0 + 180.0);
        assert_eq!(run.peak_node_gpus, 4);
    }

    #[test]
    fn halted_jobs_keep_their_progress_under_tiresias() {
        // A long job is demoted past its threshold and yields to a newcomer.
        let mut c = config(Algorithm::Tiresias, 1, 2);
        c.policy.queues.thresholds = vec![100.0];
        let t = trace(vec![
            job("long", 0.0, 2, 2, 2, 1000.0),
            job("short", 200.0, 2, 2, 2, 50.0),
        ]);
        let run = simulate(&t, &c).unwrap();
        let long = &run.jobs[0];
        let short = &run.jobs[1];
        assert!(long.halts >= 1, "{long:?}");
        assert!(short.finish < long.finish);
        // Every restart costs 30 s; the work itself is done exactly once.
        let restarts = f64::from(long.starts + long.rescales);
        let ran = long.gpu_seconds / 2.0;
        assert!((ran - (1000.0 + 30.0 * restarts)).abs() < 1e-6, "{long:?}");
    }

    #[test]
    fn jobs_that_could_never_run_are_refused_up_front() {
        let t = trace(vec![job("big", 0.0, 1, 16, 16, 10.0)]);
        let err = simulate(&t, &config(Algorithm::Fifo, 1, 8)).unwrap_err();
        assert!(err.to_string().contains("\"big\" needs 16 GPUs"), "{err}");
        let err = simulate(&t, &config(Algorithm::Fifo, 0, 8)).unwrap_err();
        assert!(matches!(err, SimError::Config(_)), "{err}");
    }

    #[test]
    fn scale_outs_pay_a_restart_and_every_job_finishes_under_every_algorithm() {
        let t = trace(vec![
            job("a", 0.0, 1, 1, 8, 4000.0),
            job("b", 100.0, 1, 2, 4, 300.0),
            job("c", 100.0, 2, 2, 2, 50.0),
        ]);
        for algorithm in Algorithm::ALL {
            let run = simulate(&t, &config(algorithm, 2, 4)).unwrap();
            assert_eq!(run.jobs.len(), 3, "{algorithm}");
            assert!(run.peak_gpus <= 8 && run.peak_node_gpus <= 4, "{algorithm}");
            assert_eq!(run.usage.last().map(|u| u.gpus), Some(0), "{algorithm}");
        }
        let run = simulate(&t, &config(Algorithm::ElasticFifo, 2, 4)).unwrap();
        // Alone at 0, a starts on all 8 GPUs, shrinks when b and c arrive, and
        // grows back as each of them finishes.
        let a = &run.jobs[0];
        assert_eq!((a.starts, a.rescales), (1, 3), "{a:?}");
    }
}
