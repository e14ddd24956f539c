//! The floor every layer stands on: the domain's vocabulary, the rows kept of each kind,
//! their sync states, the Snapshot, the lookups between objects, and kubectl's formatting.
//! Pure data: nothing here does IO, and nothing here imports another part of the crate.

pub mod alerting;
pub mod archiver;
pub mod bucket;
pub mod by_cluster;
pub mod domain;
pub mod facts;
pub mod kubefmt;
pub mod log_source;
pub mod object;
pub mod recovery;
pub mod relate;
pub mod rows;
pub mod snapshot;
pub mod state;

pub use domain::Kind;
pub use object::ObjectRef;
pub use snapshot::Snapshot;
pub use state::{KindState, SyncState};
