//! The command line of `cargo run --release --example bench`, parsed and
//! checked here (rather than in the example) so it can be tested.

use super::cases::{find, Case, CASES};
use crate::cli::{clap_outcome, ClapOutcome};
use clap::Parser;
use std::fmt;
use std::path::PathBuf;

/// Time synann's side of the benchmark cases (f32, forward+backward through
/// the autograd as in training) and compare with PyTorch's.
#[derive(Parser, Debug, Clone, PartialEq)]
#[command(name = "bench")]
pub struct BenchArgs {
    /// Comma-separated case names (default: all; `--list` shows them).
    #[arg(long, value_delimiter = ',')]
    pub cases: Vec<String>,
    /// Threads of rayon's global pool [default: RAYON_NUM_THREADS, else 2].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// `torch_side.py`'s JSON, to show PyTorch's figures next to ours.
    #[arg(long, value_name = "PATH")]
    pub torch_json: Option<PathBuf>,
    /// Also write the results as JSON to this file.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Timed repetitions per case: at least this many...
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub reps_min: u32,
    /// ...and at least this many seconds of wall time.
    #[arg(long, default_value_t = 2.0, allow_negative_numbers = true)]
    pub seconds: f64,
    /// Print the cases and exit.
    #[arg(long)]
    pub list: bool,
}

/// Why the command line was not accepted.
#[derive(Debug, Clone, PartialEq)]
pub enum CliError {
    /// `--help` or `--version`: not a failure, the text to print.
    Help(String),
    /// A bad flag or value, in one line.
    Usage(String),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Help(text) => f.write_str(text),
            CliError::Usage(line) => f.write_str(line),
        }
    }
}

impl std::error::Error for CliError {}

/// Parses and checks the command line (`args` starts with the program
/// name): flags and values through clap, then the case names and
/// `--seconds`.
///
/// ```
/// use synann_examples::bench::cli::{parse_args, CliError};
/// let args = parse_args(["bench", "--cases", "conv1_fb,matmul_256", "--threads", "1"]).unwrap();
/// assert_eq!(args.cases, ["conv1_fb", "matmul_256"]);
/// assert!(matches!(parse_args(["bench", "--cases", "conv9"]), Err(CliError::Usage(_))));
/// ```
pub fn parse_args<I, S>(args: I) -> Result<BenchArgs, CliError>
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString> + Clone,
{
    let parsed = BenchArgs::try_parse_from(args).map_err(|e| match clap_outcome(&e) {
        ClapOutcome::Help(text) => CliError::Help(text),
        ClapOutcome::Usage(line) => CliError::Usage(line),
    })?;
    if !parsed.seconds.is_finite() || parsed.seconds < 0.0 {
        return Err(CliError::Usage(format!(
            "--seconds {} must be a non-negative number",
            parsed.seconds
        )));
    }
    if let Some(bad) = parsed.cases.iter().find(|n| find(n).is_none()) {
        return Err(CliError::Usage(format!(
            "unknown case {bad:?} (--list shows the cases)"
        )));
    }
    Ok(parsed)
}

impl BenchArgs {
    /// The cases asked for, in the order given (all of them if none).
    pub fn selected_cases(&self) -> Vec<&'static Case> {
        if self.cases.is_empty() {
            return CASES.iter().collect();
        }
        self.cases.iter().filter_map(|n| find(n)).collect()
    }
}

/// The thread count: `flag`, else the value of `RAYON_NUM_THREADS` (`env`),
/// else 2.
///
/// ```
/// use synann_examples::bench::cli::thread_count;
/// assert_eq!(thread_count(Some(4), Some("1")), Ok(4));
/// assert_eq!(thread_count(None, Some("3")), Ok(3));
/// assert_eq!(thread_count(None, None), Ok(2));
/// assert!(thread_count(None, Some("zero")).is_err());
/// ```
pub fn thread_count(flag: Option<u16>, env: Option<&str>) -> Result<usize, CliError> {
    match (flag, env) {
        (Some(n), _) => Ok(n.into()),
        (None, Some(v)) => match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(CliError::Usage(format!(
                "RAYON_NUM_THREADS={v:?} is not a positive integer"
            ))),
        },
        (None, None) => Ok(2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage_line(args: &[&str]) -> String {
        let all = std::iter::once("bench").chain(args.iter().copied());
        match parse_args(all) {
            Err(CliError::Usage(line)) => {
                assert_eq!(line.lines().count(), 1, "not one line: {line:?}");
                line
            }
            other => panic!("{args:?} accepted or not a usage error: {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let a = parse_args(["bench"]).unwrap();
        assert!(a.cases.is_empty() && !a.list);
        assert_eq!((a.threads, a.reps_min, a.seconds), (None, 5, 2.0));
        assert_eq!((&a.torch_json, &a.json), (&None, &None));
        assert_eq!(a.selected_cases().len(), CASES.len());
    }

    #[test]
    fn every_flag_is_read() {
        let a = parse_args([
            "bench",
            "--cases",
            "seed_torch_step,conv2_fb",
            "--threads",
            "3",
            "--torch-json",
            "t.json",
            "--json",
            "o.json",
            "--reps-min",
            "7",
            "--seconds",
            "0.5",
        ])
        .unwrap();
        let names: Vec<_> = a.selected_cases().iter().map(|c| c.name).collect();
        assert_eq!(names, ["seed_torch_step", "conv2_fb"]);
        assert_eq!((a.threads, a.reps_min, a.seconds), (Some(3), 7, 0.5));
        assert_eq!(a.torch_json, Some(PathBuf::from("t.json")));
        assert_eq!(a.json, Some(PathBuf::from("o.json")));
        assert!(parse_args(["bench", "--list"]).unwrap().list);
    }

    #[test]
    fn bad_flags_and_values_are_one_line_errors() {
        let cases: &[(&[&str], &str)] = &[
            (&["--bogus"], "--bogus"),
            (&["--threads", "0"], "threads"),
            (&["--threads", "two"], "two"),
            (&["--reps-min", "0"], "reps-min"),
            (&["--seconds", "-1"], "seconds"),
            (&["--seconds", "nan"], "seconds"),
            (&["--cases", "conv1_fb,conv9_fb"], "conv9_fb"),
            (&["--json"], "--json"),
        ];
        for (args, needle) in cases {
            let line = usage_line(args);
            assert!(line.contains(needle), "{args:?}: {line}");
        }
    }

    #[test]
    fn help_is_not_a_usage_error() {
        match parse_args(["bench", "--help"]) {
            Err(CliError::Help(text)) => assert!(text.contains("--torch-json")),
            other => panic!("{other:?}"),
        }
    }
}
