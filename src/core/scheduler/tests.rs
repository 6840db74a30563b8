use super::*;

/// An allocator that hands out fixed worker counts by job name (0 if absent),
/// so these tests do not depend on the real algorithms.
fn fixed(list: &[(&str, u32)]) -> impl FnOnce(u32, &[JobInfo], &Params) -> Vec<u32> {
    let map: BTreeMap<String, u32> = list.iter().map(|&(j, w)| (j.to_owned(), w)).collect();
    move |_, jobs, _| {
        jobs.iter()
            .map(|j| map.get(&j.name).copied().unwrap_or(0))
            .collect()
    }
}

fn policy(algorithm: Algorithm) -> Policy {
    Policy {
        algorithm,
        ..Policy::default()
    }
}

/// Reschedule with `alloc` and apply the plan at once.
fn run(s: &mut Scheduler, now: f64, alloc: &[(&str, u32)]) -> Reschedule {
    let r = s.reschedule_with(now, fixed(alloc)).unwrap();
    s.apply(now, &r.plan);
    r
}

fn change(job: &str, from: u32, to: u32) -> Change {
    Change {
        job: job.to_owned(),
        from,
        to,
    }
}

#[test]
fn accounting_across_wait_run_halt_run_complete() {
    let mut s = Scheduler::new(0.0, policy(Algorithm::ElasticFifo), 8);
    s.add_job(10.0, JobSpec::new("a", 10.0, 1, 4)).unwrap();
    assert_eq!(s.job("a").unwrap().phase, Phase::Submitted);

    let r = run(&mut s, 40.0, &[("a", 2)]); // waited 30
    assert_eq!(r.admitted, vec!["a".to_owned()]);
    assert_eq!(r.plan.starts, vec![change("a", 0, 2)]);
    let a = s.job("a").unwrap();
    assert_eq!(
        (a.phase, a.workers(), a.first_start_time),
        (Phase::Running, 2, Some(40.0))
    );

    run(&mut s, 100.0, &[("a", 4)]); // 60 s on 2 GPUs
    run(&mut s, 130.0, &[]); // 30 s on 4 GPUs, halted
    assert_eq!(s.job("a").unwrap().phase, Phase::Waiting);
    run(&mut s, 200.0, &[("a", 1)]); // waited 70
    s.job_finished(250.0, "a", Outcome::Completed).unwrap(); // 50 s on 1 GPU

    let a = s.job("a").unwrap();
    assert_eq!(a.phase, Phase::Completed);
    assert_eq!(a.finish_time, Some(250.0));
    assert_eq!(a.first_start_time, Some(40.0));
    let t = a.times(1_000.0);
    assert_eq!(
        t,
        Times {
            running_seconds: 140.0,
            waiting_seconds: 100.0,
            gpu_seconds: 120.0 + 120.0 + 50.0,
            total_seconds: 240.0,
            running_seconds_since_start: 50.0,
            gpu_seconds_since_start: 50.0,
            waiting_seconds_since_halt: 70.0,
        }
    );
    assert_eq!(s.gpus_in_use(), 0);
}

#[test]
fn since_last_start_and_since_last_halt_reset_on_transitions() {
    let mut s = Scheduler::new(0.0, policy(Algorithm::ElasticFifo), 8);
    s.add_job(0.0, JobSpec::new("a", 0.0, 1, 4)).unwrap();
    run(&mut s, 10.0, &[("a", 4)]);
    run(&mut s, 20.0, &[]);
    let t = s.job("a").unwrap().times(25.0);
    assert_eq!(t.waiting_seconds_since_halt, 5.0);
    assert_eq!(
        (t.running_seconds_since_start, t.gpu_seconds_since_start),
        (10.0, 40.0)
    );
    run(&mut s, 30.0, &[("a", 2)]);
    let t = s.job("a").unwrap().times(33.0);
    assert_eq!(
        (t.running_seconds_since_start, t.gpu_seconds_since_start),
        (3.0, 6.0)
    );
    assert_eq!(t.waiting_seconds_since_halt, 10.0);
    // First start stays the first.
    assert_eq!(s.job("a").unwrap().first_start_time, Some(10.0));
}

#[test]
fn tiresias_demotes_a_job_past_its_queue_threshold() {
    let mut s = Scheduler::new(0.0, policy(Algorithm::Tiresias), 8);
    s.add_job(0.0, JobSpec::new("a", 0.0, 2, 2)).unwrap();
    run(&mut s, 0.0, &[("a", 2)]);
    // 3600 GPU-seconds after 1800 s on 2 GPUs: at, not past, the threshold.
    let tick = s.tick(1800.0);
    assert!(tick.queue_changes.is_empty() && tick.decision.is_none());
    let tick = s.tick(1805.0);
    assert_eq!(
        tick.queue_changes,
        vec![QueueChange {
            job: "a".into(),
            from: 0,
            to: 1
        }]
    );
    // The last reschedule was at 0, long ago: run now.
    assert_eq!(tick.decision, Some(Decision::RunNow));
    assert_eq!(s.ready_jobs()[0].queue, 1);
    // The last queue has no threshold.
    assert!(s.tick(99_999.0).queue_changes.is_empty());
}

#[test]
fn tiresias_promotes_a_starved_job_by_the_knob() {
    let mut p = policy(Algorithm::ElasticTiresias);
    p.queues.thresholds = vec![10.0];
    let mut s = Scheduler::new(0.0, p, 8);
    s.add_job(0.0, JobSpec::new("a", 0.0, 1, 1)).unwrap();
    run(&mut s, 0.0, &[("a", 1)]);
    assert_eq!(s.tick(20.0).queue_changes.len(), 1); // 20 GPU-s > 10: queue 1
    run(&mut s, 20.0, &[]); // ran 20 s, halted
    // Promotion needs 8 × 20 = 160 s of waiting since the halt.
    for t in (25..180).step_by(5) {
        assert!(s.tick(f64::from(t)).queue_changes.is_empty(), "at {t}");
    }
    let tick = s.tick(180.0);
    assert_eq!(
        tick.queue_changes,
        vec![QueueChange {
            job: "a".into(),
            from: 1,
            to: 0
        }]
    );
    assert!(tick.decision.is_some());
    // Its last run's GPU time does not demote it straight back.
    assert!(s.tick(185.0).queue_changes.is_empty());
    assert_eq!(s.job("a").unwrap().queue.queue, 0);
}

#[test]
fn queues_are_evaluated_every_five_seconds() {
    let mut s = Scheduler::new(0.0, policy(Algorithm::Tiresias), 8);
    assert_eq!(s.next_wakeup(), None); // no ready job, nothing to do
    s.add_job(0.0, JobSpec::new("a", 0.0, 1, 1)).unwrap();
    run(&mut s, 0.0, &[("a", 1)]);
    assert_eq!(s.next_wakeup(), Some(5.0));
    s.tick(5.0);
    assert_eq!(s.next_wakeup(), Some(10.0));
}

#[test]
fn no_queue_changes_for_algorithms_without_queues() {
    for algorithm in Algorithm::ALL.into_iter().filter(|a| !a.uses_queues()) {
        let mut p = policy(algorithm);
        p.queues.thresholds = vec![1.0];
        let mut s = Scheduler::new(0.0, p, 8);
        let mut spec = JobSpec::new("a", 0.0, 1, 1);
        spec.priority = 1;
        s.add_job(0.0, spec).unwrap();
        s.add_job(0.0, JobSpec::new("b", 0.0, 1, 1)).unwrap();
        run(&mut s, 0.0, &[("b", 1)]);
        for t in (5..1000).step_by(5) {
            let tick = s.tick(f64::from(t));
            assert!(
                tick.queue_changes.is_empty() && tick.decision.is_none(),
                "{algorithm}"
            );
        }
        assert_eq!(s.job("a").unwrap().queue.queue, 1, "{algorithm}");
        assert_eq!(s.job("b").unwrap().queue.queue, 0, "{algorithm}");
        assert_eq!(s.next_wakeup(), None, "{algorithm}");
    }
}

#[test]
fn triggers_inside_the_window_coalesce_into_one_reschedule_at_its_end() {
    let mut s = Scheduler::new(0.0, policy(Algorithm::ElasticFifo), 8);
    assert_eq!(
        s.add_job(0.0, JobSpec::new("a", 0.0, 1, 1)).unwrap(),
        Decision::RunNow
    );
    run(&mut s, 0.0, &[("a", 1)]);
    // Three triggers of different kinds inside the 30 s window.
    assert_eq!(
        s.add_job(5.0, JobSpec::new("b", 5.0, 1, 1)).unwrap(),
        Decision::RunAt(30.0)
    );
    assert_eq!(s.set_capacity(12.0, 16), Some(Decision::RunAt(30.0)));
    assert_eq!(
        s.job_finished(20.0, "a", Outcome::Completed).unwrap(),
        Some(Decision::RunAt(30.0))
    );
    assert_eq!(s.next_wakeup(), Some(30.0));
    assert!(!s.reschedule_due(29.0));
    assert!(s.reschedule_due(30.0));
    let r = run(&mut s, 30.0, &[("b", 1)]);
    assert_eq!(r.plan.starts, vec![change("b", 0, 1)]);
    // One reschedule served all three.
    assert_eq!(s.next_wakeup(), None);
    assert!(!s.reschedule_due(1e9));
}

#[test]
fn non_triggers_do_not_ask_for_a_reschedule() {
    let mut s = Scheduler::new(0.0, policy(Algorithm::ElasticFifo), 8);
    s.add_job(0.0, JobSpec::new("w", 0.0, 1, 1)).unwrap();
    s.add_job(0.0, JobSpec::new("r", 0.0, 1, 1)).unwrap();
    run(&mut s, 0.0, &[("r", 1)]);
    assert_eq!(s.set_capacity(1.0, 8), None);
    assert_eq!(s.set_policy(1.0, policy(Algorithm::ElasticFifo)), None);
    // A new estimate ElasticFIFO does not read is no reason to reschedule; new bounds are.
    let mut spec = JobSpec::new("w", 0.0, 1, 1);
    spec.remaining_seconds = 4200.0;
    assert_eq!(
        s.update_job(2.0, spec.clone()).unwrap(),
        JobUpdate::default()
    );
    assert_eq!(s.job("w").unwrap().spec.remaining_seconds, 4200.0);
    spec.workers.max = 3;
    assert_eq!(
        s.update_job(2.0, spec).unwrap().decision,
        Some(Decision::RunAt(30.0))
    );
    // Removing a waiting job frees nothing; a running one does.
    run(&mut s, 30.0, &[("r", 1)]);
    assert_eq!(s.remove_job(31.0, "w").unwrap(), None);
    assert_eq!(
        s.remove_job(31.0, "r").unwrap(),
        Some(Decision::RunAt(60.0))
    );
    assert_eq!(
        s.remove_job(31.0, "r"),
        Err(SchedulerError::UnknownJob("r".into()))
    );
}

#[test]
fn a_failed_reschedule_is_retried_after_the_window() {
    let mut s = Scheduler::new(0.0, policy(Algorithm::ElasticFifo), 4);
    s.add_job(0.0, JobSpec::new("a", 0.0, 2, 4)).unwrap();
    // An allocation outside the job's bounds is refused.
    let err = s.reschedule_with(1.0, fixed(&[("a", 1)])).unwrap_err();
    assert!(matches!(err, SchedulerError::InvalidAllocation(_)), "{err}");
    assert_eq!(s.job("a").unwrap().phase, Phase::Submitted);
    assert_eq!(s.next_wakeup(), Some(31.0));
    assert!(!s.reschedule_due(30.0));
    // So is one over capacity, or of the wrong length.
    assert!(s.reschedule_with(31.0, fixed(&[("a", 5)])).is_err());
    assert!(s.reschedule_with(61.0, |_, _, _| vec![]).is_err());
    // A failure while applying is reported by the caller, same effect.
    run(&mut s, 91.0, &[("a", 2)]);
    s.reschedule_failed(92.0);
    assert_eq!(s.next_wakeup(), Some(122.0));
    assert!(s.reschedule_due(122.0));
}

#[test]
fn the_plan_orders_halts_scale_ins_starts_scale_outs() {
    let mut s = Scheduler::new(0.0, policy(Algorithm::ElasticFifo), 16);
    for (name, min, max) in [
        ("a", 1, 8),
        ("b", 1, 8),
        ("c", 1, 8),
        ("d", 1, 8),
        ("e", 1, 8),
    ] {
        s.add_job(0.0, JobSpec::new(name, 0.0, min, max)).unwrap();
    }
    run(&mut s, 0.0, &[("a", 4), ("b", 4), ("c", 2), ("d", 2)]);
    let r = s
        .reschedule_with(30.0, fixed(&[("a", 6), ("c", 1), ("d", 4), ("e", 3)]))
        .unwrap();
    let steps: Vec<(Action, Change)> = r.plan.steps().map(|(a, c)| (a, c.clone())).collect();
    use crate::core::plan::Action;
    assert_eq!(
        steps,
        vec![
            (Action::Halt, change("b", 4, 0)),
            (Action::ScaleIn, change("c", 2, 1)),
            (Action::Start, change("e", 0, 3)),
            (Action::ScaleOut, change("a", 4, 6)),
            (Action::ScaleOut, change("d", 2, 4)),
        ]
    );
    assert_eq!(
        r.running(),
        BTreeMap::from([
            ("a".into(), 6),
            ("c".into(), 1),
            ("d".into(), 4),
            ("e".into(), 3)
        ])
    );
    s.apply(30.0, &r.plan);
    assert_eq!(s.allocation(), r.allocation);
    assert_eq!(s.job("b").unwrap().phase, Phase::Waiting);
}

#[test]
fn completed_and_failed_jobs_are_never_halted() {
    let mut s = Scheduler::new(0.0, policy(Algorithm::ElasticFifo), 8);
    for name in ["a", "b", "c"] {
        s.add_job(0.0, JobSpec::new(name, 0.0, 1, 4)).unwrap();
    }
    let r = run(&mut s, 0.0, &[("a", 2), ("b", 2), ("c", 2)]);
    s.job_finished(10.0, "a", Outcome::Completed).unwrap();
    s.job_finished(11.0, "b", Outcome::Failed).unwrap();
    // A stale allocation (from before they finished) still lists them.
    let plan = s.plan(&r.allocation);
    assert!(plan.is_empty(), "{plan:?}");
    // An allocation without them halts nobody but c.
    let r = s.reschedule_with(30.0, fixed(&[])).unwrap();
    assert_eq!(r.plan.halts, vec![change("c", 2, 0)]);
    assert!(!r.allocation.contains_key("a") && !r.allocation.contains_key("b"));
    // Applying a change to a finished job is a no-op.
    assert!(!s.apply_change(30.0, &change("a", 0, 0)));
    s.apply(30.0, &r.plan);
    assert_eq!(s.job("a").unwrap().phase, Phase::Completed);
    assert_eq!(s.job("b").unwrap().phase, Phase::Failed);
    // A repeated finish event changes nothing.
    assert_eq!(s.job_finished(40.0, "a", Outcome::Failed).unwrap(), None);
    assert_eq!(s.job("a").unwrap().finish_time, Some(10.0));
}

#[test]
fn rebuilding_from_snapshots_gives_identical_derived_times() {
    let mut p = policy(Algorithm::Tiresias);
    p.queues.thresholds = vec![50.0];
    let mut s = Scheduler::new(0.0, p.clone(), 8);
    let specs: Vec<JobSpec> = ["run", "wait", "halted", "done"]
        .iter()
        .enumerate()
        .map(|(i, n)| JobSpec::new(*n, i as f64, 1, 4))
        .collect();
    for spec in &specs {
        s.add_job(spec.submit_time, spec.clone()).unwrap();
    }
    run(&mut s, 10.0, &[("run", 3), ("halted", 2), ("done", 1)]);
    s.tick(40.0); // run: 90 GPU-s > 50, demoted
    run(&mut s, 60.0, &[("run", 2), ("done", 1)]);
    s.job_finished(70.0, "done", Outcome::Completed).unwrap();

    // Persist as JSON (what the controller writes to status), then restart.
    let stored: Vec<(JobSpec, String)> = specs
        .iter()
        .map(|spec| {
            let snap = s.job(&spec.name).unwrap().snapshot();
            (spec.clone(), serde_json::to_string(&snap).unwrap())
        })
        .collect();
    assert!(
        stored[0].1.contains("\"phase\":\"Running\""),
        "{}",
        stored[0].1
    );
    assert!(
        stored[0].1.contains("\"firstStartTime\":10.0"),
        "{}",
        stored[0].1
    );

    let mut back = Scheduler::new(500.0, p, 8);
    for (spec, json) in stored {
        back.restore_job(spec, serde_json::from_str(&json).unwrap())
            .unwrap();
    }
    for now in [70.0, 123.4, 10_000.0] {
        for spec in &specs {
            let (a, b) = (s.job(&spec.name).unwrap(), back.job(&spec.name).unwrap());
            assert_eq!(a.times(now), b.times(now), "{} at {now}", spec.name);
            assert_eq!(a, b);
        }
    }
    assert_eq!(back.ready_jobs(), s.ready_jobs());
    assert_eq!(back.allocation(), s.allocation());
    assert_eq!(back.job("run").unwrap().queue.queue, 1);
}

#[test]
fn an_inconsistent_snapshot_is_refused() {
    let mut s = Scheduler::new(0.0, Policy::default(), 8);
    let mut snap = JobSnapshot {
        phase: Phase::Running,
        queue: 0,
        gpu_seconds_at_promotion: 0.0,
        first_start_time: Some(1.0),
        finish_time: None,
        accounting: AccountingSnapshot::default(), // waiting
    };
    let err = s
        .restore_job(JobSpec::new("a", 0.0, 1, 1), snap)
        .unwrap_err();
    assert!(
        matches!(err, SchedulerError::InconsistentSnapshot { .. }),
        "{err}"
    );
    snap.phase = Phase::Waiting;
    s.restore_job(JobSpec::new("a", 0.0, 1, 1), snap).unwrap();
    assert_eq!(
        s.restore_job(JobSpec::new("a", 0.0, 1, 1), snap),
        Err(SchedulerError::DuplicateJob("a".into()))
    );
}

#[test]
fn ready_jobs_feed_the_allocator_in_canonical_order() {
    let mut s = Scheduler::new(0.0, policy(Algorithm::Tiresias), 8);
    let mut late = JobSpec::new("late", 9.0, 2, 4);
    late.priority = 7; // clamped to the last queue
    s.add_job(9.0, late).unwrap();
    s.add_job(1.0, JobSpec::new("early", 1.0, 1, 2)).unwrap();
    s.add_job(1.0, JobSpec::new("done", 0.5, 1, 1)).unwrap();
    run(&mut s, 10.0, &[("done", 1)]);
    s.job_finished(11.0, "done", Outcome::Completed).unwrap();
    let jobs = s.ready_jobs();
    let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(names, vec!["early", "late"]);
    assert_eq!(jobs[1].queue, 1);
    assert_eq!(jobs[1].workers.min, 2);
    assert_eq!(s.count(Phase::Waiting), 2);
    assert_eq!(s.count(Phase::Completed), 1);
}

#[test]
fn the_real_algorithm_runs_through_reschedule() {
    // Whatever the algorithm returns (placeholders return zeros), the result
    // is checked and planned; here nothing was running, so nothing changes.
    let mut s = Scheduler::new(0.0, Policy::default(), 8);
    s.add_job(0.0, JobSpec::new("a", 0.0, 1, 4)).unwrap();
    let r = s.reschedule(0.0).unwrap();
    assert_eq!(r.allocation.len(), 1);
    assert_eq!(r.admitted, vec!["a".to_owned()]);
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Event {
        Add { min: u32, extra: u32 },
        Finish(usize),
        Remove(usize),
        Capacity(u32),
        Reschedule,
        Tick,
    }

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![
            (1u32..4, 0u32..4).prop_map(|(min, extra)| Event::Add { min, extra }),
            (0usize..8).prop_map(Event::Finish),
            (0usize..8).prop_map(Event::Remove),
            (0u32..16).prop_map(Event::Capacity),
            Just(Event::Reschedule),
            Just(Event::Reschedule),
            Just(Event::Tick),
        ]
    }

    /// FIFO by minimums, then one more worker each while GPUs last.
    fn greedy(gpus: u32, jobs: &[JobInfo], _: &Params) -> Vec<u32> {
        let mut free = gpus;
        let mut out: Vec<u32> = jobs
            .iter()
            .map(|j| {
                if j.workers.min <= free {
                    free -= j.workers.min;
                    j.workers.min
                } else {
                    0
                }
            })
            .collect();
        for (w, j) in out.iter_mut().zip(jobs) {
            if *w > 0 && *w < j.workers.max && free > 0 {
                *w += 1;
                free -= 1;
            }
        }
        out
    }

    proptest! {
        #[test]
        fn random_event_sequences_keep_the_books_straight(
            events in prop::collection::vec((event(), 0.0f64..20.0), 1..60),
            tiresias in any::<bool>(),
        ) {
            let algorithm = if tiresias { Algorithm::Tiresias } else { Algorithm::ElasticFifo };
            let mut p = policy(algorithm);
            p.queues.thresholds = vec![20.0, 200.0];
            p.rate_limit_seconds = 10.0;
            let mut s = Scheduler::new(0.0, p, 8);
            let mut now = 0.0;
            let mut names: Vec<String> = Vec::new();
            let mut seen: BTreeMap<String, (Times, Option<JobRecord>)> = BTreeMap::new();
            for (event, dt) in events {
                now += dt;
                match event {
                    Event::Add { min, extra } => {
                        let name = format!("j{}", names.len());
                        s.add_job(now, JobSpec::new(name.clone(), now, min, min + extra)).unwrap();
                        names.push(name);
                    }
                    Event::Finish(i) => {
                        if let Some(n) = names.get(i) && s.job(n).is_some() {
                            s.job_finished(now, n, Outcome::Completed).unwrap();
                        }
                    }
                    Event::Remove(i) => {
                        if let Some(n) = names.get(i) && s.job(n).is_some() {
                            s.remove_job(now, n).unwrap();
                            seen.remove(n);
                        }
                    }
                    Event::Capacity(g) => { s.set_capacity(now, g); }
                    Event::Reschedule => {
                        let r = s.reschedule_with(now, greedy).unwrap();
                        prop_assert!(r.running().values().sum::<u32>() <= s.capacity());
                        s.apply(now, &r.plan);
                        prop_assert_eq!(s.allocation(), r.allocation);
                        prop_assert!(s.gpus_in_use() <= s.capacity());
                    }
                    Event::Tick => { s.tick(now); }
                }
                for job in s.jobs() {
                    let t = job.times(now);
                    prop_assert!((t.total_seconds - (t.running_seconds + t.waiting_seconds)).abs() < 1e-9);
                    prop_assert!(t.gpu_seconds <= t.running_seconds * f64::from(job.spec.workers.max) + 1e-9);
                    prop_assert!(t.running_seconds_since_start <= t.running_seconds + 1e-9);
                    prop_assert!(t.waiting_seconds_since_halt <= t.waiting_seconds + 1e-9);
                    prop_assert_eq!(job.phase == Phase::Running, job.workers() > 0);
                    let entry = seen.entry(job.spec.name.clone()).or_insert((t, None));
                    prop_assert!(t.running_seconds >= entry.0.running_seconds);
                    prop_assert!(t.waiting_seconds >= entry.0.waiting_seconds);
                    prop_assert!(t.gpu_seconds >= entry.0.gpu_seconds);
                    entry.0 = t;
                    if job.phase.is_finished() {
                        match &entry.1 {
                            Some(frozen) => prop_assert_eq!(frozen, job),
                            None => entry.1 = Some(job.clone()),
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn an_estimate_change_past_the_threshold_triggers_when_the_algorithm_reads_it() {
    let mut s = Scheduler::new(0.0, policy(Algorithm::Srjf), 8);
    s.add_job(0.0, JobSpec::new("a", 0.0, 1, 2)).unwrap();
    run(&mut s, 0.0, &[("a", 1)]);
    let mut spec = JobSpec::new("a", 0.0, 1, 2);
    spec.remaining_seconds = 1000.0;
    let u = s.update_job(40.0, spec.clone()).unwrap();
    assert_eq!(u.decision, Some(Decision::RunNow));
    assert_eq!(u.estimate.unwrap().remaining, Some((0.0, 1000.0)));
    // 10 % is under the threshold: used by the next reschedule, no trigger of its own.
    spec.remaining_seconds = 900.0;
    let u = s.update_job(41.0, spec.clone()).unwrap();
    assert_eq!(u, JobUpdate::default());
    assert_eq!(s.job("a").unwrap().spec.remaining_seconds, 900.0);
    // SRJF does not read speedups, so a new table alone does not trigger.
    spec.speedup = Speedup(vec![0.0, 1.0, 1.2]);
    assert_eq!(
        s.update_job(42.0, spec.clone()).unwrap(),
        JobUpdate::default()
    );
    // AFS-L does.
    s.set_policy(42.0, policy(Algorithm::AfsL));
    spec.speedup = Speedup(vec![0.0, 1.0, 1.9]);
    let u = s.update_job(43.0, spec).unwrap();
    assert_eq!(u.estimate.unwrap().speedup, Some((2, 1.2, 1.9)));
    assert!(u.decision.is_some());
}

#[test]
fn estimates_of_finished_jobs_trigger_nothing() {
    let mut s = Scheduler::new(0.0, policy(Algorithm::Srjf), 8);
    s.add_job(0.0, JobSpec::new("a", 0.0, 1, 2)).unwrap();
    run(&mut s, 0.0, &[("a", 1)]);
    s.job_finished(10.0, "a", Outcome::Completed).unwrap();
    let mut spec = JobSpec::new("a", 0.0, 1, 2);
    spec.remaining_seconds = 1000.0;
    assert_eq!(s.update_job(40.0, spec).unwrap(), JobUpdate::default());
}

#[test]
fn an_undone_start_leaves_the_job_waiting_as_if_it_never_started() {
    let mut s = Scheduler::new(0.0, policy(Algorithm::ElasticFifo), 8);
    s.add_job(10.0, JobSpec::new("a", 10.0, 1, 4)).unwrap();
    let r = s.reschedule_with(40.0, fixed(&[("a", 2)])).unwrap();
    let before = s.job("a").unwrap().clone();
    s.apply(40.0, &r.plan);
    assert_eq!(s.job("a").unwrap().phase, Phase::Running);

    assert!(s.undo_start(&before));
    let a = s.job("a").unwrap();
    assert_eq!(
        (a.phase, a.workers(), a.first_start_time),
        (Phase::Waiting, 0, None)
    );
    assert_eq!(s.gpus_in_use(), 0);
    // Waiting time runs on from the arrival, not from the undone start.
    assert_eq!(a.times(100.0).waiting_seconds, 90.0);
    // Nothing to undo twice, or for a job that went away.
    assert!(!s.undo_start(&before));
    s.remove_job(100.0, "a").unwrap();
    assert!(!s.undo_start(&before));
}
