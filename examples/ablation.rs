//! The ablation tables: reads every study under `results/ablation/` (see
//! [`synann_examples::study`]) and writes their Markdown tables to
//! `results/ablation/TABLES.md` and between the markers of `README.md`.
//!
//! ```text
//! cargo run --release --example ablation              # regenerate both files
//! cargo run --release --example ablation -- --check   # exit 1 if either is stale
//! cargo run --release --example ablation -- --print   # print the tables only
//! ```
//!
//! The runs themselves are made by `results/run_study.sh STUDY` (and the
//! older `results/run_ablation.sh`).

use std::path::Path;
use std::process::ExitCode;
use synann_examples::study::{load_all, render_all, splice};

const ROOT: &str = "results/ablation";
const TABLES: &str = "results/ablation/TABLES.md";
const README: &str = "README.md";

fn main() -> ExitCode {
    let mode = std::env::args().nth(1).unwrap_or_default();
    if !matches!(mode.as_str(), "" | "--check" | "--print") {
        eprintln!("error: unknown argument `{mode}` (expected --check, --print or nothing)");
        return ExitCode::from(2);
    }
    match run(&mode) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Regenerates, checks or prints; `Ok(false)` when a check finds a stale file.
fn run(mode: &str) -> Result<bool, Box<dyn std::error::Error>> {
    let tables = render_all(&load_all(Path::new(ROOT))?);
    if mode == "--print" {
        print!("{tables}");
        return Ok(true);
    }
    let readme = std::fs::read_to_string(README)?;
    let new_readme =
        splice(&readme, &tables).ok_or("README.md lacks the ablation table markers")?;
    let old_tables = std::fs::read_to_string(TABLES).unwrap_or_default();
    if mode == "--check" {
        let fresh = old_tables == tables && readme == new_readme;
        if !fresh {
            eprintln!(
                "the ablation tables are stale: run `cargo run --release --example ablation`"
            );
        }
        return Ok(fresh);
    }
    std::fs::write(TABLES, &tables)?;
    std::fs::write(README, new_readme)?;
    println!("wrote {TABLES} and the tables in {README}");
    Ok(true)
}
