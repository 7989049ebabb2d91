//! Resident memory of this process, from `/proc/self/status` (Linux).
//!
//! `VmRSS` is the resident set now and `VmHWM` its high-water mark. Writing
//! `5` to `/proc/self/clear_refs` resets the mark to the current RSS, so the
//! peak of each case can be measured on its own in one process. Elsewhere
//! these functions return `None` and the report shows "-".

use std::fs;

/// Reads the value of `field` (e.g. `"VmHWM"`), in KiB, from the text of a
/// `/proc/PID/status` file.
///
/// ```
/// use synann_examples::bench::memory::parse_status_kib;
/// let status = "Name:\tbench\nVmHWM:\t  20480 kB\nVmRSS:\t   1024 kB\n";
/// assert_eq!(parse_status_kib(status, "VmHWM"), Some(20480));
/// assert_eq!(parse_status_kib(status, "VmSwap"), None);
/// ```
pub fn parse_status_kib(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

fn status_mib(field: &str) -> Option<f64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    parse_status_kib(&status, field).map(|kib| kib as f64 / 1024.0)
}

/// The current resident memory of this process, in MiB.
pub fn rss_mib() -> Option<f64> {
    status_mib("VmRSS")
}

/// The peak resident memory of this process since it started or since the
/// last [`reset_peak`], in MiB.
pub fn peak_rss_mib() -> Option<f64> {
    status_mib("VmHWM")
}

/// Resets the peak to the current resident memory; `false` if the kernel
/// does not allow it (then [`peak_rss_mib`] keeps the whole-process peak).
pub fn reset_peak() -> bool {
    // First hand back what the allocator kept from the cases before (see
    // `synann_tensor::memory`), so that it does not count in this peak.
    synann_tensor::memory::release_freed_memory();
    fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_and_ignores_prefixes_of_other_names() {
        let status = "VmHWMx:\t1 kB\nVmHWM:\t 300 kB\nVmRSS:\t200 kB\n";
        assert_eq!(parse_status_kib(status, "VmHWM"), Some(300));
        assert_eq!(parse_status_kib(status, "VmRSS"), Some(200));
        assert_eq!(parse_status_kib("VmRSS: lots\n", "VmRSS"), None);
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn peak_and_current_see_a_large_allocation() {
        reset_peak();
        // Touch 64 MiB so that it becomes resident.
        let block = vec![1u8; 64 << 20];
        assert_eq!(block.iter().map(|&b| b as usize).sum::<usize>(), 64 << 20);
        let rss = rss_mib().expect("VmRSS on Linux");
        let peak = peak_rss_mib().expect("VmHWM on Linux");
        assert!(rss >= 64.0, "RSS {rss} MiB while holding 64 MiB");
        assert!(peak >= rss, "peak {peak} MiB below the current {rss} MiB");
    }
}
