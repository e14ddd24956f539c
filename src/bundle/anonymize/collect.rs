//! What identifies a user in a bundle, read from the objects, the scenario and the manifest,
//! and the pseudonym each original gets.

use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The kinds of original, most telling first: an original seen as two kinds (a bucket named
/// like its cluster) takes the first one's pseudonym everywhere.
pub(super) const CATEGORIES: &[(&str, &str)] = &[
    ("namespace", "ns"),
    ("cluster", "cluster"),
    ("store", "store"),
    ("account", "account"),
    ("bucket", "bucket"),
    ("host", "host"),
    ("context", "context"),
    ("repository", "repo"),
    ("folder", "folder"),
    ("name", "name"),
];

/// Namespaces every installation has: they say nothing about whose cluster it is.
pub const SYSTEM_NAMESPACES: &[&str] = &[
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "cnpg-system",
    "flux-system",
    "cert-manager",
    "monitoring",
];

/// The components' own names; an object named one of these, or one of these and a
/// generated suffix (`barman-cloud-fttg7fqgd5-zrklv`), is the component, not the user.
const COMPONENTS: &[&str] = &[
    "barman-cloud",
    "plugin-barman-cloud",
    "cnpg-controller-manager",
    "cnpg-default-monitoring",
    "cnpg-ca-secret",
    "cnpg-manager",
    "cnpg-webhook-service",
    "barman-cloud-client",
    "barman-cloud-server",
    "selfsigned-issuer",
    "cnpg-webhook-cert",
    "cnpg-mutating-webhook-configuration",
    "cnpg-validating-webhook-configuration",
    "cloudnative-pg",
    "source-controller",
    "kustomize-controller",
    "helm-controller",
    "notification-controller",
    "webhook-receiver",
    "image-reflector-controller",
    "image-automation-controller",
    "cert-manager",
    "cert-manager-cainjector",
    "cert-manager-webhook",
    "kube-root-ca.crt",
    "kubernetes",
    "default",
    "postgres",
    "streaming_replica",
];

/// API groups: a name ending in one is a CRD or an API service, not the user's.
const API_GROUPS: &[&str] = &[
    ".cnpg.io",
    ".fluxcd.io",
    ".cert-manager.io",
    ".coreos.com",
    ".k8s.io",
    ".kubernetes.io",
    ".cloudnative-pg.io",
];

/// Words the bundle's readers need as written: the plugin's name, API groups, the
/// barman-cloud commands, the data directory. They are matched as themselves before any
/// shorter original inside them (a namespace called `cloud` or `data`).
pub(super) const KEPT_WORDS: &[&str] = &[
    "sim.backstop.dev",
    "backstop.dev",
    "barman-cloud.cloudnative-pg.io",
    "cloudnative-pg",
    "cloudnative-pg.io",
    "plugin-barman-cloud",
    "barman-cloud",
    "barman-cloud-backup",
    "barman-cloud-backup-delete",
    "barman-cloud-backup-list",
    "barman-cloud-check-wal-archive",
    "barman-cloud-restore",
    "barman-cloud-wal-archive",
    "barman-cloud-wal-restore",
    "postgresql.cnpg.io",
    "barmancloud.cnpg.io",
    "cnpg.io",
    "kustomize.toolkit.fluxcd.io",
    "source.toolkit.fluxcd.io",
    "helm.toolkit.fluxcd.io",
    "notification.toolkit.fluxcd.io",
    "toolkit.fluxcd.io",
    "fluxcd.io",
    "cert-manager.io",
    "monitoring.coreos.com",
    "app.kubernetes.io",
    "kubernetes.io",
    "k8s.io",
    "amazonaws.com",
    "googleapis.com",
    "blob.core.windows.net",
    "core.windows.net",
    "/var/lib/postgresql/data/pgdata",
    "/var/lib/postgresql/wal/pg_wal",
    "azure-blob-storage",
    "aws-s3",
    "google-cloud-storage",
];

/// Hosts of public services: naming them tells nothing about the user.
const PUBLIC_HOST_SUFFIXES: &[&str] = &[
    "amazonaws.com",
    "googleapis.com",
    "github.com",
    "gitlab.com",
    "bitbucket.org",
    "github.io",
    "ghcr.io",
    "docker.io",
    "quay.io",
    "registry.k8s.io",
];

/// Name parts that a generated or conventional name adds to its owner's:
/// `pg-orders-daily-20261124`, `pg-orders-1-wal`, `pg-orders-app`.
const SUFFIX_WORDS: &[&str] = &[
    "r",
    "ro",
    "rw",
    "any",
    "app",
    "superuser",
    "replication",
    "ca",
    "server",
    "client",
    "tls",
    "cert",
    "key",
    "wal",
    "tbs",
    "creds",
    "credentials",
    "secret",
    "s3",
    "gcs",
    "azure",
    "minio",
    "store",
    "objectstore",
    "backup",
    "backups",
    "daily",
    "weekly",
    "hourly",
    "nightly",
    "monthly",
    "scheduled",
    "full",
    "recovery",
    "restore",
    "drill",
    "join",
    "initdb",
    "import",
    "snapshot",
    "pooler",
    "primary",
    "replica",
    "pdb",
    "config",
    "monitoring",
    "job",
    "pgbouncer",
    "barman",
    "cloud",
    "role",
    "rolebinding",
    "webhook",
    "service",
    "issuer",
    "manager",
    "controller",
];

/// The originals found so far, by category.
#[derive(Default)]
pub(super) struct Collector {
    found: BTreeMap<String, BTreeSet<&'static str>>,
}

fn is_system_namespace(s: &str) -> bool {
    SYSTEM_NAMESPACES.contains(&s)
}

/// Whether `s` is a component or a CRD rather than something the user named.
fn is_well_known(s: &str) -> bool {
    if COMPONENTS.contains(&s) || is_system_namespace(s) {
        return true;
    }
    if API_GROUPS.iter().any(|g| s.ends_with(g)) {
        return true;
    }
    COMPONENTS.iter().chain(SYSTEM_NAMESPACES).any(|c| {
        s.strip_prefix(c)
            .and_then(|rest| rest.strip_prefix(['-', '.']))
            .is_some_and(|rest| rest.split(['-', '.']).all(innocuous_part))
    })
}

/// A part Kubernetes generates: digits, hex, or its random suffix alphabet (no vowels).
fn generated_part(p: &str) -> bool {
    if p.is_empty() {
        return false;
    }
    let digits = p.bytes().all(|b| b.is_ascii_digit());
    let hex = p.len() >= 8 && p.bytes().all(|b| b.is_ascii_hexdigit());
    let random = (p.len() == 5 || (8..=10).contains(&p.len()))
        && p.bytes()
            .all(|b| b"bcdfghjklmnpqrstvwxz2456789".contains(&b));
    let stamp = p.len() >= 8
        && p.bytes()
            .all(|b| b.is_ascii_digit() || b == b'T' || b == b'Z');
    digits || hex || random || stamp
}

fn innocuous_part(p: &str) -> bool {
    generated_part(p)
        || SUFFIX_WORDS.contains(&p)
        || (p.len() > 1 && p.starts_with('v') && p[1..].bytes().all(|b| b.is_ascii_digit()))
}

impl Collector {
    pub(super) fn add(&mut self, category: &'static str, s: &str) {
        let s = s.trim();
        if s.len() < 3 || is_well_known(s) {
            return;
        }
        self.found
            .entry(s.to_string())
            .or_default()
            .insert(category);
    }

    /// A `namespace/name` pair, as the manifest and the scenario write a pod or a cluster.
    pub(super) fn add_qualified(&mut self, category: &'static str, s: &str) {
        match s.split_once('/') {
            Some((ns, name)) => {
                self.add("namespace", ns);
                self.add(category, name);
            }
            None => self.add(category, s),
        }
    }

    /// A URL's host, unless it is a public service's.
    pub(super) fn add_url_host(&mut self, url: &str) {
        if let Some(host) = url_host(url) {
            self.add_host(host);
        }
    }

    fn add_host(&mut self, host: &str) {
        let public = PUBLIC_HOST_SUFFIXES
            .iter()
            .any(|p| host == *p || host.ends_with(&format!(".{p}")));
        if !public {
            self.add("host", host);
        }
    }

    /// A barman-cloud destination: `s3://bucket/folder/…`, `gs://…`, or
    /// `https://account.blob.core.windows.net/container/folder/…`.
    pub(super) fn add_destination(&mut self, path: &str) {
        let Some((scheme, rest)) = path.split_once("://") else {
            return;
        };
        let (segments, host) = match scheme {
            "s3" | "gs" | "gcs" => (rest, None),
            _ => match rest.split_once('/') {
                Some((host, segs)) => (segs, Some(host)),
                None => ("", Some(rest)),
            },
        };
        if let Some(authority) = host {
            let h = strip_port(authority);
            match h.strip_suffix(".core.windows.net") {
                Some(service) => {
                    if let Some((account, _)) = service.split_once('.') {
                        self.add("account", account);
                    }
                }
                None => self.add_host(h),
            }
        }
        let mut parts = segments.split('/').filter(|s| !s.is_empty());
        if let Some(bucket) = parts.next() {
            self.add("bucket", bucket);
        }
        if let Some(folder) = parts.next() {
            self.add("folder", folder);
        }
    }

    /// A Git or Helm source URL: its host (unless public) and, on a public forge, the
    /// owner and repository, which name the company.
    pub(super) fn add_source_url(&mut self, url: &str) {
        let Some(host) = url_host(url) else {
            return;
        };
        self.add_host(host);
        let path = url
            .split_once("://")
            .map(|(_, r)| r)
            .and_then(|r| r.split_once('/'))
            .map(|(_, p)| p)
            .unwrap_or("");
        for part in path.split('/').filter(|s| !s.is_empty()).take(2) {
            let part = part.trim_end_matches(".git");
            if !KEPT_WORDS.contains(&part)
                && !is_well_known(part)
                && !UPSTREAM_OWNERS.contains(&part)
            {
                self.add("repository", part);
            }
        }
    }

    /// Each original with its pseudonym, numbered per category in sorted order, and how many
    /// originals each category replaced.
    pub(super) fn pseudonyms(&self) -> (BTreeMap<String, String>, BTreeMap<&'static str, usize>) {
        let mut by_category: BTreeMap<&'static str, Vec<&str>> = BTreeMap::new();
        for (original, cats) in &self.found {
            let Some(&(cat, _)) = CATEGORIES.iter().find(|(c, _)| cats.contains(c)) else {
                continue;
            };
            // A name made of another original and generated or conventional parts follows
            // that original (`pg-orders-1` becomes `cluster-1-1`) rather than hiding the
            // relation behind a number of its own.
            if cat == "name" && self.derived(original) {
                continue;
            }
            by_category.entry(cat).or_default().push(original);
        }
        let mut map = BTreeMap::new();
        let mut counts = BTreeMap::new();
        for &(cat, prefix) in CATEGORIES {
            let Some(originals) = by_category.get(cat) else {
                continue;
            };
            for (i, original) in originals.iter().enumerate() {
                let pseudonym = if cat == "host" {
                    format!("{prefix}-{}.example.invalid", i + 1)
                } else {
                    format!("{prefix}-{}", i + 1)
                };
                map.insert(original.to_string(), pseudonym);
            }
            counts.insert(cat, originals.len());
        }
        (map, counts)
    }

    /// Whether `s` is another original plus innocuous parts. Only `s`'s own prefixes are
    /// looked up, so a bundle of 50,000 names costs a few lookups per name, not a scan.
    fn derived(&self, s: &str) -> bool {
        s.match_indices(['-', '.']).any(|(at, _)| {
            self.found.contains_key(&s[..at]) && s[at + 1..].split(['-', '.']).all(innocuous_part)
        })
    }
}

/// Owners on public forges that publish the components themselves.
const UPSTREAM_OWNERS: &[&str] = &[
    "cloudnative-pg",
    "fluxcd",
    "cert-manager",
    "jetstack",
    "prometheus-community",
    "charts",
];

fn strip_port(authority: &str) -> &str {
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// The host of `scheme://[user@]host[:port]/…`.
pub(super) fn url_host(url: &str) -> Option<&str> {
    let (_, rest) = url.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = strip_port(authority);
    (!host.is_empty()).then_some(host)
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn get_str<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    get(v, path).and_then(Value::as_str)
}

fn category_of_kind(kind: &str) -> Option<&'static str> {
    match kind {
        "Namespace" => Some("namespace"),
        "Cluster" => Some("cluster"),
        "ObjectStore" => Some("store"),
        "CustomResourceDefinition" | "APIService" => None,
        _ => Some("name"),
    }
}

/// The identifying strings of one Kubernetes object.
pub(super) fn object(c: &mut Collector, item: &Value) {
    let kind = get_str(item, &["kind"]).unwrap_or("");
    if let Some(ns) = get_str(item, &["metadata", "namespace"]) {
        c.add("namespace", ns);
    }
    if let (Some(cat), Some(name)) = (category_of_kind(kind), get_str(item, &["metadata", "name"]))
    {
        c.add(cat, name);
    }
    if let Some(owners) = get(item, &["metadata", "ownerReferences"]).and_then(Value::as_sequence) {
        for o in owners {
            let okind = get_str(o, &["kind"]).unwrap_or("");
            if let (Some(cat), Some(name)) = (category_of_kind(okind), get_str(o, &["name"])) {
                c.add(cat, name);
            }
        }
    }
    // Wherever they sit (a Cluster's backup, its externalClusters, an ObjectStore), these
    // fields name a bucket, an endpoint or a store.
    fields(c, item);
    match kind {
        "Backup" | "ScheduledBackup" => {
            if let Some(s) = get_str(item, &["spec", "cluster", "name"]) {
                c.add("cluster", s);
            }
        }
        "Pod" => {
            if let Some(n) = get_str(item, &["spec", "nodeName"]) {
                c.add_host(n);
            }
        }
        "Node" => {
            if let Some(n) = get_str(item, &["metadata", "name"]) {
                c.add_host(n);
            }
        }
        "Event" => {
            let inv = get(item, &["involvedObject"]);
            if let Some(inv) = inv {
                if let Some(ns) = get_str(inv, &["namespace"]) {
                    c.add("namespace", ns);
                }
                let ikind = get_str(inv, &["kind"]).unwrap_or("");
                if let (Some(cat), Some(name)) = (category_of_kind(ikind), get_str(inv, &["name"]))
                {
                    c.add(cat, name);
                }
            }
            // A node for the kubelet's events, the pod for the instance manager's: a name
            // either way, which follows its pod when it is one.
            if let Some(h) = get_str(item, &["source", "host"]) {
                c.add("name", h);
            }
        }
        "GitRepository" | "HelmRepository" | "OCIRepository" | "Bucket" => {
            if let Some(u) = get_str(item, &["spec", "url"]) {
                c.add_source_url(u);
            }
            if let Some(e) = get_str(item, &["spec", "endpoint"]) {
                c.add_host(strip_port(e));
            }
            if let Some(b) = get_str(item, &["spec", "bucketName"]) {
                c.add("bucket", b);
            }
        }
        _ => {}
    }
}

fn fields(c: &mut Collector, v: &Value) {
    match v {
        Value::Mapping(map) => {
            for (k, v) in map {
                match (k.as_str(), v.as_str()) {
                    (Some("destinationPath"), Some(s)) => c.add_destination(s),
                    (Some("endpointURL"), Some(s)) => c.add_url_host(s),
                    (Some("barmanObjectName"), Some(s)) => c.add("store", s),
                    (Some("serverName"), Some(s)) => c.add("name", s),
                    _ => fields(c, v),
                }
            }
        }
        Value::Sequence(items) => items.iter().for_each(|x| fields(c, x)),
        Value::Tagged(t) => fields(c, &t.value),
        _ => {}
    }
}

/// The identifying strings of `scenario.yaml`.
///
/// Its own name is left to the mapping: `backstop report` derives it from the context, and a
/// word like `healthy` would otherwise be rewritten in every sentence of the description.
pub(super) fn scenario(c: &mut Collector, doc: &Value) {
    if let Some(archivers) = get(doc, &["spec", "archivers"]).and_then(Value::as_sequence) {
        for a in archivers {
            if let Some(cluster) = get_str(a, &["cluster"]) {
                c.add_qualified("cluster", cluster);
            }
        }
    }
    if let Some(logs) = get(doc, &["spec", "logs"]).and_then(Value::as_sequence) {
        for l in logs {
            if let Some(pod) = get_str(l, &["pod"]) {
                c.add_qualified("name", pod);
            }
        }
    }
}

/// The identifying strings of `manifest.json`.
pub(super) fn manifest(c: &mut Collector, doc: &serde_json::Value) {
    if let Some(ctx) = doc.get("context").and_then(|v| v.as_str()) {
        c.add("context", ctx);
    }
    if let Some(server) = doc.get("server").and_then(|v| v.as_str()) {
        c.add_url_host(server);
    }
    if let Some(ns) = doc.get("namespace").and_then(|v| v.as_str()) {
        c.add("namespace", ns);
    }
    if let Some(logs) = doc.get("logs").and_then(|v| v.as_array()) {
        for l in logs {
            if let Some(pod) = l.get("pod").and_then(|v| v.as_str()) {
                c.add_qualified("name", pod);
            }
        }
    }
}
