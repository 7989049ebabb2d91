//! The cost model of a data-parallel run in `docs/DISTRIBUTED.md`: the
//! step time and efficiency of seed-keras on p nodes, from the inputs in
//! `results/distributed/cost_inputs.json` and one node's measured step
//! time, read from the benchmark (`ours.json` of the sitting under
//! `bench/results/` that `step_sitting` names) so the figure
//! has one source.
//!
//! ```text
//! step(p)      = compute(p) + allreduce(p)
//! compute(p)   = T₁ · (b/p) / b₀                 T₁: one node's step of b₀ images
//! allreduce(p) = 2·(p − 1)/p · S / BW + 2·(p − 1)·ℓ   ring all-reduce of S bytes
//! efficiency   = compute(p) / step(p)
//! epoch(p)     = ⌈N / b⌉ · step(p) + E₁ / p          E₁: one node's evaluation pass
//! ```

use super::{malformed, read_json, DocsError, Provenance};
use serde_json::Value;
use std::path::Path;

/// The inputs of the model.
pub const INPUTS: &str = "results/distributed/cost_inputs.json";

/// One link: its name, bytes per second and latency per message.
struct Link {
    name: String,
    bytes_per_second: f64,
    latency: f64,
}

/// Everything the tables need, read from the files.
struct Model {
    parameters: f64,
    parameters_source: String,
    step_seconds: f64,
    step_batch: f64,
    train: f64,
    test: f64,
    epochs: f64,
    eval_fraction: f64,
    links: Vec<Link>,
    nodes: Vec<f64>,
    bench: Provenance,
}

impl Model {
    fn read(root: &Path) -> Result<Model, DocsError> {
        let path = root.join(INPUTS);
        let json = read_json(&path)?;
        let number = |v: &Value, name: &str| {
            v.get(name)
                .and_then(Value::as_f64)
                .ok_or_else(|| malformed(&path, format!("lacks the number `{name}`")))
        };
        let case = json
            .get("step_case")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed(&path, "lacks `step_case`"))?;
        let sitting = json
            .get("step_sitting")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed(&path, "lacks `step_sitting` (a folder of bench/results)"))?;
        let sitting = root.join(super::bench::DIR).join(sitting);
        let bench_path = sitting.join("ours.json");
        let bench = read_json(&bench_path)?;
        let step_ms = bench
            .get("rows")
            .and_then(Value::as_array)
            .and_then(|rows| rows.iter().find(|r| r["case"] == case))
            .and_then(|r| r["ours"]["median_ms"].as_f64())
            .ok_or_else(|| malformed(&bench_path, format!("has no median for `{case}`")))?;
        let links = json
            .get("links")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed(&path, "lacks the array `links`"))?
            .iter()
            .map(|l| {
                Ok(Link {
                    name: l["name"].as_str().unwrap_or("?").to_string(),
                    bytes_per_second: number(l, "bits_per_second")? / 8.0,
                    latency: number(l, "latency_seconds")?,
                })
            })
            .collect::<Result<_, DocsError>>()?;
        let nodes = json
            .get("nodes")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed(&path, "lacks the array `nodes`"))?
            .iter()
            .filter_map(Value::as_f64)
            .collect();
        Ok(Model {
            parameters: number(&json, "parameters")?,
            parameters_source: json["parameters_source"].as_str().unwrap_or("").to_string(),
            step_seconds: step_ms / 1000.0,
            step_batch: number(&json, "step_batch")?,
            train: number(&json, "train_images")?,
            test: number(&json, "test_images")?,
            epochs: number(&json, "epochs")?,
            eval_fraction: number(&json, "eval_fraction_of_step")?,
            links,
            nodes,
            bench: Provenance::of(&sitting)?,
        })
    }

    /// The gradient's bytes (f32).
    fn gradient_bytes(&self) -> f64 {
        4.0 * self.parameters
    }

    /// One node's evaluation pass, in seconds.
    fn eval_seconds(&self) -> f64 {
        self.test * self.step_seconds / self.step_batch * self.eval_fraction
    }

    /// One table row: nodes p, global batch b on `link`.
    fn row(&self, link: &Link, p: f64, batch: f64) -> String {
        let compute = self.step_seconds * (batch / p) / self.step_batch;
        let allreduce = 2.0 * (p - 1.0) / p * self.gradient_bytes() / link.bytes_per_second
            + 2.0 * (p - 1.0) * link.latency;
        let step = compute + allreduce;
        let epoch = (self.train / batch).ceil() * step + self.eval_seconds() / p;
        format!(
            "| {} | {p} | {batch} | {} | {:.1} | {:.1} | {:.1} | {:.0}% | {:.2} h |\n",
            link.name,
            batch / p,
            compute * 1e3,
            allreduce * 1e3,
            step * 1e3,
            100.0 * compute / step,
            self.epochs * epoch / 3600.0
        )
    }

    /// The table for every link and node count, the global batch chosen by
    /// `batch(p)`.
    fn table(&self, batch: impl Fn(f64) -> f64) -> String {
        let mut out = String::from(
            "| link | nodes | global batch | per rank | compute ms | all-reduce ms | step ms | efficiency | 35 epochs |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for link in &self.links {
            for &p in &self.nodes {
                out.push_str(&self.row(link, p, batch(p)));
            }
        }
        out
    }
}

/// The inputs and both tables (the recipe's global batch, and 64 images
/// per node).
pub fn cost_tables(root: &Path) -> Result<String, DocsError> {
    let m = Model::read(root)?;
    let one_node_epoch = (m.train / m.step_batch).ceil() * m.step_seconds + m.eval_seconds();
    let links: Vec<String> = m
        .links
        .iter()
        .map(|l| format!("ℓ = {} µs for {}", l.latency * 1e6, l.name))
        .collect();
    let mut out = format!(
        "Inputs: S = {:.0} parameters × 4 bytes = {:.1} MB per step ({}); T₁ = {:.2} s for a \
         training step of b₀ = {} images on one node (the benchmark's `seed_keras_step`, \
         {}, {}); E₁ = {:.0} s (a forward is about a third of a step); {}. One node: \
         {:.0} s per epoch, {:.1} h for {} epochs.\n\n",
        m.parameters,
        m.gradient_bytes() / 1e6,
        m.parameters_source,
        m.step_seconds,
        m.step_batch,
        m.bench.cpu,
        m.bench.date,
        m.eval_seconds(),
        links.join(", "),
        one_node_epoch,
        m.epochs * one_node_epoch / 3600.0,
        m.epochs,
    );
    out.push_str("At the recipe's global batch (at least one image per node):\n\n");
    let b0 = m.step_batch;
    out.push_str(&m.table(|p| b0.max(p)));
    out.push_str("\nWith 64 images per node (global batch 64·p):\n\n");
    out.push_str(&m.table(|p| b0 * p));
    Ok(out)
}

/// The measured throughput of `results/distributed/scaling.json` (written
/// by `results/distributed/run_scaling.sh`): each model as 1 rank × 2
/// threads and as 2 ranks × 1 thread, images per second and the test
/// accuracy after one epoch, with the second layout's speed relative to
/// the first.
pub fn scaling(root: &Path) -> Result<String, DocsError> {
    let path = root.join("results/distributed/scaling.json");
    let json = read_json(&path)?;
    let cpu = &json["cpu"];
    let runs = json["runs"]
        .as_array()
        .ok_or_else(|| malformed(&path, "lacks the array `runs`"))?;
    let number = |v: &Value, name: &str| {
        v[name]
            .as_f64()
            .ok_or_else(|| malformed(&path, format!("a run lacks the number `{name}`")))
    };
    let mut out = String::from(
        "| model | ranks × threads | images/s | relative | test accuracy after 1 epoch |\n\
         |---|---|---:|---:|---:|\n",
    );
    let mut first: Option<(String, f64)> = None;
    for run in runs {
        let model = run["model"].as_str().unwrap_or("?").to_string();
        let speed = number(run, "images_per_second")?;
        let base = match &first {
            Some((m, s)) if *m == model => *s,
            _ => {
                first = Some((model.clone(), speed));
                speed
            }
        };
        out.push_str(&format!(
            "| {model} | {} × {} | {speed:.0} | {:.2}× | {:.2}% |\n",
            number(run, "ranks")?,
            number(run, "threads_per_rank")?,
            speed / base,
            100.0 * number(run, "test_accuracy_after_1_epoch")?,
        ));
    }
    out.push_str(&format!(
        "\n{} (family {}, model {}), {} cores, {}.\n",
        cpu["name"].as_str().unwrap_or("?"),
        cpu["family"],
        cpu["model"],
        cpu["cores"],
        json["date"].as_str().unwrap_or("?"),
    ));
    Ok(out)
}
