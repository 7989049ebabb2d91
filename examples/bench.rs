//! The benchmark harness: times our side of each case and prints it next to
//! PyTorch's figures (from `bench/pytorch/run.sh`).
//!
//! ```text
//! cargo run --release --example bench -- [--cases a,b,c] [--threads N]
//!     [--torch-json bench/results/torch.json] [--json PATH]
//!     [--reps-min 5] [--seconds 2] [--list]
//! ```
//!
//! Each case builds its inputs once, runs a few warm-up repetitions, then
//! repeats until it has at least `--reps-min` repetitions and `--seconds` of
//! wall time (heavy cases: 1 warm-up, at least 3 repetitions); the table
//! shows the median. Peak RSS is the process's high-water mark during the
//! case (reset before each one). See `bench/README.md` for results.

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use synann_examples::bench::report::{self, Report};
use synann_examples::bench::timing::measure;
use synann_examples::bench::{find, memory, Case, Protocol, Row, CASES};

/// Time synann's side of the benchmark cases (f32, forward+backward through
/// the autograd as in training) and compare with PyTorch's.
#[derive(Parser, Debug)]
#[command(name = "bench")]
struct Args {
    /// Comma-separated case names (default: all; `--list` shows them).
    #[arg(long, value_delimiter = ',')]
    cases: Vec<String>,
    /// Threads of rayon's global pool [default: RAYON_NUM_THREADS, else 2].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// `torch_side.py`'s JSON, to show PyTorch's figures next to ours.
    #[arg(long, value_name = "PATH")]
    torch_json: Option<PathBuf>,
    /// Also write the results as JSON to this file.
    #[arg(long, value_name = "PATH")]
    json: Option<PathBuf>,
    /// Timed repetitions per case: at least this many.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    reps_min: u32,
    /// ...and at least this many seconds of wall time.
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
    /// Print the cases and exit.
    #[arg(long)]
    list: bool,
}

/// The thread count: the flag, else `RAYON_NUM_THREADS`, else 2.
fn thread_count(flag: Option<u16>) -> Result<usize, String> {
    if let Some(n) = flag {
        return Ok(n.into());
    }
    match std::env::var("RAYON_NUM_THREADS") {
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("RAYON_NUM_THREADS={v:?} is not a positive integer")),
        },
        Err(_) => Ok(2),
    }
}

fn selected_cases(names: &[String]) -> Result<Vec<&'static Case>, String> {
    if names.is_empty() {
        return Ok(CASES.iter().collect());
    }
    names
        .iter()
        .map(|n| {
            find(n.trim()).ok_or_else(|| format!("unknown case {n:?} (--list shows the cases)"))
        })
        .collect()
}

fn run(args: Args) -> Result<(), String> {
    if args.list {
        for c in CASES {
            println!("{:<22} {}", c.name, c.about);
        }
        return Ok(());
    }
    if !(args.seconds.is_finite() && args.seconds >= 0.0) {
        return Err(format!(
            "--seconds {} must be a non-negative number",
            args.seconds
        ));
    }
    let cases = selected_cases(&args.cases)?;
    let threads = thread_count(args.threads)?;
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .map_err(|e| format!("cannot start {threads} threads: {e}"))?;
    let torch = match &args.torch_json {
        Some(path) => report::read_torch_json(path).map_err(|e| e.to_string())?,
        None => Default::default(),
    };
    let protocol = Protocol {
        reps_min: args.reps_min as usize,
        min_time: Duration::from_secs_f64(args.seconds),
        ..Protocol::standard()
    };

    eprintln!("synann bench: {} case(s), {threads} thread(s)", cases.len());
    let mut rows = Vec::new();
    for case in cases {
        memory::reset_peak();
        let (step, work) = (case.build)();
        let protocol = if case.heavy {
            protocol.heavy()
        } else {
            protocol
        };
        let ours = measure(&protocol, step);
        let row = Row {
            case: case.name.to_string(),
            ours,
            rate: work.rate(ours.median_ms),
            peak_rss_mib: memory::peak_rss_mib(),
            torch: torch.get(case.name).cloned(),
        };
        eprintln!(
            "  {:<22} median {:>10.3} ms  min {:>10.3} ms  reps {:>4}  {}",
            row.case, ours.median_ms, ours.min_ms, ours.reps, row.rate
        );
        rows.push(row);
    }
    print!("{}", report::table(&rows));
    if let Some(path) = &args.json {
        let report = Report {
            threads,
            torch_json: args.torch_json.as_ref().map(|p| p.display().to_string()),
            rows: &rows,
        };
        report::write_json(path, &report).map_err(|e| e.to_string())?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) if e.use_stderr() => {
            // One line: clap's first line ("error: ..."), without the usage.
            let text = e.to_string();
            eprintln!(
                "bench: {}",
                text.lines()
                    .next()
                    .unwrap_or("bad arguments")
                    .trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            // --help, --version: clap's text on stdout.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("bench: {msg}");
            ExitCode::FAILURE
        }
    }
}
