use super::*;

fn m(workers: u32, epoch_seconds: f64) -> Measurement {
    Measurement {
        workers,
        epoch_seconds,
        step_seconds: epoch_seconds / 100.0,
        samples: 1,
    }
}

fn report(epoch: u32, workers: u32, epoch_seconds: f64) -> Report {
    Report {
        epoch,
        workers,
        epoch_seconds,
        step_seconds: 0.1,
    }
}

fn close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9)
}

const LIMITS: Limits = Limits {
    min_workers: 1,
    max_workers: 4,
    epochs: Some(10),
};

#[test]
fn possible_reports_pass() {
    assert_eq!(check(&report(1, 1, 10.0), &LIMITS), Ok(()));
    assert_eq!(check(&report(10, 4, 0.5), &LIMITS), Ok(()));
    let no_epochs = Limits {
        epochs: None,
        ..LIMITS
    };
    assert_eq!(check(&report(500, 2, 1.0), &no_epochs), Ok(()));
}

#[test]
fn impossible_reports_name_what_is_wrong() {
    let cases = [
        (report(0, 1, 1.0), "at least 1"),
        (report(11, 1, 1.0), "epoch 11 is beyond the job's 10 epochs"),
        (
            report(1, 5, 1.0),
            "workers 5 is outside the job's bounds [1, 4]",
        ),
        (report(1, 0, 1.0), "workers 0 is outside"),
        (report(1, 1, -3.0), "epochSeconds"),
        (report(1, 1, 0.0), "epochSeconds"),
        (report(1, 1, f64::NAN), "epochSeconds"),
        (report(1, 1, f64::INFINITY), "epochSeconds"),
        (
            Report {
                step_seconds: -0.5,
                ..report(1, 1, 1.0)
            },
            "stepSeconds",
        ),
    ];
    for (r, want) in cases {
        let err = check(&r, &LIMITS).expect_err("refused").to_string();
        assert!(err.contains(want), "{r:?}: {err}");
    }
}

#[test]
fn recording_keeps_a_running_mean_per_worker_count() {
    let mut measured = Vec::new();
    record(&mut measured, &report(1, 2, 50.0));
    record(&mut measured, &report(2, 1, 100.0));
    record(&mut measured, &report(3, 2, 70.0));
    assert_eq!(
        measured.iter().map(|m| m.workers).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(measured[1].epoch_seconds, 60.0);
    assert_eq!(measured[1].samples, 2);
}

#[test]
fn a_single_measurement_means_linear_speedup() {
    // Measured only with 2 workers: one worker is assumed twice as slow, 4 twice as fast.
    let t = tables(&[m(2, 50.0)], 4).unwrap();
    assert!(close(
        &t.epoch_seconds,
        &[0.0, 100.0, 50.0, 100.0 / 3.0, 25.0]
    ));
    assert!(close(&t.speedup, &[0.0, 1.0, 2.0, 3.0, 4.0]));
    assert!(close(&t.efficiency, &[0.0, 1.0, 1.0, 1.0, 1.0]));
}

#[test]
fn speedup_is_one_worker_epoch_time_over_k_worker_epoch_time() {
    let t = tables(&[m(1, 100.0), m(2, 62.5), m(4, 40.0)], 4).unwrap();
    assert!(close(&t.speedup, &[0.0, 1.0, 1.6, 2.05, 2.5]));
    assert!(close(&t.efficiency, &[0.0, 1.0, 0.8, 2.05 / 3.0, 0.625]));
    // The missing count (3) is interpolated linearly in throughput between 2 and 4.
    assert!((t.epoch_seconds[3] - 100.0 / 2.05).abs() < 1e-9);
}

#[test]
fn past_the_largest_measurement_the_last_slope_continues_but_never_down() {
    let t = tables(&[m(1, 100.0), m(2, 60.0)], 4).unwrap();
    let gain = 100.0 / 60.0 - 1.0;
    assert!(close(
        &t.speedup,
        &[0.0, 1.0, 1.0 + gain, 1.0 + 2.0 * gain, 1.0 + 3.0 * gain]
    ));
    // Slower with 2 than with 1: more workers are assumed no better than 2.
    let t = tables(&[m(1, 100.0), m(2, 120.0)], 4).unwrap();
    let s2 = 100.0 / 120.0;
    assert!(close(&t.speedup, &[0.0, 1.0, s2, s2, s2]));
}

#[test]
fn nothing_usable_gives_no_tables() {
    assert_eq!(tables(&[], 4), None);
    assert_eq!(tables(&[m(2, 0.0), m(3, f64::NAN)], 4), None);
    assert_eq!(tables(&[m(2, 10.0)], 0), None);
}

#[test]
fn the_jobs_own_measurements_win_and_the_category_fills_the_rest() {
    let prior = [m(1, 100.0), m(2, 60.0), m(4, 40.0)];
    let own = [m(2, 50.0)];
    let c = combine(&prior, &own);
    assert_eq!(
        c.iter()
            .map(|x| (x.workers, x.epoch_seconds))
            .collect::<Vec<_>>(),
        [(1, 100.0), (2, 50.0), (4, 40.0)]
    );
}

#[test]
fn remaining_time_is_remaining_epochs_times_one_worker_epoch_time() {
    let t = tables(&[m(2, 50.0)], 4).unwrap();
    // 10 epochs, 3 done, 100 s per epoch on one worker.
    assert_eq!(remaining_seconds(Some(10), 3, Some(&t)), 700.0);
    assert_eq!(remaining_seconds(Some(10), 10, Some(&t)), 0.0);
    assert_eq!(remaining_seconds(Some(10), 12, Some(&t)), 0.0);
    // A new job of a known category: every epoch is still to run.
    assert_eq!(remaining_seconds(Some(10), 0, Some(&t)), 1000.0);
    assert_eq!(remaining_seconds(None, 3, Some(&t)), 0.0);
    assert_eq!(remaining_seconds(Some(10), 3, None), 0.0);
    // Measured seconds are kept exactly, not sent through 1 / (1 / x).
    let t = tables(&[m(1, 105.0)], 2).unwrap();
    assert_eq!(remaining_seconds(Some(20), 0, Some(&t)), 2100.0);
}

#[test]
fn a_category_learns_sample_weighted_means_from_each_finished_job() {
    let first = merge_into_category(&[], &[m(1, 100.0), m(2, 60.0)]);
    assert_eq!(first, vec![m(1, 100.0), m(2, 60.0)]);
    let job = [
        Measurement {
            samples: 3,
            ..m(2, 40.0)
        },
        m(4, 30.0),
    ];
    let second = merge_into_category(&first, &job);
    assert_eq!(second.len(), 3);
    assert_eq!(second[1].epoch_seconds, 45.0); // (60 × 1 + 40 × 3) / 4
    assert_eq!(second[1].samples, 4);
    assert_eq!(second[2], m(4, 30.0));
    // A new job of the category starts from what the category learned.
    let start = tables(&second, 4).unwrap();
    assert_eq!(start.epoch_seconds[1], 100.0);
    assert_eq!(remaining_seconds(Some(20), 0, Some(&start)), 2000.0);
}

#[test]
fn a_long_history_still_moves_with_new_jobs() {
    let history = [Measurement {
        samples: 1_000_000,
        ..m(1, 100.0)
    }];
    let after = merge_into_category(
        &history,
        &[Measurement {
            samples: 200,
            ..m(1, 50.0)
        }],
    );
    // The history weighs CATEGORY_MEMORY_SAMPLES (200) epochs: the mean moves halfway.
    assert_eq!(after[0].epoch_seconds, 75.0);
}

#[test]
fn small_estimate_changes_are_not_worth_a_reschedule() {
    let range = WorkerRange {
        min: 1,
        max: 4,
        requested: 1,
    };
    let linear = Speedup::linear();
    let c = estimate_change((1000.0, &linear), (1100.0, &linear), range);
    assert!(c.is_empty(), "10 % is under the threshold: {c:?}");
    // 50 % but only 30 s: under the floor.
    let c = estimate_change((60.0, &linear), (30.0, &linear), range);
    assert!(c.is_empty(), "{c:?}");
    let c = estimate_change((1000.0, &linear), (700.0, &linear), range);
    assert_eq!(c.remaining, Some((1000.0, 700.0)));
    // From nothing known to an estimate is a change.
    assert_eq!(
        estimate_change((0.0, &linear), (900.0, &linear), range).remaining,
        Some((0.0, 900.0))
    );
}

#[test]
fn speedup_changes_count_only_where_the_job_can_run() {
    let range = WorkerRange {
        min: 1,
        max: 2,
        requested: 1,
    };
    let linear = Speedup::linear();
    // Far from linear at 4 workers, which this job cannot get.
    let measured = Speedup(vec![0.0, 1.0, 1.95, 2.0, 2.0]);
    assert!(estimate_change((0.0, &linear), (0.0, &measured), range).is_empty());
    let range = WorkerRange { max: 4, ..range };
    let c = estimate_change((0.0, &linear), (0.0, &measured), range);
    assert_eq!(c.speedup, Some((4, 4.0, 2.0)));
    assert_eq!(c.to_string(), "speedup with 4 workers 4.00 -> 2.00");
}
