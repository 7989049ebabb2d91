//! The `SYNANN_DATA` search. Environment variables are process-wide, so this
//! binary holds one test that sets the variable.

mod common;

use common::{write_tiny_mnist, Scratch};
use std::path::Path;
use synann_datasets::mnist::{search_path, DATA_ENV};
use synann_datasets::{FashionMnist, IdxError, LoadOptions, Mnist};

#[test]
fn synann_data_comes_before_the_shipped_copy() {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
    let root = Scratch::new("env");
    std::env::set_var(DATA_ENV, root.path());

    // Nothing under $SYNANN_DATA yet: the shipped copy is used.
    assert_eq!(
        search_path("mnist", None),
        [root.path().join("mnist"), shipped.clone()]
    );
    let options = LoadOptions {
        dir: None,
        limit: Some(3),
    };
    let m = Mnist::load_with(&options).unwrap();
    assert_eq!(m.train.labels(), &[5, 0, 4]);

    // A dataset under $SYNANN_DATA wins.
    write_tiny_mnist(&root.path().join("mnist"), 2, |i| 7 + i as u8);
    let m = Mnist::load_default().unwrap();
    assert_eq!(m.train.labels(), &[7, 8]);

    // An explicit directory is the only place tried.
    assert_eq!(
        search_path("mnist", Some(&shipped)),
        std::slice::from_ref(&shipped)
    );

    // Fashion-MNIST is not shipped: the error lists every place tried.
    let err = FashionMnist::load_default().unwrap_err();
    match &err {
        IdxError::NotFound { dataset, tried } => {
            assert_eq!(*dataset, "Fashion-MNIST");
            assert_eq!(tried.len(), 2);
            assert_eq!(tried[0], root.path().join("fashion-mnist"));
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("fashion-mnist") && message.contains(DATA_ENV));

    std::env::remove_var(DATA_ENV);
    assert_eq!(search_path("mnist", None), [shipped]);
}
