//! Speedup models a trace can give a job, and the core [`Speedup`] table each
//! one becomes.
//!
//! The simulator hands the algorithms the job's true table (as a perfectly
//! learned profile would), and the job model progresses at the same table, so a
//! model is written once here and read by both.

use std::fmt;
use std::str::FromStr;

use crate::core::job::Speedup;

/// How a job's throughput grows with workers.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum SpeedupModel {
    /// `s[k] = k`.
    #[default]
    Linear,
    /// Amdahl's law with parallel fraction `p`: `s[k] = 1 / ((1 − p) + p / k)`.
    Amdahl(f64),
    /// Explicit speedups for 1, 2, … workers; past the end reads the last value.
    Table(Vec<f64>),
}

impl SpeedupModel {
    /// The core table for a job of at most `max` workers (`s[0] = 0`).
    pub fn table(&self, max: u32) -> Speedup {
        match self {
            SpeedupModel::Linear => Speedup::linear(),
            SpeedupModel::Amdahl(p) => Speedup(
                (0..=max)
                    .map(|k| {
                        if k == 0 {
                            0.0
                        } else {
                            1.0 / ((1.0 - p) + p / f64::from(k))
                        }
                    })
                    .collect(),
            ),
            SpeedupModel::Table(values) => {
                Speedup(std::iter::once(0.0).chain(values.iter().copied()).collect())
            }
        }
    }
}

impl fmt::Display for SpeedupModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpeedupModel::Linear => f.write_str("linear"),
            SpeedupModel::Amdahl(p) => write!(f, "amdahl:{p}"),
            SpeedupModel::Table(values) => {
                f.write_str("table:")?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{v}")?;
                }
                Ok(())
            }
        }
    }
}

impl FromStr for SpeedupModel {
    type Err = String;

    /// `linear`, `amdahl:P` with P in [0, 1], or `table:S1 S2 …` (speedups
    /// with 1, 2, … workers, each finite and > 0, separated by spaces).
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s == "linear" {
            return Ok(SpeedupModel::Linear);
        }
        if let Some(p) = s.strip_prefix("amdahl:") {
            let p: f64 = p
                .trim()
                .parse()
                .map_err(|_| format!("amdahl fraction {p:?} is not a number"))?;
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("amdahl fraction {p} is outside [0, 1]"));
            }
            return Ok(SpeedupModel::Amdahl(p));
        }
        if let Some(list) = s.strip_prefix("table:") {
            let mut values = Vec::new();
            for (i, item) in list.split_whitespace().enumerate() {
                let v: f64 = item.parse().map_err(|_| {
                    format!("speedup with {} workers, {item:?}, is not a number", i + 1)
                })?;
                // A zero speedup would stall the job forever at that size.
                if !(v.is_finite() && v > 0.0) {
                    return Err(format!(
                        "speedup with {} workers is {v}; it must be finite and > 0",
                        i + 1
                    ));
                }
                values.push(v);
            }
            if values.is_empty() {
                return Err("a speedup table needs at least one value".into());
            }
            return Ok(SpeedupModel::Table(values));
        }
        Err(format!(
            "unknown speedup model {s:?}; use linear, amdahl:P or table:S1 S2 ..."
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_every_model() {
        for text in ["linear", "amdahl:0.95", "table:1 1.8 2.5"] {
            let m: SpeedupModel = text.parse().unwrap();
            assert_eq!(m.to_string(), text);
        }
        assert_eq!(
            " table: 1  2 ".parse::<SpeedupModel>(),
            Ok(SpeedupModel::Table(vec![1.0, 2.0]))
        );
    }

    #[test]
    fn refuses_bad_models_with_a_reason() {
        for (text, why) in [
            ("amdahl:1.5", "outside [0, 1]"),
            ("amdahl:x", "not a number"),
            ("table:", "at least one value"),
            ("table:1 0", "2 workers is 0"),
            ("table:1 y", "2 workers, \"y\""),
            ("cubic", "unknown speedup model"),
        ] {
            let err = text.parse::<SpeedupModel>().unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn tables_follow_the_core_conventions() {
        let t = SpeedupModel::Amdahl(0.5).table(4);
        assert_eq!(t.at(0), 0.0);
        assert_eq!(t.at(1), 1.0);
        assert!((t.at(2) - 1.0 / 0.75).abs() < 1e-12);
        // Past the table, the last value (no infinite scalability).
        assert_eq!(t.at(9), t.at(4));
        assert_eq!(SpeedupModel::Linear.table(4).at(7), 7.0);
        let t = SpeedupModel::Table(vec![1.0, 1.5]).table(8);
        assert_eq!((t.at(1), t.at(2), t.at(8)), (1.0, 1.5, 1.5));
        // Amdahl with p = 1 is linear, with p = 0 flat.
        assert_eq!(SpeedupModel::Amdahl(1.0).table(8).at(8), 8.0);
        assert_eq!(SpeedupModel::Amdahl(0.0).table(8).at(8), 1.0);
    }
}
