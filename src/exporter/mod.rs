//! `backstop exporter`: the health rules on a schedule, served as Prometheus metrics, and
//! the Kubernetes manifests that run it in a cluster.
//!
//! One evaluation at a time (`evaluate.rs`): the same gathering `backstop check` does, the
//! bucket read on its own slower cadence with its last proofs kept between reads, the rules
//! with the configured thresholds and silence, then the whole page rendered
//! (`metrics.rs`, `text.rs`) and everything else dropped. A scrape only reads the last page
//! (`serve.rs`): it never causes a cluster read.

mod evaluate;
pub mod metrics;
mod serve;
mod text;

pub use evaluate::{Attempt, Evaluator, Options};
pub use serve::serve;
