//! What a parallel region costs when the pool's workers were idle before
//! it: the measurement behind [`synann_tensor::parallel::set_worker_spin`].
//!
//! Runs 2000 regions, each two blocks of the same fixed work (one per
//! thread of a 2-thread pool), with a stretch of sequential work on the
//! calling thread between regions, and prints the median time of a region
//! against the time of one block alone, with the workers polling between
//! regions (the default) and without (rayon's own idling: a worker sleeps
//! after a few tens of microseconds and is woken for the next region).
//!
//! ```text
//! cargo run --release -p synann-tensor --example worker_wake -- [GAP_US]
//! ```
//!
//! `GAP_US` is the sequential work between regions in microseconds
//! (default 50). Prints the CPU (from `/proc/cpuinfo`) with the figures.

use std::time::{Duration, Instant};
use synann_tensor::parallel::{
    for_each_block, init_global_pool, set_worker_spin, DEFAULT_WORKER_SPIN,
};

/// About `iters` dependent floating-point operations.
fn busy(iters: usize) -> f64 {
    let mut x = 1.0f64;
    for i in 0..iters {
        x = x * 1.000_000_1 + (i as f64) * 1e-12;
    }
    x
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `cpu family`, `model` and `model name` of the first CPU, if known.
fn cpu() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        info.lines()
            .find(|l| l.split(':').next().is_some_and(|k| k.trim() == name))
            .and_then(|l| l.split_once(':'))
            .map_or("?".to_string(), |(_, v)| v.trim().to_string())
    };
    format!(
        "{} (family {}, model {})",
        field("model name"),
        field("cpu family"),
        field("model")
    )
}

fn main() {
    let gap_us: f64 = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 50.0,
        Some(Ok(v)) if v >= 0.0 => v,
        Some(_) => {
            eprintln!("error: GAP_US must be a number of microseconds ≥ 0");
            std::process::exit(2);
        }
    };
    init_global_pool(2).expect("the first pool of this program");
    // Calibrate: iterations per microsecond.
    let start = Instant::now();
    std::hint::black_box(busy(1_000_000));
    let per_us = 1e6 / (start.elapsed().as_secs_f64() * 1e6);
    let block = (50.0 * per_us) as usize;
    let gap = (gap_us * per_us) as usize;
    let solo = {
        let t = Instant::now();
        std::hint::black_box(busy(block));
        t.elapsed().as_secs_f64() * 1e6
    };
    println!(
        "{}: one block {solo:.1} µs, {gap_us} µs between regions",
        cpu()
    );
    for (name, spin) in [
        ("workers polling", DEFAULT_WORKER_SPIN),
        ("rayon's idling", Duration::ZERO),
    ] {
        set_worker_spin(spin);
        let mut times = Vec::new();
        let mut out = [0.0f64; 2];
        for _ in 0..2000 {
            let t = Instant::now();
            // Two blocks, and enough declared work for a parallel region.
            for_each_block(&mut out, 1, usize::MAX, |_, o| o[0] = busy(block));
            times.push(t.elapsed().as_secs_f64() * 1e6);
            std::hint::black_box(busy(gap));
        }
        println!("  {name:16} region median {:6.1} µs", median(times));
    }
}
