//! # synann-autograd
//!
//! Reverse-mode automatic differentiation, define-by-run, for
//! [`synann_tensor::Tensor`]s.
//!
//! Reading order for a newcomer:
//!
//! 1. [`var`]: [`Var`], a node of the graph (leaf or op output);
//! 2. [`function`]: the [`Function`] trait every op implements, and [`apply`];
//! 3. [`backward`]: the reverse pass over the recorded graph;
//! 4. [`ops`]: the built-in ops, forward and backward side by side, each
//!    module deriving its backward;
//! 5. [`gradcheck`](mod@gradcheck): checking any op against finite differences;
//! 6. [`precision`]: checking an op's f32 results against its f64 run.
//!
//! ```
//! use synann_autograd::Var;
//! use synann_tensor::Tensor;
//! let w = Var::requiring_grad(Tensor::from_vec(vec![1.0f64, 2.0], &[2]));
//! let x = Var::constant(Tensor::from_vec(vec![3.0, 4.0], &[2]));
//! let loss = w.mul(&x).sum_all(); // 1·3 + 2·4
//! loss.backward();
//! assert_eq!(loss.value().item(), 11.0);
//! assert_eq!(w.grad().unwrap().data(), &[3.0, 4.0]);
//! ```

#![warn(missing_docs)]

pub mod anomaly;
pub mod backward;
pub mod function;
pub mod gradcheck;
pub mod no_grad;
pub mod ops;
pub mod precision;
pub mod profile;
pub mod var;

pub use anomaly::{catch_anomaly, detect_anomaly, Anomaly};
pub use function::{apply, BackwardCtx, Function, InPlaceCtx};
pub use gradcheck::{
    gradcheck, gradcheck_checkable, gradcheck_named, Checkable, ElementMismatch,
    FiniteDifferenceError, GradcheckError, GradcheckOptions, GradcheckReport, Location,
    RefinedElement, StepRefinement,
};
pub use no_grad::{is_grad_enabled, no_grad, NoGradGuard};
pub use precision::{
    check_precision, Compared, PrecisionError, PrecisionExcess, PrecisionOptions, PrecisionReport,
    Quantity,
};
pub use var::{live_nodes, Var};
