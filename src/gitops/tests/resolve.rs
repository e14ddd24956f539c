use std::path::{Path, PathBuf};

use super::{flux, index, obj};
use crate::gitops::{Declaration, Role};

const CNPG: &str = "postgresql.cnpg.io/v1";

fn at(file: &str, line: usize, doc_index: usize, role: Role) -> Declaration {
    Declaration {
        file: PathBuf::from(file),
        line,
        doc_index,
        role,
    }
}

#[test]
fn an_overlay_namespace_wins_over_the_base_and_flux_target_namespace_over_both() {
    let base = obj(CNPG, "Cluster", "pg-reports", Some("wrong"));
    let ks = flux("apps", "./overlays/prod", "");
    let ks2 = flux(
        "staging",
        "./overlays/staging",
        "  targetNamespace: staging-db\n",
    );
    let ix = index(
        &[
            ("clusters/prod/apps.yaml", &format!("{ks}---\n{ks2}")),
            (
                "base/kustomization.yaml",
                "namespace: base-ns\nresources:\n  - cluster.yaml\n",
            ),
            ("base/cluster.yaml", &base),
            (
                "overlays/prod/kustomization.yaml",
                "namespace: reports\nresources:\n  - ../../base\n",
            ),
            (
                "overlays/staging/kustomization.yaml",
                "namespace: reports\nresources:\n  - ../../base\n",
            ),
        ],
        &[],
        &[],
    );
    let d = ix.declarations("Cluster", "reports", "pg-reports");
    assert_eq!(d, vec![at("base/cluster.yaml", 1, 0, Role::Resource)]);
    assert_eq!(
        ix.declarations("Cluster", "staging-db", "pg-reports").len(),
        1
    );
    // Neither the base's own namespace nor the document's is where it lands.
    assert!(
        ix.declarations("Cluster", "base-ns", "pg-reports")
            .is_empty()
    );
    assert!(ix.declarations("Cluster", "wrong", "pg-reports").is_empty());
    assert_eq!(
        ix.flux_owner(Path::new("base/cluster.yaml")),
        Some(("flux-system".into(), "apps".into()))
    );
}

#[test]
fn patches_by_path_by_strategic_merge_and_inline_point_at_their_base() {
    let cluster = obj(CNPG, "Cluster", "pg-reports", Some("reports"));
    let overlay = "resources:\n  - ../base\npatches:\n  - path: backup-patch.yaml\n    target:\n      kind: Cluster\n      name: pg-reports\n  - patch: |-\n      apiVersion: postgresql.cnpg.io/v1\n      kind: Cluster\n      metadata:\n        name: pg-reports\n      spec:\n        instances: 3\npatchesStrategicMerge:\n  - smp.yaml\n";
    let ix = index(
        &[
            ("ks.yaml", &flux("db", "./overlay", "")),
            ("base/kustomization.yaml", "resources:\n  - cluster.yaml\n"),
            ("base/cluster.yaml", &cluster),
            ("overlay/kustomization.yaml", overlay),
            (
                "overlay/backup-patch.yaml",
                "- op: add\n  path: /spec/backup\n  value: {}\n",
            ),
            (
                "overlay/smp.yaml",
                &format!("{cluster}spec:\n  backup: {{}}\n"),
            ),
        ],
        &[],
        &[],
    );
    let base = PathBuf::from("base/cluster.yaml");
    let got = ix.declarations("Cluster", "reports", "pg-reports");
    assert!(
        got.contains(&at("base/cluster.yaml", 1, 0, Role::Resource)),
        "{got:?}"
    );
    assert!(
        got.contains(&at(
            "overlay/backup-patch.yaml",
            1,
            0,
            Role::Patch { base: base.clone() }
        )),
        "{got:?}"
    );
    assert!(
        got.contains(&at(
            "overlay/smp.yaml",
            1,
            0,
            Role::Patch { base: base.clone() }
        )),
        "{got:?}"
    );
    // The inline patch is declared at its entry in the kustomization file.
    assert!(
        got.contains(&at(
            "overlay/kustomization.yaml",
            8,
            0,
            Role::Patch { base }
        )),
        "{got:?}"
    );
    assert_eq!(got.len(), 4, "{got:?}");
}

#[test]
fn flux_generates_every_yaml_below_its_path_but_stops_at_a_kustomization() {
    let ix = index(
        &[
            ("ks.yaml", &flux("db", "./apps/databases", "")),
            (
                "apps/databases/inventory/cluster.yaml",
                &obj(CNPG, "Cluster", "pg-inventory", Some("inventory")),
            ),
            (
                "apps/databases/inventory/deep/more/sb.yml",
                &obj(CNPG, "ScheduledBackup", "daily", Some("inventory")),
            ),
            (
                "apps/databases/ledger/kustomization.yaml",
                "resources:\n  - cluster.yaml\n",
            ),
            (
                "apps/databases/ledger/cluster.yaml",
                &obj(CNPG, "Cluster", "pg-ledger", Some("ledger")),
            ),
            (
                "apps/databases/ledger/unlisted.yaml",
                &obj(CNPG, "Cluster", "pg-unlisted", Some("ledger")),
            ),
            ("apps/databases/README.md", "not yaml"),
            ("apps/databases/.github/workflow.yaml", "on: push\n"),
        ],
        &[],
        &[],
    );
    let owner = |f: &str| ix.flux_owner(Path::new(f)).map(|(_, n)| n);
    assert_eq!(
        owner("apps/databases/inventory/cluster.yaml"),
        Some("db".into())
    );
    assert_eq!(
        owner("apps/databases/inventory/deep/more/sb.yml"),
        Some("db".into())
    );
    assert_eq!(
        owner("apps/databases/ledger/cluster.yaml"),
        Some("db".into())
    );
    assert_eq!(
        owner("apps/databases/ledger/unlisted.yaml"),
        None,
        "a kustomization.yaml decides what its directory applies"
    );
    assert_eq!(owner("apps/databases/.github/workflow.yaml"), None);
    assert_eq!(owner("apps/databases/README.md"), None);
    // Where a new file must be listed: nowhere under a generated path, in the nearest
    // kustomization file otherwise.
    assert_eq!(
        ix.kustomization_for(Path::new("apps/databases/inventory")),
        None
    );
    assert_eq!(
        ix.kustomization_for(Path::new("apps/databases/ledger")),
        Some(PathBuf::from("apps/databases/ledger/kustomization.yaml"))
    );
    assert_eq!(
        ix.kustomization_for(Path::new("apps/databases/ledger/new-dir")),
        Some(PathBuf::from("apps/databases/ledger/kustomization.yaml"))
    );
    assert_eq!(
        ix.declarations("Cluster", "inventory", "pg-inventory")
            .len(),
        1
    );
}

#[test]
fn a_cluster_chart_release_declares_its_cluster_in_its_values() {
    let hr = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: pg-billing\n  namespace: billing\nspec:\n  chart:\n    spec:\n      chart: cluster\n  values:\n    backups:\n      enabled: true\n";
    let ix = index(
        &[("ks.yaml", &flux("db", "./apps", "")), ("apps/hr.yaml", hr)],
        &[],
        &[],
    );
    // Release pg-billing does not contain "cluster": Helm's fullname is pg-billing-cluster.
    assert_eq!(
        ix.declarations("Cluster", "billing", "pg-billing-cluster"),
        vec![at(
            "apps/hr.yaml",
            10,
            0,
            Role::HelmValues {
                release: "billing/pg-billing".into()
            }
        )]
    );
}

#[test]
fn a_document_that_does_not_parse_is_kept_with_its_line() {
    let ix = index(
        &[(
            "a.yaml",
            "kind: ConfigMap\n---\nkind: Secret\n\tname: tabbed\n",
        )],
        &[],
        &[],
    );
    assert_eq!(ix.docs.len(), 1);
    assert_eq!(ix.parse_errors.len(), 1);
    assert_eq!(ix.parse_errors[0].line, 4, "{:?}", ix.parse_errors);
}

#[test]
fn a_flux_kustomization_no_other_applies_is_found_where_it_is_written() {
    // clusters/production holds the Kustomizations; the one applying it (flux-system, from
    // `flux bootstrap`) is not in the checkout.
    let ks = flux("databases", "./apps/databases", "").replace("  namespace: flux-system\n", "");
    let ix = index(&[("clusters/production/databases.yaml", &ks)], &[], &[]);
    assert_eq!(
        ix.declarations("Kustomization", "flux-system", "databases"),
        vec![at(
            "clusters/production/databases.yaml",
            1,
            0,
            Role::Resource
        )]
    );
    assert_eq!(ix.fluxes[0].id(), "flux-system/databases");
}

#[test]
fn a_flux_kustomization_patch_is_a_declaration_of_what_it_patches() {
    let ks = flux(
        "databases",
        "./apps",
        "  patches:\n    - target:\n        kind: Cluster\n        name: pg-ledger\n      patch: |\n        - op: remove\n          path: /spec/backup\n",
    );
    let ix = index(
        &[
            ("ks.yaml", &ks),
            (
                "apps/cluster.yaml",
                &obj(CNPG, "Cluster", "pg-ledger", Some("ledger")),
            ),
        ],
        &[],
        &[],
    );
    let got = ix.declarations("Cluster", "ledger", "pg-ledger");
    assert_eq!(
        got,
        vec![
            at("apps/cluster.yaml", 1, 0, Role::Resource),
            at(
                "ks.yaml",
                17,
                0,
                Role::Patch {
                    base: PathBuf::from("apps/cluster.yaml")
                }
            )
        ]
    );
}

#[test]
fn flux_components_are_built_from_the_path() {
    let ks = flux(
        "db",
        "./apps",
        "  components:\n    - ../components/backup\n    - ../components/gone\n",
    );
    let ix = index(
        &[
            ("ks.yaml", &ks),
            ("apps/cluster.yaml", &obj(CNPG, "Cluster", "pg", Some("db"))),
            (
                "components/backup/kustomization.yaml",
                "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - store.yaml\n",
            ),
            (
                "components/backup/store.yaml",
                &obj("barmancloud.cnpg.io/v1", "ObjectStore", "store", Some("db")),
            ),
        ],
        &[],
        &[],
    );
    assert_eq!(
        ix.flux_owner(Path::new("components/backup/store.yaml")),
        Some(("flux-system".into(), "db".into()))
    );
    assert_eq!(ix.broken.len(), 1, "{:?}", ix.broken);
}
