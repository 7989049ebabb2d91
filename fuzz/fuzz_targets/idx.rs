//! Fuzz target `idx`: the IDX reader on arbitrary bytes, raw or gzipped
//! (see `synann_fuzz::check_idx`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| synann_fuzz::check_idx(bytes));
