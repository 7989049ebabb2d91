//! Fuzz target `idx_gz`: the IDX reader on the input gzipped, so the
//! decompressing path is reached (see `synann_fuzz::check_idx_gz`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| synann_fuzz::check_idx_gz(bytes));
