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

use std::process::ExitCode;
use std::time::Duration;
use synann_examples::bench::cli::{parse_args, thread_count, BenchArgs, CliError};
use synann_examples::bench::report::{self, Report};
use synann_examples::bench::timing::measure;
use synann_examples::bench::{memory, Protocol, Row, CASES};
use synann_examples::cli::{FAILURE_STATUS, USAGE_STATUS};

fn run(args: BenchArgs) -> Result<(), String> {
    if args.list {
        for c in CASES {
            println!("{:<22} {}", c.name, c.about);
        }
        return Ok(());
    }
    let env_threads = std::env::var("RAYON_NUM_THREADS").ok();
    let threads = thread_count(args.threads, env_threads.as_deref()).map_err(|e| e.to_string())?;
    synann_tensor::parallel::init_global_pool(threads)
        .map_err(|e| format!("cannot start {threads} threads: {e}"))?;
    synann_tensor::memory::retain_freed_memory();
    let torch = match &args.torch_json {
        Some(path) => report::read_torch_json(path).map_err(|e| e.to_string())?,
        None => Default::default(),
    };
    let protocol = Protocol {
        reps_min: args.reps_min as usize,
        min_time: Duration::from_secs_f64(args.seconds),
        ..Protocol::standard()
    };

    let cases = args.selected_cases();
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
    let args = match parse_args(std::env::args_os()) {
        Ok(args) => args,
        Err(CliError::Help(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(CliError::Usage(line)) => {
            eprintln!("error: {line}");
            return ExitCode::from(USAGE_STATUS);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(FAILURE_STATUS)
        }
    }
}
