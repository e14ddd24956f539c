"""The healthy cluster, as Python objects. Incident scenarios copy pieces and change them."""
from common import *  # noqa: F401,F403
from common import (at, ts, tsn, hexs, uid, safe, b64, fake_pem, containerd, image_id, obj, owner_ref,
                    cond, flux_labels, jline, deep, ANCHOR)
import datetime as dt

# ---------------------------------------------------------------------------
# versions and fixed facts

CNPG_VERSION = "1.30.0"
CNPG_IMAGE = f"ghcr.io/cloudnative-pg/cloudnative-pg:{CNPG_VERSION}"
PLUGIN_VERSION = "0.14.0"
PLUGIN_IMAGE = f"ghcr.io/cloudnative-pg/plugin-barman-cloud:v{PLUGIN_VERSION}"
SIDECAR_IMAGE = f"ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar:v{PLUGIN_VERSION}"
PLUGIN_NAME = "barman-cloud.cloudnative-pg.io"
FLUX_VERSION = "v2.7.3"
FLUX_CONTROLLERS = {
    "source-controller": "v1.7.3",
    "kustomize-controller": "v1.7.2",
    "helm-controller": "v1.4.3",
    "notification-controller": "v1.7.4",
}
GIT_URL = "ssh://git@github.com/example/platform-gitops"

NODES = [
    {"name": "k8s-prod-worker-1", "ip": "10.10.0.21", "pod_cidr": "10.244.1"},
    {"name": "k8s-prod-worker-2", "ip": "10.10.0.22", "pod_cidr": "10.244.2"},
    {"name": "k8s-prod-worker-3", "ip": "10.10.0.23", "pod_cidr": "10.244.3"},
]

INSTALLED = dt.datetime(2026, 3, 9, 10, 12, 41, tzinfo=dt.timezone.utc)      # Flux bootstrap
CNPG_INSTALLED = dt.datetime(2026, 3, 9, 10, 31, 7, tzinfo=dt.timezone.utc)
PLUGIN_INSTALLED = dt.datetime(2026, 6, 15, 13, 4, 52, tzinfo=dt.timezone.utc)  # migration to the plugin
PLUGIN_UPGRADED = dt.datetime(2026, 11, 2, 9, 14, 3, tzinfo=dt.timezone.utc)    # plugin v0.14.0 rolled out
CNPG_UPGRADED = dt.datetime(2026, 10, 12, 8, 40, 22, tzinfo=dt.timezone.utc)    # operator 1.30.0 rolled out
OPERATOR_POD_START = at(minutes=-38, seconds=-12)                            # node drain this morning

# Git revisions
def rev(msg):
    return "main@sha1:" + hexs("commit:" + msg, 40)


COMMIT_PREV = ("Raise pg-orders work_mem", at(days=-3, hours=-4, minutes=-17))
COMMIT_HEAD = ("Tune pg-analytics max_wal_size", at(minutes=-52, seconds=-31))
REV_PREV = rev(COMMIT_PREV[0])
REV_HEAD = rev(COMMIT_HEAD[0])
REV_PLUGIN = rev("Upgrade plugin-barman-cloud to v0.14.0")   # last change of the plugin manifests
REV_OPERATOR = rev("Upgrade CloudNativePG to 1.30.0")          # last change of the operator manifests


# ---------------------------------------------------------------------------
# PostgreSQL clusters

SEG = 16 * 1024 * 1024

CLUSTERS = [
    dict(
        name="pg-orders", ns="orders", instances=3, pg="17.6", major=17, tli=3,
        primary="pg-orders-1", backup_pod="pg-orders-2", nodes=[0, 1, 2],
        created=dt.datetime(2026, 3, 18, 14, 2, 55, tzinfo=dt.timezone.utc), generation=9,
        storage="200Gi", wal="40Gi", sc="ceph-block",
        resources={"limits": {"memory": "8Gi"}, "requests": {"cpu": "2", "memory": "8Gi"}},
        params={"max_connections": "300", "shared_buffers": "2GB", "work_mem": "16MB",
                "effective_cache_size": "6GB", "max_wal_size": "4GB", "archive_timeout": "5min"},
        database="orders", owner="orders_app",
        store="pg-orders-s3", server="pg-orders", server_param=None,
        sb="pg-orders-daily", schedule="0 0 2 * * *", sched_h=2, sched_m=0, owner_ref="self",
        target="prefer-standby", retention="30d", dur=(170, 320),
        lsn0=0x12_4B000000, lsn_day=int(6.3 * 1024 ** 3), system_id="7483620153894511641",
        sb_created=dt.datetime(2026, 6, 15, 13, 20, 3, tzinfo=dt.timezone.utc),
        pod_start=dt.datetime(2026, 10, 12, 8, 47, 0, tzinfo=dt.timezone.utc),
    ),
    dict(
        name="pg-billing", ns="billing", instances=2, pg="18.1", major=18, tli=2,
        primary="pg-billing-2", backup_pod="pg-billing-1", nodes=[1, 2],
        created=dt.datetime(2026, 5, 6, 9, 41, 12, tzinfo=dt.timezone.utc), generation=4,
        storage="50Gi", wal="10Gi", sc="ceph-block",
        resources={"limits": {"memory": "4Gi"}, "requests": {"cpu": "1", "memory": "4Gi"}},
        params={"max_connections": "200", "shared_buffers": "1GB", "archive_timeout": "5min",
                "log_min_duration_statement": "500ms"},
        database="billing", owner="billing_app",
        store="billing-azure-store", server="pg-billing-v2", server_param="pg-billing-v2",
        sb="pg-billing-daily", schedule="0 0 3 * * *", sched_h=3, sched_m=0, owner_ref="self",
        target="prefer-standby", retention="14d", dur=(55, 110),
        lsn0=0x4_1C000000, lsn_day=int(1.4 * 1024 ** 3), system_id="7498001127346601987",
        sb_created=dt.datetime(2026, 6, 16, 8, 2, 44, tzinfo=dt.timezone.utc),
        pod_start=dt.datetime(2026, 10, 12, 8, 52, 0, tzinfo=dt.timezone.utc),
    ),
    dict(
        name="pg-analytics", ns="analytics", instances=1, pg="16.10", major=16, tli=1,
        primary="pg-analytics-1", backup_pod="pg-analytics-1", nodes=[2],
        created=dt.datetime(2026, 9, 14, 16, 25, 9, tzinfo=dt.timezone.utc), generation=6,
        storage="500Gi", wal=None, sc="ceph-block",
        resources={"limits": {"memory": "16Gi"}, "requests": {"cpu": "4", "memory": "16Gi"}},
        params={"max_connections": "100", "shared_buffers": "4GB", "maintenance_work_mem": "1GB",
                "max_wal_size": "16GB", "archive_timeout": "5min"},
        database="analytics", owner="analytics",
        store="analytics-backup-store", server="pg-analytics", server_param=None,
        sb="pg-analytics-nightly", schedule="0 30 5 * * *", sched_h=5, sched_m=30, owner_ref="none",
        target=None, retention="7d", dur=(380, 560),
        lsn0=0x3A_00000000, lsn_day=int(21 * 1024 ** 3), system_id="7549927740036558854",
        sb_created=dt.datetime(2026, 9, 14, 16, 25, 9, tzinfo=dt.timezone.utc),
        pod_start=dt.datetime(2026, 11, 23, 18, 4, 51, tzinfo=dt.timezone.utc),
    ),
]
CL = {c["name"]: c for c in CLUSTERS}


def lsn_at(c, t):
    base = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    return c["lsn0"] + int((t - base).total_seconds() * c["lsn_day"] / 86400)


def wal_name(tli, lsn):
    seg = lsn // SEG
    return f"{tli:08X}{seg // 256:08X}{seg % 256:08X}"


def lsn_str(lsn):
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:08X}"


def pod_ip(node_idx, n):
    return f"{NODES[node_idx]['pod_cidr']}.{n}"


# ---------------------------------------------------------------------------
# generic workload helpers

POD_TOLERATIONS = [
    {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
    {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300},
]


def api_access_volume(seed):
    name = "kube-api-access-" + safe("kapi" + seed, 5)
    vol = {"name": name, "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
        {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                    "path": "namespace"}]}}]}}
    mount = {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": name, "readOnly": True}
    return vol, mount


def running_status(name, image, started, seed, restarts=0, last=None):
    s = {"containerID": containerd(seed + name), "image": image, "imageID": image_id(image),
         "lastState": last or {}, "name": name, "ready": True, "restartCount": restarts, "started": True,
         "state": {"running": {"startedAt": ts(started)}}}
    return s


def pod_conditions(start, ready=True, ready_since=None, not_ready_msg=None, initialized=True):
    ready_since = ready_since or start + dt.timedelta(seconds=14)
    conds = [
        {"lastProbeTime": None, "lastTransitionTime": ts(start + dt.timedelta(seconds=2)), "status": "True",
         "type": "PodReadyToStartContainers"},
        {"lastProbeTime": None, "lastTransitionTime": ts(start + dt.timedelta(seconds=3)),
         "status": "True" if initialized else "False", "type": "Initialized"},
    ]
    if ready:
        conds += [
            {"lastProbeTime": None, "lastTransitionTime": ts(ready_since), "status": "True", "type": "Ready"},
            {"lastProbeTime": None, "lastTransitionTime": ts(ready_since), "status": "True", "type": "ContainersReady"},
        ]
    else:
        conds += [
            {"lastProbeTime": None, "lastTransitionTime": ts(ready_since), "message": not_ready_msg,
             "reason": "ContainersNotReady", "status": "False", "type": "Ready"},
            {"lastProbeTime": None, "lastTransitionTime": ts(ready_since), "message": not_ready_msg,
             "reason": "ContainersNotReady", "status": "False", "type": "ContainersReady"},
        ]
    conds.append({"lastProbeTime": None, "lastTransitionTime": ts(start), "status": "True", "type": "PodScheduled"})
    return conds


def deployment_set(name, ns, *, dep_labels, selector, template_labels, pod_spec, created, rs_created, pod_start,
                   generation, revision, node, ip_n, replicas=1, strategy=None, annotations=None,
                   template_annotations=None, qos="Burstable", hash_seed=None):
    """A Deployment, its current ReplicaSet and its Pod, all Running and Ready."""
    hsh = safe("rs:" + (hash_seed or f"{ns}/{name}/{revision}"), 10)
    template = {"metadata": {"labels": dict(template_labels)}, "spec": pod_spec}
    if template_annotations:
        template["metadata"]["annotations"] = template_annotations
    dep = obj("apps/v1", "Deployment", name, ns, created=created, labels=dep_labels, generation=generation,
              annotations=dict({"deployment.kubernetes.io/revision": str(revision)}, **(annotations or {})),
              spec={"progressDeadlineSeconds": 600, "replicas": replicas, "revisionHistoryLimit": 10,
                    "selector": {"matchLabels": dict(selector)},
                    "strategy": strategy or {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                                             "type": "RollingUpdate"},
                    "template": template},
              status={"availableReplicas": replicas, "observedGeneration": generation, "readyReplicas": replicas,
                      "replicas": replicas, "updatedReplicas": replicas,
                      "conditions": [
                          {"lastTransitionTime": ts(pod_start + dt.timedelta(seconds=15)),
                           "lastUpdateTime": ts(pod_start + dt.timedelta(seconds=15)),
                           "message": "Deployment has minimum availability.", "reason": "MinimumReplicasAvailable",
                           "status": "True", "type": "Available"},
                          {"lastTransitionTime": ts(created),
                           "lastUpdateTime": ts(rs_created + dt.timedelta(seconds=16)),
                           "message": f'ReplicaSet "{name}-{hsh}" has successfully progressed.',
                           "reason": "NewReplicaSetAvailable", "status": "True", "type": "Progressing"}]})
    rs_labels = dict(template_labels, **{"pod-template-hash": hsh})
    rs_template = deep(template)
    rs_template["metadata"]["labels"] = dict(rs_labels)
    rs = obj("apps/v1", "ReplicaSet", f"{name}-{hsh}", ns, created=rs_created, labels=rs_labels, generation=1,
             annotations={"deployment.kubernetes.io/desired-replicas": str(replicas),
                          "deployment.kubernetes.io/max-replicas": str(replicas + (0 if strategy else 1)),
                          "deployment.kubernetes.io/revision": str(revision)},
             owner=owner_ref(dep),
             spec={"replicas": replicas, "selector": {"matchLabels": dict(selector, **{"pod-template-hash": hsh})},
                   "template": rs_template},
             status={"availableReplicas": replicas, "fullyLabeledReplicas": replicas, "observedGeneration": 1,
                     "readyReplicas": replicas, "replicas": replicas})
    pod = make_pod(rs, name, ns, hsh, rs_labels, pod_spec, pod_start, node, ip_n, qos,
                   template_annotations=template_annotations)
    return dep, rs, pod


def make_pod(rs, name, ns, hsh, labels, pod_spec, pod_start, node, ip_n, qos, template_annotations=None,
             suffix_seed=None):
    pname = f"{name}-{hsh}-{safe('pod:' + (suffix_seed or rs['metadata']['name'] + ts(pod_start)), 5)}"
    spec = deep(pod_spec)
    vol, mount = api_access_volume(pname)
    spec.setdefault("volumes", []).append(vol)
    for c in spec["containers"]:
        c.setdefault("volumeMounts", []).append(mount)
        c.setdefault("imagePullPolicy", "IfNotPresent")
        c.setdefault("terminationMessagePath", "/dev/termination-log")
        c.setdefault("terminationMessagePolicy", "File")
    spec.update({"dnsPolicy": "ClusterFirst", "enableServiceLinks": True, "nodeName": NODES[node]["name"],
                 "preemptionPolicy": "PreemptLowerPriority", "priority": 0, "restartPolicy": "Always",
                 "schedulerName": "default-scheduler", "tolerations": POD_TOLERATIONS})
    spec.setdefault("terminationGracePeriodSeconds", 30)
    if "serviceAccountName" in spec:
        spec["serviceAccount"] = spec["serviceAccountName"]
    ip = pod_ip(node, ip_n)
    status = {
        "conditions": pod_conditions(pod_start),
        "containerStatuses": [running_status(c["name"], c["image"], pod_start + dt.timedelta(seconds=1), pname)
                              for c in spec["containers"]],
        "hostIP": NODES[node]["ip"], "hostIPs": [{"ip": NODES[node]["ip"]}],
        "phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "qosClass": qos,
        "startTime": ts(pod_start),
    }
    return obj("v1", "Pod", pname, ns, created=pod_start, labels=labels, owner=owner_ref(rs),
               annotations=template_annotations, spec=spec, status=status)


def namespace(name, created, ks=None, extra_labels=None):
    labels = {"kubernetes.io/metadata.name": name}
    if ks:
        labels.update(flux_labels(ks))
    if extra_labels:
        labels.update(extra_labels)
    return obj("v1", "Namespace", name, created=created, labels=labels,
               spec={"finalizers": ["kubernetes"]}, status={"phase": "Active"})


def service(name, ns, created, cluster_ip, ports, selector, labels=None, annotations=None, owner=None):
    return obj("v1", "Service", name, ns, created=created, labels=labels, annotations=annotations, owner=owner,
               spec={"clusterIP": cluster_ip, "clusterIPs": [cluster_ip], "internalTrafficPolicy": "Cluster",
                     "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "ports": ports,
                     "selector": selector, "sessionAffinity": "None", "type": "ClusterIP"},
               status={"loadBalancer": {}})


def service_account(name, ns, created, labels=None, owner=None):
    return obj("v1", "ServiceAccount", name, ns, created=created, labels=labels, owner=owner)


_event_n = {}


def event(involved, reason, message, *, first, last=None, count=1, type_="Normal", component, host=None,
          annotations=None, name_seed=None):
    """A core/v1 Event about `involved` (an object dict or a minimal ref dict)."""
    md = involved["metadata"] if "metadata" in involved else involved
    ns = md.get("namespace", "default")
    seed = name_seed or f"{md['name']}/{reason}/{message}"
    name = f"{md['name']}.{hexs('ev:' + seed, 16)}"
    io = {"apiVersion": involved["apiVersion"], "kind": involved["kind"], "name": md["name"], "namespace": ns}
    if md.get("uid"):
        io["uid"] = md["uid"]
    src = {"component": component}
    if host:
        src["host"] = host
    e = obj("v1", "Event", name, ns, created=first, annotations=annotations,
            involvedObject=io, reason=reason, message=message, type=type_, count=count,
            firstTimestamp=ts(first), lastTimestamp=ts(last or first), source=src,
            reportingComponent=component, reportingInstance=host or "", eventTime=None)
    return e
