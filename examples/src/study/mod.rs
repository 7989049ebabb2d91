//! Ablation studies: the runs of several arms (variants of a model) over
//! several seeds, read back from their `summary.json` files and turned into
//! the tables of `results/ablation/TABLES.md` and `docs/RESULTS.md` (through [`crate::docs`]).
//!
//! A study is a folder under `results/ablation/` holding
//!
//! | file | contents |
//! |---|---|
//! | `study.txt` | the flags every run of the main job shares (model, recipe) |
//! | `arms.txt` | one arm per line: its name, then its own flags; the first arm is the reference |
//! | `seeds.txt` | the seeds, on one line |
//! | `compare.txt` (optional) | pairs `arm reference`, one per line: the differences to report besides each arm's against the first |
//! | `about.md` (optional) | a paragraph printed above the table (prose, no measured numbers) |
//! | `metric.txt` (optional) | `test` to compare on the final test accuracy even when the runs held out a validation set (a confirmation study) |
//! | `<arm>-s<seed>/` | one run: `summary.json`, `metrics.csv`, `log.txt` |
//!
//! `results/run_study.sh STUDY` makes the runs; `results/ablation/studies.txt`
//! lists the studies in the order the tables show them. The metric is the
//! final validation accuracy when the runs held out a validation set
//! (`--validation`) and `metric.txt` does not say `test`, else the final
//! test accuracy: never a best epoch picked on the test set.

pub mod stats;

use stats::{mean_std, welch_interval};
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};
use synann_train::summary::Summary;

/// Why a study could not be read.
#[derive(Debug)]
pub enum StudyError {
    /// A file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A file's contents are not what the study format says.
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl fmt::Display for StudyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StudyError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            StudyError::Format { path, reason } => write!(f, "{}: {reason}", path.display()),
        }
    }
}

impl std::error::Error for StudyError {}

fn read(path: &Path) -> Result<String, StudyError> {
    std::fs::read_to_string(path).map_err(|source| StudyError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// One arm of a study.
#[derive(Clone, Debug, PartialEq)]
pub struct Arm {
    /// Its name (the run folders are `<name>-s<seed>`).
    pub name: String,
    /// Its own flags, added to the study's.
    pub flags: String,
}

/// One finished run.
#[derive(Clone, Debug)]
pub struct Run {
    /// Its seed.
    pub seed: u64,
    /// Its `summary.json`.
    pub summary: Summary,
    /// The parameter count recorded in the summary (0 in runs made before
    /// summaries recorded it; see [`Study::parameters`]).
    pub parameters: Option<usize>,
    /// Mean seconds of an epoch's training pass: from the summary, else the
    /// mean of `metrics.csv`'s `seconds` column.
    pub epoch_seconds: Option<f64>,
    /// For batch-coupled runs, the accuracy evaluated in batches of 100
    /// (`eval_by_100.txt`, see `results/run_ablation.sh`).
    pub eval_by_100: Option<f64>,
}

impl Run {
    /// The run's figure for `metric`: its final test accuracy, or its final
    /// validation accuracy (falling back to the test accuracy for a run
    /// without a validation set).
    pub fn metric(&self, metric: Metric) -> f64 {
        match metric {
            Metric::Test => self.summary.final_test_accuracy,
            Metric::Validation => self
                .summary
                .final_val_accuracy
                .unwrap_or(self.summary.final_test_accuracy),
        }
    }
}

/// What a study compares its arms on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// The final validation accuracy (a search: choices are made on it).
    Validation,
    /// The final test accuracy (an ablation, or the confirmation of a
    /// configuration frozen on validation).
    Test,
}

/// A study read from its folder.
#[derive(Clone, Debug)]
pub struct Study {
    /// The folder's name.
    pub name: String,
    /// The shared flags.
    pub common: String,
    /// The seeds.
    pub seeds: Vec<u64>,
    /// The arms, the reference first.
    pub arms: Vec<Arm>,
    /// The extra comparisons (arm, reference).
    pub compare: Vec<(String, String)>,
    /// The prose of `about.md`.
    pub about: String,
    /// What the arms are compared on.
    pub metric: Metric,
    /// The finished runs of each arm, in the order of `arms`.
    pub runs: Vec<Vec<Run>>,
}

/// Reads the study in `dir`.
pub fn load(dir: &Path) -> Result<Study, StudyError> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let format = |path: &Path, reason: String| StudyError::Format {
        path: path.to_path_buf(),
        reason,
    };
    let common = read(&dir.join("study.txt"))?.trim().to_string();
    let seeds_path = dir.join("seeds.txt");
    let seeds = read(&seeds_path)?
        .split_whitespace()
        .map(|s| {
            s.parse()
                .map_err(|e| format(&seeds_path, format!("seed `{s}`: {e}")))
        })
        .collect::<Result<Vec<u64>, _>>()?;
    let arms: Vec<Arm> = read(&dir.join("arms.txt"))?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, flags) = l.split_once(' ').unwrap_or((l, ""));
            Arm {
                name: name.to_string(),
                flags: flags.trim().to_string(),
            }
        })
        .collect();
    if arms.is_empty() {
        return Err(format(&dir.join("arms.txt"), "no arms".into()));
    }
    let compare_path = dir.join("compare.txt");
    let mut compare = Vec::new();
    if compare_path.exists() {
        for line in read(&compare_path)?.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (a, b) = line
                .split_once(' ')
                .ok_or_else(|| format(&compare_path, format!("`{line}`: need `arm reference`")))?;
            for arm in [a, b.trim()] {
                if !arms.iter().any(|x| x.name == arm) {
                    return Err(format(&compare_path, format!("no arm `{arm}`")));
                }
            }
            compare.push((a.to_string(), b.trim().to_string()));
        }
    }
    let about_path = dir.join("about.md");
    let about = if about_path.exists() {
        read(&about_path)?.trim().to_string()
    } else {
        String::new()
    };
    let runs: Vec<Vec<Run>> = arms
        .iter()
        .map(|arm| load_runs(dir, &arm.name, &seeds))
        .collect::<Result<Vec<_>, _>>()?;
    let metric_path = dir.join("metric.txt");
    let validated = runs
        .iter()
        .flatten()
        .any(|r| r.summary.final_val_accuracy.is_some());
    let metric = if metric_path.exists() {
        match read(&metric_path)?.trim() {
            "test" => Metric::Test,
            "validation" => Metric::Validation,
            other => {
                return Err(format(
                    &metric_path,
                    format!("`{other}`: expected test or validation"),
                ))
            }
        }
    } else if validated {
        Metric::Validation
    } else {
        Metric::Test
    };
    Ok(Study {
        name,
        common,
        seeds,
        arms,
        compare,
        about,
        metric,
        runs,
    })
}

/// The finished runs (those with a `summary.json`) of one arm.
fn load_runs(dir: &Path, arm: &str, seeds: &[u64]) -> Result<Vec<Run>, StudyError> {
    let mut runs = Vec::new();
    for &seed in seeds {
        let run_dir = dir.join(format!("{arm}-s{seed}"));
        let path = run_dir.join("summary.json");
        if !path.exists() {
            continue;
        }
        let summary: Summary =
            serde_json::from_str(&read(&path)?).map_err(|e| StudyError::Format {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        let parameters = (summary.parameters > 0).then_some(summary.parameters);
        let epoch_seconds = (summary.mean_epoch_seconds > 0.0)
            .then_some(summary.mean_epoch_seconds)
            .or_else(|| mean_epoch_seconds(&run_dir.join("metrics.csv")));
        let eval_by_100 = std::fs::read_to_string(run_dir.join("eval_by_100.txt"))
            .ok()
            .and_then(|s| s.trim().parse().ok());
        runs.push(Run {
            seed,
            summary,
            parameters,
            epoch_seconds,
            eval_by_100,
        });
    }
    Ok(runs)
}

/// The mean of the `seconds` column of a `metrics.csv`.
fn mean_epoch_seconds(path: &Path) -> Option<f64> {
    let csv = std::fs::read_to_string(path).ok()?;
    let mut lines = csv.lines();
    let column = lines.next()?.split(',').position(|c| c == "seconds")?;
    let values: Vec<f64> = lines
        .filter_map(|l| l.split(',').nth(column)?.parse().ok())
        .collect();
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Percent with two decimals.
fn pct(x: f64) -> String {
    format!("{:.2}", 100.0 * x)
}

/// A difference in percentage points with its 95% interval, or "n < 2".
fn difference(a: &[f64], b: &[f64]) -> (String, &'static str) {
    match welch_interval(a, b, 0.95) {
        Some(d) => (
            format!(
                "{:+.2} [{:+.2}, {:+.2}]",
                100.0 * d.estimate,
                100.0 * d.low,
                100.0 * d.high
            ),
            if d.excludes_zero() { "yes" } else { "no" },
        ),
        None => ("n < 2".to_string(), "–"),
    }
}

impl Study {
    /// The parameter count of `arm`'s model, built from the study's and the
    /// arm's flags exactly as the main job builds it (so runs made before
    /// summaries recorded the count get one too); `None` if the flags do
    /// not parse.
    pub fn parameters(&self, arm: &Arm) -> Option<usize> {
        let args: Vec<&str> = std::iter::once("mnist")
            .chain(self.common.split_whitespace())
            .chain(arm.flags.split_whitespace())
            .collect();
        let config = crate::cli::parse_args(args).ok()?;
        let zoo = synann::zoo::build(&config.model, &config.zoo_options()).ok()?;
        Some(zoo.model.num_parameters())
    }

    /// Whether the study compares on validation accuracy (and shows the
    /// test accuracy beside it).
    pub fn validated(&self) -> bool {
        self.metric == Metric::Validation
    }

    /// The metric of each finished run of `arm`.
    pub fn metrics(&self, arm: &str) -> Vec<f64> {
        self.arms
            .iter()
            .position(|a| a.name == arm)
            .map(|i| self.runs[i].iter().map(|r| r.metric(self.metric)).collect())
            .unwrap_or_default()
    }

    /// The processors the runs were made on (as recorded; "not recorded"
    /// for runs made before summaries recorded it).
    pub fn hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = self
            .runs
            .iter()
            .flatten()
            .map(|r| {
                if r.summary.cpu.is_empty() {
                    "not recorded".to_string()
                } else {
                    r.summary.cpu.clone()
                }
            })
            .collect();
        hosts.sort();
        hosts.dedup();
        hosts
    }

    /// The study as Markdown: a heading, the shared flags, the table of
    /// arms (mean ± sample std of the metric, the difference to the
    /// reference arm with its Welch 95% interval, whether that interval
    /// excludes 0, parameters, seconds per epoch) and the extra
    /// comparisons.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let metric = if self.validated() {
            "validation accuracy"
        } else {
            "test accuracy"
        };
        let _ = writeln!(out, "### {}\n", self.name);
        if !self.about.is_empty() {
            let _ = writeln!(out, "{}\n", self.about);
        }
        let _ = writeln!(
            out,
            "Every run: `{}`; seeds {}; metric: final {metric} (%), mean ± sample std over the seeds. \
             Δ: difference to `{}` in points with Welch's 95% interval; \"outside noise\" when the interval excludes 0. \
             Hosts: {}. Reproduce: `results/run_study.sh {}`.\n",
            self.common,
            self.seeds
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(" "),
            self.arms[0].name,
            self.hosts().join("; "),
            self.name,
        );
        let test_column = if self.validated() {
            " test accuracy (%) |"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "| arm | its flags | n | {metric} (%) |{test_column} Δ (points) [95% CI] | outside noise | parameters | s/epoch |"
        );
        let _ = writeln!(
            out,
            "|---|---|---|---|{}---|---|---|---|",
            if self.validated() { "---|" } else { "" }
        );
        let reference = self.metrics(&self.arms[0].name);
        for (i, (arm, runs)) in self.arms.iter().zip(&self.runs).enumerate() {
            let values: Vec<f64> = runs.iter().map(|r| r.metric(self.metric)).collect();
            let against = (i > 0).then_some(reference.as_slice());
            let parameters = self.parameters(arm);
            self.write_row(
                &mut out, &arm.name, &arm.flags, runs, &values, against, parameters,
            );
            let by_100: Vec<f64> = runs.iter().filter_map(|r| r.eval_by_100).collect();
            if !by_100.is_empty() {
                let label = format!("{} (evaluated in batches of 100)", arm.name);
                self.write_row(
                    &mut out,
                    &label,
                    &arm.flags,
                    runs,
                    &by_100,
                    Some(&reference),
                    parameters,
                );
            }
        }
        if !self.compare.is_empty() {
            let _ = writeln!(
                out,
                "\n| comparison | Δ {metric} (points) [95% CI] | outside noise |\n|---|---|---|"
            );
            for (a, b) in &self.compare {
                let (d, outside) = difference(&self.metrics(a), &self.metrics(b));
                let _ = writeln!(out, "| `{a}` − `{b}` | {d} | {outside} |");
            }
        }
        out
    }

    /// One row of the table; `reference` is the first arm's metrics (none
    /// for the first arm's own row), `parameters` the arm's model's count.
    #[allow(clippy::too_many_arguments)]
    fn write_row(
        &self,
        out: &mut String,
        name: &str,
        flags: &str,
        runs: &[Run],
        values: &[f64],
        reference: Option<&[f64]>,
        parameters: Option<usize>,
    ) {
        let flags = if flags.is_empty() {
            "–".to_string()
        } else {
            format!("`{flags}`")
        };
        if values.is_empty() {
            let _ = writeln!(out, "| {name} | {flags} | 0 | (no runs yet) |");
            return;
        }
        let (mean, std) = mean_std(values);
        let test = if self.validated() {
            let tests: Vec<f64> = runs.iter().map(|r| r.summary.final_test_accuracy).collect();
            let (m, s) = mean_std(&tests);
            format!(" {} ± {} |", pct(m), pct(s))
        } else {
            String::new()
        };
        let (delta, outside) = match reference {
            Some(reference) => difference(values, reference),
            None => ("–".to_string(), "–"),
        };
        let parameters = parameters
            .or_else(|| runs.iter().find_map(|r| r.parameters))
            .map_or("?".to_string(), group_thousands);
        let seconds: Vec<f64> = runs.iter().filter_map(|r| r.epoch_seconds).collect();
        let seconds = if seconds.is_empty() {
            "?".to_string()
        } else {
            format!("{:.1}", mean_std(&seconds).0)
        };
        let _ = writeln!(
            out,
            "| {name} | {flags} | {} | {} ± {} |{test} {delta} | {outside} | {parameters} | {seconds} |",
            values.len(),
            pct(mean),
            pct(std),
        );
    }
}

/// 1234567 → "1,234,567".
fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The studies listed in `root/studies.txt`, in order.
pub fn load_all(root: &Path) -> Result<Vec<Study>, StudyError> {
    read(&root.join("studies.txt"))?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|name| load(&root.join(name)))
        .collect()
}

/// The Markdown of all studies: what `results/ablation/TABLES.md` holds
/// and what `docs/RESULTS.md` shows.
pub fn render_all(studies: &[Study]) -> String {
    let mut out = String::from(
        "<!-- Generated by `cargo run --example gen_docs` from results/ablation/*/ (summary.json files); do not edit. -->\n\n",
    );
    for study in studies {
        out.push_str(&study.to_markdown());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_study_reads_its_runs_and_reports_differences() {
        let dir = std::env::temp_dir().join(format!("synann-study-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("study.txt"), "--model syna-mlp --epochs 2\n").unwrap();
        std::fs::write(dir.join("seeds.txt"), "1 2 3\n").unwrap();
        std::fs::write(dir.join("arms.txt"), "base\nother --synapse identity\n").unwrap();
        std::fs::write(dir.join("compare.txt"), "other base\n").unwrap();
        let write = |arm: &str, seed: u64, acc: f64| {
            let run = dir.join(format!("{arm}-s{seed}"));
            std::fs::create_dir_all(&run).unwrap();
            let summary = Summary {
                model: "syna-mlp".into(),
                epochs: 2,
                final_test_accuracy: acc,
                best_test_accuracy: acc,
                wall_seconds: 1.0,
                samples_per_second: 1.0,
                threads: 2,
                parameters: 1234,
                mean_epoch_seconds: 0.5,
                cpu: "test cpu".into(),
                settings: Default::default(),
                validation_images: None,
                final_val_accuracy: None,
                best_val_epoch: None,
                test_accuracy_at_best_val: None,
            };
            summary.write(&run.join("summary.json")).unwrap();
        };
        for (seed, (a, b)) in [(1, (0.90, 0.80)), (2, (0.91, 0.81)), (3, (0.92, 0.82))] {
            write("base", seed, a);
            write("other", seed, b);
        }
        let study = load(&dir).unwrap();
        assert_eq!(study.metrics("other"), vec![0.80, 0.81, 0.82]);
        let md = study.to_markdown();
        // other − base = −10 points, σ = 1 point each, ν = 4:
        // ±2.776·√(2/3) = ±2.27 points.
        assert!(md.contains("| other | `--synapse identity` | 3 | 81.00 ± 1.00 | -10.00 [-12.27, -7.73] | yes | 222,610 | 0.5 |"), "{md}");
        assert!(
            md.contains("| `other` − `base` | -10.00 [-12.27, -7.73] | yes |"),
            "{md}"
        );
        assert!(md.contains("Hosts: test cpu."));
        // A missing run is left out; a bad compare line is an error.
        std::fs::remove_dir_all(dir.join("other-s3")).unwrap();
        assert_eq!(load(&dir).unwrap().metrics("other").len(), 2);
        std::fs::write(dir.join("compare.txt"), "other nobody\n").unwrap();
        assert!(load(&dir)
            .unwrap_err()
            .to_string()
            .contains("no arm `nobody`"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
