#!/usr/bin/env python3
"""Writes tests/fixtures/legacy-fleet-repo/: the GitOps checkout that delivers the legacy-fleet
scenario's objects, read from src/sim/scenarios/legacy-fleet.yaml so that both stay the same.
Run after legacy.py: python3 legacy_repo.py"""
import os
import shutil

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
SCENARIO = os.path.join(ROOT, "src", "sim", "scenarios", "legacy-fleet.yaml")
OUT = os.path.join(ROOT, "tests", "fixtures", "legacy-fleet-repo")

FLUX_LABELS = ("kustomize.toolkit.fluxcd.io/name", "kustomize.toolkit.fluxcd.io/namespace")
DROP_META = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "finalizers",
             "ownerReferences")


class Dumper(yaml.SafeDumper):
    pass


def _str(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


Dumper.add_representer(str, _str)


def manifest(o):
    """An object as it is written in Git: no status, no server-set metadata, no Flux labels."""
    o = yaml.safe_load(yaml.safe_dump(o))
    o.pop("status", None)
    md = o["metadata"]
    for k in DROP_META:
        md.pop(k, None)
    labels = {k: v for k, v in (md.get("labels") or {}).items() if k not in FLUX_LABELS}
    if labels:
        md["labels"] = labels
    else:
        md.pop("labels", None)
    ann = {k: v for k, v in (md.get("annotations") or {}).items()
           if k not in ("deployment.kubernetes.io/revision", "reconcile.fluxcd.io/requestedAt")}
    if ann:
        md["annotations"] = ann
    else:
        md.pop("annotations", None)
    return o


def write(path, docs, comment=None):
    full = os.path.join(OUT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        if comment:
            f.write("".join(f"# {line}\n" for line in comment.splitlines()))
        f.write(yaml.dump_all(docs, Dumper=Dumper, sort_keys=False, default_flow_style=False, explicit_start=True))


def main():
    docs = [d for d in yaml.safe_load_all(open(SCENARIO)) if d][1:]
    by = {(d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]): d for d in docs}
    g = lambda kind, ns, name: manifest(by[(kind, ns, name)])
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    # Flux: the sync and the three Kustomizations (the controllers' gotk-components.yaml is
    # left out: thousands of lines nobody reads here).
    write("clusters/prod/flux-system/gotk-sync.yaml",
          [g("GitRepository", "flux-system", "flux-system"), g("Kustomization", "flux-system", "flux-system")])
    write("clusters/prod/flux-system/kustomization.yaml",
          [{"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            "resources": ["gotk-sync.yaml"]}])
    write("clusters/prod/infrastructure.yaml",
          [g("Kustomization", "flux-system", "cnpg-operator"), g("Kustomization", "flux-system", "barman-cloud-plugin")])
    write("clusters/prod/databases.yaml", [g("Kustomization", "flux-system", "databases")],
          "Written before the plugin existed: no dependsOn, no timeout.")
    # The operator.
    ns = "cnpg-system"
    write("infrastructure/cnpg-operator/operator.yaml",
          [g("Namespace", "", ns), g("ServiceAccount", ns, "cnpg-manager"), g("ConfigMap", ns, "cnpg-default-monitoring"),
           g("Service", ns, "cnpg-webhook-service"), g("Deployment", ns, "cnpg-controller-manager")],
          "CloudNativePG 1.30.0, the objects this cluster runs (the release manifest's CRDs and RBAC left out).")
    write("infrastructure/cnpg-operator/kustomization.yaml",
          [{"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": ["operator.yaml"]}])
    # The plugin: its Secret only names the sidecar image, generated here as upstream's manifest does.
    sidecar_secret = next(d for d in docs if d["kind"] == "Secret" and d["metadata"]["name"].startswith("plugin-barman-cloud-"))
    import base64
    image = base64.b64decode(sidecar_secret["data"]["SIDECAR_IMAGE"]).decode()
    crd = manifest(by[("CustomResourceDefinition", "", "objectstores.barmancloud.cnpg.io")])
    write("infrastructure/barman-cloud-plugin/objectstore-crd.yaml", [crd])
    write("infrastructure/barman-cloud-plugin/plugin.yaml",
          [g("ServiceAccount", ns, "plugin-barman-cloud"), g("Service", ns, "barman-cloud"),
           g("Deployment", ns, "barman-cloud")],
          "plugin-barman-cloud v0.14.0 (the release manifest's RBAC left out).")
    write("infrastructure/barman-cloud-plugin/certificates.yaml",
          [g("Issuer", ns, "selfsigned-issuer"), g("Certificate", ns, "barman-cloud-client"),
           g("Certificate", ns, "barman-cloud-server")])
    write("infrastructure/barman-cloud-plugin/kustomization.yaml",
          [{"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            "resources": ["objectstore-crd.yaml", "plugin.yaml", "certificates.yaml"],
            "secretGenerator": [{"name": sidecar_secret["metadata"]["name"], "namespace": ns,
                                 "literals": [f"SIDECAR_IMAGE={image}"],
                                 "options": {"disableNameSuffixHash": True}}]}])
    # The databases: no kustomization.yaml at ./apps/databases, so Flux generates one that
    # lists every YAML file it finds and every sub-folder holding a kustomization.yaml.
    write("apps/databases/namespaces.yaml",
          [g("Namespace", "", n) for n in ("inventory", "ledger", "reports", "monitoring")])
    write("apps/databases/inventory/pg-inventory.yaml", [g("Cluster", "inventory", "pg-inventory")],
          "Credentials: the Secret pg-inventory-s3-creds is created by hand, never committed.")
    sb = g("ScheduledBackup", "inventory", "pg-inventory-daily")
    sb["metadata"].pop("annotations", None)
    # Matched by `*backup*.yaml` in .gitignore: never committed, applied by hand instead.
    write("apps/databases/inventory/scheduled-backup.yaml", [sb])
    write("apps/databases/ledger/pg-ledger.yaml", [g("Cluster", "ledger", "pg-ledger")])
    nightly = g("ScheduledBackup", "ledger", "pg-ledger-nightly")
    nightly["spec"].pop("method")   # the API server's default fills it in
    write("apps/databases/ledger/pg-ledger-nightly.yaml", [nightly])
    # pg-reports: a base without spec.backup and an overlay whose patch sets it.
    reports = g("Cluster", "reports", "pg-reports")
    backup = reports["spec"].pop("backup")
    write("apps/databases/reports/base/cluster.yaml", [reports])
    write("apps/databases/reports/base/kustomization.yaml",
          [{"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": ["cluster.yaml"]}])
    write("apps/databases/reports/archiving.yaml",
          [{"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
            "metadata": {"name": "pg-reports", "namespace": "reports"}, "spec": {"backup": backup}}])
    write("apps/databases/reports/kustomization.yaml",
          [{"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": ["base"],
            "patches": [{"path": "archiving.yaml"}]}])
    write("apps/databases/monitoring/cnpg-alerts.yaml", [g("PrometheusRule", "monitoring", "cnpg-backup-alerts")])
    # Renamed to .gitignore by the test helper: a real one would hide these files from our own Git.
    with open(os.path.join(OUT, "gitignore"), "w") as f:
        f.write("# editors and local files\n.DS_Store\n*.swp\n.envrc\n\n"
                "# never commit database dumps or backups\n*.sql.gz\n*.dump\n*backup*.yaml\n")
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("# fleet-gitops (test fixture)\n\n"
                "The Git repository Flux syncs in the `legacy-fleet` scenario "
                "(written by tools/scenario-gen/legacy_repo.py from the scenario).\n"
                "`gitignore` becomes `.gitignore` when tests/common/gitops.rs makes the checkout.\n")


if __name__ == "__main__":
    main()
