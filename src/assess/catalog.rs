//! The finding codes of FINDINGS.md: a contract. Used to validate silences and to group
//! reports by area; the rules themselves live in the area modules.

use super::Severity;

pub struct Code {
    pub code: &'static str,
    pub severity: Severity,
    pub title: &'static str,
}

const fn c(code: &'static str, severity: Severity, title: &'static str) -> Code {
    Code {
        code,
        severity,
        title,
    }
}

use Severity::{Critical as C, Info as I, Warning as W};

const CODES: &[Code] = &[
    c("PLG001", C, "CloudNativePG is not installed"),
    c(
        "PLG002",
        C,
        "the Barman Cloud plugin is not installed or not registered",
    ),
    c(
        "PLG003",
        C,
        "the plugin Service is not in the operator's namespace",
    ),
    c("PLG004", C, "the plugin pods are not ready"),
    c("PLG005", C, "a plugin container was OOMKilled"),
    c(
        "PLG006",
        W,
        "a plugin container restarted 3 or more times, the last within 24 hours",
    ),
    c("PLG007", C, "the CNPG operator has no ready replica"),
    c(
        "PLG008",
        C,
        "a Cluster's phase says the plugin is unknown or failing",
    ),
    c(
        "PLG009",
        W,
        "the plugin's Certificate is not Ready or expires soon",
    ),
    c(
        "PLG010",
        W,
        "the plugin version a Cluster reports differs from the deployed one",
    ),
    c(
        "PLG011",
        C,
        "an instance pod lacks the plugin-barman-cloud sidecar",
    ),
    c(
        "PLG012",
        C,
        "the operator does not register the plugin Service (annotation, Secret or certificate)",
    ),
    c(
        "PLG013",
        C,
        "the CNPG operator is older than the plugin's minimum (1.26)",
    ),
    c(
        "PLG014",
        W,
        "the CNPG operator is older than recommended (1.27) or lacks the switchover fix",
    ),
    c("FLX001", C, "a Kustomization is not Ready"),
    c("FLX002", C, "a Kustomization's build failed"),
    c("FLX003", W, "a Kustomization waits on a dependency"),
    c("FLX004", C, "a Kustomization's health checks failed"),
    c("FLX005", C, "a Kustomization's source is not ready"),
    c("FLX006", W, "a Kustomization or its source is suspended"),
    c(
        "FLX007",
        W,
        "a Kustomization is stalled or reconciling too long",
    ),
    c("FLX008", W, "the newest revision failed to apply"),
    c(
        "FLX009",
        C,
        "applied but absent: a needed object never reached the cluster",
    ),
    c("FLX010", C, "Flux controllers have no ready pod"),
    c("FLX011", C, "a HelmRelease is not Ready"),
    c("FLX012", W, "a HelmRelease is suspended"),
    c(
        "FLX013",
        C,
        "the OCI or Helm repository a HelmRelease's chart comes from is not Ready",
    ),
    c(
        "FLX014",
        W,
        "a Kustomization's health check only waits on CloudNativePG Clusters rolling after a plugin or operator upgrade",
    ),
    c(
        "OBJ001",
        C,
        "a Cluster names an ObjectStore that does not exist",
    ),
    c(
        "OBJ002",
        C,
        "a Secret or key the ObjectStore references is missing",
    ),
    c(
        "OBJ003",
        W,
        "an ObjectStore has no recovery window for a Cluster's server",
    ),
    c(
        "OBJ004",
        C,
        "the last failed backup is newer than the last successful one",
    ),
    c(
        "OBJ005",
        C,
        "the object store endpoint does not resolve or accept connections",
    ),
    c("OBJ006", C, "the object store rejects the credentials"),
    c("OBJ007", C, "the bucket or container does not exist"),
    c("OBJ008", W, "region mismatch"),
    c(
        "OBJ009",
        W,
        "checksum errors against an S3-compatible store",
    ),
    c("BKP001", C, "the newest Backup of a Cluster failed"),
    c("BKP002", C, "no successful backup within the allowed age"),
    c("BKP003", W, "a completed backup took too long"),
    c("BKP004", W, "a backup is stuck"),
    c("BKP005", C, "WAL archiving is failing"),
    c("BKP006", C, "the Cluster's plugin entry is incomplete"),
    c("BKP007", W, "a ScheduledBackup is suspended"),
    c(
        "BKP008",
        C,
        "a ScheduledBackup uses barmanObjectStore on a plugin Cluster",
    ),
    c(
        "BKP009",
        W,
        "a Cluster still uses the deprecated in-tree barmanObjectStore",
    ),
    c("BKP010", I, "a Cluster has no backup configured"),
    c("BKP011", W, "a backup's throughput was low"),
    c(
        "BKP012",
        C,
        "a ScheduledBackup is blocked by a Backup that is not done",
    ),
    c(
        "BKP013",
        C,
        "a Cluster archives WAL to a store that holds no base backup of it",
    ),
    // The Cluster's own switches and records.
    c(
        "CLU001",
        C,
        "WAL archiving is switched off by an annotation",
    ),
    c(
        "CLU002",
        W,
        "the Cluster is hibernated or the operator does not reconcile it",
    ),
    c(
        "CLU003",
        I,
        "the check that a WAL archive starts empty is off",
    ),
    c(
        "CLU004",
        W,
        "the operator records a failed last backup no Backup object shows",
    ),
    c(
        "CLU005",
        W,
        "a Cluster certificate expires soon or has expired",
    ),
    c(
        "CLU006",
        C,
        "base backups are written to another ObjectStore than the Cluster's",
    ),
    c(
        "CLU007",
        C,
        "two Clusters archive to the same destination and server",
    ),
    c(
        "CLU008",
        C,
        "an instance's plugin-barman-cloud sidecar was OOMKilled or restarts",
    ),
    c(
        "CLU009",
        W,
        "the ObjectStore's retention policy is not enforced",
    ),
    c(
        "CLU010",
        C,
        "in-tree barmanObjectStore on an image without barman-cloud",
    ),
    c("BKT001", W, "a barman-cloud store could not be read"),
    c("BKT002", I, "a barman-cloud store cannot be read from here"),
    c("BKT003", C, "the bucket holds no completed base backup"),
    c(
        "BKT004",
        C,
        "a WAL gap after the newest restorable backup: nothing after it is restorable",
    ),
    c("BKT005", W, "a WAL gap between base backups"),
    c(
        "BKT006",
        C,
        "the newest completed backup's end WAL is not in the bucket",
    ),
    c("BKT007", W, "the newest WAL in the bucket is too old"),
    c(
        "BKT008",
        W,
        "a completed Backup's base backup is not in the bucket",
    ),
    c(
        "BKT009",
        I,
        "base backups in the bucket without a Backup object",
    ),
    c("BKT010", C, "two PostgreSQL servers write to one prefix"),
    c(
        "BKT011",
        W,
        "the status' recovery window is not what the bucket proves",
    ),
    c("BKT012", I, "the bucket listing stopped early"),
    c("ARC001", I, "a primary's archiver could not be read"),
    c("ARC002", C, "WAL archiving is failing on a primary"),
    c("ARC003", W, "WAL files pile up waiting to be archived"),
    c("ARC004", W, "the WAL volume is over 80% full"),
    c("ARC005", C, "the WAL volume is over 90% full"),
    c(
        "ARC006",
        W,
        "the WAL volume fills within the runway at the current rate",
    ),
    c("ARC007", C, "the newest backup's end WAL is not archived"),
    c(
        "BKT013",
        C,
        "no completed base backup in the bucket has its WAL from begin to end",
    ),
    c(
        "RST001",
        C,
        "a restore stops at \"Expected empty archive\": the restored Cluster archives where WAL already is",
    ),
    c(
        "RST002",
        C,
        "a restore's target is beyond the archive: recovery never converges",
    ),
    c(
        "RST003",
        C,
        "a restore names a plugin Backup by bootstrap.recovery.backup.name",
    ),
    c(
        "RST004",
        C,
        "a restore cannot read its source: entry, ObjectStore, serverName or credentials",
    ),
    c(
        "RST005",
        C,
        "a restore's sidecar or recovery container was OOMKilled",
    ),
    c(
        "RST006",
        C,
        "a restore fails again and again, as on a bad backup",
    ),
    c(
        "RST007",
        C,
        "a Cluster is unrecoverable and needs manual intervention",
    ),
    c("RST008", I, "a restore is in progress"),
    c(
        "RST009",
        W,
        "no restore drill passed within the allowed age",
    ),
    c("RST010", I, "a Cluster was never restore-drilled"),
    // Alerting on backups: the cluster's PrometheusRules and monitors.
    c(
        "ALR001",
        W,
        "no alert watches a Cluster's backup age, failures or WAL archiving",
    ),
    c(
        "ALR002",
        W,
        "an alert on a plugin Cluster reads cnpg_collector_* backup metrics",
    ),
    c(
        "ALR003",
        W,
        "no PodMonitor or ServiceMonitor scrapes a Cluster",
    ),
    // A GitOps checkout on disk (`backstop gitops lint`).
    c(
        "GIT001",
        C,
        "a file a kustomization.yaml lists is ignored or untracked",
    ),
    c(
        "GIT002",
        C,
        "a manifest under a Flux path is ignored or untracked: never applied",
    ),
    c("GIT003", W, "an ignore pattern matches manifests"),
    c(
        "GIT004",
        C,
        "a path a kustomization or a Flux Kustomization names does not exist",
    ),
    c(
        "GIT005",
        W,
        "a Kustomization delivering Clusters or backup objects does not depend on the plugin's",
    ),
    c(
        "GIT006",
        W,
        "the plugin's Kustomization does not depend on the operator's",
    ),
    c(
        "GIT007",
        W,
        "the plugin's Kustomization neither health-checks the plugin nor waits",
    ),
    c(
        "GIT008",
        W,
        "a step of the operator, plugin and backup chain has no timeout or retryInterval",
    ),
    c("GIT009", C, "a YAML file Flux builds does not parse"),
    c(
        "GIT010",
        I,
        "a YAML file no Flux Kustomization applies does not parse",
    ),
    c(
        "FLE001",
        C,
        "Clusters in two Kubernetes clusters write to the same archive",
    ),
];

pub fn find(code: &str) -> Option<&'static Code> {
    CODES.iter().find(|c| c.code.eq_ignore_ascii_case(code))
}

/// The codes there are, area by area, as an error message lists them: "PLG001…PLG014, …".
pub fn ranges() -> String {
    AREAS
        .iter()
        .filter_map(|(prefix, _, _)| {
            let mut of_area = CODES.iter().filter(|c| c.code.starts_with(prefix));
            let first = of_area.next()?;
            Some(match of_area.next_back() {
                Some(last) => format!("{}…{}", first.code, last.code),
                None => first.code.to_string(),
            })
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The areas, in the order reports list them and the findings are ranked (causes before
/// effects): (code prefix, area key, title).
pub(crate) const AREAS: &[(&str, &str, &str)] = &[
    ("PLG", "plugin", "Plugin and operator"),
    ("FLX", "flux", "GitOps delivery"),
    ("OBJ", "objectstore", "ObjectStores and credentials"),
    (
        "CLU",
        "cluster",
        "Cluster switches, certificates and archive places",
    ),
    ("ARC", "archiver", "The WAL archiver, read live"),
    ("BKP", "backup", "Backups and WAL archiving"),
    ("BKT", "bucket", "The object store's contents"),
    ("RST", "restore", "Restores and drills"),
    ("ALR", "alerting", "Alerts on backups"),
    ("GIT", "gitops", "GitOps checkout"),
    ("FLE", "fleet", "Across Kubernetes clusters"),
];

/// The area of a code, as reports group them: (key, title).
pub(crate) fn area(code: &str) -> (&'static str, &'static str) {
    let (_, key, title) = AREAS
        .iter()
        .find(|(prefix, _, _)| code.get(..3) == Some(*prefix))
        // A code of no known area is reported with the restores, as it always was.
        .or_else(|| AREAS.iter().find(|(prefix, _, _)| *prefix == "RST"))
        .unwrap_or(&AREAS[0]);
    (key, title)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ranges_name_every_area_from_its_first_to_its_last_code() {
        let r = super::ranges();
        assert!(r.starts_with("PLG001…PLG0"), "{r}");
        for (prefix, _, _) in super::AREAS {
            assert!(r.contains(&format!("{prefix}001")), "{prefix} in {r}");
        }
        assert!(r.contains("BKP001…BKP013"), "{r}");
    }
}
