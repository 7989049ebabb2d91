//! The integration tests of `synann`, linked into one test binary
//! (one link of the dependency tree instead of one per file); each module
//! below was a test file of its own.

mod anomaly;
mod layers;
mod maths;
mod precision;
mod synapse_accuracy;
mod synapse_logsum;
mod zoo;
