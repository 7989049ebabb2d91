//! Where one training step of `seed-torch` (batch 100) spends its time.
//!
//! Runs the step as training does (zero_grad, forward recording the graph,
//! NLL loss, backward, SGD with momentum) and reports the median of each
//! phase and, through the autograd's op timer
//! ([`synann_autograd::profile`]), of each op's forward and backward inside
//! it: in place, with the caches and allocator as training leaves them.
//! What is left of a phase outside its ops is the graph bookkeeping,
//! dropout masks and gradient accumulation.
//!
//! ```text
//! RAYON_NUM_THREADS=2 cargo run --release --example step_profile -- [--reps 200]
//! ```
//!
//! Any other command line is a one-line error and exit status 2.

use std::process::ExitCode;
use std::time::{Duration, Instant};
use synann::zoo::{self, ZooOptions};
use synann_autograd::profile::{profile_ops, OpEvent, Phase};
use synann_autograd::Var;
use synann_examples::cli::USAGE_STATUS;
use synann_nn::loss::{nll_loss, Reduction};
use synann_nn::optim::{Optimizer, SgdConfig, SGD};
use synann_nn::Mode;
use synann_tensor::random::seeded;
use synann_tensor::Tensor;

/// The median of `v` (sorted in place).
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The repetitions asked for with `--reps N` (default 200), or the one-line
/// error for any other command line.
fn parse_reps(args: &[String]) -> Result<usize, String> {
    match args {
        [] => Ok(200),
        [flag, value] if flag == "--reps" => match value.parse() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!(
                "invalid value `{value}` for --reps: a positive whole number"
            )),
        },
        _ => Err(format!(
            "unexpected arguments {args:?} (usage: step_profile [--reps N])"
        )),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let reps = match parse_reps(&args) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(USAGE_STATUS);
        }
    };
    // RAYON_NUM_THREADS threads (rayon's default: 0), this one among them,
    // as in training.
    if let Err(e) = synann_tensor::parallel::init_global_pool(0) {
        eprintln!("error: cannot start the thread pool: {e}");
        return ExitCode::FAILURE;
    }
    synann_tensor::memory::retain_freed_memory();
    profile(reps);
    ExitCode::SUCCESS
}

/// Runs `reps` measured steps (after a tenth as many warm-up steps) and
/// prints the tables.
fn profile(reps: usize) {
    let n = 100;
    let opts = ZooOptions {
        seed: 0,
        ..ZooOptions::default()
    };
    let mut net = zoo::build("seed-torch", &opts).expect("a zoo model").model;
    let mut opt = SGD::new(net.parameters(), 0.012, SgdConfig::default().momentum(0.5))
        .expect("valid SGD settings");
    let data = Var::constant(Tensor::uniform(&[n, 1, 28, 28], 0.0, 1.0, &mut seeded(0)));
    let labels: Vec<usize> = (0..n).map(|i| (i * 7) % 10).collect();

    // Per phase, and per op call in order (name, phase), one time per rep.
    let mut phases: [Vec<f64>; 5] = Default::default();
    let mut ops: Vec<(String, Phase, Vec<f64>)> = Vec::new();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    for rep in 0..reps + reps / 10 {
        let t0 = Instant::now();
        opt.zero_grad();
        let t1 = Instant::now();
        let (loss, fwd_events) =
            profile_ops(|| nll_loss(&net.forward(&data, Mode::Train), &labels, Reduction::Mean));
        let t2 = Instant::now();
        let ((), bwd_events) = profile_ops(|| loss.backward());
        let t3 = Instant::now();
        opt.step();
        let t4 = Instant::now();
        drop(loss);
        if rep < reps / 10 {
            continue; // warm-up
        }
        let times = [t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0];
        for (p, d) in phases.iter_mut().zip(times) {
            p.push(us(d));
        }
        let events: Vec<OpEvent> = fwd_events.into_iter().chain(bwd_events).collect();
        if ops.is_empty() {
            ops = events
                .iter()
                .map(|e| (e.name.clone(), e.phase, Vec::new()))
                .collect();
        }
        assert_eq!(ops.len(), events.len(), "the same ops run every step");
        for (op, e) in ops.iter_mut().zip(&events) {
            op.2.push(us(e.time));
        }
    }
    let phases: Vec<f64> = phases.iter_mut().map(|p| median(p)).collect();

    println!(
        "seed-torch step at batch {n}, {} thread(s), medians of {reps} steps (µs)\n",
        rayon::current_num_threads()
    );
    println!("| phase | µs |");
    println!("| --- | ---: |");
    let names = ["zero_grad", "forward (model + NLL)", "backward", "SGD step"];
    for (name, p) in names.iter().zip(&phases) {
        println!("| {name} | {p:.0} |");
    }
    println!("| **whole step** | {:.0} |", phases[4]);

    // The k-th forward call of an op pairs with the k-th-from-last backward
    // call of the same op (a chain is walked backward in reverse order).
    println!("\nOps inside the step, in forward order:\n");
    println!("| # | op | forward µs | backward µs |");
    println!("| ---: | --- | ---: | ---: |");
    let (mut fwd, mut bwd) = (Vec::new(), Vec::new());
    for (name, phase, times) in &mut ops {
        let t = (name.clone(), median(times));
        match phase {
            Phase::Forward => fwd.push(t),
            Phase::Backward => bwd.push(t),
        }
    }
    let (mut sum_f, mut sum_b) = (0.0, 0.0);
    for (i, (name, f)) in fwd.iter().enumerate() {
        let k = fwd[..i].iter().filter(|(m, _)| m == name).count();
        let b = bwd.iter().rev().filter(|(m, _)| m == name).nth(k);
        sum_f += f;
        sum_b += b.map_or(0.0, |b| b.1);
        let b = b.map_or("-".to_string(), |b| format!("{:.0}", b.1));
        println!("| {i} | {name} | {f:.0} | {b} |");
    }
    println!("| | **ops, summed** | {sum_f:.0} | {sum_b:.0} |");
    println!(
        "| | **outside the ops** (graph, masks, accumulation) | {:.0} | {:.0} |",
        phases[1] - sum_f,
        phases[2] - sum_b
    );
}
