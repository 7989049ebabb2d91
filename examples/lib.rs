//! Shared helpers for synann's example programs (run them with
//! `cargo run --release --example NAME` from the workspace root).
