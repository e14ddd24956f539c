//! Rules across Kubernetes clusters: what no single cluster's facts can show.
//!
//! FLE001: two Kubernetes clusters write to the same archive (endpoint, destinationPath and
//! serverName). Each site alone looks healthy, yet their WAL and base backups interleave
//! in one folder and a restore mixes both timelines. A DR replica in another region that
//! only reads the source's archive through `externalClusters` writes nothing there and is
//! no collision. An endpoint only one Kubernetes cluster can resolve (a Service such as
//! `http://minio.minio.svc:9000`, a bare host name, loopback) names each site's own storage:
//! two sites copied from one GitOps repository, each with its own MinIO, write to different
//! buckets under the same words, and are no collision either.

use std::collections::BTreeMap;

use super::{Finding, Severity};
use crate::model::facts::Facts;
use crate::model::relate::{ArchivePlace, archive_writers};
use crate::model::{Kind, ObjectRef};

/// One Kubernetes cluster's facts, named by its kubeconfig context.
pub struct Site<'a> {
    pub context: &'a str,
    pub facts: &'a Facts,
}

/// A writer of an archive: the site's index, the Cluster's namespace and name, its
/// ObjectStore (None in-tree).
type Writer = (usize, String, String, Option<String>);

/// The cross-cluster findings, each with the index of the site whose object it is about.
pub fn rules(sites: &[Site]) -> Vec<(usize, Finding)> {
    let mut by_place: BTreeMap<ArchivePlace, Vec<Writer>> = BTreeMap::new();
    for (i, site) in sites.iter().enumerate() {
        for w in archive_writers(&site.facts.snapshot, true) {
            if is_site_local(&w.place.endpoint) {
                continue;
            }
            by_place.entry(w.place).or_default().push((
                i,
                w.cluster.namespace.clone(),
                w.cluster.name.clone(),
                w.store.map(str::to_string),
            ));
        }
    }
    let mut out = Vec::new();
    for (place, writers) in by_place {
        let mut sites_there: Vec<usize> = writers.iter().map(|w| w.0).collect();
        sites_there.sort_unstable();
        sites_there.dedup();
        // Two writers inside one Kubernetes cluster are CLU007's to say.
        if sites_there.len() < 2 {
            continue;
        }
        let at = archive_text(&place);
        let evidence: Vec<String> = writers
            .iter()
            .map(|(i, ns, name, store)| {
                format!(
                    "context {}: Cluster {ns}/{name} writes to {at} ({})",
                    sites[*i].context,
                    match store {
                        Some(s) => format!("plugin, ObjectStore {s}"),
                        None => "in-tree barmanObjectStore".to_string(),
                    }
                )
            })
            .collect();
        for (i, ns, name, store) in &writers {
            let others: Vec<String> = writers
                .iter()
                .filter(|w| w.0 != *i)
                .map(|(j, ons, oname, _)| format!("{ons}/{oname} in context {}", sites[*j].context))
                .collect();
            let fix = match store {
                Some(_) => format!(
                    "kubectl --context {ctx} patch cluster {name} -n {ns} --type=json -p '[{{\"op\":\"add\",\"path\":\"/spec/plugins/0/parameters/serverName\",\"value\":\"{name}-{ctx}\"}}]' (check the plugin entry's index first)",
                    ctx = sites[*i].context
                ),
                None => format!(
                    "kubectl --context {} patch cluster {name} -n {ns} --type=merge -p '{{\"spec\":{{\"backup\":{{\"barmanObjectStore\":{{\"serverName\":\"{name}-2\"}}}}}}}}'",
                    sites[*i].context
                ),
            };
            out.push((
                *i,
                Finding::new(
                    "FLE001",
                    Severity::Critical,
                    ObjectRef::new(Kind::Cluster, ns, name),
                    format!(
                        "Cluster {ns}/{name} writes to the same archive as {}: {at}",
                        others.join(" and ")
                    ),
                    evidence.clone(),
                    format!(
                        "Each writer needs its own serverName (or destinationPath): a DR replica that only reads the archive belongs in externalClusters, not in a plugin entry or barmanObjectStore that archives. Change one writer, e.g. {fix}, then take a base backup of it. The archive already holds both Clusters' WAL: check which timeline each backup belongs to before any restore from it."
                    ),
                ),
            ));
        }
    }
    out
}

/// Whether an endpoint URL names storage only its own Kubernetes cluster reaches: a
/// Service's DNS name, a host without a domain, loopback. No endpoint (the provider's own)
/// and a fully qualified host are the same from everywhere.
fn is_site_local(endpoint: &str) -> bool {
    if endpoint.is_empty() {
        return false;
    }
    let rest = endpoint.split_once("://").map_or(endpoint, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.split(']')
            .next()
            .unwrap_or(host)
            .trim_start_matches('[')
    } else {
        host.split(':').next().unwrap_or(host)
    }
    .trim_end_matches('.')
    .to_ascii_lowercase();
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return ip.is_loopback();
    }
    !host.contains('.')
        || host.ends_with(".svc")
        || host.ends_with(".cluster.local")
        || host == "localhost"
}

fn archive_text(p: &ArchivePlace) -> String {
    let endpoint = if p.endpoint.is_empty() {
        String::new()
    } else {
        format!(" at {}", p.endpoint)
    };
    format!("{}/{}{endpoint}", p.destination, p.server)
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::model::KindState;
    use crate::model::rows::{ClusterRow, ObjectStoreRow, PluginRef};

    fn site_facts(clusters: Vec<ClusterRow>, stores: Vec<ObjectStoreRow>) -> Facts {
        let mut f = Facts::default();
        f.snapshot.clusters = KindState::live(clusters);
        f.snapshot.object_stores = KindState::live(stores);
        f
    }

    fn plugin_cluster(ns: &str, name: &str, store: &str, server: Option<&str>) -> ClusterRow {
        ClusterRow {
            namespace: ns.into(),
            name: name.into(),
            plugin: Some(PluginRef {
                enabled: true,
                wal_archiver: true,
                object_store: Some(store.into()),
                server_name: server.map(str::to_string),
            }),
            ..Default::default()
        }
    }

    fn store(ns: &str, name: &str, destination: &str) -> ObjectStoreRow {
        ObjectStoreRow {
            namespace: ns.into(),
            name: name.into(),
            destination: destination.into(),
            endpoint: Some("https://minio.example.net".into()),
            ..Default::default()
        }
    }

    #[test]
    fn two_sites_writing_one_archive_are_each_told_with_the_other_named() {
        let eu = site_facts(
            vec![plugin_cluster("db", "pg-main", "main-store", None)],
            vec![store("db", "main-store", "s3://backups/pg/")],
        );
        // The DR site copied the manifests: same bucket, same server name.
        let us = site_facts(
            vec![plugin_cluster("db", "pg-dr", "main-store", Some("pg-main"))],
            vec![store("db", "main-store", "s3://backups/pg")],
        );
        let found = rules(&[
            Site {
                context: "prod-eu",
                facts: &eu,
            },
            Site {
                context: "prod-us",
                facts: &us,
            },
        ]);
        assert_eq!(found.len(), 2, "{found:?}");
        let (i, f) = &found[0];
        assert_eq!(*i, 0);
        assert_eq!(f.code, "FLE001");
        assert_eq!(f.severity, Severity::Critical);
        assert_eq!(
            f.summary,
            "Cluster db/pg-main writes to the same archive as db/pg-dr in context prod-us: s3://backups/pg/pg-main at https://minio.example.net"
        );
        assert!(
            f.evidence.iter().any(|e| e.starts_with(
                "context prod-us: Cluster db/pg-dr writes to s3://backups/pg/pg-main"
            )),
            "{:?}",
            f.evidence
        );
        assert!(
            f.remedy
                .contains("kubectl --context prod-eu patch cluster pg-main -n db"),
            "{}",
            f.remedy
        );
        assert_eq!(found[1].0, 1);
    }

    #[test]
    fn each_sites_own_in_cluster_minio_is_no_collision() {
        let with_endpoint = |endpoint: &str| {
            let mut o = store("orders", "orders-store", "s3://backups/");
            o.endpoint = Some(endpoint.into());
            site_facts(
                vec![plugin_cluster("orders", "pg-orders", "orders-store", None)],
                vec![o],
            )
        };
        for endpoint in [
            "http://minio.minio.svc:9000",
            "https://minio.minio.svc.cluster.local",
            "http://minio:9000",
            "http://127.0.0.1:9000",
        ] {
            let (a, b) = (with_endpoint(endpoint), with_endpoint(endpoint));
            let sites = [
                Site {
                    context: "site-a",
                    facts: &a,
                },
                Site {
                    context: "site-b",
                    facts: &b,
                },
            ];
            assert!(rules(&sites).is_empty(), "{endpoint}");
        }
        // The same public endpoint is one store, whichever site writes.
        let (a, b) = (
            with_endpoint("https://s3.eu-central-1.amazonaws.com"),
            with_endpoint("https://s3.eu-central-1.amazonaws.com/"),
        );
        let sites = [
            Site {
                context: "site-a",
                facts: &a,
            },
            Site {
                context: "site-b",
                facts: &b,
            },
        ];
        assert_eq!(rules(&sites).len(), 2);
    }

    #[test]
    fn distinct_server_names_a_reader_or_one_site_alone_are_no_collision() {
        let eu = site_facts(
            vec![plugin_cluster("db", "pg-main", "main-store", None)],
            vec![store("db", "main-store", "s3://backups/pg")],
        );
        // Same bucket, its own server name: the documented way to share a store.
        let us = site_facts(
            vec![plugin_cluster(
                "db",
                "pg-dr",
                "main-store",
                Some("pg-dr-us"),
            )],
            vec![store("db", "main-store", "s3://backups/pg")],
        );
        // A replica that reads pg-main's archive through externalClusters writes nothing.
        let reader = site_facts(
            vec![ClusterRow {
                namespace: "db".into(),
                name: "pg-main".into(),
                replica_source_store: Some("main-store".into()),
                ..Default::default()
            }],
            vec![store("db", "main-store", "s3://backups/pg")],
        );
        let sites = [
            Site {
                context: "prod-eu",
                facts: &eu,
            },
            Site {
                context: "prod-us",
                facts: &us,
            },
            Site {
                context: "dr-ap",
                facts: &reader,
            },
        ];
        assert!(rules(&sites).is_empty());
        assert!(rules(&sites[..1]).is_empty());
    }
}
