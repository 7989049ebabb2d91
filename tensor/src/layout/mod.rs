//! Layout operations: views of the same elements under another shape or
//! order (reshape, permute, broadcast) and copies of parts of tensors
//! (narrow, concat, stack, index_select, gather, one_hot).
//!
//! Tensors are always contiguous, so each of these produces a new buffer,
//! except `reshape`, which keeps the buffer.

mod broadcast;
mod concat;
mod index;
mod narrow;
mod permute;
mod reshape;
