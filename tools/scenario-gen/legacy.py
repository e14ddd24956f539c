#!/usr/bin/env python3
"""The legacy-fleet scenario: three Clusters still archiving in-tree (spec.backup.barmanObjectStore)
beside an installed, Ready Barman Cloud plugin, delivered by Flux from the repository that
tests/fixtures/legacy-fleet-repo/ holds. Standalone (no base): the healthy scenario's
plugin-based Clusters are not part of this fleet. Run: python3 legacy.py [OUTDIR]"""
import os
import sys
import datetime as dt

import parts as P
import healthy as H
from common import (at, ts, tsn, hexs, uid, b64, obj, owner_ref, cond, flux_labels, jline, deep, ident, ksort,
                    dump_docs)

SEC = dt.timedelta(seconds=1)
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                                         "src", "sim", "scenarios")

# The healthy model's Kustomization names, as this repository names them.
RENAME = {"infrastructure-cnpg-operator": "cnpg-operator", "infrastructure-cnpg-barman-plugin": "barman-cloud-plugin",
          "apps-postgresql": "databases", "flux-system": "flux-system"}
BUCKET = "acme-prod-pg-legacy"
ENDPOINT = "https://s3.eu-central-1.amazonaws.com"

LEGACY = [
    dict(name="pg-inventory", ns="inventory", instances=2, pg="17.6", major=17, tli=2,
         primary="pg-inventory-1", backup_pod="pg-inventory-1", nodes=[0, 1],
         created=dt.datetime(2025, 11, 3, 10, 14, 2, tzinfo=dt.timezone.utc), generation=5,
         storage="100Gi", wal="20Gi", sc="ceph-block",
         resources={"limits": {"memory": "4Gi"}, "requests": {"cpu": "1", "memory": "4Gi"}},
         params={"max_connections": "200", "shared_buffers": "1GB", "archive_timeout": "5min"},
         database="inventory", owner="inventory_app", server="pg-inventory", server_param=None,
         secret="pg-inventory-s3-creds", sb="pg-inventory-daily", schedule="0 0 1 * * *", sched_h=1, sched_m=0,
         owner_ref="self", target="prefer-standby", retention=None, dur=(140, 260),
         lsn0=0x9_2A000000, lsn_day=int(3.1 * 1024 ** 3), system_id="7437120964410281993",
         sb_created=dt.datetime(2025, 11, 20, 16, 41, 9, tzinfo=dt.timezone.utc),
         pod_start=dt.datetime(2026, 10, 12, 8, 49, 0, tzinfo=dt.timezone.utc),
         wal_conf={"compression": "gzip", "maxParallel": 2}, data_conf={"compression": "gzip", "jobs": 2},
         ip_base="10.96.41.", ip_n=70, primary_ts=dt.datetime(2026, 7, 2, 22, 41, 7, tzinfo=dt.timezone.utc)),
    dict(name="pg-ledger", ns="ledger", instances=3, pg="16.10", major=16, tli=4,
         primary="pg-ledger-2", backup_pod="pg-ledger-3", nodes=[1, 2, 0],
         created=dt.datetime(2025, 6, 23, 8, 2, 44, tzinfo=dt.timezone.utc), generation=11,
         storage="300Gi", wal="50Gi", sc="ceph-block",
         resources={"limits": {"memory": "16Gi"}, "requests": {"cpu": "4", "memory": "16Gi"}},
         params={"max_connections": "400", "shared_buffers": "4GB", "max_wal_size": "8GB",
                 "archive_timeout": "5min", "synchronous_commit": "on"},
         database="ledger", owner="ledger_app", server="pg-ledger-v2", server_param="pg-ledger-v2",
         secret="pg-ledger-s3-creds", sb="pg-ledger-nightly", schedule="0 15 0 * * *", sched_h=0, sched_m=15,
         owner_ref="none", target=None, retention="30d", dur=(600, 900),
         lsn0=0x5C_10000000, lsn_day=int(28 * 1024 ** 3), system_id="7383391845026142217",
         sb_created=dt.datetime(2025, 6, 23, 8, 2, 44, tzinfo=dt.timezone.utc),
         pod_start=dt.datetime(2026, 10, 12, 8, 56, 0, tzinfo=dt.timezone.utc),
         wal_conf={"compression": "gzip", "maxParallel": 4}, data_conf={"compression": "gzip", "jobs": 4},
         ip_base="10.96.42.", ip_n=80, primary_ts=dt.datetime(2026, 9, 30, 3, 17, 52, tzinfo=dt.timezone.utc)),
    dict(name="pg-reports", ns="reports", instances=1, pg="17.6", major=17, tli=2,
         primary="pg-reports-1", backup_pod="pg-reports-1", nodes=[2],
         created=dt.datetime(2026, 4, 14, 9, 30, 11, tzinfo=dt.timezone.utc), generation=3,
         storage="150Gi", wal=None, sc="ceph-block",
         resources={"limits": {"memory": "8Gi"}, "requests": {"cpu": "2", "memory": "8Gi"}},
         params={"max_connections": "100", "shared_buffers": "2GB", "work_mem": "64MB", "archive_timeout": "5min"},
         database="reports", owner="reports", server="pg-reports", server_param=None,
         secret="pg-reports-s3-creds", sb=None, schedule=None, sched_h=4, sched_m=0,
         owner_ref="none", target=None, retention="14d", dur=(200, 320),
         lsn0=0x2_41000000, lsn_day=int(0.9 * 1024 ** 3), system_id="7492817336017442055",
         sb_created=None,
         pod_start=dt.datetime(2026, 10, 12, 9, 1, 0, tzinfo=dt.timezone.utc),
         wal_conf={"compression": "gzip"}, data_conf={"compression": "gzip"},
         ip_base="10.96.43.", ip_n=90, primary_ts=dt.datetime(2026, 4, 14, 9, 41, 2, tzinfo=dt.timezone.utc)),
]


def barman_object_store(c, server_name=None):
    s = {"destinationPath": f"s3://{BUCKET}/{c['ns']}/", "endpointURL": ENDPOINT,
         "s3Credentials": {"accessKeyId": {"key": "ACCESS_KEY_ID", "name": c["secret"]},
                           "secretAccessKey": {"key": "ACCESS_SECRET_KEY", "name": c["secret"]},
                           "region": {"key": "REGION", "name": c["secret"]}},
         "wal": deep(c["wal_conf"]), "data": deep(c["data_conf"])}
    if server_name:
        s["serverName"] = server_name
    return s


def legacy_cluster(c, plan):
    pods = P.pod_names(c)
    spec = {
        "affinity": {"podAntiAffinityType": "preferred"},
        "enablePDB": True, "enableSuperuserAccess": False, "failoverDelay": 0,
        "imageName": f"ghcr.io/cloudnative-pg/postgresql:{c['pg']}",
        "instances": c["instances"], "logLevel": "info", "maxSyncReplicas": 0, "minSyncReplicas": 0,
        "monitoring": {"customQueriesConfigMap": [{"key": "queries", "name": "cnpg-default-monitoring"}],
                       "disableDefaultQueries": False, "enablePodMonitor": True},
        "postgresGID": 26, "postgresUID": 26,
        "postgresql": {"parameters": dict(c["params"]), "syncReplicaElectionConstraint": {"enabled": False}},
        "primaryUpdateMethod": "restart", "primaryUpdateStrategy": "unsupervised",
        "replicationSlots": {"highAvailability": {"enabled": True, "slotPrefix": "_cnpg_"}, "updateInterval": 30},
        "resources": deep(c["resources"]),
        "smartShutdownTimeout": 180, "startDelay": 3600, "stopDelay": 1800, "switchoverDelay": 3600,
        "storage": {"resizeInUseVolumes": True, "size": c["storage"], "storageClass": c["sc"]},
        "backup": {"barmanObjectStore": barman_object_store(c, c["server_param"]),
                   "target": c["target"] or "prefer-standby"},
    }
    if c["retention"]:
        spec["backup"]["retentionPolicy"] = c["retention"]
    if c["name"] == "pg-reports":
        # Restored in April from the old reports server's bucket; the recovery source stays declared.
        spec["bootstrap"] = {"recovery": {"source": "origin", "database": c["database"], "owner": c["owner"]}}
        origin = barman_object_store(c, "pg-reports-origin")
        origin["destinationPath"] = f"s3://{BUCKET}/reports-origin/"
        origin.pop("data")
        spec["externalClusters"] = [{"name": "origin", "barmanObjectStore": origin}]
    else:
        spec["bootstrap"] = {"initdb": {"database": c["database"], "encoding": "UTF8", "localeCType": "C",
                                        "localeCollate": "C", "owner": c["owner"]}}
    if c["wal"]:
        spec["walStorage"] = {"resizeInUseVolumes": True, "size": c["wal"], "storageClass": c["sc"]}
    first = first_point(c, plan)
    last_ok = plan[-1]["stop"]
    status = {
        "cloudNativePGCommitHash": hexs("cnpg-commit-" + P.CNPG_VERSION, 8),
        "cloudNativePGOperatorHash": hexs("cnpg-operator-hash-" + P.CNPG_VERSION, 64),
        "conditions": [
            cond("Ready", "True", "ClusterIsReady", "Cluster is Ready", c["pod_start"] + dt.timedelta(minutes=4)),
            cond("ContinuousArchiving", "True", "ContinuousArchivingSuccess", "Continuous archiving is working",
                 c["pod_start"] + dt.timedelta(minutes=1)),
            cond("LastBackupSucceeded", "True", "LastBackupSucceeded", "Backup was successful", last_ok + 2 * SEC),
        ],
        "currentPrimary": c["primary"], "currentPrimaryTimestamp": tsn(c["primary_ts"], c["name"]),
        "firstRecoverabilityPoint": ts(first),
        "firstRecoverabilityPointByMethod": {"barmanObjectStore": ts(first)},
        "healthyPVC": sorted(pods + ([p + "-wal" for p in pods] if c["wal"] else [])),
        "image": f"ghcr.io/cloudnative-pg/postgresql:{c['pg']}",
        "instanceNames": pods, "instances": c["instances"],
        "instancesReportedState": {p: {"ip": P.pod_ip(c["nodes"][i], 60 + i + 10 * LEGACY.index(c)),
                                       "isPrimary": p == c["primary"], "timeLineID": c["tli"]}
                                   for i, p in enumerate(pods)},
        "instancesStatus": {"healthy": pods},
        "lastSuccessfulBackup": ts(last_ok),
        "lastSuccessfulBackupByMethod": {"barmanObjectStore": ts(last_ok)},
        "latestGeneratedNode": c["instances"], "managedRolesStatus": {},
        "phase": "Cluster in healthy state",
        "poolerIntegrations": {"pgBouncerIntegration": {}},
        "pvcCount": len(pods) * (2 if c["wal"] else 1),
        "readService": f"{c['name']}-r", "readyInstances": c["instances"],
        "switchReplicaClusterStatus": {}, "systemID": c["system_id"],
        "targetPrimary": c["primary"], "targetPrimaryTimestamp": tsn(c["primary_ts"] - 2 * SEC, c["name"]),
        "timelineID": c["tli"],
        "topology": {"instances": {p: {} for p in pods}, "nodesUsed": len(set(c["nodes"])),
                     "successfullyExtracted": True},
        "writeService": f"{c['name']}-rw",
    }
    return obj("postgresql.cnpg.io/v1", "Cluster", c["name"], c["ns"], created=c["created"],
               labels=flux_labels("databases"), generation=c["generation"], spec=spec, status=status)


def first_point(c, plan):
    # Without a retention policy the bucket keeps every base backup since the Cluster began.
    if not c["retention"]:
        return c["created"] + dt.timedelta(minutes=7, seconds=13)
    return plan[0]["stop"] - dt.timedelta(days=int(c["retention"][:-1]) - 7)


def backup_plan(c):
    if c["sb"]:
        return P.week_plan(c)
    # pg-reports has no schedule: a Backup by hand now and then.
    out = []
    for d in (-20, -9, -1):
        t = dt.datetime(2026, 11, 24, 9, 12, 0, tzinfo=dt.timezone.utc) + dt.timedelta(days=d)
        out.append({"t": t, "start": t + 4 * SEC, "stop": t + dt.timedelta(seconds=246 + d), "day": d})
    return out


def legacy_backup(c, b):
    scheduled = bool(c["sb"])
    name = P.backup_name(c, b["t"]) if scheduled else f"{c['name']}-manual-{b['t'].strftime('%Y%m%d')}"
    labels = {"cnpg.io/cluster": c["name"]}
    owner = None
    if scheduled:
        labels.update({"cnpg.io/immediateBackup": "false", "cnpg.io/scheduled-backup": c["sb"]})
        if c["owner_ref"] == "self":
            owner = owner_ref(P.sb_obj_ref(c))
    spec = {"cluster": {"name": c["name"]}, "method": "barmanObjectStore"}
    if scheduled and c["target"]:
        spec["target"] = c["target"]
    begin = (P.lsn_at(c, b["start"]) // P.SEG) * P.SEG + 0x28
    end = P.lsn_at(c, b["stop"])
    pod = c["backup_pod"]
    status = {"method": "barmanObjectStore", "phase": "completed", "online": True,
              "reconciliationStartedAt": ts(b["t"] + 1 * SEC),
              "instanceID": {"ContainerID": P.instance_pod_container_id(c, pod), "podName": pod,
                             "sessionID": uid(f"session:{pod}:{c['pod_start']}")},
              "startedAt": ts(b["start"]), "stoppedAt": ts(b["stop"]),
              "reconciliationTerminatedAt": ts(b["stop"] + 2 * SEC),
              "backupId": b["start"].strftime("%Y%m%dT%H%M%S"),
              "backupName": "backup-" + (b["start"] - 1 * SEC).strftime("%Y%m%d%H%M%S"),
              "beginLSN": P.lsn_str(begin), "beginWal": P.wal_name(c["tli"], begin),
              "endLSN": P.lsn_str(end), "endWal": P.wal_name(c["tli"], end), "majorVersion": c["major"],
              "destinationPath": f"s3://{BUCKET}/{c['ns']}/", "endpointURL": ENDPOINT,
              "serverName": c["server"],
              "s3Credentials": barman_object_store(c)["s3Credentials"]}
    return obj("postgresql.cnpg.io/v1", "Backup", name, c["ns"], created=b["t"], labels=labels, owner=owner,
               generation=1, spec=spec, status=status)


def scheduled_backup(c, plan):
    spec = {"backupOwnerReference": c["owner_ref"], "cluster": {"name": c["name"]}, "immediate": True,
            # pg-ledger-nightly's file names no method: the CRD's default is what the API stores.
            "method": "barmanObjectStore", "schedule": c["schedule"], "suspend": False}
    if c["target"]:
        spec["target"] = c["target"]
    # pg-inventory-daily was applied by hand (its file never reached Git): no Flux labels.
    labels = None if c["name"] == "pg-inventory" else flux_labels("databases")
    annotations = None
    if c["name"] == "pg-inventory":
        annotations = {"kubectl.kubernetes.io/last-applied-configuration":
                       '{"apiVersion":"postgresql.cnpg.io/v1","kind":"ScheduledBackup","metadata":{"annotations":{},'
                       '"name":"pg-inventory-daily","namespace":"inventory"},"spec":{"backupOwnerReference":"self",'
                       '"cluster":{"name":"pg-inventory"},"immediate":true,"method":"barmanObjectStore",'
                       '"schedule":"0 0 1 * * *","target":"prefer-standby"}}\n'}
    last = plan[-1]["t"]
    return obj("postgresql.cnpg.io/v1", "ScheduledBackup", c["sb"], c["ns"], created=c["sb_created"],
               labels=labels, annotations=annotations, generation=1, spec=spec,
               status={"lastCheckTime": ts(last), "lastScheduleTime": ts(last),
                       "nextScheduleTime": ts(last + dt.timedelta(days=1))})


def secret(c):
    return obj("v1", "Secret", c["secret"], c["ns"], created=c["created"] - 300 * SEC,
               data={"ACCESS_KEY_ID": b64("AKIAFAKE" + c["ns"].upper()[:8].ljust(8, "0") + "0001"),
                     "ACCESS_SECRET_KEY": b64(f"fake/{c['ns']}/SECRET/key/for/simulation/0001"),
                     "REGION": b64("eu-central-1")}, type="Opaque")


def cluster_support(c):
    """PVCs, Services, ServiceAccount (the in-tree archiver needs no plugin Role)."""
    out = []
    own = owner_ref(P.cluster_ref(c))
    for i, p in enumerate(P.pod_names(c)):
        for suffix, role, size in (("", "PG_DATA", c["storage"]), ("-wal", "PG_WAL", c["wal"])):
            if not size:
                continue
            name = p + suffix
            primary = p == c["primary"]
            out.append(obj("v1", "PersistentVolumeClaim", name, c["ns"], created=c["created"] + dt.timedelta(minutes=2 * i),
                           labels={"cnpg.io/cluster": c["name"], "cnpg.io/instanceName": p,
                                   "cnpg.io/instanceRole": "primary" if primary else "replica",
                                   "cnpg.io/pvcRole": role, "role": "primary" if primary else "replica"},
                           annotations={"cnpg.io/nodeSerial": str(i + 1), "cnpg.io/operatorVersion": P.CNPG_VERSION,
                                        "cnpg.io/pvcStatus": "ready", "pv.kubernetes.io/bind-completed": "yes",
                                        "pv.kubernetes.io/bound-by-controller": "yes",
                                        "volume.kubernetes.io/storage-provisioner": "rbd.csi.ceph.com"},
                           owner=own, finalizers=["kubernetes.io/pvc-protection"],
                           spec={"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}},
                                 "storageClassName": c["sc"], "volumeMode": "Filesystem",
                                 "volumeName": "pvc-" + uid(f"pv:{c['ns']}/{name}")},
                           status={"accessModes": ["ReadWriteOnce"], "capacity": {"storage": size}, "phase": "Bound"}))
    for k, (suffix, sel) in enumerate((("rw", {"cnpg.io/cluster": c["name"], "cnpg.io/instanceRole": "primary"}),
                                       ("ro", {"cnpg.io/cluster": c["name"], "cnpg.io/instanceRole": "replica"}),
                                       ("r", {"cnpg.io/cluster": c["name"], "cnpg.io/podRole": "instance"}))):
        out.append(P.service(f"{c['name']}-{suffix}", c["ns"], c["created"], c["ip_base"] + str(10 + k),
                             [{"name": "postgres", "port": 5432, "protocol": "TCP", "targetPort": 5432}], sel,
                             labels={"cnpg.io/cluster": c["name"]},
                             annotations={"cnpg.io/operatorVersion": P.CNPG_VERSION}, owner=own))
    out.append(P.service_account(c["name"], c["ns"], c["created"], labels={"cnpg.io/cluster": c["name"]}, owner=own))
    return out


def cluster_objects(c):
    plan = backup_plan(c)
    out = [legacy_cluster(c, plan), secret(c)]
    if c["sb"]:
        out.append(scheduled_backup(c, plan))
    out += [legacy_backup(c, b) for b in plan]
    out += [P.instance_pod(c, i, sidecar=False) for i in range(c["instances"])]
    out += cluster_support(c)
    return out


def inv(ns, name, group, kind):
    return P.inv(ns, name, group, kind)


def databases_inventory():
    e = [inv("", c["ns"], "", "Namespace") for c in LEGACY] + [inv("", "monitoring", "", "Namespace")]
    for c in LEGACY:
        e.append(inv(c["ns"], c["name"], "postgresql.cnpg.io", "Cluster"))
        if c["sb"] and c["name"] != "pg-inventory":
            e.append(inv(c["ns"], c["sb"], "postgresql.cnpg.io", "ScheduledBackup"))
    e.append(inv("monitoring", "cnpg-backup-alerts", "monitoring.coreos.com", "PrometheusRule"))
    return e


KS = {
    "flux-system": dict(created=P.INSTALLED, generation=1, spec={
        "interval": "10m0s", "path": "./clusters/prod", "prune": True,
        "sourceRef": {"kind": "GitRepository", "name": "flux-system"}}),
    "cnpg-operator": dict(created=P.CNPG_INSTALLED - 40 * SEC, generation=2, spec={
        "healthChecks": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "cnpg-controller-manager",
                          "namespace": "cnpg-system"}],
        "interval": "1h0m0s", "path": "./infrastructure/cnpg-operator", "prune": True, "retryInterval": "2m0s",
        "sourceRef": {"kind": "GitRepository", "name": "flux-system"}, "timeout": "5m0s", "wait": True}),
    "barman-cloud-plugin": dict(created=P.PLUGIN_INSTALLED - 35 * SEC, generation=1, spec={
        "dependsOn": [{"name": "cnpg-operator"}],
        "healthChecks": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "barman-cloud",
                          "namespace": "cnpg-system"}],
        "interval": "1h0m0s", "path": "./infrastructure/barman-cloud-plugin", "prune": True,
        "retryInterval": "2m0s", "sourceRef": {"kind": "GitRepository", "name": "flux-system"}, "timeout": "5m0s"}),
    # Written before the plugin existed: no dependsOn, no timeout.
    "databases": dict(created=dt.datetime(2025, 6, 23, 7, 58, 2, tzinfo=dt.timezone.utc), generation=1, spec={
        "interval": "10m0s", "path": "./apps/databases", "prune": True,
        "sourceRef": {"kind": "GitRepository", "name": "flux-system"}}),
}
OLD = {v: k for k, v in RENAME.items()}


def kustomizations():
    out = []
    inventories = {"flux-system": lambda: [inv("flux-system", "flux-system", "source.toolkit.fluxcd.io", "GitRepository")]
                   + [inv("flux-system", n, "kustomize.toolkit.fluxcd.io", "Kustomization") for n in KS],
                   "cnpg-operator": P.operator_inventory, "barman-cloud-plugin": P.plugin_inventory,
                   "databases": databases_inventory}
    for name, s in KS.items():
        old = OLD[name]
        since = P.COMMIT_HEAD[1] + 61 * SEC
        hc = "healthChecks" in s["spec"]
        healthy_since = {"cnpg-operator": P.OPERATOR_POD_START + 20 * SEC,
                         "barman-cloud-plugin": P.PLUGIN_UPGRADED + 14 * SEC}.get(name)
        history = P.healthy_history(old)
        for h in history:
            h["digest"] = "sha256:" + hexs(f"legacy-digest:{name}:{h['metadata']['revision']}")
        status = {"conditions": P.ks_ready(P.REV_HEAD, since, s["generation"], healthy_since, hc),
                  "history": history, "inventory": {"entries": inventories[name]()},
                  "lastAppliedRevision": P.REV_HEAD, "lastAttemptedRevision": P.REV_HEAD,
                  "observedGeneration": s["generation"]}
        out.append(obj("kustomize.toolkit.fluxcd.io/v1", "Kustomization", name, "flux-system", created=s["created"],
                       labels=flux_labels("flux-system"), generation=s["generation"],
                       finalizers=["finalizers.fluxcd.io"], spec=deep(s["spec"]), status=status))
    return out


def prometheus_rule():
    return obj("monitoring.coreos.com/v1", "PrometheusRule", "cnpg-backup-alerts", "monitoring",
               created=dt.datetime(2025, 7, 1, 11, 20, 45, tzinfo=dt.timezone.utc),
               labels=dict({"release": "kube-prometheus-stack"}, **flux_labels("databases")), generation=1,
               spec={"groups": [{"name": "cloudnative-pg.backups", "rules": [{
                   "alert": "CNPGLastBackupTooOld",
                   "expr": "time() - cnpg_collector_last_available_backup_timestamp > 30 * 3600",
                   "for": "15m", "labels": {"severity": "critical"},
                   "annotations": {"summary": "No base backup for {{ $labels.namespace }}/{{ $labels.pod }} in 30 hours",
                                   "description": "The newest available base backup of the cluster is older "
                                                  "than 30 hours."}}]}]})


def objectstore_crd():
    """The plugin is installed: its ObjectStore CRD is served though no ObjectStore exists yet."""
    import yaml
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "sim", "crds",
                        "barmancloud.cnpg.io_objectstores.yaml")
    with open(path) as f:
        crd = yaml.safe_load(f)
    md = crd["metadata"]
    md["creationTimestamp"] = ts(P.PLUGIN_INSTALLED + 2 * SEC)
    md["uid"] = uid("crd/objectstores.barmancloud.cnpg.io")
    md["generation"] = 2
    md["labels"] = dict(md.get("labels") or {}, **flux_labels("barman-cloud-plugin"))
    return crd


def relabel(o):
    labels = o["metadata"].get("labels") or {}
    name = labels.get("kustomize.toolkit.fluxcd.io/name")
    if name in RENAME:
        labels["kustomize.toolkit.fluxcd.io/name"] = RENAME[name]
    return o


DESCRIPTION = """\
Monday morning, 06:00 UTC. CloudNativePG 1.30.0 and the Barman Cloud plugin 0.14.0 have been
running here for months, and every pane is green, yet none of the three PostgreSQL clusters
uses the plugin: each still archives WAL and takes its base backups through the in-tree
`spec.backup.barmanObjectStore`, which CloudNativePG has deprecated and will remove.

- inventory/pg-inventory: 2 instances, daily backup at 01:00 UTC (pg-inventory-daily)
- ledger/pg-ledger: 3 instances, serverName pg-ledger-v2, 30-day retention, 4 parallel upload
  jobs, nightly backup at 00:15 UTC (pg-ledger-nightly)
- reports/pg-reports: 1 instance, restored from the old reports server's bucket (the
  `origin` external cluster); no schedule, backed up by hand; its `spec.backup` comes from a
  Kustomize overlay patch
- monitoring/cnpg-backup-alerts: the team's alert on `cnpg_collector_last_available_backup_timestamp`

Flux delivers it all from Git: `cnpg-operator`, then `barman-cloud-plugin` (it depends on the
operator and checks the plugin's Deployment), and `databases`, which depends on nothing.

Plan the migration to the plugin, cluster by cluster, in an order that cannot lose a WAL
file: what does each Cluster need (ObjectStore, credentials, the `plugins` entry, its
ScheduledBackups), where in Git does each change go, and what would Flux do with it?
Look hard at pg-inventory-daily before you trust the repository: compare what runs in the
cluster with what Git declares. Then apply, verify the first plugin backup, and know how
you would roll back."""


def build():
    objs, extra = H.build_objects()
    # From here on the model's Clusters are this fleet's (instance pod IPs derive from the index).
    P.CLUSTERS[:] = LEGACY
    keep_ns = {"cnpg-system", "flux-system", "cert-manager"}
    healthy_ns = {"orders", "billing", "analytics"}
    out = []
    for o in objs:
        ns = o["metadata"].get("namespace")
        if o["kind"] == "Namespace" and o["metadata"]["name"] in healthy_ns:
            continue
        if o["kind"] == "Kustomization":
            continue
        if ns in healthy_ns:
            continue
        if o["kind"] == "Event" and (o.get("involvedObject", {}).get("kind") == "Kustomization" or
                                     o.get("involvedObject", {}).get("kind") == "ScheduledBackup"):
            continue
        if o["kind"] == "Event" and ns not in keep_ns:
            continue
        out.append(relabel(o))
    for o in out:
        if o["kind"] == "GitRepository":
            o["spec"]["url"] = P.GIT_URL.replace("platform-gitops", "fleet-gitops")
    out += [P.namespace(c["ns"], c["created"] - 60 * SEC, "databases") for c in LEGACY]
    out.append(P.namespace("monitoring", dt.datetime(2025, 7, 1, 11, 19, 40, tzinfo=dt.timezone.utc), "databases"))
    out += kustomizations()
    for c in LEGACY:
        out += cluster_objects(c)
    out.append(prometheus_rule())
    out.append(objectstore_crd())
    logs = []
    pl = extra["plugin_pod"]
    # The plugin's operator side has no Cluster to reconcile: no Pre hook lines yet.
    logs.append({"pod": f"cnpg-system/{pl['metadata']['name']}", "container": "barman-cloud",
                 "lines": H.plugin_operator_lines(P.PLUGIN_POD_START + 2 * SEC, at(minutes=-5), n_recent=0)})
    op = extra["op_pod"]
    logs.append({"pod": f"cnpg-system/{op['metadata']['name']}", "container": "manager",
                 "lines": H.operator_lines(P.OPERATOR_POD_START)})
    sc = H.scenario_doc("legacy-fleet", DESCRIPTION, ["BKP009", "RST010"], logs, [])
    return out, sc


def main():
    objs, sc = build()
    seen = set()
    for o in objs:
        k = ident(o)
        assert k not in seen, f"duplicate {k}"
        seen.add(k)
    header = ("# Generated by tools/scenario-gen/legacy.py. Clock anchor 2026-11-24T06:00:00Z: every timestamp\n"
              "# is shifted at load so that ages stay as written. All secret values are fake.\n")
    with open(os.path.join(OUT, "legacy-fleet.yaml"), "w") as f:
        f.write(header + dump_docs([sc] + [ksort(o) for o in objs]))


if __name__ == "__main__":
    main()
