//! Convolution and pooling kernels in NCHW layout.
