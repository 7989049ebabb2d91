//! Cross-crate integration tests of synann live in `tests/tests/`.
//!
//! This library also compiles the code blocks of the workspace README as
//! doctests, so the README's examples cannot go stale.

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
