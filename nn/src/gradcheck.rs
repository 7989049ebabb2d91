//! Gradient checks of whole modules: the input and every named parameter,
//! in f64, in training and evaluation mode.
//!
//! [`gradcheck_module`] runs [`synann_autograd::gradcheck()`]'s checks (values
//! against central differences, shapes, reentrancy, linearity) with the
//! module's input and each parameter that requires grad as the checked
//! inputs. The parameters are perturbed in place ([`Var::set_value`]), so
//! the module's own forward is what gets differentiated: nothing to
//! rewire by hand. Failures name the parameter path and element
//! (`fc1.weight[3, 7]`) and the mode.
//!
//! During a check dropout draws one fixed set of masks: the first forward
//! records them and every later forward replays them, so the repeated
//! forwards of a finite difference see one function. BatchNorm's running
//! statistics, which training forwards update, are restored afterwards, as
//! are the parameters' values and gradients.
//!
//! ```
//! use synann_nn::gradcheck::gradcheck_module;
//! use synann_nn::layers::{Bias, Dropout, Linear, Sequential, Tanh};
//! use synann_autograd::GradcheckOptions;
//! use synann_tensor::{random::seeded, Tensor};
//!
//! let mut model = Sequential::<f64>::new();
//! model
//!     .push(Linear::new(3, 4, Bias::Yes, &mut seeded(0)))
//!     .push(Tanh)
//!     .push(Dropout::new(0.5, seeded(1)))
//!     .push(Linear::new(4, 2, Bias::Yes, &mut seeded(2)));
//! let x = Tensor::uniform(&[5, 3], -1.0, 1.0, &mut seeded(3));
//! let report = gradcheck_module(&mut model, &x, &GradcheckOptions::default()).unwrap();
//! assert_eq!(report.checked, ["input", "0.weight", "0.bias", "3.weight", "3.bias"]);
//! ```

use crate::layers::FixedMasks;
use crate::module::{Mode, Module};
use std::fmt;
use synann_autograd::gradcheck::{backward_through_copy, exact_copy};
use synann_autograd::{
    gradcheck_checkable, no_grad, Checkable, GradcheckError, GradcheckOptions, GradcheckReport, Var,
};
use synann_tensor::Tensor;

/// A gradient-check failure of a module: the mode it happened in and the
/// check's own error (which names the input or parameter path).
#[derive(Clone, Debug, PartialEq)]
pub struct ModuleGradcheckError {
    /// The mode of the failing forward passes.
    pub mode: Mode,
    /// What failed.
    pub error: GradcheckError,
}

impl fmt::Display for ModuleGradcheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "in {:?} mode, {}", self.mode, self.error)
    }
}

impl std::error::Error for ModuleGradcheckError {}

/// What a passing module check did, per mode.
#[derive(Clone, Debug, PartialEq)]
pub struct ModuleGradcheckReport {
    /// The checked inputs' names: `input`, then the parameter paths.
    pub checked: Vec<String>,
    /// One report per mode, in the order checked.
    pub modes: Vec<(Mode, GradcheckReport)>,
}

/// Checks the gradients of `module` with respect to `input` and every
/// parameter that requires grad, in [`Mode::Train`] and [`Mode::Eval`];
/// see the module docs.
pub fn gradcheck_module<M>(
    module: &mut M,
    input: &Tensor<f64>,
    opts: &GradcheckOptions,
) -> Result<ModuleGradcheckReport, ModuleGradcheckError>
where
    M: Module<f64> + ?Sized,
{
    gradcheck_module_with(
        module,
        input,
        &[Mode::Train, Mode::Eval],
        |y| y.clone(),
        opts,
    )
}

/// [`gradcheck_module`] in the given `modes`, checking `head(module(x))`
/// instead of the module's output: a loss against fixed targets for a
/// whole model, say.
///
/// ```
/// use synann_nn::gradcheck::gradcheck_module_with;
/// use synann_nn::layers::{Bias, Linear, Sequential, ReLU};
/// use synann_nn::loss::{cross_entropy, Reduction};
/// use synann_nn::Mode;
/// use synann_autograd::GradcheckOptions;
/// use synann_tensor::{random::seeded, Tensor};
///
/// let mut model = Sequential::<f64>::new();
/// model
///     .push(Linear::new(4, 6, Bias::Yes, &mut seeded(0)))
///     .push(ReLU)
///     .push(Linear::new(6, 3, Bias::Yes, &mut seeded(1)));
/// let x = Tensor::uniform(&[2, 4], -1.0, 1.0, &mut seeded(2));
/// let loss = |logits: &_| cross_entropy(logits, &[2, 0], Reduction::Mean, 0.0);
/// gradcheck_module_with(&mut model, &x, &[Mode::Train], loss, &GradcheckOptions::default()).unwrap();
/// ```
pub fn gradcheck_module_with<M, H>(
    module: &mut M,
    input: &Tensor<f64>,
    modes: &[Mode],
    head: H,
    opts: &GradcheckOptions,
) -> Result<ModuleGradcheckReport, ModuleGradcheckError>
where
    M: Module<f64> + ?Sized,
    H: Fn(&Var<f64>) -> Var<f64>,
{
    let params: Vec<(String, Var<f64>)> = module
        .named_parameters()
        .into_iter()
        .filter(|(_, p)| p.requires_grad())
        .collect();
    let mut names = vec!["input".to_string()];
    names.extend(params.iter().map(|(n, _)| n.clone()));
    let mut inputs = vec![input.clone()];
    inputs.extend(params.iter().map(|(_, p)| p.value().clone()));

    // What the check changes, to put back afterwards.
    let grads: Vec<Option<Tensor<f64>>> = params.iter().map(|(_, p)| p.take_grad()).collect();
    let buffers: Vec<(Var<f64>, Tensor<f64>)> = module
        .named_buffers()
        .into_iter()
        .map(|(_, b)| {
            let value = b.value().clone();
            (b, value)
        })
        .collect();

    let mut report = ModuleGradcheckReport {
        checked: names.clone(),
        modes: Vec::new(),
    };
    let mut result = Ok(());
    for &mode in modes {
        let masks = FixedMasks::begin();
        let mut checked = ModuleUnderCheck {
            module: &mut *module,
            params: &params,
            mode,
            head: &head,
            masks: &masks,
        };
        let outcome = gradcheck_checkable(&mut checked, &inputs, &names, opts);
        drop(masks);
        for (b, value) in &buffers {
            b.set_value(value.clone());
        }
        match outcome {
            Ok(r) => report.modes.push((mode, r)),
            Err(error) => {
                result = Err(ModuleGradcheckError { mode, error });
                break;
            }
        }
    }
    for ((_, p), (value, grad)) in params.iter().zip(inputs[1..].iter().zip(grads)) {
        p.set_value(value.clone());
        p.set_grad(grad);
    }
    result.map(|()| report)
}

/// A module (and head) seen as a function of its input and parameters.
struct ModuleUnderCheck<'a, M: ?Sized, H> {
    module: &'a mut M,
    params: &'a [(String, Var<f64>)],
    mode: Mode,
    head: &'a H,
    masks: &'a FixedMasks,
}

impl<M, H> ModuleUnderCheck<'_, M, H>
where
    M: Module<f64> + ?Sized,
    H: Fn(&Var<f64>) -> Var<f64>,
{
    fn run(&mut self, inputs: &[Tensor<f64>], x: &Var<f64>) -> Var<f64> {
        for ((_, p), value) in self.params.iter().zip(&inputs[1..]) {
            p.set_value(value.clone());
            p.set_grad(None);
        }
        self.masks.rewind();
        let y = self.module.forward(x, self.mode);
        (self.head)(&y)
    }
}

impl<M, H> Checkable for ModuleUnderCheck<'_, M, H>
where
    M: Module<f64> + ?Sized,
    H: Fn(&Var<f64>) -> Var<f64>,
{
    fn evaluate(&mut self, inputs: &[Tensor<f64>]) -> Tensor<f64> {
        no_grad(|| {
            let y = self.run(inputs, &Var::constant(inputs[0].clone()));
            let y = y.value().clone();
            y
        })
    }

    fn gradients(
        &mut self,
        inputs: &[Tensor<f64>],
        v: &Tensor<f64>,
    ) -> (Vec<Option<Tensor<f64>>>, Option<String>) {
        let x = Var::requiring_grad(inputs[0].clone());
        // Between exact copies, as `synann_autograd::gradcheck` runs an op:
        // the pass frees the module's input and output wherever its ops
        // say they do not read them, so a backward that reads one anyway
        // fails here.
        let y = self.run(inputs, &exact_copy(&x));
        let op = y.op_name();
        backward_through_copy(y, v);
        let mut grads = vec![x.take_grad()];
        grads.extend(self.params.iter().map(|(_, p)| p.take_grad()));
        (grads, op)
    }

    /// Input 0 is the module's input, the others its parameters: the
    /// others are frozen (made constants) for the pass, then restored.
    fn gradient_alone(
        &mut self,
        inputs: &[Tensor<f64>],
        v: &Tensor<f64>,
        i: usize,
    ) -> Option<Tensor<f64>> {
        let was: Vec<bool> = self.params.iter().map(|(_, p)| p.requires_grad()).collect();
        if i > 0 && !was[i - 1] {
            // A frozen parameter has no gradient to compare.
            return None;
        }
        let x = if i == 0 {
            Var::requiring_grad(inputs[0].clone())
        } else {
            Var::constant(inputs[0].clone())
        };
        for (j, (_, p)) in self.params.iter().enumerate() {
            p.set_requires_grad(j + 1 == i);
        }
        let y = self.run(inputs, &exact_copy(&x));
        backward_through_copy(y, v);
        for ((_, p), &on) in self.params.iter().zip(&was) {
            p.set_requires_grad(on);
        }
        if i == 0 {
            x.take_grad()
        } else {
            self.params[i - 1].1.take_grad()
        }
    }
}
