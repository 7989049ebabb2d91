//! [`Dropout`] and [`Dropout2d`]: random zeroing in training, identity in
//! evaluation.
//!
//! Inverted dropout: each kept value is scaled by 1/(1 − p) during
//! training, so the expected output equals the input and evaluation needs
//! no rescaling. The mask is a constant, so the backward is the same
//! multiplication: dL/dx = mask·dL/dy.
//!
//! Each layer owns its generator, given at construction, so a training run
//! is reproducible from its seeds.

use crate::module::{Mode, Module};
use synann_autograd::anomaly::describe_module;
use synann_autograd::Var;
use synann_tensor::random::Rng;
use synann_tensor::{Float, Tensor};

fn check_p(layer: &str, p: f64) {
    assert!(
        (0.0..=1.0).contains(&p),
        "{layer}: dropout probability has to be between 0 and 1, got {p}"
    );
}

/// A mask of the given shape: 0 with probability `p`, else 1/(1 − p).
/// While [`FixedMasks`] is active, the masks are recorded on the first
/// forward and replayed on the later ones.
pub(crate) fn scaled_mask<T: Float>(shape: &[usize], p: f64, rng: &mut Rng) -> Tensor<T> {
    let draw = |rng: &mut Rng| {
        let keep = Tensor::<T>::bernoulli(shape, 1.0 - p, rng);
        let scale = if p < 1.0 { 1.0 / (1.0 - p) } else { 0.0 };
        keep.mul_scalar(T::from_f64(scale))
    };
    FIXED_MASKS.with(|tape| {
        let mut tape = tape.borrow_mut();
        let Some(tape) = tape.as_mut() else {
            return draw(rng);
        };
        let k = tape.next;
        tape.next += 1;
        match tape.masks.get(k) {
            Some(mask) => {
                assert_eq!(
                    mask.shape(),
                    shape,
                    "dropout: fixed mask {k} has shape {:?} but this forward asks for {shape:?} (a module check's forwards must draw the same masks in the same order)",
                    mask.shape()
                );
                mask.cast()
            }
            None => {
                let mask = draw(rng);
                tape.masks.push(mask.cast());
                mask
            }
        }
    })
}

/// The recorded masks of an active [`FixedMasks`], and the next to replay.
struct MaskTape {
    masks: Vec<Tensor<f64>>,
    next: usize,
}

thread_local! {
    static FIXED_MASKS: std::cell::RefCell<Option<MaskTape>> = const { std::cell::RefCell::new(None) };
}

/// While alive, dropout draws fixed masks: the forward after each
/// [`FixedMasks::rewind`] replays, in order, the masks the first forward
/// drew. Gradient checks of modules use it so that the repeated forwards
/// of a finite difference see one function, not a new random one each
/// time. One per thread at a time.
pub(crate) struct FixedMasks(());

impl FixedMasks {
    /// Starts recording (panics if one is already active on this thread).
    pub(crate) fn begin() -> FixedMasks {
        FIXED_MASKS.with(|tape| {
            let mut tape = tape.borrow_mut();
            assert!(tape.is_none(), "dropout: fixed masks are already active");
            *tape = Some(MaskTape {
                masks: Vec::new(),
                next: 0,
            });
        });
        FixedMasks(())
    }

    /// The next forward starts again from the first recorded mask.
    pub(crate) fn rewind(&self) {
        FIXED_MASKS.with(|tape| {
            if let Some(tape) = tape.borrow_mut().as_mut() {
                tape.next = 0;
            }
        });
    }
}

impl Drop for FixedMasks {
    fn drop(&mut self) {
        FIXED_MASKS.with(|tape| *tape.borrow_mut() = None);
    }
}

/// Zeroes each element independently with probability `p` in training
/// (PyTorch's `nn.Dropout`).
///
/// ```
/// use synann_autograd::Var;
/// use synann_nn::{layers::Dropout, Mode, Module};
/// use synann_tensor::{random::seeded, Tensor};
///
/// let mut drop = Dropout::new(0.5, seeded(1));
/// let x = Var::constant(Tensor::<f32>::ones(&[1000]));
/// let y = drop.forward(&x, Mode::Train);
/// assert!(y.value().data().iter().all(|&v| v == 0.0 || v == 2.0));
/// assert_eq!(drop.forward(&x, Mode::Eval).value().data(), x.value().data());
/// ```
pub struct Dropout {
    p: f64,
    rng: Rng,
}

impl Dropout {
    /// Drops with probability `p` ∈ [0, 1], drawing masks from `rng`.
    pub fn new(p: f64, rng: Rng) -> Self {
        check_p("Dropout", p);
        Dropout { p, rng }
    }

    /// The drop probability.
    pub fn p(&self) -> f64 {
        self.p
    }
}

impl<T: Float> Module<T> for Dropout {
    fn forward(&mut self, x: &Var<T>, mode: Mode) -> Var<T> {
        let _scope = describe_module(|| format!("Dropout(p {})", self.p));
        if !mode.is_train() || self.p == 0.0 {
            return x.clone();
        }
        let mask = scaled_mask::<T>(&x.shape(), self.p, &mut self.rng);
        x.mul(&Var::constant(mask))
    }

    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        Vec::new()
    }

    fn named_generators(&mut self) -> Vec<(String, &mut Rng)> {
        vec![("rng".to_string(), &mut self.rng)]
    }
}

/// Zeroes whole channels of an `[N, C, …]` input (each `x[n, c]` map) with
/// probability `p` in training (PyTorch's `nn.Dropout2d`).
///
/// ```
/// use synann_autograd::Var;
/// use synann_nn::{layers::Dropout2d, Mode, Module};
/// use synann_tensor::{random::seeded, Tensor};
///
/// let mut drop = Dropout2d::new(0.5, seeded(3));
/// let y = drop.forward(&Var::constant(Tensor::<f64>::ones(&[2, 8, 3, 3])), Mode::Train);
/// for map in y.value().data().chunks(9) {
///     assert!(map.iter().all(|&v| v == map[0])); // all 0 or all 2
/// }
/// ```
pub struct Dropout2d {
    p: f64,
    rng: Rng,
}

impl Dropout2d {
    /// Drops channels with probability `p` ∈ [0, 1], drawing masks from `rng`.
    pub fn new(p: f64, rng: Rng) -> Self {
        check_p("Dropout2d", p);
        Dropout2d { p, rng }
    }

    /// The drop probability.
    pub fn p(&self) -> f64 {
        self.p
    }
}

impl<T: Float> Module<T> for Dropout2d {
    fn forward(&mut self, x: &Var<T>, mode: Mode) -> Var<T> {
        let _scope = describe_module(|| format!("Dropout2d(p {})", self.p));
        let shape = x.shape();
        assert!(
            shape.len() >= 3,
            "Dropout2d: expected an input [N, C, H, W] (rank ≥ 3), got shape {shape:?}"
        );
        if !mode.is_train() || self.p == 0.0 {
            return x.clone();
        }
        // One draw per (n, c), broadcast over the spatial axes.
        let mut mask_shape = vec![1; shape.len()];
        mask_shape[..2].copy_from_slice(&shape[..2]);
        let mask = scaled_mask::<T>(&mask_shape, self.p, &mut self.rng);
        x.mul(&Var::constant(mask))
    }

    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        Vec::new()
    }

    fn named_generators(&mut self) -> Vec<(String, &mut Rng)> {
        vec![("rng".to_string(), &mut self.rng)]
    }
}
