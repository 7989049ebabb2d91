//! Explainability: draws the inhibition matrix B of every Synapse layer of a
//! checkpoint as a heat map and prints its strongest links.
//!
//! ```text
//! cargo run --release --example explain -- --checkpoint runs/mnist-seed-torch/best.safetensors
//! cargo run --release --example explain -- --checkpoint runs/mnist-syna-cnn/last.ckpt.safetensors --model syna-cnn --top 5
//! ```
//!
//! Flags: `--checkpoint PATH` (required), `--model NAME` (load strictly
//! into that zoo model and apply each layer's parameterisation), `--width W`
//! (the width multiplier that model was trained with, default 1), `--out DIR`
//! (default: the checkpoint's folder + `/explain/`), `--top K` (default
//! 10). For each Synapse tensor it writes `<name>.png` and `<name>.svg` into
//! the output folder and prints the K largest and the K most negative
//! entries of B. A bad flag is a one-line error and exit status 2; any
//! other failure (missing or corrupt checkpoint, no Synapse tensor, a
//! checkpoint that does not fit `--model`) a one-line error and status 1.
//! See `synann_examples::explain` for the details.

use std::process::ExitCode;
use synann_examples::explain::{self, cli::parse_args, ExplainError};

fn main() -> ExitCode {
    let config = match parse_args(std::env::args_os()) {
        Ok(c) => c,
        Err(ExplainError::Help(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match explain::run(&config) {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_status())
        }
    }
}
