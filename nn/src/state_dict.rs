//! A model's `state_dict`: every parameter and buffer by dotted name
//! (PyTorch's `model.state_dict()` / `model.load_state_dict()`).
//!
//! A [`StateDict`] is an ordered list of (name, tensor) pairs holding copies
//! of the values: parameters first, in [`Module::named_parameters`] order,
//! then buffers. Loading copies values back into the model's own `Var`s,
//! so every handle to a parameter (the optimizer's included) sees the new
//! values.

use crate::module::Module;
use std::fmt;
use synann_tensor::{Float, Tensor};

/// Named tensors in a stable order.
///
/// Two state dicts are equal when they map the same names to equal tensors,
/// whatever their order (a file stores names sorted, a model lists them in
/// definition order).
#[derive(Clone, Debug, Default)]
pub struct StateDict<T: Float> {
    entries: Vec<(String, Tensor<T>)>,
}

impl<T: Float> PartialEq for StateDict<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(n, t)| other.get(n) == Some(t))
    }
}

impl<T: Float> StateDict<T> {
    /// An empty dictionary.
    pub fn new() -> Self {
        StateDict {
            entries: Vec::new(),
        }
    }

    /// Adds `tensor` under `name`, replacing (in place) an entry of the same
    /// name.
    pub fn insert(&mut self, name: impl Into<String>, tensor: Tensor<T>) {
        let name = name.into();
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = tensor,
            None => self.entries.push((name, tensor)),
        }
    }

    /// The tensor named `name`.
    pub fn get(&self, name: &str) -> Option<&Tensor<T>> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }

    /// Whether an entry is named `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }

    /// The entries, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Tensor<T>)> {
        self.entries.iter().map(|(n, t)| (n.as_str(), t))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `other` holds the same names in the same order, with tensors
    /// of the same shapes and values, a NaN matching a NaN (NumPy's
    /// `array_equal(.., equal_nan=True)`). Unlike `==`, a dict holding NaNs
    /// equals its copy: what a save/load round trip must give back.
    ///
    /// ```
    /// use synann_nn::state_dict::StateDict;
    /// use synann_tensor::Tensor;
    /// let mut d = StateDict::new();
    /// d.insert("w", Tensor::from_vec(vec![1.0f32, f32::NAN], &[2]));
    /// assert!(d.equal_nan(&d.clone()));
    /// assert_ne!(d, d.clone()); // NaN != NaN
    /// ```
    pub fn equal_nan(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self.iter().zip(other.iter()).all(|((na, ta), (nb, tb))| {
                na == nb
                    && ta.shape() == tb.shape()
                    && ta
                        .data()
                        .iter()
                        .zip(tb.data())
                        .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
            })
    }

    /// Every tensor converted to another float type (names kept).
    pub fn cast<U: Float>(&self) -> StateDict<U> {
        StateDict {
            entries: self
                .entries
                .iter()
                .map(|(n, t)| (n.clone(), t.cast()))
                .collect(),
        }
    }
}

impl<T: Float> FromIterator<(String, Tensor<T>)> for StateDict<T> {
    fn from_iter<I: IntoIterator<Item = (String, Tensor<T>)>>(iter: I) -> Self {
        let mut d = StateDict::new();
        for (n, t) in iter {
            d.insert(n, t);
        }
        d
    }
}

impl<T: Float> IntoIterator for StateDict<T> {
    type Item = (String, Tensor<T>);
    type IntoIter = std::vec::IntoIter<(String, Tensor<T>)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

/// Why a state dict could not be loaded into a model. Each variant names
/// the tensor; nothing is changed in the model when loading fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateDictError {
    /// The model has a tensor the dictionary lacks (strict loading only).
    Missing {
        /// The tensor's name.
        name: String,
    },
    /// The dictionary has a tensor the model lacks (strict loading only).
    Unexpected {
        /// The tensor's name.
        name: String,
    },
    /// The shapes of the model's tensor and the dictionary's differ.
    ShapeMismatch {
        /// The tensor's name.
        name: String,
        /// The model's shape.
        expected: Vec<usize>,
        /// The dictionary's shape.
        found: Vec<usize>,
    },
    /// The stored element type is not the one required (see
    /// [`load_state_dict`]'s note on dtypes).
    DtypeMismatch {
        /// The tensor's name.
        name: String,
        /// The dtype required, as safetensors spells it (`"F32"`).
        expected: String,
        /// The dtype found.
        found: String,
    },
}

impl fmt::Display for StateDictError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateDictError::Missing { name } => {
                write!(f, "state dict: missing tensor `{name}`")
            }
            StateDictError::Unexpected { name } => {
                write!(f, "state dict: unexpected tensor `{name}`")
            }
            StateDictError::ShapeMismatch {
                name,
                expected,
                found,
            } => write!(
                f,
                "state dict: tensor `{name}` has shape {found:?}, the model expects {expected:?}"
            ),
            StateDictError::DtypeMismatch {
                name,
                expected,
                found,
            } => write!(
                f,
                "state dict: tensor `{name}` has dtype {found}, expected {expected}"
            ),
        }
    }
}

impl std::error::Error for StateDictError {}

/// Whether [`load_state_dict`] requires the names to match exactly
/// (PyTorch's `strict` argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strict {
    /// Every tensor of the model must be in the dictionary and every entry
    /// of the dictionary in the model (PyTorch's default).
    Yes,
    /// Tensors only one side has are skipped.
    No,
}

/// Copies the values of every parameter, then every buffer, of `model`.
pub fn state_dict<T: Float, M: Module<T> + ?Sized>(model: &M) -> StateDict<T> {
    model
        .named_parameters()
        .into_iter()
        .chain(model.named_buffers())
        .map(|(name, v)| (name, v.value().clone()))
        .collect()
}

/// Copies the tensors of `dict` into the parameters and buffers of `model`
/// with the same names.
///
/// With [`Strict::Yes`], the names must match exactly (an error names the
/// first missing or unexpected tensor); with [`Strict::No`], tensors only
/// one side has are skipped. Shapes must always match. Everything is checked before anything
/// is written, so on error the model is unchanged. The dictionary's element
/// type is the model's (a [`StateDict<T>`] for a `Module<T>`): files saved
/// in the other float width are converted when read, see
/// [`checkpoint`](crate::checkpoint); [`StateDictError::DtypeMismatch`] is
/// reported there for element types that cannot be converted.
///
/// ```
/// use synann_autograd::Var;
/// use synann_nn::state_dict::{load_state_dict, state_dict, Strict};
/// use synann_nn::{Mode, Module};
/// use synann_tensor::Tensor;
///
/// struct Scale(Var<f32>);
/// impl Module<f32> for Scale {
///     fn forward(&mut self, x: &Var<f32>, _: Mode) -> Var<f32> { x.mul(&self.0) }
///     fn named_parameters(&self) -> Vec<(String, Var<f32>)> {
///         vec![("weight".to_string(), self.0.clone())]
///     }
/// }
/// let a = Scale(Var::requiring_grad(Tensor::from_vec(vec![2.0], &[1])));
/// let b = Scale(Var::requiring_grad(Tensor::from_vec(vec![0.0], &[1])));
/// load_state_dict(&b, &state_dict(&a), Strict::Yes).unwrap();
/// assert_eq!(b.0.value().data(), &[2.0]);
/// ```
pub fn load_state_dict<T: Float, M: Module<T> + ?Sized>(
    model: &M,
    dict: &StateDict<T>,
    strict: Strict,
) -> Result<(), StateDictError> {
    let targets: Vec<_> = model
        .named_parameters()
        .into_iter()
        .chain(model.named_buffers())
        .collect();
    let mut writes = Vec::new();
    for (name, var) in &targets {
        match dict.get(name) {
            Some(t) => {
                let expected = var.shape();
                if t.shape() != expected.as_slice() {
                    return Err(StateDictError::ShapeMismatch {
                        name: name.clone(),
                        expected,
                        found: t.shape().to_vec(),
                    });
                }
                writes.push((var, t));
            }
            None if strict == Strict::Yes => {
                return Err(StateDictError::Missing { name: name.clone() })
            }
            None => {}
        }
    }
    if strict == Strict::Yes {
        if let Some(name) = dict.keys().find(|k| !targets.iter().any(|(n, _)| n == k)) {
            return Err(StateDictError::Unexpected {
                name: name.to_string(),
            });
        }
    }
    for (var, t) in writes {
        var.set_value(t.clone());
    }
    Ok(())
}
