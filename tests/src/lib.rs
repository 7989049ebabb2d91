//! Cross-crate integration tests of synann live in `tests/tests/`; this
//! library is empty on purpose.
