//! The integration tests of `synann-nn`, linked into one test binary
//! (one link of the dependency tree instead of one per file); each module
//! below was a test file of its own.

mod checkpoint;
mod dropout;
mod fuzz_regressions;
mod grad_layers;
mod grad_losses;
mod init;
mod layers;
mod lr_scheduler_reference;
mod optim_reference;
mod optim_state;
mod reference_layers;
mod sync_batchnorm;
mod tiny_model;
