//! How the process's allocator treats the memory a training step frees.
//!
//! A step allocates and frees the same large buffers (activations,
//! gradients, column matrices) every time. glibc's `malloc` serves a block
//! above its *mmap threshold* (128 KiB at first, raised as such blocks are
//! freed) with a fresh mapping from the kernel and unmaps it when it is
//! freed, and it trims its heaps back to the kernel too. Every step then
//! starts on pages the kernel has to fault in and zero again; with several
//! threads, a page first read (mapped to the shared zero page) and then
//! written also makes the kernel flush the other cores' TLBs. On a Zen 4
//! host this made the seed network's step (small convolutions, many
//! buffers) erratic, and much slower in the median than with the memory
//! kept.
//!
//! [`retain_freed_memory`] keeps blocks of up to [`RETAINED_BLOCK`]
//! (8 MiB) inside the process when they are freed, and turns trimming
//! off, so the next step reuses them. Larger blocks (the activations of a
//! big model) still come from, and go back to, the kernel, so the peak
//! memory stays what it was (with every block up to glibc's maximum of
//! 32 MiB retained, the peak of the full-width seed Keras step grew by a
//! fifth). Call it once, at the start of the program, like
//! [`init_global_pool`](crate::parallel::init_global_pool); `mnist` and
//! `bench` do. [`release_freed_memory`] hands what is kept back to the
//! kernel, for a program that moves on to other work.

/// The largest block that [`retain_freed_memory`] keeps in the process
/// when it is freed (glibc's *mmap threshold*).
pub const RETAINED_BLOCK: usize = 8 << 20;

/// Keeps freed memory in the process for reuse instead of returning it to
/// the kernel (see the module docs). Returns whether the allocator took the
/// settings: `true` with glibc, `false` elsewhere (another libc, another
/// OS), where it does nothing.
///
/// ```
/// // At the start of a program that trains.
/// let _kept = synann_tensor::memory::retain_freed_memory();
/// ```
pub fn retain_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const THRESHOLD: libc::c_int = RETAINED_BLOCK as libc::c_int;
        // SAFETY: `mallopt` only changes the allocator's parameters; it is
        // safe to call at any time, from any thread.
        let (mmap, trim) = unsafe {
            (
                libc::mallopt(libc::M_MMAP_THRESHOLD, THRESHOLD),
                // A negative threshold turns trimming off.
                libc::mallopt(libc::M_TRIM_THRESHOLD, -1),
            )
        };
        mmap == 1 && trim == 1
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// Hands the freed memory the allocator keeps back to the kernel now
/// (glibc's `malloc_trim`); returns whether any was released. Does nothing
/// (`false`) elsewhere. The benchmark calls it between cases, so that one
/// case's peak memory does not include what the cases before it kept.
pub fn release_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `malloc_trim` only returns free memory to the kernel; it
        // is safe to call at any time, from any thread.
        unsafe { libc::malloc_trim(0) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn glibc_takes_the_settings() {
        let kept = super::retain_freed_memory();
        assert_eq!(kept, cfg!(all(target_os = "linux", target_env = "gnu")));
        // Memory still works as before: allocate, free, allocate again.
        let a = vec![1.0f32; 1 << 20];
        drop(a);
        let b = vec![0.0f32; 1 << 20];
        assert!(b.iter().all(|&v| v == 0.0));
        drop(b);
        // Whether anything was kept to release depends on the allocator's
        // state; the call must simply be harmless.
        let _ = super::release_freed_memory();
        assert_eq!(vec![2u8; 10].len(), 10);
    }
}
