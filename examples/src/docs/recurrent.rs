//! The recurrent-epoch table of `docs/PERFORMANCE.md`: one epoch of
//! `syna-rnn` with each recurrent cell, before and after the changes named
//! in `results/recurrent-epoch/provenance.json`, from the `summary.json`
//! of each run (`<cell>-before/`, `<cell>-after/`).

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

/// Before, after and the speed-up for each cell, and the machine below.
pub fn table(root: &Path) -> Result<String, DocsError> {
    let dir = root.join(DIR);
    let provenance = Provenance::of(&dir)?;
    let before = read_json(&dir.join("provenance.json"))?
        .get("before")
        .and_then(|v| v.as_str())
        .unwrap_or("?")
        .to_string();
    let mut out = format!(
        "| syna-rnn with the | epoch before (`{before}`) | epoch after | speed-up |\n|---|---|---|---|\n"
    );
    for (cell, label) in CELLS {
        let old = epoch_seconds(&dir.join(format!("{cell}-before")))?;
        let new = epoch_seconds(&dir.join(format!("{cell}-after")))?;
        out.push_str(&format!(
            "| {label} | {old:.1} s | {new:.1} s | {:.2}× |\n",
            old / new
        ));
    }
    out.push_str(&format!(
        "\n{}, {} ({}); one run each.\n",
        provenance.cpu, provenance.date, provenance.conditions
    ));
    Ok(out)
}
