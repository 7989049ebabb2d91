//! [`Var`]: a tensor in the computation graph.
//!
//! A `Var` is a shared handle to a graph node. A node holds its value, and
//! either nothing more (a *leaf*: an input or a parameter) or the
//! [`Function`] that produced it together with the input `Var`s (an *op
//! node*). Op nodes point at their inputs only, so the graph is a DAG owned
//! from its output end: dropping the loss (or running backward, which
//! releases the op nodes' links) frees every intermediate tensor.
//!
//! Parameters are leaves that live across steps: every step builds a fresh
//! graph on top of the same parameter leaves, and backward accumulates into
//! their `grad`.
//!
//! # Where each method is defined
//!
//! This file holds the node itself (construction, value, gradient); the
//! backward pass is in [`backward`](crate::backward); every op is a method
//! defined next to its `Function` and its derivation, one family per
//! module of [`ops`](crate::ops):
//!
//! | module | methods |
//! |---|---|
//! | `var.rs` | `requiring_grad`, `constant`, `value`, `value_mut`, `set_value`, `shape`, `requires_grad`, `set_requires_grad`, `is_leaf`, `grad`, `take_grad`, `set_grad`, `grad_mut`, `zero_grad`, `detach`, `op_name`, `ptr_eq` |
//! | [`backward`](crate::backward) | `backward`, `backward_with`, `backward_retaining_graph` |
//! | [`ops::arith`](crate::ops::arith) | `add`, `sub`, `mul`, `div`, `pow`, `maximum`, `minimum`, `add_scalar`, `mul_scalar`, `rsub_scalar`, `neg` |
//! | [`ops::overload`](crate::ops::overload) | the operators `+`, `-`, `*`, `/` and unary `-` on `&Var` |
//! | [`ops::unary`](crate::ops::unary) | `exp`, `ln`, `ln_1p`, `exp_m1`, `sqrt`, `abs`, `relu`, `sigmoid`, `tanh`, `softplus`, `powf`, `clamp` |
//! | [`ops::reduce`](crate::ops::reduce) | `sum`, `sum_all`, `mean`, `mean_all` |
//! | [`ops::minmax`](crate::ops::minmax) | `max`, `min`, `variance` |
//! | [`ops::softmax`](crate::ops::softmax) | `softmax`, `log_softmax`, `log_sum_exp` |
//! | [`ops::matmul`](crate::ops::matmul) | `matmul`, `linear` |
//! | [`ops::shape`](crate::ops::shape) | `reshape`, `flatten_from`, `squeeze`, `unsqueeze`, `permute`, `transpose`, `broadcast_to` |
//! | [`ops::index`](crate::ops::index) | `narrow`, `concat`, `stack`, `index_select`, `gather` |
//! | [`ops::select`](crate::ops::select) | `where_` |
//! | [`ops::conv`](crate::ops::conv) | `conv2d` |
//! | [`ops::conv_pool`](crate::ops::conv_pool) | `conv2d_max_pool2d`, `conv2d_global_max_pool2d` |
//! | [`ops::im2row`](crate::ops::im2row) | `im2row_same` |
//! | [`ops::pool`](crate::ops::pool) | `max_pool2d`, `avg_pool2d`, `global_max_pool2d`, `global_avg_pool2d` |

use crate::function::Function;
use std::cell::{Cell, Ref, RefCell, RefMut};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use synann_tensor::{Float, Tensor};

static LIVE_NODES: AtomicUsize = AtomicUsize::new(0);

/// Number of graph nodes (leaves included) alive in the process: a leak
/// check for training loops (it must not grow from step to step).
pub fn live_nodes() -> usize {
    LIVE_NODES.load(Ordering::Relaxed)
}

/// How an op node was made: the function and its inputs. Taken out of the
/// node (and so freed) once backward has used it.
pub(crate) struct GradFn<T: Float> {
    pub(crate) op: Box<dyn Function<T>>,
    pub(crate) inputs: Vec<Var<T>>,
}

pub(crate) struct Node<T: Float> {
    pub(crate) value: RefCell<Tensor<T>>,
    /// The value's shape once a backward pass has freed it (see
    /// [`Var::free_value`]); `None` while the node holds its value.
    pub(crate) freed_shape: RefCell<Option<Vec<usize>>>,
    pub(crate) grad: RefCell<Option<Tensor<T>>>,
    pub(crate) requires_grad: Cell<bool>,
    pub(crate) grad_fn: RefCell<Option<GradFn<T>>>,
}

impl<T: Float> Drop for Node<T> {
    fn drop(&mut self) {
        LIVE_NODES.fetch_sub(1, Ordering::Relaxed);
        // Unlink iteratively: a long chain (an unrolled RNN) dropped
        // recursively could overflow the stack.
        let mut stack: Vec<GradFn<T>> = self.grad_fn.get_mut().take().into_iter().collect();
        while let Some(gf) = stack.pop() {
            for input in gf.inputs {
                if let Ok(node) = Rc::try_unwrap(input.0) {
                    let mut node = node;
                    if let Some(inner) = node.grad_fn.get_mut().take() {
                        stack.push(inner);
                    }
                }
            }
        }
    }
}

/// A tensor in the computation graph (cheap to clone: clones share the node).
///
/// Each op method is defined, with the derivation of its backward, in one
/// module of [`ops`](crate::ops): the [module docs](self) index which.
pub struct Var<T: Float>(pub(crate) Rc<Node<T>>);

impl<T: Float> Clone for Var<T> {
    fn clone(&self) -> Self {
        Var(Rc::clone(&self.0))
    }
}

impl<T: Float> Var<T> {
    fn from_node(value: Tensor<T>, requires_grad: bool, grad_fn: Option<GradFn<T>>) -> Self {
        LIVE_NODES.fetch_add(1, Ordering::Relaxed);
        Var(Rc::new(Node {
            value: RefCell::new(value),
            freed_shape: RefCell::new(None),
            grad: RefCell::new(None),
            requires_grad: Cell::new(requires_grad),
            grad_fn: RefCell::new(grad_fn),
        }))
    }

    /// A leaf that requires grad (a parameter, or an input to differentiate
    /// with respect to): backward fills its [`Var::grad`]. PyTorch's
    /// `torch.tensor(value, requires_grad=True)`.
    ///
    /// ```
    /// use synann_autograd::Var;
    /// use synann_tensor::Tensor;
    /// let w = Var::requiring_grad(Tensor::from_vec(vec![3.0f64], &[1]));
    /// w.mul(&w).sum_all().backward();
    /// assert_eq!(w.grad().unwrap().data(), &[6.0]);
    /// ```
    pub fn requiring_grad(value: Tensor<T>) -> Self {
        Self::from_node(value, true, None)
    }

    /// A leaf that needs no gradient (data, targets, masks): the
    /// counterpart of [`Var::requiring_grad`].
    pub fn constant(value: Tensor<T>) -> Self {
        Self::from_node(value, false, None)
    }

    pub(crate) fn from_op(value: Tensor<T>, op: Box<dyn Function<T>>, inputs: Vec<Var<T>>) -> Self {
        Self::from_node(value, true, Some(GradFn { op, inputs }))
    }

    /// The value (borrowed; do not hold it across a call that mutates it).
    pub fn value(&self) -> Ref<'_, Tensor<T>> {
        self.0.value.borrow()
    }

    /// The value, mutably: how optimizers update parameters in place.
    ///
    /// There is no version check as in PyTorch: changing a value that a
    /// recorded op's backward reads (a ReLU's output, a matmul's input)
    /// changes the gradients that backward computes.
    pub fn value_mut(&self) -> RefMut<'_, Tensor<T>> {
        self.0.value.borrow_mut()
    }

    /// Replaces the value (same shape required).
    pub fn set_value(&self, value: Tensor<T>) {
        let mut v = self.0.value.borrow_mut();
        assert_eq!(
            v.shape(),
            value.shape(),
            "set_value: new shape {:?} differs from {:?}",
            value.shape(),
            v.shape()
        );
        *v = value;
    }

    /// A copy of the shape.
    pub fn shape(&self) -> Vec<usize> {
        match self.0.freed_shape.borrow().as_ref() {
            Some(shape) => shape.clone(),
            None => self.value().shape().to_vec(),
        }
    }

    /// Frees the value, keeping its shape: what a backward pass does to a
    /// node whose value no backward still to run reads and that no handle
    /// outside the pass reaches, so that nothing can see it (the value is
    /// then an empty tensor of shape `[0]`; [`Var::shape`] still answers).
    pub(crate) fn free_value(&self) {
        let mut freed = self.0.freed_shape.borrow_mut();
        if freed.is_none() {
            let value = self.0.value.replace(Tensor::from_vec(Vec::new(), &[0]));
            *freed = Some(value.shape().to_vec());
        }
    }

    /// Whether gradients flow to or through this node.
    pub fn requires_grad(&self) -> bool {
        self.0.requires_grad.get()
    }

    /// Turns gradient tracking of a leaf on or off (freezing a parameter).
    /// Panics on an op node, whose flag follows from its inputs.
    pub fn set_requires_grad(&self, on: bool) {
        assert!(
            self.is_leaf(),
            "set_requires_grad: only leaves can be frozen or unfrozen"
        );
        self.0.requires_grad.set(on);
    }

    /// Whether this is a leaf (not produced by a recorded op).
    pub fn is_leaf(&self) -> bool {
        self.0.grad_fn.borrow().is_none()
    }

    /// The accumulated gradient of a leaf, if backward has reached it.
    pub fn grad(&self) -> Option<Ref<'_, Tensor<T>>> {
        Ref::filter_map(self.0.grad.borrow(), |g| g.as_ref()).ok()
    }

    /// Takes the gradient out, leaving none.
    pub fn take_grad(&self) -> Option<Tensor<T>> {
        self.0.grad.borrow_mut().take()
    }

    /// Sets the gradient (for optimizers' tests and gradient clipping).
    pub fn set_grad(&self, grad: Option<Tensor<T>>) {
        *self.0.grad.borrow_mut() = grad;
    }

    /// The gradient, mutably (clipping scales it in place).
    pub fn grad_mut(&self) -> Option<RefMut<'_, Tensor<T>>> {
        RefMut::filter_map(self.0.grad.borrow_mut(), |g| g.as_mut()).ok()
    }

    /// Clears the gradient (PyTorch's `zero_grad(set_to_none=True)`).
    pub fn zero_grad(&self) {
        self.set_grad(None);
    }

    /// Adds `g` to the leaf's gradient.
    pub(crate) fn accumulate_grad(&self, g: Tensor<T>) {
        let mut slot = self.0.grad.borrow_mut();
        match slot.as_mut() {
            Some(acc) => acc.add_(&g),
            None => *slot = Some(g),
        }
    }

    /// A new leaf holding a copy of the value, cut off from the graph.
    pub fn detach(&self) -> Var<T> {
        Var::constant(self.value().clone())
    }

    /// The name of the op that produced this node (`None` for leaves).
    pub fn op_name(&self) -> Option<String> {
        self.0
            .grad_fn
            .borrow()
            .as_ref()
            .map(|g| g.op.name().to_string())
    }

    /// Whether two handles share one node.
    pub fn ptr_eq(&self, other: &Var<T>) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    pub(crate) fn id(&self) -> usize {
        Rc::as_ptr(&self.0) as usize
    }
}

impl<T: Float> std::fmt::Debug for Var<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Var(")?;
        if let Some(op) = self.op_name() {
            write!(f, "{op}: ")?;
        }
        write!(
            f,
            "{:?}, requires_grad={})",
            *self.value(),
            self.requires_grad()
        )
    }
}
