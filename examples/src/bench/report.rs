//! The results: one [`Row`] per case, printed as a table or written as
//! JSON, next to PyTorch's figures read from `torch_side.py`'s JSON.

use super::timing::Timing;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What can go wrong reading or writing a results file.
#[derive(Debug)]
pub enum BenchError {
    /// The file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not the JSON expected.
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BenchError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            BenchError::Json { path, source } => {
                write!(
                    f,
                    "{}: not a torch_side.py results file: {source}",
                    path.display()
                )
            }
        }
    }
}

impl std::error::Error for BenchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BenchError::Io { source, .. } => Some(source),
            BenchError::Json { source, .. } => Some(source),
        }
    }
}

/// PyTorch's figures for one case, as `torch_side.py` writes them (other
/// fields of its JSON are ignored).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TorchFigures {
    /// Median repetition, ms.
    pub median_ms: f64,
    /// Fastest repetition, ms.
    pub min_ms: f64,
    /// Timed repetitions.
    pub reps: usize,
    /// Peak resident memory of the Python process during the case, MiB.
    pub peak_rss_mib: Option<f64>,
}

/// Parses `torch_side.py`'s JSON: `{case: {"median_ms": .., ...}, ...}`.
///
/// ```
/// use synann_examples::bench::report::parse_torch_json;
/// let json = r#"{"matmul_256": {"median_ms": 0.2, "min_ms": 0.1, "reps": 9, "peak_rss_mib": 530.0}}"#;
/// let figures = parse_torch_json(json).unwrap();
/// assert_eq!(figures["matmul_256"].reps, 9);
/// ```
pub fn parse_torch_json(text: &str) -> Result<BTreeMap<String, TorchFigures>, serde_json::Error> {
    serde_json::from_str(text)
}

/// Reads `torch_side.py`'s JSON file.
pub fn read_torch_json(path: &Path) -> Result<BTreeMap<String, TorchFigures>, BenchError> {
    let text = std::fs::read_to_string(path).map_err(|source| BenchError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_torch_json(&text).map_err(|source| BenchError::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// The work one repetition of a case does, to turn a time into a rate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Work {
    /// Floating-point operations (a multiply-add counts 2).
    Flop(f64),
    /// Images (or samples, or sequences) processed.
    Images(usize),
}

impl Work {
    /// The rate at `median_ms` per repetition, formatted with its unit.
    ///
    /// ```
    /// use synann_examples::bench::report::Work;
    /// assert_eq!(Work::Flop(2e9).rate(10.0), "200.0 GFLOP/s");
    /// assert_eq!(Work::Images(100).rate(10.0), "10000 img/s");
    /// ```
    pub fn rate(&self, median_ms: f64) -> String {
        let per_s = 1e3 / median_ms;
        match *self {
            Work::Flop(flop) => format!("{:.1} GFLOP/s", flop * per_s / 1e9),
            Work::Images(n) => format!("{:.0} img/s", n as f64 * per_s),
        }
    }
}

/// The result of one case.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// The case name (shared with the PyTorch side).
    pub case: String,
    /// Our timing.
    pub ours: Timing,
    /// Our rate, formatted (e.g. `"190.2 GFLOP/s"`).
    pub rate: String,
    /// Our peak resident memory during the case, MiB (`None` off Linux).
    pub peak_rss_mib: Option<f64>,
    /// PyTorch's figures, if its JSON has this case.
    pub torch: Option<TorchFigures>,
}

impl Row {
    /// PyTorch's median over ours: above 1 we are faster.
    pub fn ratio(&self) -> Option<f64> {
        self.torch
            .as_ref()
            .map(|t| t.median_ms / self.ours.median_ms)
    }
}

fn or_dash(v: Option<String>) -> String {
    v.unwrap_or_else(|| "-".to_string())
}

/// A time with 4 significant digits or so: 0.1234, 12.35, 1234.
fn ms(v: f64) -> String {
    if v < 1.0 {
        format!("{v:.4}")
    } else if v < 100.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.0}")
    }
}

/// The rows as a Markdown table (readable in a terminal as is):
/// case | ours median ms | torch median ms | torch/ours | rate | peak RSS MiB.
pub fn table(rows: &[Row]) -> String {
    let header = [
        "case",
        "ours median ms",
        "torch median ms",
        "torch/ours",
        "rate (ours)",
        "peak RSS MiB (ours / torch)",
    ];
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            let torch_rss = r.torch.as_ref().and_then(|t| t.peak_rss_mib);
            [
                r.case.clone(),
                ms(r.ours.median_ms),
                or_dash(r.torch.as_ref().map(|t| ms(t.median_ms))),
                or_dash(r.ratio().map(|x| format!("{x:.2}"))),
                r.rate.clone(),
                format!(
                    "{} / {}",
                    or_dash(r.peak_rss_mib.map(|m| format!("{m:.0}"))),
                    or_dash(torch_rss.map(|m| format!("{m:.0}")))
                ),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            cells
                .iter()
                .map(|row| row[c].chars().count())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let mut line = |cols: &[String]| {
        out.push('|');
        for (c, text) in cols.iter().enumerate() {
            // Text left-aligned in the first column, numbers right-aligned.
            let _ = if c == 0 {
                write!(out, " {text:<w$} |", w = widths[c])
            } else {
                write!(out, " {text:>w$} |", w = widths[c])
            };
        }
        out.push('\n');
    };
    line(&header.map(String::from));
    line(&widths.iter().map(|&w| "-".repeat(w)).collect::<Vec<_>>());
    for row in &cells {
        line(row);
    }
    out
}

/// Everything a run measured, as written by `--json`.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    /// Threads of rayon's global pool.
    pub threads: usize,
    /// The PyTorch JSON the rows were compared with, if any.
    pub torch_json: Option<String>,
    /// One entry per case, in run order.
    pub rows: &'a [Row],
}

/// Writes `report` as pretty JSON to `path`.
pub fn write_json(path: &Path, report: &Report<'_>) -> Result<(), BenchError> {
    let text = serde_json::to_string_pretty(report).map_err(|source| BenchError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    std::fs::write(path, text + "\n").map_err(|source| BenchError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(case: &str, median_ms: f64, torch_ms: Option<f64>) -> Row {
        Row {
            case: case.to_string(),
            ours: Timing::from_samples(&[median_ms]),
            rate: Work::Images(100).rate(median_ms),
            peak_rss_mib: Some(12.0),
            torch: torch_ms.map(|t| TorchFigures {
                median_ms: t,
                min_ms: t,
                reps: 5,
                peak_rss_mib: None,
            }),
        }
    }

    #[test]
    fn ratio_is_torch_over_ours() {
        assert_eq!(row("a", 2.0, Some(6.0)).ratio(), Some(3.0));
        assert_eq!(row("a", 2.0, None).ratio(), None);
    }

    #[test]
    fn table_has_one_aligned_line_per_row_and_dashes_for_missing_torch() {
        let t = table(&[
            row("conv1_fb", 1.5, Some(3.0)),
            row("synapse_conv_fb", 250.0, None),
        ]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("| case"));
        let widths: Vec<usize> = lines.iter().map(|l| l.chars().count()).collect();
        assert!(widths.iter().all(|&w| w == widths[0]), "ragged table:\n{t}");
        assert!(lines[2].contains(" 2.00 |"), "{}", lines[2]);
        assert!(lines[3].contains(" - |"), "{}", lines[3]);
        assert!(lines[3].contains("12 / -"), "{}", lines[3]);
    }

    #[test]
    fn torch_json_errors_name_the_file() {
        let missing = read_torch_json(Path::new("/nonexistent/torch.json")).unwrap_err();
        assert!(matches!(missing, BenchError::Io { .. }));
        assert!(missing.to_string().contains("/nonexistent/torch.json"));
        assert!(parse_torch_json("{\"a\": {\"median_ms\": \"x\"}}").is_err());
    }

    #[test]
    fn json_report_round_trips_through_serde() {
        let rows = [row("matmul_256", 0.5, Some(0.25))];
        let report = Report {
            threads: 2,
            torch_json: None,
            rows: &rows,
        };
        let path = std::env::temp_dir().join(format!("synann-bench-{}.json", std::process::id()));
        write_json(&path, &report).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(v["threads"], 2);
        assert_eq!(v["rows"][0]["case"], "matmul_256");
        assert_eq!(v["rows"][0]["ours"]["median_ms"], 0.5);
        assert_eq!(v["rows"][0]["torch"]["median_ms"], 0.25);
    }
}
