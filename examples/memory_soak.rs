//! The memory soak test: trains seed-torch for many steps and prints the
//! resident memory (VmRSS) and the live graph nodes every 250 steps, then
//! the growth after the warm-up. A training loop that leaks a graph or a
//! buffer per step shows up here as steady growth.
//!
//! ```text
//! cargo run --release --example memory_soak -- [--steps 5000] [--batch-size 100]
//!     [--every 250] [--warmup 500] [--threads 2] [--model seed-torch] [--data-dir DIR]
//! ```
//!
//! A bad flag or path (a `--data-dir` without the MNIST files included) is
//! a one-line error and exit status 2; a failure during the run (a
//! diverging loss) a one-line error and status 1.
//! See `synann_examples::soak`.

use std::process::ExitCode;
use synann_examples::cli::failure_status;
use synann_examples::soak::{growth, parse_args, run, SoakCliError};

fn main() -> ExitCode {
    let args = match parse_args(std::env::args_os()) {
        Ok(a) => a,
        Err(SoakCliError::Help(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: cannot start {} threads: {e}", args.threads);
            return ExitCode::FAILURE;
        }
    };
    println!(
        "{} for {} steps of batch {} on {} threads",
        args.model, args.steps, args.batch_size, args.threads
    );
    println!("{:>6}  {:>9}  {:>10}", "step", "RSS MiB", "live nodes");
    let samples = pool.install(|| {
        run(&args, |s| {
            let rss = s.rss_mib.map_or("-".to_string(), |r| format!("{r:.1}"));
            println!("{:>6}  {rss:>9}  {:>10}", s.step, s.live_nodes);
        })
        .map_err(|e| (e.to_string(), failure_status(&*e)))
    });
    let samples = match samples {
        Ok(s) => s,
        Err((e, status)) => {
            eprintln!("error: {e}");
            return ExitCode::from(status);
        }
    };
    match growth(&samples, args.warmup) {
        Some((mib, percent)) => println!(
            "RSS growth from step {} to {}: {mib:+.1} MiB ({percent:+.1}%)",
            args.warmup, args.steps
        ),
        None => println!("RSS is not available on this platform"),
    }
    ExitCode::SUCCESS
}
