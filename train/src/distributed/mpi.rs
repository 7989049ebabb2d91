//! The MPI process group (feature `mpi`): [`MpiGroup`] runs the
//! collectives of [`ProcessGroup`] on `MPI_COMM_WORLD` through rsmpi, and
//! [`Distributed::from_mpi`] initialises MPI and makes the context.
//!
//! Run under `mpirun` (OpenMPI or MPICH): `mpirun -np 4 program`. A rank
//! that stops with an error must end the whole job, or the others would
//! wait forever in their next collective: call [`abort`], which is
//! `MPI_Abort` on the world (mpirun then stops every rank and exits with
//! the code). A rank that dies (a signal, a lost node) is detected by
//! mpirun itself, which stops the others. See docs/DISTRIBUTED.md.
//!
//! MPI is finalised when the last clone of the [`Distributed`] drops, and
//! `MPI_Finalize` waits for every rank: keep a clone alive until the end of
//! `main` (past the trainer, which holds one), so that a rank whose
//! training failed can still call [`abort`] instead of waiting there for
//! ranks that wait for it.

use super::{BatchNormSync, Distributed, DistributedError};
use mpi::collective::{CommunicatorCollectives, Root, SystemOperation};
use mpi::environment::Universe;
use mpi::topology::{Communicator, SimpleCommunicator};
use std::rc::Rc;
use synann_nn::distributed::ProcessGroup;

/// `MPI_COMM_WORLD` as a [`ProcessGroup`]; MPI is finalised when it is
/// dropped (with the last clone of the [`Distributed`] holding it).
pub struct MpiGroup {
    world: SimpleCommunicator,
    /// Keeps MPI initialised; finalises it on drop.
    _universe: Universe,
}

impl MpiGroup {
    /// Initialises MPI (once per process) and takes its world.
    pub fn init() -> Result<Self, DistributedError> {
        let universe = mpi::initialize().ok_or_else(|| {
            DistributedError::Init("MPI is already initialised in this process".into())
        })?;
        Ok(MpiGroup {
            world: universe.world(),
            _universe: universe,
        })
    }

    /// The in-place all-reduce of a slice of an MPI element type.
    fn all_reduce<T: mpi::datatype::Equivalence + Copy>(&self, values: &mut [T]) {
        let send = values.to_vec();
        self.world
            .all_reduce_into(&send[..], values, SystemOperation::sum());
    }
}

impl ProcessGroup for MpiGroup {
    fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    fn world_size(&self) -> usize {
        self.world.size() as usize
    }

    fn all_reduce_sum_f32(&self, values: &mut [f32]) {
        self.all_reduce(values)
    }

    fn all_reduce_sum_f64(&self, values: &mut [f64]) {
        self.all_reduce(values)
    }

    fn broadcast_f32(&self, values: &mut [f32], root: usize) {
        self.world
            .process_at_rank(root as i32)
            .broadcast_into(values)
    }

    fn broadcast_f64(&self, values: &mut [f64], root: usize) {
        self.world
            .process_at_rank(root as i32)
            .broadcast_into(values)
    }
}

impl Distributed {
    /// Initialises MPI and returns the context of this process's rank in
    /// `MPI_COMM_WORLD` (a world of 1 when not started by `mpirun`).
    pub fn from_mpi(batch_norm: BatchNormSync) -> Result<Self, DistributedError> {
        Ok(Distributed::new(Rc::new(MpiGroup::init()?), batch_norm))
    }
}

/// Ends the whole MPI job with exit code `code` (`MPI_Abort` on the
/// world): what a rank that stops with an error calls, so the other ranks
/// do not wait for it forever.
pub fn abort(code: i32) -> ! {
    SimpleCommunicator::world().abort(code)
}

/// Blocks until every rank of the world has called it (`MPI_Barrier`).
pub fn barrier() {
    SimpleCommunicator::world().barrier()
}
