//! A header that claims far more data than the file holds is rejected
//! without allocating for the claim.
//!
//! This test binary installs a global allocator that records the largest
//! single allocation, so it holds this one test only (other tests running in
//! parallel would disturb the measurement).

mod common;

use common::{gzip, header, Scratch};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use synann_datasets::idx::{parse_idx, read_idx};
use synann_datasets::IdxError;

/// The system allocator, recording the largest request since the last reset.
struct Recording;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator, which
// upholds GlobalAlloc's contract; recording the size has no effect on it.
unsafe impl GlobalAlloc for Recording {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: same layout as we were given, per GlobalAlloc's contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: `ptr` came from `System` with `layout`, per the contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Recording = Recording;

/// Runs `f` and returns the largest single allocation it made.
fn largest_allocation(f: impl FnOnce()) -> usize {
    LARGEST.store(0, Ordering::Relaxed);
    f();
    LARGEST.load(Ordering::Relaxed)
}

#[test]
fn a_header_claiming_2_pow_40_elements_is_rejected_without_allocating() {
    // 2^20 × 2^20 u8 elements, followed by 16 bytes of data.
    let mut bytes = header(0x08, &[1 << 20, 1 << 20]);
    bytes.extend_from_slice(&[0; 16]);
    let scratch = Scratch::new("huge");
    let raw = scratch.file("huge.idx", &bytes);
    let gz = scratch.file("huge.idx.gz", &gzip(&bytes));
    const LIMIT: usize = 4 << 20; // 4 MiB, against a 1 TiB claim

    let mut result = None;
    let largest = largest_allocation(|| result = Some(read_idx(&raw)));
    assert!(
        matches!(
            result,
            Some(Err(IdxError::Truncated {
                section: "data",
                expected: 1099511627776,
                found: 16,
                ..
            }))
        ),
        "{result:?}"
    );
    assert!(largest < LIMIT, "raw: largest allocation {largest} bytes");

    let largest = largest_allocation(|| result = Some(read_idx(&gz)));
    assert!(
        matches!(
            result,
            Some(Err(IdxError::Truncated {
                section: "data",
                found: 16,
                ..
            }))
        ),
        "{result:?}"
    );
    assert!(largest < LIMIT, "gzip: largest allocation {largest} bytes");

    // 2^40 f64 elements (8 TiB) in memory, raw.
    let mut bytes = header(0x0E, &[1 << 20, 1 << 20]);
    bytes.extend_from_slice(&[0; 8]);
    let largest = largest_allocation(|| result = Some(parse_idx(&bytes, "huge-f64")));
    assert!(matches!(result, Some(Err(IdxError::Truncated { .. }))));
    assert!(largest < LIMIT, "f64: largest allocation {largest} bytes");
}
