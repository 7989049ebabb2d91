//! [`Sequential`]: modules applied one after the other.

use crate::module::{forward_child, prefixed, Mode, Module};
use synann_autograd::anomaly::describe_module;
use synann_autograd::Var;
use synann_tensor::random::Rng;
use synann_tensor::Float;

/// A chain of modules, PyTorch's `nn.Sequential`: the output of each is
/// the input of the next. Children are named by position, `"0"`, `"1"`, …,
/// so parameters read `0.weight`, `2.bias`, as in PyTorch, and so do the
/// module paths of anomaly reports (`2`) and the clamp counts.
///
/// ```
/// use synann_nn::layers::{Bias, Linear, ReLU, Sequential};
/// use synann_nn::Module;
/// use synann_tensor::random::seeded;
///
/// let mut rng = seeded(0);
/// let mut net = Sequential::<f32>::new();
/// net.push(Linear::new(4, 8, Bias::Yes, &mut rng))
///     .push(ReLU)
///     .push(Linear::new(8, 2, Bias::Yes, &mut rng));
/// let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
/// ```
pub struct Sequential<T: Float> {
    /// The children, in order.
    pub layers: Vec<Box<dyn Module<T>>>,
}

impl<T: Float> Sequential<T> {
    /// An empty chain (the identity).
    pub fn new() -> Self {
        Sequential { layers: Vec::new() }
    }

    /// Appends a module; returns `self` so calls can be chained.
    pub fn push(&mut self, layer: impl Module<T> + 'static) -> &mut Self {
        self.layers.push(Box::new(layer));
        self
    }

    /// Number of children.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether there are no children.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
}

impl<T: Float> Default for Sequential<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Module<T> for Sequential<T> {
    fn forward(&mut self, x: &Var<T>, mode: Mode) -> Var<T> {
        let _scope = describe_module(|| format!("Sequential({} modules)", self.layers.len()));
        let mut h = x.clone();
        for (i, layer) in self.layers.iter_mut().enumerate() {
            h = forward_child(&i.to_string(), layer.as_mut(), &h, mode);
        }
        h
    }

    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        let mut out = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            out.extend(prefixed(&i.to_string(), layer.named_parameters()));
        }
        out
    }

    fn named_buffers(&self) -> Vec<(String, Var<T>)> {
        let mut out = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            out.extend(prefixed(&i.to_string(), layer.named_buffers()));
        }
        out
    }

    fn named_generators(&mut self) -> Vec<(String, &mut Rng)> {
        let mut out = Vec::new();
        for (i, layer) in self.layers.iter_mut().enumerate() {
            out.extend(prefixed(&i.to_string(), layer.named_generators()));
        }
        out
    }

    fn named_clamp_counts(&self) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            out.extend(prefixed(&i.to_string(), layer.named_clamp_counts()));
        }
        out
    }
}
