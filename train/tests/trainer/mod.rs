//! The [`Trainer`](synann_train::Trainer) on a slice of the shipped MNIST:
//! learning end to end, exact resume, stopping on non-finite values.

mod clamp;
mod common;
mod end_to_end;
mod resume;
