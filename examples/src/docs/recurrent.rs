//! The recurrent-epoch tables of `docs/PERFORMANCE.md`, one per sitting
//! (`results/recurrent-epoch/` and its siblings `results/recurrent-epoch-*/`,
//! each written by `results/run_recurrent_epoch.sh`): one epoch of
//! `syna-rnn` with each recurrent cell, for each build listed in the
//! sitting's `provenance.json` (`"builds"`, oldest first),
//! from the `summary.json` of each run (`<cell>-<label>-r<N>/`, N = 1, 2,
//! …: the mean and standard deviation over the runs), with the speed-up of
//! each build's mean over the first's.
//!
//! A build is a commit, run as one process with two threads (`"abc1234"`,
//! label `abc1234`), or a commit run with its ranks as threads
//! (`{"commit": "abc1234", "ranks": 2}`: `mnist --ranks 2 --threads 1`,
//! label `abc1234-ranks2`).

use super::{malformed, read_json, DocsError, Provenance};
use std::path::Path;

/// The folder of the runs.
pub const DIR: &str = "results/recurrent-epoch";

/// The cells, in the table's order, with their labels.
const CELLS: &[(&str, &str)] = &[
    ("synapse", "synapse cell (`SynapseRNN`, state 128)"),
    ("gru", "GRU cell (state 96)"),
    ("tanh", "tanh cell (state 176)"),
];

/// The mean epoch time of the run in `dir`, in seconds.
fn epoch_seconds(dir: &Path) -> Result<f64, DocsError> {
    let path = dir.join("summary.json");
    read_json(&path)?
        .get("mean_epoch_seconds")
        .and_then(|v| v.as_f64())
        .ok_or_else(|| malformed(&path, "lacks the number `mean_epoch_seconds`"))
}

/// The epoch times of the runs `<cell>-<commit>-r1`, `-r2`, … (at least
/// one).
fn run_seconds(dir: &Path, cell: &str, label: &str) -> Result<Vec<f64>, DocsError> {
    let mut times = Vec::new();
    for rep in 1.. {
        let run = dir.join(format!("{cell}-{label}-r{rep}"));
        if !run.is_dir() {
            break;
        }
        times.push(epoch_seconds(&run)?);
    }
    if times.is_empty() {
        return Err(malformed(
            &dir.join(format!("{cell}-{label}-r1")),
            "is missing: every cell needs at least one run of every build",
        ));
    }
    Ok(times)
}

/// The mean and the sample standard deviation (0 for one value).
fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (mean, 0.0);
    }
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// One column of the table: a commit, and how its runs were started.
struct Build {
    commit: String,
    /// Ranks as threads (`--ranks`), or `None` for one process.
    ranks: Option<u64>,
}

impl Build {
    /// The name of its runs' folders (`<cell>-<label>-r<N>`).
    fn label(&self) -> String {
        match self.ranks {
            None => self.commit.clone(),
            Some(r) => format!("{}-ranks{r}", self.commit),
        }
    }

    /// Its column heading.
    fn heading(&self) -> String {
        match self.ranks {
            None => format!("`{}`", self.commit),
            Some(r) => format!("`{}`, {r} ranks × 1 thread", self.commit),
        }
    }
}

/// The builds measured, oldest first (at least two).
fn builds(dir: &Path) -> Result<Vec<Build>, DocsError> {
    let path = dir.join("provenance.json");
    let bad = || {
        malformed(
            &path,
            "needs `builds`, a list of at least two commits (strings, or \
             {\"commit\": …, \"ranks\": N} for runs with --ranks N), oldest first",
        )
    };
    let list = read_json(&path)?
        .get("builds")
        .and_then(|v| v.as_array().cloned())
        .ok_or_else(bad)?;
    let builds = list
        .iter()
        .map(|b| match (b.as_str(), b.get("commit"), b.get("ranks")) {
            (Some(commit), _, _) => Some(Build {
                commit: commit.to_string(),
                ranks: None,
            }),
            (None, Some(commit), Some(ranks)) => Some(Build {
                commit: commit.as_str()?.to_string(),
                ranks: Some(ranks.as_u64()?),
            }),
            _ => None,
        })
        .collect::<Option<Vec<Build>>>()
        .ok_or_else(bad)?;
    if builds.len() < 2 {
        return Err(bad());
    }
    Ok(builds)
}

/// One table per sitting: the folder [`DIR`] and any sibling whose name
/// starts with it (`results/recurrent-epoch-family25-model17`, a sitting
/// on another host), in the order of their names; see [`sitting_table`].
pub fn table(root: &Path) -> Result<String, DocsError> {
    let first = root.join(DIR);
    let parent = first.parent().unwrap_or(root);
    let prefix = first
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let mut sittings: Vec<_> = std::fs::read_dir(parent)
        .map_err(|e| malformed(parent, format!("cannot be listed: {e}")))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix))
        })
        .collect();
    sittings.sort();
    if !sittings.contains(&first) {
        return Err(malformed(&first, "is missing"));
    }
    let tables = sittings
        .iter()
        .map(|dir| sitting_table(dir))
        .collect::<Result<Vec<String>, DocsError>>()?;
    Ok(tables.join("\n"))
}

/// The epoch time of each build for each cell (mean ± standard deviation
/// over its runs) with its speed-up over the first build, and the machine
/// below, from the sitting in `dir`.
fn sitting_table(dir: &Path) -> Result<String, DocsError> {
    let provenance = Provenance::of(dir)?;
    let builds = builds(dir)?;
    let heads: String = builds
        .iter()
        .map(|b| format!(" {} |", b.heading()))
        .collect();
    let rule = "---|".repeat(builds.len());
    let mut out = format!("| syna-rnn with the |{heads}\n|---|{rule}\n");
    let mut runs = 0;
    for (cell, label) in CELLS {
        let stats = builds
            .iter()
            .map(|b| run_seconds(dir, cell, &b.label()))
            .collect::<Result<Vec<Vec<f64>>, _>>()?;
        runs = runs.max(stats.iter().map(Vec::len).max().unwrap_or(0));
        let stats: Vec<(f64, f64)> = stats.iter().map(|t| mean_std(t)).collect();
        let first = stats[0].0;
        let cells: String = stats
            .iter()
            .enumerate()
            .map(|(i, (mean, std))| match i {
                0 => format!(" {mean:.1} ± {std:.1} s |"),
                _ => format!(" {mean:.1} ± {std:.1} s ({:.2}×) |", first / mean),
            })
            .collect();
        out.push_str(&format!("| {label} |{cells}\n"));
    }
    out.push_str(&format!(
        "\n{}, {} ({}); {runs} runs of each build, interleaved; mean ± standard deviation, \
         and in brackets the speed-up of the mean over the first build's.\n",
        provenance.cpu, provenance.date, provenance.conditions
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::table;
    use std::fs;
    use std::path::{Path, PathBuf};

    /// A results folder (under a fresh temporary root named `tag`) with
    /// `builds` in its provenance and a summary per cell and build.
    fn fixture(tag: &str, builds: &str) -> PathBuf {
        let root = std::env::temp_dir().join(format!(
            "synann-docs-recurrent-{tag}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&root);
        let dir = root.join(super::DIR);
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("provenance.json"),
            format!(
                r#"{{"cpu": "a CPU", "date": "today", "command": "mnist", "conditions": "quiet", "builds": {builds}}}"#
            ),
        )
        .unwrap();
        for cell in ["synapse", "gru", "tanh"] {
            for (commit, seconds) in [("aaa", 40.0), ("bbb", 30.0), ("ccc", 20.0)] {
                write_run(&root, &format!("{cell}-{commit}-r1"), seconds);
            }
        }
        root
    }

    /// One run's `summary.json` (an epoch of `seconds`) in folder `run`.
    fn write_run(root: &Path, run: &str, seconds: f64) {
        let run = root.join(super::DIR).join(run);
        fs::create_dir_all(&run).unwrap();
        fs::write(
            run.join("summary.json"),
            format!(r#"{{"mean_epoch_seconds": {seconds}}}"#),
        )
        .unwrap();
    }

    #[test]
    fn one_column_per_build_each_with_its_speed_up_over_the_first() {
        let root = fixture("three", r#"["aaa", "bbb", "ccc"]"#);
        let out = table(&root).unwrap();
        assert!(
            out.contains("| syna-rnn with the | `aaa` | `bbb` | `ccc` |\n|---|---|---|---|\n"),
            "{out}"
        );
        assert!(
            out.contains("| 40.0 ± 0.0 s | 30.0 ± 0.0 s (1.33×) | 20.0 ± 0.0 s (2.00×) |"),
            "{out}"
        );
        assert!(out.contains("1 runs of each build"), "{out}");
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_build_with_ranks_as_threads_reads_its_own_runs() {
        let root = fixture("ranks", r#"["aaa", {"commit": "ccc", "ranks": 2}]"#);
        for cell in ["synapse", "gru", "tanh"] {
            write_run(&root, &format!("{cell}-ccc-ranks2-r1"), 10.0);
        }
        let out = table(&root).unwrap();
        assert!(
            out.contains("| `aaa` | `ccc`, 2 ranks × 1 thread |\n"),
            "{out}"
        );
        assert!(
            out.contains("| 40.0 ± 0.0 s | 10.0 ± 0.0 s (4.00×) |"),
            "{out}"
        );
        fs::remove_dir_all(&root).unwrap();
        // A build object without its ranks is refused.
        let root = fixture("no-ranks", r#"["aaa", {"commit": "ccc"}]"#);
        assert!(table(&root).unwrap_err().to_string().contains("ranks"));
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn fewer_than_two_builds_or_a_missing_run_is_an_error() {
        let root = fixture("one", r#"["aaa"]"#);
        assert!(table(&root).unwrap_err().to_string().contains("builds"));
        fs::remove_dir_all(&root).unwrap();
        let root = fixture("missing", r#"["aaa", "zzz"]"#);
        assert!(table(&root).unwrap_err().to_string().contains("zzz"));
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_sitting_on_another_host_gets_a_table_of_its_own_after_the_first() {
        let root = fixture("hosts", r#"["aaa", "bbb"]"#);
        // A sibling folder `<DIR>-zen4` with its own provenance and runs.
        let other = root.join(format!("{}-zen4", super::DIR));
        fs::create_dir_all(&other).unwrap();
        fs::write(
            other.join("provenance.json"),
            r#"{"cpu": "another CPU", "date": "later", "command": "mnist", "conditions": "quiet", "builds": ["aaa", "ddd"]}"#,
        )
        .unwrap();
        for cell in ["synapse", "gru", "tanh"] {
            for (commit, seconds) in [("aaa", 16.0), ("ddd", 8.0)] {
                let run = other.join(format!("{cell}-{commit}-r1"));
                fs::create_dir_all(&run).unwrap();
                let summary = format!(r#"{{"mean_epoch_seconds": {seconds}}}"#);
                fs::write(run.join("summary.json"), summary).unwrap();
            }
        }
        let out = table(&root).unwrap();
        let (first, second) = (out.find("a CPU").unwrap(), out.find("another CPU").unwrap());
        assert!(first < second, "{out}");
        assert!(out.contains("| `aaa` | `ddd` |"), "{out}");
        assert!(
            out.contains("| 16.0 ± 0.0 s | 8.0 ± 0.0 s (2.00×) |"),
            "{out}"
        );
        // A sitting missing a run is an error, as for the first.
        fs::remove_dir_all(other.join("gru-ddd-r1")).unwrap();
        assert!(table(&root).unwrap_err().to_string().contains("gru-ddd-r1"));
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn several_runs_give_their_mean_and_standard_deviation() {
        assert_eq!(super::mean_std(&[1.0, 2.0, 3.0]), (2.0, 1.0));
        assert_eq!(super::mean_std(&[5.0]), (5.0, 0.0));
    }
}
