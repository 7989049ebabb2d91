//! The generated tables of the documentation: every measured number shown
//! in `README.md`, `docs/*.md` and `bench/README.md` comes from a file
//! under `results/` or `bench/results/`, through this module.
//!
//! A document marks each generated block with two comment lines,
//! `<!-- gen_docs NAME: begin -->` and `<!-- gen_docs NAME: end -->`;
//! [`generate`] renders every block from its files and splices it in, and
//! `cargo run --example gen_docs -- --check` (run by `.ci/run`, and by the
//! unit test below under `cargo test`) fails when a document differs from
//! what its files give, so a table can neither be edited by hand nor go
//! stale.

mod bench;
mod distributed;
mod provenance;
mod quickstart;
mod recurrent;
mod reliability;
mod runs;

pub use provenance::Provenance;

use crate::study;
use std::fmt;
use std::path::{Path, PathBuf};

/// What can stop the generation: a missing or malformed result file, or a
/// document without the markers of one of its blocks.
#[derive(Debug)]
pub enum DocsError {
    /// A file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A result file does not hold what its table needs.
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// A document lacks the markers of a block it should hold.
    MissingMarkers {
        /// The document.
        document: PathBuf,
        /// The block's name.
        block: &'static str,
    },
    /// The ablation studies could not be loaded.
    Study(study::StudyError),
}

impl fmt::Display for DocsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocsError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            DocsError::Malformed { path, detail } => write!(f, "{}: {detail}", path.display()),
            DocsError::MissingMarkers { document, block } => write!(
                f,
                "{} lacks the markers `{}` and `{}`",
                document.display(),
                begin_marker(block),
                end_marker(block)
            ),
            DocsError::Study(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for DocsError {}

impl From<study::StudyError> for DocsError {
    fn from(e: study::StudyError) -> Self {
        DocsError::Study(e)
    }
}

/// Reads a text file, naming it in the error.
pub(crate) fn read(path: &Path) -> Result<String, DocsError> {
    std::fs::read_to_string(path).map_err(|source| DocsError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads and parses a JSON file, naming it in the error.
pub(crate) fn read_json(path: &Path) -> Result<serde_json::Value, DocsError> {
    serde_json::from_str(&read(path)?).map_err(|e| DocsError::Malformed {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}

/// The error for a JSON file that lacks a field or holds the wrong type.
pub(crate) fn malformed(path: &Path, detail: impl Into<String>) -> DocsError {
    DocsError::Malformed {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}

/// The line that opens block `name`.
pub fn begin_marker(name: &str) -> String {
    format!("<!-- gen_docs {name}: begin -->")
}

/// The line that closes block `name`.
pub fn end_marker(name: &str) -> String {
    format!("<!-- gen_docs {name}: end -->")
}

/// `document` with the text between the markers of block `name` replaced
/// by `content`; `None` if the markers are missing.
///
/// ```
/// use synann_examples::docs::{begin_marker, end_marker, splice};
/// let doc = format!("a\n{}\nold\n{}\nb\n", begin_marker("t"), end_marker("t"));
/// let new = splice(&doc, "t", "new\n").unwrap();
/// assert_eq!(new, format!("a\n{}\nnew\n{}\nb\n", begin_marker("t"), end_marker("t")));
/// ```
pub fn splice(document: &str, name: &str, content: &str) -> Option<String> {
    let (begin, end) = (begin_marker(name), end_marker(name));
    let start = document.find(&begin)? + begin.len();
    let stop = document[start..].find(&end)? + start;
    Some(format!(
        "{}\n{}{}",
        &document[..start],
        content,
        &document[stop..]
    ))
}

/// One generated block: which document holds it, its name, and the
/// function that renders it from the result files under the root.
struct Block {
    document: &'static str,
    name: &'static str,
    render: fn(&Path) -> Result<String, DocsError>,
}

/// Every generated block of the documentation.
const BLOCKS: &[Block] = &[
    Block {
        document: "README.md",
        name: "quickstart",
        render: quickstart::table,
    },
    Block {
        document: "docs/MNIST.md",
        name: "quickstart-log",
        render: quickstart::log,
    },
    Block {
        document: "docs/RESULTS.md",
        name: "ablation",
        render: ablation,
    },
    Block {
        document: "docs/RESULTS.md",
        name: "runs",
        render: runs::table,
    },
    Block {
        document: "docs/PERFORMANCE.md",
        name: "bench",
        render: bench::summary_table,
    },
    Block {
        document: "bench/README.md",
        name: "bench-machine",
        render: bench::machine,
    },
    Block {
        document: "bench/README.md",
        name: "bench-full",
        render: bench::full_table,
    },
    Block {
        document: "docs/PERFORMANCE.md",
        name: "recurrent-epoch",
        render: recurrent::table,
    },
    Block {
        document: "docs/PERFORMANCE.md",
        name: "test-build",
        render: quickstart::test_build,
    },
    Block {
        document: "docs/DISTRIBUTED.md",
        name: "cost-model",
        render: distributed::cost_tables,
    },
    Block {
        document: "docs/DISTRIBUTED.md",
        name: "scaling",
        render: distributed::scaling,
    },
    Block {
        document: "docs/RELIABILITY.md",
        name: "memory-soak",
        render: reliability::memory_soak,
    },
    Block {
        document: "docs/RELIABILITY.md",
        name: "fuzz",
        render: reliability::fuzz,
    },
    Block {
        document: "fuzz/README.md",
        name: "fuzz-runs",
        render: reliability::fuzz_runs_table,
    },
];

/// The file the ablation tables are also written to, whole.
pub const ABLATION_TABLES: &str = "results/ablation/TABLES.md";

/// The ablation tables of every study listed in
/// `results/ablation/studies.txt`.
fn ablation(root: &Path) -> Result<String, DocsError> {
    Ok(study::render_all(&study::load_all(
        &root.join("results/ablation"),
    )?))
}

/// Every generated file with the content the result files give it:
/// the documents with their blocks spliced in, and
/// [`ABLATION_TABLES`]. Pairs of (path relative to `root`, content).
pub fn generate(root: &Path) -> Result<Vec<(PathBuf, String)>, DocsError> {
    let mut documents: Vec<(PathBuf, String)> = Vec::new();
    for block in BLOCKS {
        let path = PathBuf::from(block.document);
        let index = match documents.iter().position(|(p, _)| *p == path) {
            Some(i) => i,
            None => {
                documents.push((path.clone(), read(&root.join(&path))?));
                documents.len() - 1
            }
        };
        let content = (block.render)(root)?;
        let spliced =
            splice(&documents[index].1, block.name, &content).ok_or(DocsError::MissingMarkers {
                document: path,
                block: block.name,
            })?;
        documents[index].1 = spliced;
    }
    documents.push((PathBuf::from(ABLATION_TABLES), ablation(root)?));
    Ok(documents)
}

/// The generated files that differ from what their result files give
/// (empty when everything is fresh).
pub fn stale(root: &Path) -> Result<Vec<PathBuf>, DocsError> {
    let mut out = Vec::new();
    for (path, content) in generate(root)? {
        let on_disk = std::fs::read_to_string(root.join(&path)).unwrap_or_default();
        if on_disk != content {
            out.push(path);
        }
    }
    Ok(out)
}

/// Writes every generated file whose content changed; returns their paths.
pub fn write(root: &Path) -> Result<Vec<PathBuf>, DocsError> {
    let changed = stale(root)?;
    for (path, content) in generate(root)? {
        if changed.contains(&path) {
            std::fs::write(root.join(&path), content).map_err(|source| DocsError::Io {
                path: path.clone(),
                source,
            })?;
        }
    }
    Ok(changed)
}

/// Formats `x` with `digits` significant digits (at least the integer
/// part), as the tables show timings: 0.0934, 1.59, 573, 1289.
pub(crate) fn significant(x: f64, digits: i32) -> String {
    if !x.is_finite() || x == 0.0 {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).max(0) as usize;
    format!("{x:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The workspace root (this crate lives in `examples/`).
    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    /// Every generated table in the documentation is what its result
    /// files give: none is edited by hand or left stale.
    #[test]
    fn generated_documents_match_their_result_files() {
        let stale = stale(&root()).unwrap();
        assert!(
            stale.is_empty(),
            "stale generated documentation: {stale:?}; run `cargo run --example gen_docs`"
        );
    }

    #[test]
    fn a_document_without_markers_is_an_error_naming_the_block() {
        assert!(splice("no markers here", "runs", "x").is_none());
        let e = DocsError::MissingMarkers {
            document: PathBuf::from("docs/RESULTS.md"),
            block: "runs",
        };
        assert_eq!(
            e.to_string(),
            "docs/RESULTS.md lacks the markers `<!-- gen_docs runs: begin -->` and `<!-- gen_docs runs: end -->`"
        );
    }

    #[test]
    fn significant_digits_as_the_tables_show_them() {
        assert_eq!(significant(0.093420, 3), "0.0934");
        assert_eq!(significant(1.5912, 3), "1.59");
        assert_eq!(significant(573.2, 3), "573");
        assert_eq!(significant(1289.4, 3), "1289");
    }
}
