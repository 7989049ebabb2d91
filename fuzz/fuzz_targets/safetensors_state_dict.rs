//! Fuzz target `safetensors_state_dict`: the safetensors state-dict loader,
//! as f32 and as f64 (see `synann_fuzz::check_state_dict`).

#![no_main]

use libfuzzer_sys::{fuzz_mutator, fuzz_target, fuzzer_mutate};

fuzz_target!(|bytes: &[u8]| synann_fuzz::check_state_dict(bytes));

// Mutates the JSON header and keeps its length prefix consistent (see
// `synann_fuzz::mutate_safetensors`).
fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    synann_fuzz::mutate_safetensors(data, size, max_size, seed, fuzzer_mutate)
});
