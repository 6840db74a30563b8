//! A seeded synthetic trace with the shape of Microsoft's Philly cluster traces:
//! Poisson arrivals, heavy-tailed (log-normal) durations, and mostly single-GPU
//! jobs with a tail of 2, 4, 8 and 16 GPUs.
//!
//! The arrival rate is derived from the jobs themselves so that the trace
//! offers exactly `load` of the cluster's GPU-seconds on average (at the
//! requested GPU counts): `rate = load × GPUs / mean(gpus × duration)`.

use rand_distr::{Distribution, Exp, LogNormal, StandardUniform};
use rand_pcg::Pcg64;
use rand_pcg::rand_core::SeedableRng;

use super::trace::{SingleCount, Trace, TraceJob};

/// GPU counts and how often they are asked for (Philly: ~70 % single-GPU jobs).
const GPU_MIX: [(u32, f64); 5] = [(1, 0.70), (2, 0.10), (4, 0.10), (8, 0.07), (16, 0.03)];

/// Median duration (seconds) and log-space spread: a median of 15 minutes, a
/// mean near an hour, and about 0.2 % of jobs longer than a day.
const DURATION_MEDIAN: f64 = 900.0;
const DURATION_SIGMA: f64 = 1.6;
/// Bounds that keep a single draw from dominating a small trace.
const DURATION_MIN: f64 = 30.0;
const DURATION_MAX: f64 = 30.0 * 86_400.0;

/// Cosmetic categories, drawn uniformly.
const CATEGORIES: [&str; 6] = ["resnet50", "vgg16", "inception3", "bert", "gpt2", "lstm"];

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct Synthetic {
    pub jobs: usize,
    pub seed: u64,
    /// Offered load: mean GPU demand as a fraction of the cluster, > 0.
    pub load: f64,
    /// GPUs in the cluster; GPU counts above it are left out of the mix.
    pub gpus: u32,
    /// How each job's GPU count becomes an elastic range and speedup.
    pub single: SingleCount,
}

/// Generate the trace. The same spec always gives the same trace.
pub fn generate(spec: &Synthetic) -> Result<Trace, String> {
    if spec.jobs == 0 {
        return Err("a synthetic trace needs at least one job".into());
    }
    if !(spec.load.is_finite() && spec.load > 0.0) {
        return Err(format!("load {} must be finite and > 0", spec.load));
    }
    spec.single.validate()?;
    let mix: Vec<(u32, f64)> = GPU_MIX
        .iter()
        .copied()
        .filter(|&(g, _)| g <= spec.gpus)
        .collect();
    let total_weight: f64 = mix.iter().map(|&(_, w)| w).sum();
    if mix.is_empty() {
        return Err("the cluster has no GPUs".into());
    }
    let durations = LogNormal::new(DURATION_MEDIAN.ln(), DURATION_SIGMA)
        .map_err(|e| format!("duration distribution: {e}"))?;
    let mut rng = Pcg64::seed_from_u64(spec.seed);

    // Sizes and durations first: the arrival rate depends on their mean.
    let mut drawn = Vec::with_capacity(spec.jobs);
    for _ in 0..spec.jobs {
        let u: f64 = StandardUniform.sample(&mut rng);
        let mut pick = u * total_weight;
        let mut gpus = mix[mix.len() - 1].0;
        for &(g, w) in &mix {
            if pick < w {
                gpus = g;
                break;
            }
            pick -= w;
        }
        // Whole seconds, like real traces.
        let duration = durations
            .sample(&mut rng)
            .clamp(DURATION_MIN, DURATION_MAX)
            .round();
        let c: f64 = StandardUniform.sample(&mut rng);
        let category =
            CATEGORIES[((c * CATEGORIES.len() as f64) as usize).min(CATEGORIES.len() - 1)];
        drawn.push((gpus, duration, category));
    }
    let demand: f64 = drawn.iter().map(|&(g, d, _)| f64::from(g) * d).sum();
    let rate = spec.load * f64::from(spec.gpus) * spec.jobs as f64 / demand;
    let gaps = Exp::new(rate).map_err(|e| format!("arrival distribution: {e}"))?;

    let width = spec.jobs.to_string().len();
    let mut submit = 0.0_f64;
    let mut jobs = Vec::with_capacity(spec.jobs);
    for (i, (gpus, duration, category)) in drawn.into_iter().enumerate() {
        if i > 0 {
            let gap: f64 = gaps.sample(&mut rng);
            submit += gap;
        }
        jobs.push(TraceJob::new(
            format!("s{:0width$}", i + 1),
            category.to_owned(),
            submit.round(),
            spec.single.range(gpus),
            duration,
            spec.single.speedup.clone(),
        ));
    }
    Ok(Trace {
        source: format!(
            "synthetic (jobs {}, load {}, seed {})",
            spec.jobs, spec.load, spec.seed
        ),
        jobs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(jobs: usize, seed: u64) -> Synthetic {
        Synthetic {
            jobs,
            seed,
            load: 0.8,
            gpus: 64,
            single: SingleCount::default(),
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_trace_and_another_seed_another() {
        let a = generate(&spec(500, 7)).unwrap();
        assert_eq!(a, generate(&spec(500, 7)).unwrap());
        assert_ne!(a, generate(&spec(500, 8)).unwrap());
    }

    #[test]
    fn has_the_philly_like_shape() {
        let t = generate(&spec(20_000, 1)).unwrap();
        let n = t.jobs.len() as f64;
        let share = |g: u32| t.jobs.iter().filter(|j| j.workers.requested == g).count() as f64 / n;
        assert!((share(1) - 0.70).abs() < 0.02, "{}", share(1));
        assert!((share(16) - 0.03).abs() < 0.01, "{}", share(16));
        // Submissions are ordered, start at 0, and whole seconds.
        assert_eq!(t.jobs[0].submit, 0.0);
        assert!(t.jobs.windows(2).all(|w| w[0].submit <= w[1].submit));
        // Heavy tail: the mean is well above the median.
        let mut d: Vec<f64> = t.jobs.iter().map(|j| j.duration).collect();
        d.sort_by(f64::total_cmp);
        let median = d[d.len() / 2];
        let mean = d.iter().sum::<f64>() / n;
        assert!((median - DURATION_MEDIAN).abs() < 60.0, "{median}");
        assert!(mean > 2.5 * median, "{mean} vs {median}");
        // The offered load is what was asked for.
        let demand: f64 = t
            .jobs
            .iter()
            .map(|j| f64::from(j.workers.requested) * j.duration)
            .sum();
        let span = t.jobs.last().unwrap().submit;
        let load = demand / (span * 64.0);
        assert!((load - 0.8).abs() < 0.05, "{load}");
    }

    #[test]
    fn gpu_counts_fit_the_cluster_and_bad_specs_are_refused() {
        let mut s = spec(1000, 3);
        s.gpus = 4;
        let t = generate(&s).unwrap();
        assert!(t.jobs.iter().all(|j| j.workers.requested <= 4));
        assert!(generate(&spec(0, 1)).is_err());
        s.load = 0.0;
        assert!(generate(&s).is_err());
        s.load = 1.0;
        s.gpus = 0;
        assert!(generate(&s).is_err());
    }
}
