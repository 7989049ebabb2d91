//! # synann-datasets
//!
//! IDX file reading, the MNIST and Fashion-MNIST loaders and a batching data
//! loader.
