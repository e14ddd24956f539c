//! `backstop exporter`: the health rules on a schedule, served as Prometheus metrics, and
//! the Kubernetes manifests that run it in a cluster.
//!
//! One evaluation at a time (`evaluate.rs`): the same gathering `backstop check` does, the
//! bucket read on its own slower cadence with its last proofs kept between reads, the rules
//! with the configured thresholds and silence, then the whole page rendered
//! (`metrics.rs`, `text.rs`) and everything else dropped. A scrape only reads the last page
//! (`serve.rs`): it never causes a cluster read.

mod evaluate;
pub mod manifests;
pub mod metrics;
mod serve;
mod text;

pub use evaluate::{Attempt, Evaluator, Options};
pub use serve::serve;

/// The Secrets the exporter will need, from a live cluster: the ObjectStores, the in-tree
/// Clusters and the plugin's Service, listed as `checks::collect` lists them. Err when one of
/// them cannot be listed: a Role missing a Secret would fail quietly later.
pub async fn secrets_in(
    client: &kube::Client,
    namespace: Option<&str>,
) -> anyhow::Result<std::collections::BTreeSet<(String, String)>> {
    use crate::cluster::watch::KindSpec;
    use crate::model::{Kind, KindState, Snapshot, SyncState};
    let (object_stores, clusters, services) = tokio::join!(
        crate::checks::list_kind(client, KindSpec::of(Kind::ObjectStore), namespace),
        crate::checks::list_kind(client, KindSpec::of(Kind::Cluster), namespace),
        crate::checks::list_kind(client, KindSpec::plugin_services(), None),
    );
    fn live<R>(what: &str, k: &KindState<R>) -> anyhow::Result<()> {
        match &k.sync {
            SyncState::Live | SyncState::NotInstalled { .. } => Ok(()),
            SyncState::Error(e) => anyhow::bail!(
                "listing {what}: {e} (name the Secrets with --secret NAMESPACE/NAME instead)"
            ),
            other => anyhow::bail!(
                "listing {what}: {} (name the Secrets with --secret NAMESPACE/NAME instead)",
                other.word()
            ),
        }
    }
    live("ObjectStores", &object_stores)?;
    live("Clusters", &clusters)?;
    live("the plugin's Service", &services)?;
    Ok(manifests::secrets_named(&Snapshot {
        object_stores,
        clusters,
        services,
        ..Default::default()
    }))
}
