//! Fuzz target `training_checkpoint`: the training-checkpoint loader, as
//! f32 (see `synann_fuzz::check_training_checkpoint`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| synann_fuzz::check_training_checkpoint(bytes));
