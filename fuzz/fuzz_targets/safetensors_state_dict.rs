//! Fuzz target `safetensors_state_dict`: the safetensors state-dict loader,
//! as f32 and as f64 (see `synann_fuzz::check_state_dict`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| synann_fuzz::check_state_dict(bytes));
