//! An SVG chart of a comparison: the JCT CDF per algorithm (log time axis,
//! since JCTs are heavy-tailed) above the GPUs in use over time.
//!
//! Drawn with plotters' SVG backend only. Without its `ttf` feature plotters
//! estimates text sizes itself and the SVG names a generic font family, so no
//! font files or system libraries are needed; the viewer renders the text.
//! Long series are thinned (CDF to 1,000 quantiles, usage to 1,500
//! time-weighted means) to keep the file small.

use plotters::prelude::*;

use super::engine::{Run, UsagePoint};

const WIDTH: u32 = 1000;
const HEIGHT: u32 = 900;
const CDF_POINTS: usize = 1000;
const USAGE_BUCKETS: usize = 1500;

/// One colour per algorithm, in `Algorithm::ALL` order (cycling if needed).
const COLOURS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// Render the chart of `runs` (all over the same trace) as an SVG document.
pub fn render(title: &str, runs: &[Run]) -> Result<String, String> {
    let mut svg = String::new();
    draw(&mut svg, title, runs).map_err(|e| format!("cannot draw the chart: {e}"))?;
    Ok(svg)
}

fn draw(svg: &mut String, title: &str, runs: &[Run]) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 18))?;
    let (top, bottom) = root.split_vertically(HEIGHT / 2 - 10);

    // JCT CDF.
    let cdfs: Vec<Vec<(f64, f64)>> = runs.iter().map(cdf).collect();
    let (lo, hi) = cdfs
        .iter()
        .flatten()
        .fold((f64::INFINITY, 0.0_f64), |(lo, hi), &(x, _)| {
            (lo.min(x), hi.max(x))
        });
    let lo = if lo.is_finite() && lo > 0.0 { lo } else { 1.0 };
    let hi = hi.max(lo * 1.01);
    let mut chart = ChartBuilder::on(&top)
        .caption("JCT CDF", ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d((lo * 0.9..hi * 1.1).log_scale(), 0.0..1.0)?;
    chart
        .configure_mesh()
        .x_desc("job completion time (s, log scale)")
        .y_desc("fraction of jobs")
        .x_labels(8)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.1}"))
        .draw()?;
    for (i, (run, points)) in runs.iter().zip(&cdfs).enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                colour.stroke_width(2),
            ))?
            .label(run.algorithm.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;

    // GPUs in use over time, in hours once the run is longer than two.
    let end = runs
        .iter()
        .filter_map(|r| r.usage.last().map(|u| u.time))
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let (unit, scale) = if end > 7200.0 {
        ("hours", 3600.0)
    } else {
        ("s", 1.0)
    };
    let gpus = runs.iter().map(|r| r.gpus).max().unwrap_or(1).max(1);
    let mut chart = ChartBuilder::on(&bottom)
        .caption("GPUs in use", ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(0.0..end / scale, 0.0..f64::from(gpus) * 1.05)?;
    chart
        .configure_mesh()
        .x_desc(format!("time ({unit})"))
        .y_desc("GPUs")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    for (i, run) in runs.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let points = usage_line(&run.usage, end)
            .into_iter()
            .map(|(t, g)| (t / scale, g));
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(1)))?
            .label(run.algorithm.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// The empirical CDF as a step line, thinned to at most [`CDF_POINTS`] steps.
fn cdf(run: &Run) -> Vec<(f64, f64)> {
    let mut jct: Vec<f64> = run.jobs.iter().map(|j| j.jct()).collect();
    jct.sort_by(f64::total_cmp);
    let n = jct.len();
    if n == 0 {
        return Vec::new();
    }
    let step = n.div_ceil(CDF_POINTS);
    let mut points = Vec::with_capacity(2 * n / step + 2);
    let mut below = 0.0;
    let mut i = step - 1;
    loop {
        let i_clamped = i.min(n - 1);
        let x = jct[i_clamped];
        let y = (i_clamped + 1) as f64 / n as f64;
        points.push((x, below));
        points.push((x, y));
        below = y;
        if i_clamped == n - 1 {
            break;
        }
        i += step;
    }
    points
}

/// The usage step function as a line up to `end`; with many points, the
/// time-weighted mean of each of [`USAGE_BUCKETS`] equal intervals instead.
fn usage_line(usage: &[UsagePoint], end: f64) -> Vec<(f64, f64)> {
    if usage.len() <= USAGE_BUCKETS {
        let mut points = Vec::with_capacity(2 * usage.len() + 1);
        for (i, u) in usage.iter().enumerate() {
            if i > 0 {
                points.push((u.time, f64::from(usage[i - 1].gpus)));
            }
            points.push((u.time, f64::from(u.gpus)));
        }
        if let Some(last) = usage.last() {
            points.push((end, f64::from(last.gpus)));
        }
        return points;
    }
    let width = end / USAGE_BUCKETS as f64;
    let mut sums = vec![0.0; USAGE_BUCKETS];
    for (i, u) in usage.iter().enumerate() {
        let until = usage.get(i + 1).map_or(end, |n| n.time);
        let mut t = u.time;
        while t < until {
            let bucket = ((t / width) as usize).min(USAGE_BUCKETS - 1);
            let bucket_end = if bucket == USAGE_BUCKETS - 1 {
                until
            } else {
                (bucket + 1) as f64 * width
            };
            let stop = until.min(bucket_end);
            sums[bucket] += (stop - t) * f64::from(u.gpus);
            t = stop;
        }
    }
    sums.iter()
        .enumerate()
        .map(|(b, s)| ((b as f64 + 0.5) * width, s / width))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::algorithms::Algorithm;
    use crate::core::job::WorkerRange;
    use crate::sim::engine::JobResult;

    fn run(jcts: &[f64]) -> Run {
        Run {
            algorithm: Algorithm::ElasticFifo,
            gpus: 8,
            jobs: jcts
                .iter()
                .enumerate()
                .map(|(i, &j)| JobResult {
                    name: i.to_string(),
                    category: String::new(),
                    workers: WorkerRange {
                        min: 1,
                        max: 1,
                        requested: 1,
                    },
                    work: 1.0,
                    submit: 0.0,
                    first_start: 0.0,
                    finish: j,
                    queueing_delay: 0.0,
                    gpu_seconds: j,
                    starts: 1,
                    halts: 0,
                    rescales: 0,
                    migrations: 0,
                })
                .collect(),
            usage: vec![
                UsagePoint { time: 0.0, gpus: 0 },
                UsagePoint { time: 1.0, gpus: 4 },
                UsagePoint { time: 3.0, gpus: 0 },
            ],
            reschedules: 1,
            peak_gpus: 4,
            peak_node_gpus: 4,
        }
    }

    #[test]
    fn renders_an_svg_with_both_panels_and_a_legend() {
        let svg = render("test", &[run(&[10.0, 20.0, 400.0])]).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        for text in ["JCT CDF", "GPUs in use", "ElasticFIFO", "fraction of jobs"] {
            assert!(svg.contains(text), "{text}");
        }
        // Deterministic.
        assert_eq!(svg, render("test", &[run(&[10.0, 20.0, 400.0])]).unwrap());
    }

    #[test]
    fn the_cdf_is_a_step_line_thinned_for_long_runs() {
        let points = cdf(&run(&[30.0, 10.0, 20.0]));
        assert_eq!(
            points,
            vec![
                (10.0, 0.0),
                (10.0, 1.0 / 3.0),
                (20.0, 1.0 / 3.0),
                (20.0, 2.0 / 3.0),
                (30.0, 2.0 / 3.0),
                (30.0, 1.0)
            ]
        );
        let many: Vec<f64> = (1..=10_000).map(f64::from).collect();
        let points = cdf(&run(&many));
        assert!(points.len() <= 2 * CDF_POINTS, "{}", points.len());
        assert_eq!(points.last(), Some(&(10_000.0, 1.0)));
    }

    #[test]
    fn usage_is_a_step_line_or_time_weighted_means() {
        let r = run(&[1.0]);
        assert_eq!(
            usage_line(&r.usage, 4.0),
            vec![
                (0.0, 0.0),
                (1.0, 0.0),
                (1.0, 4.0),
                (3.0, 4.0),
                (3.0, 0.0),
                (4.0, 0.0)
            ]
        );
        // 4 GPUs for the first half of the time, 0 after: means of 4 then 0.
        let mut usage: Vec<UsagePoint> = (0..2 * USAGE_BUCKETS)
            .map(|i| UsagePoint {
                time: i as f64 * 0.25,
                gpus: 4,
            })
            .collect();
        usage.push(UsagePoint {
            time: 750.0,
            gpus: 0,
        });
        let line = usage_line(&usage, 1500.0);
        assert_eq!(line.len(), USAGE_BUCKETS);
        assert!((line[0].1 - 4.0).abs() < 1e-9 && line[USAGE_BUCKETS - 1].1 == 0.0);
    }
}
