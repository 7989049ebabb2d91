//! The explainability example's library entry point: heat maps written,
//! strongest links that are the tensor's actual extremes, the zoo table in
//! step with the zoo, and one-line errors for every bad input.

use std::path::{Path, PathBuf};
use synann::layers::BParam;
use synann::zoo::{build, ZooOptions, MODEL_NAMES};
use synann_examples::explain::cli::{parse_args, Config};
use synann_examples::explain::heatmap::{pooled, MAX_CELLS};
use synann_examples::explain::links::{Link, Matrix};
use synann_examples::explain::{is_synapse_tensor, run, zoo_synapses, ExplainError, Report};
use synann_nn::checkpoint::{save_safetensors, training, Metadata};
use synann_nn::state_dict::{state_dict, StateDict};
use synann_tensor::Tensor;

/// A fresh, empty temporary folder for the test `name`.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("synann-explain-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the temporary directory is writable");
    dir
}

/// The state dict of the zoo model `name` built with `opts`.
fn zoo_dict(name: &str, opts: &ZooOptions) -> StateDict<f32> {
    state_dict(build(name, opts).unwrap().model.as_ref())
}

/// Saves `dict` as `dir/best.safetensors` and returns the path.
fn save(dir: &Path, dict: &StateDict<f32>) -> PathBuf {
    let path = dir.join("best.safetensors");
    save_safetensors(&path, dict, &Metadata::new()).unwrap();
    path
}

/// The `k` entries of `values` ([rows, cols] row-major) that an
/// independent full sort ranks first: by value descending (`sign` 1) or
/// ascending (`sign` −1), keeping only entries of that sign.
fn expected_links(values: &[f64], cols: usize, k: usize, sign: f64) -> Vec<Link> {
    let mut all: Vec<Link> = values
        .iter()
        .enumerate()
        .filter(|(_, &v)| v * sign > 0.0)
        .map(|(n, &value)| Link {
            output: n / cols,
            input: n % cols,
            value,
        })
        .collect();
    all.sort_by(|a, b| (b.value * sign).partial_cmp(&(a.value * sign)).unwrap());
    all.truncate(k);
    all
}

/// Asserts the file is a PNG: non-empty, starting with the PNG signature.
fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(bytes.len() > 1000, "{} is too small", path.display());
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", path.display());
}

/// Asserts the file is a complete SVG document with drawn rectangles and
/// the axis labels.
fn assert_svg(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains("<svg") && text.trim_end().ends_with("</svg>"));
    assert!(text.contains("<rect"));
    // The axis labels, with en spaces (`synann_train::plot::spaced`).
    assert!(text.contains("input\u{2002}j") && text.contains("output\u{2002}i"));
}

/// Asserts each printed table row of `report` appears, in rank order.
fn assert_printed_in_order(report: &Report) {
    let text = report.to_string();
    for layer in &report.layers {
        let mut from = text.find(&layer.name).expect("the layer is printed");
        for l in layer.inhibitory.iter().chain(&layer.disinhibitory) {
            let cell = format!("{:>8}  {:>7}  {:>12.6}", l.output, l.input, l.value);
            let at = text[from..].find(&cell).unwrap_or_else(|| {
                panic!("row {cell:?} not printed in order in:\n{text}");
            });
            from += at + cell.len();
        }
    }
}

#[test]
fn state_dict_gives_heat_map_and_true_strongest_links() {
    let dir = temp_dir("mlp");
    let opts = ZooOptions {
        seed: 3,
        ..ZooOptions::default()
    };
    let dict = zoo_dict("syna-mlp", &opts);
    let path = save(&dir, &dict);
    let config = Config {
        top: 7,
        ..Config::new(&path)
    };
    let report = run(&config).unwrap();

    assert_eq!(report.layers.len(), 1);
    let layer = &report.layers[0];
    assert_eq!(layer.name, "synapse.weight");
    assert_eq!(layer.shape, vec![280, 280]);
    assert_eq!(layer.param, BParam::Raw);
    assert_eq!(layer.png, dir.join("explain").join("synapse.weight.png"));
    assert_png(&layer.png);
    assert_svg(&layer.svg);

    let b: Vec<f64> = dict.get("synapse.weight").unwrap().cast::<f64>().into_vec();
    assert_eq!(layer.inhibitory, expected_links(&b, 280, 7, 1.0));
    assert_eq!(layer.disinhibitory, expected_links(&b, 280, 7, -1.0));
    assert!(layer
        .inhibitory
        .windows(2)
        .all(|w| w[0].value >= w[1].value));
    assert!(layer
        .disinhibitory
        .windows(2)
        .all(|w| w[0].value <= w[1].value));
    let (min, max) = b
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    assert_eq!((layer.min, layer.max), (min, max));
    assert_eq!(layer.inhibitory[0].value, max);
    assert_eq!(layer.disinhibitory[0].value, min);
    assert_printed_in_order(&report);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn model_flag_applies_the_layers_parameterisation() {
    let dir = temp_dir("rnn");
    let dict = zoo_dict("syna-rnn", &ZooOptions::default());
    let path = save(&dir, &dict);
    let raw = run(&Config::new(&path)).unwrap();
    let config = Config {
        model: Some("syna-rnn".into()),
        out: dir.join("with-model"),
        ..Config::new(&path)
    };
    let loaded = run(&config).unwrap();

    let names = |r: &Report| r.layers.iter().map(|l| l.name.clone()).collect::<Vec<_>>();
    // Read directly: the file's (sorted) order; loaded: the model's order.
    assert_eq!(names(&raw), ["rnn.synapse_weight", "synapse.weight"]);
    assert_eq!(names(&loaded), names(&raw));
    let (raw_cell, cell) = (&raw.layers[0], &loaded.layers[0]);
    assert_eq!(raw_cell.param, BParam::Raw);
    assert_eq!(cell.param, BParam::Sigmoid);
    // The cell's W starts around −ln 128: raw it is all negative, through
    // the sigmoid all in (0, 1) — and the ranking is the same (monotone).
    assert!(raw_cell.max < 0.0 && raw_cell.inhibitory.is_empty());
    assert!(cell.min > 0.0 && cell.max < 1.0 && cell.disinhibitory.is_empty());
    let sigmoid = |w: f64| 1.0 / (1.0 + (-w).exp());
    let w: Vec<f64> = dict
        .get("rnn.synapse_weight")
        .unwrap()
        .cast::<f64>()
        .into_vec();
    let b: Vec<f64> = w.iter().map(|&v| sigmoid(v)).collect();
    let top = expected_links(&b, 128, 10, 1.0);
    for (got, want) in cell.inhibitory.iter().zip(&top) {
        assert_eq!((got.output, got.input), (want.output, want.input));
        assert!((got.value - want.value).abs() < 1e-12);
    }
    assert_eq!(cell.inhibitory.len(), 10);
    assert_eq!(loaded.layers[1].param, BParam::Raw);
    for l in &loaded.layers {
        assert_png(&l.png);
        assert_svg(&l.svg);
    }
    assert_printed_in_order(&loaded);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn training_checkpoint_and_convolutional_synapse() {
    let dir = temp_dir("cnn");
    let opts = ZooOptions {
        width: 0.5,
        ..ZooOptions::default()
    };
    let dict = zoo_dict("syna-cnn", &opts);
    let prefixed: StateDict<f32> = dict
        .iter()
        .map(|(n, t)| (format!("model.{n}"), t.clone()))
        .collect();
    let path = dir.join("last.ckpt.safetensors");
    let mut meta = Metadata::new();
    meta.insert("format".into(), training::FORMAT.into());
    save_safetensors(&path, &prefixed, &meta).unwrap();

    let report = run(&Config::new(&path)).unwrap();
    // A file stores its tensors sorted by name.
    let names: Vec<&str> = report.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["synapse.weight", "synapse_conv.weight"]);
    let conv = &report.layers[1];
    assert_eq!(conv.shape, vec![8, 8, 3, 3]);
    // Channel links are ranked by the sum of B over the 3×3 window.
    let w = dict.get("synapse_conv.weight").unwrap().cast::<f64>();
    let sums: Vec<f64> = w.data().chunks(9).map(|c| c.iter().sum()).collect();
    assert_eq!(conv.inhibitory, expected_links(&sums, 8, 10, 1.0));
    assert_eq!(conv.disinhibitory, expected_links(&sums, 8, 10, -1.0));
    assert_png(&conv.png);
    assert_svg(&conv.svg);

    // Loaded into syna-cnn at the width it was built with: the model's
    // order, the same links.
    let config = Config {
        model: Some("syna-cnn".into()),
        width: 0.5,
        out: dir.join("with-model"),
        ..Config::new(&path)
    };
    let loaded = run(&config).unwrap();
    let names: Vec<&str> = loaded.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["synapse_conv.weight", "synapse.weight"]);
    assert_eq!(loaded.layers[0].inhibitory, conv.inhibitory);
    // The full-width syna-cnn has 16 channels: this checkpoint does not fit.
    let config = Config {
        width: 1.0,
        ..config
    };
    let e = run(&config).unwrap_err();
    assert!(matches!(e, ExplainError::Mismatch { .. }), "{e}");
    assert!(e.to_string().contains("shape"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn zoo_table_matches_the_zoo_and_the_naming_rule() {
    for &name in MODEL_NAMES {
        let dict = zoo_dict(name, &ZooOptions::default());
        let specs = zoo_synapses(name).unwrap();
        let mut by_rule: Vec<&str> = dict
            .iter()
            .filter(|(n, t)| is_synapse_tensor(n, t.shape()))
            .map(|(n, _)| n)
            .collect();
        let mut by_table: Vec<&str> = specs.iter().map(|s| s.name).collect();
        by_rule.sort_unstable();
        by_table.sort_unstable();
        assert_eq!(by_rule, by_table, "{name}");
    }
    assert!(zoo_synapses("lenet").is_none());
}

#[test]
fn large_matrices_are_pooled_keeping_the_strongest_entry() {
    let n = 300;
    let mut values = vec![0.01; n * n];
    values[7 * n + 250] = -0.9;
    values[299 * n] = 0.5; // row 299, column 0
    let (cells, block) = pooled(&Matrix::new(n, n, values.clone()), MAX_CELLS);
    assert_eq!(block, 3);
    assert_eq!((cells.rows, cells.cols), (100, 100));
    assert_eq!(cells.get(7 / 3, 250 / 3), -0.9);
    assert_eq!(cells.get(99, 0), 0.5);
    assert_eq!(cells.get(50, 50), 0.01);

    // And drawn end to end from a hand-made state dict.
    let dir = temp_dir("pooled");
    let mut dict = StateDict::new();
    dict.insert(
        "synapse.weight",
        Tensor::from_vec(values, &[n, n]).cast::<f32>(),
    );
    let report = run(&Config::new(save(&dir, &dict))).unwrap();
    let layer = &report.layers[0];
    assert_eq!(
        layer.inhibitory[0],
        Link {
            output: 299,
            input: 0,
            value: 0.5
        }
    );
    assert_eq!(layer.disinhibitory.len(), 1);
    assert_png(&layer.png);
    assert_svg(&layer.svg);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_inputs_are_one_line_errors() {
    let dir = temp_dir("errors");
    let one_line = |e: &ExplainError| {
        let line = e.to_string();
        assert_eq!(line.lines().count(), 1, "{line:?}");
    };

    let missing = dir.join("nope.safetensors");
    let e = run(&Config::new(&missing)).unwrap_err();
    assert!(
        matches!(&e, ExplainError::NotFound(p) if *p == missing),
        "{e}"
    );
    one_line(&e);

    let corrupt = dir.join("corrupt.safetensors");
    std::fs::write(
        &corrupt,
        b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all",
    )
    .unwrap();
    let e = run(&Config::new(&corrupt)).unwrap_err();
    assert!(matches!(e, ExplainError::Checkpoint { .. }), "{e}");
    one_line(&e);

    let mut dict = StateDict::new();
    dict.insert("fc1.weight", Tensor::<f32>::zeros(&[4, 4]));
    dict.insert("synapse.bias", Tensor::<f32>::zeros(&[4]));
    let plain = save(&dir, &dict);
    let e = run(&Config::new(&plain)).unwrap_err();
    assert!(
        matches!(e, ExplainError::NoSynapse { tensors: 2, .. }),
        "{e}"
    );
    one_line(&e);

    let config = Config {
        model: Some("lenet".into()),
        ..Config::new(&plain)
    };
    let e = run(&config).unwrap_err();
    assert!(matches!(e, ExplainError::Model(_)), "{e}");
    one_line(&e);

    // A syna-mlp checkpoint loaded into seed-torch: reported, not a panic.
    let mlp = save(&dir, &zoo_dict("syna-mlp", &ZooOptions::default()));
    let config = Config {
        model: Some("seed-torch".into()),
        ..Config::new(&mlp)
    };
    let e = run(&config).unwrap_err();
    assert!(matches!(e, ExplainError::Mismatch { .. }), "{e}");
    one_line(&e);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn command_line() {
    let parse = |args: &[&str]| parse_args(std::iter::once("explain").chain(args.iter().copied()));
    let c = parse(&[
        "--checkpoint",
        "a/b.safetensors",
        "--model",
        "syna-rnn",
        "--top",
        "3",
    ])
    .unwrap();
    assert_eq!(c.checkpoint, PathBuf::from("a/b.safetensors"));
    assert_eq!(c.out, PathBuf::from("a/explain"));
    assert_eq!((c.model.as_deref(), c.top), (Some("syna-rnn"), 3));
    let c = parse(&["--checkpoint", "x.safetensors", "--out", "o"]).unwrap();
    assert_eq!((c.out, c.model, c.top), (PathBuf::from("o"), None, 10));
    assert_eq!(c.width, 1.0);
    let c = parse(&["--checkpoint", "x", "--model", "syna-cnn", "--width", "0.5"]).unwrap();
    assert_eq!(c.width, 0.5);
    assert_eq!(Config::new("x.safetensors").out, PathBuf::from("explain"));

    for (args, flag) in [
        (
            &["--checkpoint", "x", "--model", "lenet"][..],
            Some("model"),
        ),
        (&["--checkpoint", "x", "--top", "0"][..], Some("top")),
        (&["--checkpoint", "x", "--width", "-1"][..], Some("width")),
        (&["--checkpoint", "x", "--width", "inf"][..], Some("width")),
        (&["--checkpoint", "x", "--top", "many"][..], None),
        (&["--model", "syna-mlp"][..], None),
        (&["--checkpoint", "x", "--bogus"][..], None),
    ] {
        let e = parse(args).unwrap_err();
        match (flag, &e) {
            (Some(f), ExplainError::Invalid { flag, .. }) => assert_eq!(f, *flag),
            (None, ExplainError::Usage(_)) => {}
            _ => panic!("{args:?}: unexpected {e:?}"),
        }
        assert_eq!(e.to_string().lines().count(), 1, "{e}");
    }
    let e = parse(&[]).unwrap_err();
    assert!(e.to_string().contains("--checkpoint"), "{e}");
    assert!(matches!(parse(&["--help"]), Err(ExplainError::Help(_))));
}
