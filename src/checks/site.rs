//! One Kubernetes cluster read for the rules: its API server asked for its version (bounded),
//! then everything `collect` gathers. `backstop check`, the exporter and the fleet read a
//! cluster this way.

use std::time::Duration;

use super::{Reach, collect};
use crate::model::facts::Facts;

/// How long the API server may take to say its version before the cluster counts as
/// unreachable.
pub const REACH_TIMEOUT: Duration = Duration::from_secs(10);

/// A cluster's facts, and whether it is backstop's simulator (whose endpoints are
/// fictional: nothing beyond loopback is dialled).
pub struct Read {
    pub facts: Facts,
    pub simulated: bool,
}

/// Reads the cluster behind `client` (`server` names it in the error); `bucket` says
/// whether the stores are listed this time. Err: why the API server could not be reached.
pub async fn read(
    client: &kube::Client,
    server: &str,
    namespace: Option<&str>,
    bucket: bool,
) -> Result<Read, String> {
    let version = match tokio::time::timeout(REACH_TIMEOUT, client.apiserver_version()).await {
        Ok(Ok(v)) => v.git_version,
        Ok(Err(e)) => return Err(format!("{server} is unreachable: {e}")),
        Err(_) => {
            return Err(format!(
                "{server} did not answer within {}s",
                REACH_TIMEOUT.as_secs()
            ));
        }
    };
    let simulated = version.contains("backstop-sim");
    let facts = collect(
        client,
        namespace,
        Reach {
            logs: true,
            network: !simulated,
            bucket,
            archiver: true,
        },
    )
    .await;
    Ok(Read { facts, simulated })
}
