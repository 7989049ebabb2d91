//! [`Isa`]: the instruction sets our hand-vectorised kernels are compiled
//! for, and which of them this CPU runs. Shared by the element-wise maths
//! of [`vmath`](crate::vmath) and the synapse kernels of `synann`, so that
//! a test or a benchmark names one instruction set for both.

/// The instruction sets the kernels are compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// Whatever the compilation target allows (SSE2 on x86-64).
    Baseline,
    /// AVX2 and FMA (x86-64).
    Avx2,
    /// AVX-512 (F) with AVX2, FMA and POPCNT (x86-64).
    Avx512,
}

impl Isa {
    /// The widest instruction set this CPU supports (cached by the
    /// standard library's feature detection, so cheap to call).
    ///
    /// ```
    /// use synann_tensor::isa::Isa;
    /// assert!(Isa::detect().is_supported());
    /// assert!(Isa::Baseline.is_supported());
    /// ```
    pub fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if has!("avx2") && has!("fma") {
                return if has!("avx512f") && has!("popcnt") {
                    Isa::Avx512
                } else {
                    Isa::Avx2
                };
            }
        }
        Isa::Baseline
    }

    /// Whether this CPU can run the kernels compiled for `self`.
    pub fn is_supported(self) -> bool {
        match (self, Isa::detect()) {
            (Isa::Baseline, _) => true,
            (Isa::Avx2, best) => best != Isa::Baseline,
            (Isa::Avx512, best) => best == Isa::Avx512,
        }
    }

    /// Every instruction set this CPU supports, narrowest first (what a
    /// test runs each kernel with).
    pub fn all_supported() -> Vec<Isa> {
        [Isa::Baseline, Isa::Avx2, Isa::Avx512]
            .into_iter()
            .filter(|isa| isa.is_supported())
            .collect()
    }

    /// Panics, naming `kernels`, unless this CPU supports `self`.
    pub fn assert_supported(self, kernels: &str) {
        assert!(
            self.is_supported(),
            "{kernels}: this CPU does not support {self:?}"
        );
    }
}
