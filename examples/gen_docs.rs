//! The generated tables of the documentation (see
//! [`synann_examples::docs`]): every measured number in `README.md`,
//! `docs/*.md`, `bench/README.md`, `fuzz/README.md` and
//! `results/ablation/TABLES.md` is rendered from the files under `results/`
//! and `bench/results/`.
//!
//! ```text
//! cargo run --example gen_docs              # rewrite the stale documents
//! cargo run --example gen_docs -- --check   # exit 1 if any is stale (.ci/run)
//! ```
//!
//! Run it from the workspace root. A bad argument is a one-line error and
//! exit status 2; a missing or malformed result file, or a stale document
//! under `--check`, status 1.

use std::path::Path;
use std::process::ExitCode;
use synann_examples::cli::{FAILURE_STATUS, USAGE_STATUS};
use synann_examples::docs;

/// What to do with the generated documents.
enum Mode {
    /// Rewrite the stale ones.
    Write,
    /// Only report the stale ones (and fail if there are any).
    Check,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = match args.as_slice() {
        [] => Mode::Write,
        [flag] if flag == "--check" => Mode::Check,
        _ => {
            eprintln!("error: unexpected arguments {args:?} (usage: gen_docs [--check])");
            return ExitCode::from(USAGE_STATUS);
        }
    };
    let root = Path::new(".");
    let result = match mode {
        Mode::Write => docs::write(root).map(|written| {
            for path in &written {
                println!("wrote {}", path.display());
            }
            if written.is_empty() {
                println!("every generated document is up to date");
            }
            true
        }),
        Mode::Check => docs::stale(root).map(|stale| {
            for path in &stale {
                eprintln!(
                    "{} is stale: run `cargo run --example gen_docs`",
                    path.display()
                );
            }
            stale.is_empty()
        }),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(FAILURE_STATUS),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(FAILURE_STATUS)
        }
    }
}
