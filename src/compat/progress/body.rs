//! The body of a progress report, pure: JSON (one report or an array of them) or the
//! old metrics collector's per-epoch CSV (a header row, then one row per epoch).
//!
//! The format is told by the body itself — JSON starts with `{` or `[`, anything else
//! is CSV — not by `Content-Type`, which curl's `--data` sets to a form type for both.

use serde::Deserialize;

use crate::core::profile::Report;

/// One report as JSON. Unknown fields are refused, so a misspelt `epochSecond` is an
/// error rather than a silently missing number.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct JsonReport {
    /// The epoch just finished, counted from 1.
    epoch: u32,
    workers: u32,
    #[serde(alias = "epoch_time_sec")]
    epoch_seconds: f64,
    #[serde(default, alias = "step_time_sec")]
    step_seconds: f64,
    /// Accepted for symmetry with the CSV form; not used.
    #[serde(default, alias = "start_time")]
    #[allow(dead_code)]
    start_time: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum JsonBody {
    One(JsonReport),
    Many(Vec<JsonReport>),
}

/// The CSV columns read; others (e.g. `start_time`, `batch_size`) are ignored.
const EPOCH: &str = "epoch";
const WORKERS: &str = "workers";
const EPOCH_TIME: &str = "epoch_time_sec";
const STEP_TIME: &str = "step_time_sec";

/// The reports in `text`, or one line saying what is wrong with it.
pub fn parse(text: &str) -> Result<Vec<Report>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("the body is empty: send a JSON report or CSV rows with a header line".into());
    }
    let reports = if text.starts_with('{') || text.starts_with('[') {
        parse_json(text)?
    } else {
        parse_csv(text)?
    };
    if reports.is_empty() {
        return Err("the body holds no report".into());
    }
    Ok(reports)
}

fn parse_json(text: &str) -> Result<Vec<Report>, String> {
    // Parsed as one object first so its error names the field (the untagged enum's
    // own error would only say that no variant matched).
    let body: JsonBody = if text.starts_with('{') {
        JsonBody::One(serde_json::from_str(text).map_err(|e| format!("invalid JSON report: {e}"))?)
    } else {
        serde_json::from_str(text).map_err(|e| format!("invalid JSON reports: {e}"))?
    };
    let list = match body {
        JsonBody::One(r) => vec![r],
        JsonBody::Many(v) => v,
    };
    Ok(list
        .into_iter()
        .map(|r| Report {
            epoch: r.epoch,
            workers: r.workers,
            epoch_seconds: r.epoch_seconds,
            step_seconds: r.step_seconds,
        })
        .collect())
}

fn parse_csv(text: &str) -> Result<Vec<Report>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("invalid CSV header: {e}"))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (Some(epoch), Some(workers), Some(epoch_time)) =
        (column(EPOCH), column(WORKERS), column(EPOCH_TIME))
    else {
        return Err(format!(
            "CSV reports need a header line with the columns {EPOCH}, {WORKERS} and {EPOCH_TIME} ({STEP_TIME} optional); got: {}",
            headers.iter().collect::<Vec<_>>().join(",")
        ));
    };
    let step_time = column(STEP_TIME);
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        // Line 1 is the header.
        let line = i + 2;
        let row = row.map_err(|e| format!("CSV line {line}: {e}"))?;
        let field = |idx: usize, name: &str| -> Result<&str, String> {
            row.get(idx)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("CSV line {line}: column {name} is empty"))
        };
        let number = |idx: usize, name: &str| -> Result<f64, String> {
            let v = field(idx, name)?;
            v.parse::<f64>()
                .map_err(|_| format!("CSV line {line}: column {name} is not a number: {v:?}"))
        };
        let count = |idx: usize, name: &str| -> Result<u32, String> {
            let v = field(idx, name)?;
            v.parse::<u32>().map_err(|_| {
                format!("CSV line {line}: column {name} is not a whole number ≥ 0: {v:?}")
            })
        };
        out.push(Report {
            epoch: count(epoch, EPOCH)?,
            workers: count(workers, WORKERS)?,
            epoch_seconds: number(epoch_time, EPOCH_TIME)?,
            step_seconds: match step_time {
                Some(idx) if row.get(idx).is_some_and(|v| !v.is_empty()) => number(idx, STEP_TIME)?,
                _ => 0.0,
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(epoch: u32, workers: u32, epoch_seconds: f64, step_seconds: f64) -> Report {
        Report {
            epoch,
            workers,
            epoch_seconds,
            step_seconds,
        }
    }

    #[test]
    fn json_one_report_or_many() {
        assert_eq!(
            parse(r#"{"epoch": 3, "workers": 2, "epochSeconds": 41.5, "stepSeconds": 0.2}"#),
            Ok(vec![r(3, 2, 41.5, 0.2)])
        );
        assert_eq!(
            parse(
                r#"[{"epoch": 1, "workers": 1, "epoch_time_sec": 80}, {"epoch": 2, "workers": 1, "epochSeconds": 82, "startTime": "x"}]"#
            ),
            Ok(vec![r(1, 1, 80.0, 0.0), r(2, 1, 82.0, 0.0)])
        );
    }

    #[test]
    fn json_errors_name_the_field() {
        let cases = [
            (r#"{"epoch": 1, "workers": 2}"#, "epochSeconds"),
            (
                r#"{"epoch": 1, "workers": 2, "epochSeconds": 3, "epochSecond": 4}"#,
                "unknown field `epochSecond`",
            ),
            (r#"{"epoch": -1, "workers": 2, "epochSeconds": 3}"#, "-1"),
            (
                r#"{"epoch": 1, "workers": "two", "epochSeconds": 3}"#,
                "two",
            ),
            (r#"{"epoch": 1,"#, "invalid JSON"),
            ("[]", "no report"),
            ("", "empty"),
        ];
        for (body, want) in cases {
            let err = parse(body).expect_err(body);
            assert!(err.contains(want), "{body}: {err}");
        }
    }

    #[test]
    fn old_csv_rows_with_columns_in_any_order() {
        let csv = "start_time,epoch,workers,epoch_time_sec,step_time_sec,batch\n\
                   2022-10-19 04:57:00,1,2,50.5,0.25,64\n\
                   2022-10-19 04:58:00, 2 ,2,49.5,,64\n";
        assert_eq!(
            parse(csv),
            Ok(vec![r(1, 2, 50.5, 0.25), r(2, 2, 49.5, 0.0)])
        );
    }

    #[test]
    fn csv_errors_name_the_line_and_column() {
        let cases = [
            ("epoch,workers\n1,2\n", "need a header line"),
            (
                "epoch,workers,epoch_time_sec\n1,2,fast\n",
                "line 2: column epoch_time_sec is not a number",
            ),
            (
                "epoch,workers,epoch_time_sec\n1,2,3\n-1,2,3\n",
                "line 3: column epoch is not a whole number",
            ),
            (
                "epoch,workers,epoch_time_sec\n1,,3\n",
                "line 2: column workers is empty",
            ),
            ("epoch,workers,epoch_time_sec\n", "no report"),
        ];
        for (body, want) in cases {
            let err = parse(body).expect_err(body);
            assert!(err.contains(want), "{body}: {err}");
        }
    }
}
