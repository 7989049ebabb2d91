//! # synann
//!
//! SynaNN, the Synaptic Neural Network: the synapse maths, the fused
//! `synapse_logsum` op and the Synapse layers (fully connected, convolutional
//! and recurrent), with the model zoo used by the MNIST main job.
