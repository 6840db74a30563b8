//! Job traces: the project's own CSV format and the Tiresias format, parsed and
//! validated with errors that name the file, line and field.
//!
//! The own format (`voda`) has one job per line:
//!
//! ```text
//! name,submit,min,requested,max,duration,speedup,category
//! resnet-a,0,1,2,4,3600,amdahl:0.95,resnet50
//! ```
//!
//! `submit` and `duration` are seconds; `duration` is how long the job runs with
//! `requested` workers; `speedup` is `linear`, `amdahl:P` or `table:S1 S2 …`
//! (default linear) and `category` is free text (default: the name). Lines that
//! start with `#` are comments; columns may come in any order.
//!
//! The Tiresias format (`job_id,num_gpu,submit_time,iterations,model_name,
//! duration,interval`) gives one GPU count per job; [`SingleCount`] says how
//! that count becomes an elastic range and which speedup model applies.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use csv::{ReaderBuilder, StringRecord, Trim};

use super::speedup::SpeedupModel;
use crate::core::job::{Speedup, WorkerRange};

/// The Tiresias 60-job trace, embedded so `simulate` works from any directory.
pub const TIRESIAS_60JOB: &str = include_str!("../../examples/traces/tiresias-60job.csv");

/// What the embedded trace is called in messages and output.
pub const TIRESIAS_60JOB_NAME: &str = "tiresias-60job.csv";

/// One job of a trace.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceJob {
    pub name: String,
    pub category: String,
    /// Seconds.
    pub submit: f64,
    pub workers: WorkerRange,
    /// Seconds with `workers.requested` workers, as the trace gave it.
    pub duration: f64,
    pub speedup: SpeedupModel,
    /// Seconds of work on one GPU: `duration × s[requested]`.
    pub work: f64,
}

impl TraceJob {
    pub fn new(
        name: String,
        category: String,
        submit: f64,
        workers: WorkerRange,
        duration: f64,
        speedup: SpeedupModel,
    ) -> Self {
        let work = duration * speedup.table(workers.max).at(workers.requested);
        Self {
            name,
            category,
            submit,
            workers,
            duration,
            speedup,
            work,
        }
    }

    /// The core speedup table (up to `max` workers).
    pub fn speedup_table(&self) -> Speedup {
        self.speedup.table(self.workers.max)
    }
}

/// A parsed trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// Where it came from (file name), for messages and output.
    pub source: String,
    /// In file order.
    pub jobs: Vec<TraceJob>,
}

/// The trace file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceFormat {
    /// `name,submit,min,requested,max,duration,speedup,category`.
    Voda,
    /// `job_id,num_gpu,submit_time,iterations,model_name,duration,interval`.
    Tiresias,
}

impl FromStr for TraceFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "voda" => Ok(TraceFormat::Voda),
            "tiresias" => Ok(TraceFormat::Tiresias),
            _ => Err(format!("unknown trace format {s:?}; use voda or tiresias")),
        }
    }
}

/// How a trace that gives one GPU count per job (Tiresias, synthetic) becomes
/// elastic jobs: `min = max(1, ⌈n × min_scale⌉)`, `requested = n`,
/// `max = max(n, ⌊n × max_scale⌋)`, all with one speedup model.
#[derive(Debug, Clone, PartialEq)]
pub struct SingleCount {
    /// In (0, 1]; 1 keeps the minimum at the count.
    pub min_scale: f64,
    /// ≥ 1; 1 keeps the maximum at the count.
    pub max_scale: f64,
    pub speedup: SpeedupModel,
}

impl Default for SingleCount {
    fn default() -> Self {
        Self {
            min_scale: 0.5,
            max_scale: 2.0,
            speedup: SpeedupModel::Amdahl(0.95),
        }
    }
}

impl SingleCount {
    pub fn validate(&self) -> Result<(), String> {
        if !(self.min_scale > 0.0 && self.min_scale <= 1.0) {
            return Err(format!("min scale {} is outside (0, 1]", self.min_scale));
        }
        if !(self.max_scale >= 1.0 && self.max_scale.is_finite()) {
            return Err(format!(
                "max scale {} must be finite and ≥ 1",
                self.max_scale
            ));
        }
        Ok(())
    }

    /// The worker range of a job that asked for `n` GPUs.
    pub fn range(&self, n: u32) -> WorkerRange {
        let n_f = f64::from(n);
        // Float → int casts saturate, and the results are clamped to [1, n] and
        // [n, ∞), so no scale can produce an invalid range.
        let min = ((n_f * self.min_scale).ceil() as u32).clamp(1, n.max(1));
        let max = ((n_f * self.max_scale).floor() as u32).max(n);
        WorkerRange {
            min,
            max,
            requested: n,
        }
    }
}

/// A bad trace: which file, line and field, and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct TraceError {
    /// The file (or what the trace is called).
    pub file: String,
    /// 1-based; `None` for problems with the whole file.
    pub line: Option<u64>,
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Which format a file is in, from its header.
pub fn detect(text: &str) -> Option<TraceFormat> {
    let header = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    if cols.contains(&"num_gpu") {
        Some(TraceFormat::Tiresias)
    } else if cols.contains(&"requested") {
        Some(TraceFormat::Voda)
    } else {
        None
    }
}

/// Parse `text` (from `source`) in `format`, or the format its header shows.
pub fn parse(
    text: &str,
    source: &str,
    format: Option<TraceFormat>,
    single: &SingleCount,
) -> Result<Trace, TraceError> {
    let format = format.or_else(|| detect(text)).ok_or_else(|| TraceError {
        file: source.to_owned(),
        line: None,
        field: None,
        message: "unknown trace format: the header has neither `requested` (voda) nor \
                  `num_gpu` (tiresias); pass --trace-format"
            .into(),
    })?;
    match format {
        TraceFormat::Voda => parse_voda(text, source),
        TraceFormat::Tiresias => parse_tiresias(text, source, single),
    }
}

/// Parse the project's own format.
pub fn parse_voda(text: &str, source: &str) -> Result<Trace, TraceError> {
    const REQUIRED: [&str; 6] = ["name", "submit", "min", "requested", "max", "duration"];
    const OPTIONAL: [&str; 2] = ["speedup", "category"];
    let mut rows = Rows::new(text, source, &REQUIRED, &OPTIONAL, false)?;
    let mut jobs = Vec::new();
    while let Some(mut row) = rows.next_row()? {
        let name = row.name("name")?;
        let submit = row.seconds("submit", true)?;
        let min = row.count("min")?;
        let requested = row.count("requested")?;
        let max = row.count("max")?;
        if max < min {
            return Err(row.error("max", format!("max {max} is below min {min}")));
        }
        if !(min..=max).contains(&requested) {
            return Err(row.error(
                "requested",
                format!("requested {requested} is outside [min, max] = [{min}, {max}]"),
            ));
        }
        let duration = row.seconds("duration", false)?;
        let speedup = match row.get("speedup") {
            Some(s) if !s.is_empty() => s
                .parse::<SpeedupModel>()
                .map_err(|e| row.error("speedup", e))?,
            _ => SpeedupModel::Linear,
        };
        let category = match row.get("category") {
            Some(c) if !c.is_empty() => c.to_owned(),
            _ => name.clone(),
        };
        let workers = WorkerRange {
            min,
            max,
            requested,
        };
        jobs.push(TraceJob::new(
            name, category, submit, workers, duration, speedup,
        ));
    }
    rows.finish(jobs)
}

/// Parse the Tiresias format; `single` turns `num_gpu` into an elastic range.
pub fn parse_tiresias(text: &str, source: &str, single: &SingleCount) -> Result<Trace, TraceError> {
    const REQUIRED: [&str; 4] = ["job_id", "num_gpu", "submit_time", "duration"];
    const OPTIONAL: [&str; 1] = ["model_name"];
    single.validate().map_err(|message| TraceError {
        file: source.to_owned(),
        line: None,
        field: None,
        message,
    })?;
    // The format has more columns (iterations, interval) the simulator does not use.
    let mut rows = Rows::new(text, source, &REQUIRED, &OPTIONAL, true)?;
    let mut jobs = Vec::new();
    while let Some(mut row) = rows.next_row()? {
        let name = row.name("job_id")?;
        let gpus = row.count("num_gpu")?;
        let submit = row.seconds("submit_time", true)?;
        let duration = row.seconds("duration", false)?;
        let category = match row.get("model_name") {
            Some(c) if !c.is_empty() => c.to_owned(),
            _ => name.clone(),
        };
        jobs.push(TraceJob::new(
            name,
            category,
            submit,
            single.range(gpus),
            duration,
            single.speedup.clone(),
        ));
    }
    rows.finish(jobs)
}

/// Write a trace in the project's own format. It round-trips exactly: floats
/// are written in their shortest exact form.
pub fn write_voda(trace: &Trace) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "name",
        "submit",
        "min",
        "requested",
        "max",
        "duration",
        "speedup",
        "category",
    ])?;
    for j in &trace.jobs {
        w.write_record([
            j.name.clone(),
            j.submit.to_string(),
            j.workers.min.to_string(),
            j.workers.requested.to_string(),
            j.workers.max.to_string(),
            j.duration.to_string(),
            j.speedup.to_string(),
            j.category.clone(),
        ])?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Reads records and hands out typed fields with errors that point at them.
struct Rows<'a> {
    source: &'a str,
    reader: csv::Reader<&'a [u8]>,
    columns: HashMap<String, usize>,
    record: StringRecord,
    /// Name → line of first use, to refuse duplicates.
    names: HashMap<String, u64>,
}

impl<'a> Rows<'a> {
    fn new(
        text: &'a str,
        source: &'a str,
        required: &[&str],
        optional: &[&str],
        allow_unknown: bool,
    ) -> Result<Self, TraceError> {
        let mut reader = ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(Trim::All)
            .from_reader(text.as_bytes());
        let header_error = |message: String| TraceError {
            file: source.to_owned(),
            line: Some(1),
            field: None,
            message,
        };
        let headers = reader
            .headers()
            .map_err(|e| header_error(format!("cannot read the header: {e}")))?
            .clone();
        let mut columns = HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            let known = required.contains(&h) || optional.contains(&h);
            if !known && !allow_unknown {
                return Err(header_error(format!(
                    "unknown column `{h}`; the columns are {}",
                    required
                        .iter()
                        .chain(optional)
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            if columns.insert(h.to_owned(), i).is_some() {
                return Err(header_error(format!("column `{h}` appears twice")));
            }
        }
        if let Some(missing) = required.iter().find(|c| !columns.contains_key(**c)) {
            return Err(header_error(format!("missing column `{missing}`")));
        }
        Ok(Self {
            source,
            reader,
            columns,
            record: StringRecord::new(),
            names: HashMap::new(),
        })
    }

    fn next_row(&mut self) -> Result<Option<Row<'_>>, TraceError> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => Ok(None),
            Ok(true) => {
                let line = self.record.position().map_or(0, |p| p.line());
                Ok(Some(Row {
                    source: self.source,
                    line,
                    columns: &self.columns,
                    record: &self.record,
                    names: &mut self.names,
                }))
            }
            Err(e) => Err(TraceError {
                file: self.source.to_owned(),
                line: e.position().map(|p| p.line()),
                field: None,
                message: match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!("{len} fields where the header has {expected_len}"),
                    _ => e.to_string(),
                },
            }),
        }
    }

    fn finish(self, jobs: Vec<TraceJob>) -> Result<Trace, TraceError> {
        if jobs.is_empty() {
            return Err(TraceError {
                file: self.source.to_owned(),
                line: None,
                field: None,
                message: "the trace has no jobs".into(),
            });
        }
        Ok(Trace {
            source: self.source.to_owned(),
            jobs,
        })
    }
}

/// One record, with typed accessors by column name.
struct Row<'r> {
    source: &'r str,
    line: u64,
    columns: &'r HashMap<String, usize>,
    record: &'r StringRecord,
    names: &'r mut HashMap<String, u64>,
}

impl Row<'_> {
    fn error(&self, field: &str, message: impl Into<String>) -> TraceError {
        TraceError {
            file: self.source.to_owned(),
            line: Some(self.line),
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }

    fn get(&self, column: &str) -> Option<&str> {
        self.columns.get(column).and_then(|&i| self.record.get(i))
    }

    fn required(&self, column: &str) -> Result<&str, TraceError> {
        match self.get(column) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(self.error(column, "is empty")),
        }
    }

    /// A job name: non-empty and not used by an earlier line.
    fn name(&mut self, column: &str) -> Result<String, TraceError> {
        let name = self.required(column)?.to_owned();
        if let Some(first) = self.names.get(&name) {
            return Err(self.error(
                column,
                format!("job name {name:?} is already used on line {first}"),
            ));
        }
        self.names.insert(name.clone(), self.line);
        Ok(name)
    }

    /// Finite seconds, ≥ 0 or > 0.
    fn seconds(&self, column: &str, zero_ok: bool) -> Result<f64, TraceError> {
        let raw = self.required(column)?;
        let v: f64 = raw
            .parse()
            .map_err(|_| self.error(column, format!("{raw:?} is not a number")))?;
        let ok = v.is_finite() && if zero_ok { v >= 0.0 } else { v > 0.0 };
        if !ok {
            let bound = if zero_ok { "≥ 0" } else { "> 0" };
            return Err(self.error(column, format!("{raw} must be finite and {bound}")));
        }
        Ok(v)
    }

    /// A worker count ≥ 1.
    fn count(&self, column: &str) -> Result<u32, TraceError> {
        let raw = self.required(column)?;
        match raw.parse::<u32>() {
            Ok(n) if n >= 1 => Ok(n),
            Ok(_) => Err(self.error(column, "must be at least 1")),
            Err(_) => Err(self.error(column, format!("{raw:?} is not a whole number"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voda(text: &str) -> Result<Trace, TraceError> {
        parse_voda(text, "t.csv")
    }

    #[test]
    fn reads_the_own_format_with_defaults_and_comments() {
        let t = voda(
            "# a comment\n\
             name,submit,min,requested,max,duration,speedup,category\n\
             a,0,1,2,4,100,amdahl:0.5,resnet\n\
             b, 10.5 ,2,2,2,50,,\n",
        )
        .unwrap();
        assert_eq!(t.jobs.len(), 2);
        let a = &t.jobs[0];
        assert_eq!(a.workers.requested, 2);
        // 100 s with 2 workers at s[2] = 1/(0.5 + 0.25) is 133.3 s of one-GPU work.
        assert!((a.work - 100.0 / 0.75).abs() < 1e-9);
        assert_eq!(a.category, "resnet");
        let b = &t.jobs[1];
        assert_eq!((b.submit, b.work, b.category.as_str()), (10.5, 100.0, "b"));
        assert_eq!(b.speedup, SpeedupModel::Linear);
    }

    #[test]
    fn columns_may_come_in_any_order_and_optional_ones_may_be_missing() {
        let t = voda("duration,max,requested,min,submit,name\n60,4,1,1,0,x\n").unwrap();
        assert_eq!(t.jobs[0].work, 60.0);
        assert_eq!(t.jobs[0].workers.max, 4);
    }

    #[test]
    fn errors_name_the_file_line_and_field() {
        let head = "name,submit,min,requested,max,duration\n";
        for (body, expect) in [
            (
                "a,0,1,1,1,10\nb,x,1,1,1,10\n",
                "t.csv:3: field `submit`: \"x\" is not a number",
            ),
            ("a,0,0,1,1,10\n", "t.csv:2: field `min`: must be at least 1"),
            (
                "a,0,1.5,1,1,10\n",
                "t.csv:2: field `min`: \"1.5\" is not a whole number",
            ),
            (
                "a,0,2,2,1,10\n",
                "t.csv:2: field `max`: max 1 is below min 2",
            ),
            (
                "a,0,1,5,4,10\n",
                "t.csv:2: field `requested`: requested 5 is outside [min, max] = [1, 4]",
            ),
            (
                "a,0,1,1,1,0\n",
                "t.csv:2: field `duration`: 0 must be finite and > 0",
            ),
            (
                "a,-1,1,1,1,5\n",
                "t.csv:2: field `submit`: -1 must be finite and ≥ 0",
            ),
            (
                "a,inf,1,1,1,5\n",
                "t.csv:2: field `submit`: inf must be finite and ≥ 0",
            ),
            (
                "a,0,1,1,1,5\na,1,1,1,1,5\n",
                "t.csv:3: field `name`: job name \"a\" is already used on line 2",
            ),
            (",0,1,1,1,5\n", "t.csv:2: field `name`: is empty"),
            ("a,0,1,1,1\n", "t.csv:2: 5 fields where the header has 6"),
            ("", "t.csv: the trace has no jobs"),
        ] {
            let err = voda(&format!("{head}{body}")).unwrap_err().to_string();
            assert_eq!(err, expect, "{body:?}");
        }
        let err = voda("name,submit,min,requested,max,duration,speedup\na,0,1,1,1,5,fast\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("t.csv:2: field `speedup`: unknown speedup model"),
            "{err}"
        );
        let err = voda("name,submit,min,requested,max,duraton\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("t.csv:1: unknown column `duraton`"),
            "{err}"
        );
        let err = voda("name,submit,min,requested,max\n")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "t.csv:1: missing column `duration`");
    }

    #[test]
    fn reads_the_embedded_tiresias_trace() {
        let single = SingleCount::default();
        let t = parse(TIRESIAS_60JOB, "x", None, &single).unwrap();
        assert_eq!(t.jobs.len(), 60);
        let first = &t.jobs[1]; // job 1: 8 GPUs at 30 s for 147 s, vgg11
        assert_eq!(first.name, "1");
        assert_eq!(first.category, "vgg11");
        assert_eq!(first.submit, 30.0);
        assert_eq!(
            first.workers,
            WorkerRange {
                min: 4,
                max: 16,
                requested: 8
            }
        );
        let s8 = SpeedupModel::Amdahl(0.95).table(16).at(8);
        assert!((first.work - 147.0 * s8).abs() < 1e-9);
    }

    #[test]
    fn tiresias_errors_and_fixed_ranges() {
        let fixed = SingleCount {
            min_scale: 1.0,
            max_scale: 1.0,
            speedup: SpeedupModel::Linear,
        };
        let t = parse_tiresias(
            "job_id,num_gpu,submit_time,duration\n7,4,3,10\n",
            "f",
            &fixed,
        )
        .unwrap();
        assert_eq!(
            t.jobs[0].workers,
            WorkerRange {
                min: 4,
                max: 4,
                requested: 4
            }
        );
        assert_eq!(t.jobs[0].work, 40.0);
        let err = parse_tiresias(
            "job_id,num_gpu,submit_time,duration\n7,0,3,10\n",
            "f",
            &fixed,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "f:2: field `num_gpu`: must be at least 1");
        let bad = SingleCount {
            min_scale: 0.0,
            ..SingleCount::default()
        };
        assert!(parse_tiresias("job_id,num_gpu,submit_time,duration\n", "f", &bad).is_err());
    }

    #[test]
    fn single_count_ranges() {
        let s = SingleCount::default();
        let r = |n| {
            let w = s.range(n);
            (w.min, w.requested, w.max)
        };
        assert_eq!(r(1), (1, 1, 2));
        assert_eq!(r(2), (1, 2, 4));
        assert_eq!(r(8), (4, 8, 16));
        let huge = SingleCount {
            max_scale: 1e30,
            ..SingleCount::default()
        };
        assert_eq!(huge.range(4).max, u32::MAX);
    }

    #[test]
    fn detects_formats_and_refuses_unknown_ones() {
        assert_eq!(detect(TIRESIAS_60JOB), Some(TraceFormat::Tiresias));
        assert_eq!(
            detect("# c\nname,submit,min,requested,max,duration\n"),
            Some(TraceFormat::Voda)
        );
        let err = parse("a,b\n1,2\n", "f", None, &SingleCount::default()).unwrap_err();
        assert!(err.to_string().contains("unknown trace format"), "{err}");
    }

    #[test]
    fn the_own_format_round_trips_exactly() {
        let text = "name,submit,min,requested,max,duration,speedup,category\n\
                    a,0.1,1,2,4,100.3,amdahl:0.95,r\n\
                    b,7,1,1,3,1e-3,table:1 1.5 1.75,b\n";
        let t = voda(text).unwrap();
        let back = voda(&write_voda(&t).unwrap()).unwrap();
        assert_eq!(back, t);
    }
}
