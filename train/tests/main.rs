//! The training library's integration tests, in one binary (one link of the
//! dependency tree instead of one per file).

mod distributed;
mod trainer;
