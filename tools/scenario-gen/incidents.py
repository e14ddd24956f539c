"""The five incident scenarios, each built on top of `healthy`."""
import datetime as dt
import json

import healthy as H
import parts as P
from common import (ANCHOR, at, b64, cond, deep, hexs, ident, jline, obj, owner_ref, ref, safe, ts, tsn, uid,
                    containerd, image_id)

SEC = dt.timedelta(seconds=1)
MIN = dt.timedelta(minutes=1)


class Base:
    def __init__(self, objs):
        self.objs = objs
        self.by_id = {ident(o): o for o in objs}

    def get(self, kind, ns, name):
        for (g, k, n, nm), o in self.by_id.items():
            if k == kind and n == (ns or "") and nm == name:
                return o
        raise KeyError((kind, ns, name))

    def find(self, kind, ns, prefix):
        return [o for (g, k, n, nm), o in self.by_id.items() if k == kind and n == (ns or "") and nm.startswith(prefix)]

    def events_for(self, kind, ns, name):
        return [o for o in self.objs if o["kind"] == "Event" and o["involvedObject"]["kind"] == kind
                and o["involvedObject"]["namespace"] == ns and o["involvedObject"]["name"] == name]


def ks_ref(name):
    return {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": name, "namespace": "flux-system",
                         "uid": uid(f"kustomize.toolkit.fluxcd.io/v1/Kustomization/flux-system/{name}")}}


def ks_event(name, reason, message, first, last, count, revision, type_="Normal"):
    return H.ks_event(name, reason, message, first, last, count, revision, type_)


def ks_involved(name):
    return {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "namespace": "flux-system",
            "name": name}


def flux_state(revision, commit_t, overrides):
    """Kustomizations for a new commit: those not in overrides applied it successfully."""
    out = []
    for name in H.KS_NAMES:
        if name in overrides:
            out.append(overrides[name])
            continue
        k = P.healthy_kustomization(name)
        k["status"]["lastAppliedRevision"] = revision
        k["status"]["lastAttemptedRevision"] = revision
        for c in k["status"]["conditions"]:
            if c["type"] == "Ready":
                c["message"] = f"Applied revision: {revision}"
        k["status"]["history"][0]["metadata"]["revision"] = revision
        out.append(k)
    return out


# What each scenario's primaries answer through pods/proxy (spec.archivers), by scenario.
ARCHIVERS = {}
MIB = 1024 * 1024


def stuck_archiver(c, last_t, failed_t, used_mib):
    """A primary whose archiver last succeeded at last_t and has failed on the next segment
    since, a retry failing at failed_t: every WAL written meanwhile waits in pg_wal."""
    sp = H.wal_spacing(c)
    line = H.wal_archive_lines(c, c["primary"], last_t, n_wals=1)[-1]
    body = json.loads(line.split(" ", 1)[1])
    # PostgreSQL keeps microseconds; Go's RFC3339Nano prints them so.
    end = body["endTime"][:26] + "Z"
    ready = int((ANCHOR - last_t).total_seconds() // sp)
    per_hour = round(3600 / sp, 2)
    return {"cluster": f"{c['ns']}/{c['name']}",
            "readyWalFiles": ready,
            "readyWalFilesPerHour": per_hour,
            "lastArchivedWAL": P.wal_name(c["tli"], P.lsn_at(c, last_t)),
            "lastArchivedWALTime": end,
            "lastFailedWAL": P.wal_name(c["tli"], P.lsn_at(c, last_t) + P.SEG),
            "lastFailedWALTime": tsn(failed_t)[:26] + "Z",
            "walVolume": {"used": f"{used_mib + ready * 16}Mi", "growthPerHour": f"{int(per_hour * 16)}Mi"}}


def cluster_logs(c, *, backup_day=0, primary_lines=None, backup_lines=None, wal_until=None, postgres_lines=None):
    """Sidecar logs for every instance pod. primary_lines/backup_lines replace the defaults;
    postgres_lines (pod name -> lines) adds the instance manager's own log (postgres container)."""
    entries = []
    plan = P.week_plan(c)
    for i, pod in enumerate(P.pod_names(c)):
        start = c["pod_start"] + dt.timedelta(minutes=3 * i) + 4 * SEC
        lines = H.sidecar_start_lines(c, pod, start)
        if pod == c["backup_pod"]:
            if backup_lines is not None:
                lines += backup_lines
            elif backup_day is not None:
                b = plan[backup_day + 6]
                lines += H.backup_lines(c, pod, b, P.backup_name(c, b["t"]))
        if pod == c["primary"]:
            if primary_lines is not None:
                lines += primary_lines
            else:
                lines += H.retention_lines(c, pod, at(minutes=-27, seconds=-14))
                lines += H.wal_archive_lines(c, pod, wal_until or ANCHOR, n_wals=5)
        entries.append({"pod": f"{c['ns']}/{pod}", "container": "plugin-barman-cloud", "lines": lines})
        if postgres_lines and postgres_lines.get(pod):
            entries.append({"pod": f"{c['ns']}/{pod}", "container": "postgres", "lines": sorted(postgres_lines[pod])})
    return entries


def loops_for(names, archiving=None):
    return [H.backup_loop(P.CL[n], H.LOOP_AT[n][0], "6m", H.LOOP_AT[n][1]) for n in names]


def healthy_plugin_and_operator_logs(extra, plugin_extra=None, operator_extra=None, clusters=None):
    pl = extra["plugin_pod"]
    op = extra["op_pod"]
    return [{"pod": f"cnpg-system/{pl['metadata']['name']}", "container": "barman-cloud",
             "lines": H.plugin_operator_lines(P.PLUGIN_POD_START + 2 * SEC, at(minutes=-5, seconds=-30),
                                              clusters=clusters, extra=plugin_extra)},
            {"pod": f"cnpg-system/{op['metadata']['name']}", "container": "manager",
             "lines": H.operator_lines(P.OPERATOR_POD_START) + (operator_extra or [])}]


def kc_logs(extra, items):
    kc = extra["kc_pod"]
    return {"pod": f"flux-system/{kc['metadata']['name']}", "container": "manager",
            "lines": H.kustomize_controller_lines(sorted(items, key=lambda x: x[0]))}


def event_step(after, kind, ns, name, reason, message, source, type_="Normal", api="v1"):
    return H.ev_step(after, {"apiVersion": api, "kind": kind, "namespace": ns, "name": name}, reason, message,
                     source, type_)


# ===========================================================================
# 1. gitignore-trap


TRAP_COMMIT = ("Split apps/postgresql into one folder per application", dt.datetime(2026, 11, 22, 14, 12, 7, tzinfo=dt.timezone.utc))
REV_TRAP = P.rev(TRAP_COMMIT[0])
TRAP_ERR = 'rpc error: code = Unknown desc = objectstores.barmancloud.cnpg.io "analytics-backup-store" not found'

TRAP_DESCRIPTION = """\
Monday morning, 06:00 UTC. The storage team asks why nothing new has landed in the
analytics MinIO bucket since Saturday afternoon. Nobody was paged: Flux is green, every
Kustomization says "Applied revision", the GitRepository is up to date, and
`kubectl get cluster -A` shows all three clusters "Cluster in healthy state".

Look closer at pg-analytics: its last two nightly backups failed and its WAL is not being
archived. The other two clusters are fine.

Context: on Saturday a platform engineer reorganised the Git repository, moving each
application's PostgreSQL manifests into its own folder (commit "Split apps/postgresql into
one folder per application"). The pull request was reviewed and merged; Flux applied it
without a single error.

Find out why pg-analytics cannot back up, why nothing turned red, and what has to change in
Git (not in the cluster) so that it cannot happen again."""


def gitignore_trap(base, extra):
    c = P.CL["pg-analytics"]
    plan = P.week_plan(c)
    objs, remove = [], []
    store = base.get("ObjectStore", "analytics", c["store"])
    remove.append(ref(store))

    # Flux: the trap commit pruned the ObjectStore (its new file never reached Git) and reported success.
    head_t = P.COMMIT_HEAD[1] + 62 * SEC
    trap_t = TRAP_COMMIT[1] + 66 * SEC
    k = P.healthy_kustomization("apps-postgresql")
    k["status"]["inventory"]["entries"] = P.apps_inventory(skip_stores={c["store"]})
    k["status"]["history"] = [
        P.hist("apps-postgresql", "head-trap", P.REV_HEAD, head_t, P.KS_LAST["apps-postgresql"], 6, "1.790313604s"),
        P.hist("apps-postgresql", "trap", REV_TRAP, trap_t, head_t - 60 * SEC, 245, "1.702118349s"),
        P.hist("apps-postgresql", "prev", P.REV_PREV, P.COMMIT_PREV[1] + 70 * SEC, trap_t - 60 * SEC, 182, "1.655210871s")]
    objs.append(k)

    # Backups: Saturday's backup was the last good one; Sunday's and Monday's failed at once.
    failed = {}
    for d in (-1, 0):
        b = plan[d + 6]
        failed[d] = b
        objs.append(P.backup(c, b["t"], phase="failed", start=b["start"], stop=b["start"] + 1 * SEC, error=TRAP_ERR))
    last_ok = plan[-3]
    today = plan[-1]
    first_fail_wal = TRAP_COMMIT[1] + 66 * SEC + 97 * SEC
    objs.append(P.cluster(c, conditions=P.cluster_conditions(
        c, archiving=("False", "ContinuousArchivingFailing", TRAP_ERR, first_fail_wal),
        last_backup=("False", "LastBackupFailed", TRAP_ERR, failed[-1]["start"] + 2 * SEC)),
        last_failed=ts(today["start"] + 2 * SEC)))

    # Events: today's backup ended with Failed instead of Completed.
    name = P.backup_name(c, today["t"])
    for e in base.events_for("Backup", "analytics", name):
        if e["reason"] == "Completed":
            remove.append(ref(e))
    objs.append(P.event(H.backup_ref(c, name), "Failed", "Backup failed", first=today["start"] + 2 * SEC,
                        component="local-webserver", host=c["backup_pod"]))

    # Logs. The plugin's Archive returns the ObjectStore lookup error without logging it: the
    # failures show in the postgres container (the instance manager's archive_command).
    pod = c["primary"]
    not_found = f'objectstores.barmancloud.cnpg.io "{c["store"]}" not found'
    pg_lines = []
    for k_ in range(6):
        t = at(minutes=-5 * (5 - k_), seconds=-17)
        pg_lines += H.instance_manager_wal_failure(pod, t, TRAP_ERR, f"trap{k_}")
    # pg-analytics-1 was restarted yesterday at 18:04: its log starts there, archiving already failing.
    restart = c["pod_start"] + 9 * SEC
    pg_lines += H.instance_manager_wal_failure(pod, restart, TRAP_ERR, "trapfirst")
    primary_lines = []
    for d in (0,):
        b = failed[d]
        bname = P.backup_name(c, b["t"])
        primary_lines += [
            jline(b["t"] + 2 * SEC, "info", "Starting backup", pod + bname, logging_pod=pod),
            jline(b["start"] + 1 * SEC, "error", "while getting object store", pod + bname + "f", logging_pod=pod,
                  error=not_found)]
        pg_lines += H.instance_manager_backup_lines(pod, bname, b["t"] + 1 * SEC, b["start"] + 1 * SEC, error=TRAP_ERR)
    logs = cluster_logs(c, primary_lines=sorted(primary_lines), postgres_lines={pod: pg_lines})
    for n in ("pg-orders", "pg-billing"):
        logs += cluster_logs(P.CL[n])
    requeue = []
    for k_ in range(8):
        t = at(minutes=-4, seconds=-50) + dt.timedelta(seconds=31 * k_)
        stamp = tsn(t, f"rq{k_}")
        requeue.append(stamp + ' {"level":"info","ts":"%s","msg":"Pre hook reconciliation start"}' % stamp)
        t2 = t + dt.timedelta(milliseconds=3)
        stamp2 = tsn(t2, f"rq2{k_}")
        requeue.append(stamp2 + ' {"level":"info","ts":"%s","msg":"barman object configuration not found, requeuing",'
                                '"name":"pg-analytics","namespace":"analytics","name":"%s","namespace":"analytics"}'
                       % (stamp2, c["store"]))
    op_extra = []
    for k_ in range(5):
        t = at(minutes=-4, seconds=-49) + dt.timedelta(seconds=31 * k_)
        op_extra.append(jline(t, "info", "Pre-reconcile hook stopped the reconciliation loop", f"prh{k_}",
                              controller="cluster", controllerGroup="postgresql.cnpg.io", controllerKind="Cluster",
                              Cluster={"name": "pg-analytics", "namespace": "analytics"}, namespace="analytics",
                              name="pg-analytics", reconcileID=uid(f"rec{k_}"),
                              hookResult={"result": {"Requeue": True, "RequeueAfter": 0}, "err": None,
                                          "stopReconciliation": True, "identifier": P.PLUGIN_NAME}))
    logs = healthy_plugin_and_operator_logs(extra, plugin_extra=requeue, operator_extra=op_extra,
                                            clusters=[P.CL["pg-orders"], P.CL["pg-billing"]]) + logs
    kc_items = H.healthy_kc_items()
    kc_items = [i for i in kc_items if not (i[3] == "apps-postgresql" and "output" in i[5])]
    out = {"Cluster/analytics/pg-analytics": "unchanged", "Cluster/billing/pg-billing": "unchanged",
           "Cluster/orders/pg-orders": "unchanged", "ObjectStore/billing/billing-azure-store": "unchanged",
           "ObjectStore/orders/pg-orders-s3": "unchanged",
           "ScheduledBackup/analytics/pg-analytics-nightly": "unchanged",
           "ScheduledBackup/billing/pg-billing-daily": "unchanged", "ScheduledBackup/orders/pg-orders-daily": "unchanged"}
    kc_items.append((P.KS_LAST["apps-postgresql"] - 1 * SEC, "info", "server-side apply completed", "apps-postgresql",
                     P.REV_HEAD, {"output": out}))
    logs.append(kc_logs(extra, kc_items))
    logs[0]["generate"] = {"perSecond": 1, "lines": [
        '{"level":"info","ts":"{{time}}","msg":"Pre hook reconciliation start"}',
        '{"level":"info","ts":"{{time}}","msg":"barman object configuration not found, requeuing","name":"pg-analytics",'
        '"namespace":"analytics","name":"analytics-backup-store","namespace":"analytics"}']}

    # Timeline: the two healthy clusters keep backing up; someone tries a manual backup of pg-analytics.
    tl = loops_for(["pg-orders", "pg-billing"])
    states = {n: P.healthy_history(n) for n in H.KS_NAMES}
    states["apps-postgresql"] = deep(k["status"]["history"])
    tl.append(H.flux_loop(states))
    tl.append(H.gitrepo_loop())
    bname = "pg-analytics-{{stamp}}"
    bref = {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Backup", "namespace": "analytics", "name": bname}
    tl.append({"at": "1m30s", "steps": [
        {"after": "0s", "apply": {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Backup",
                                  "metadata": {"name": bname, "namespace": "analytics"},
                                  "spec": {"cluster": {"name": "pg-analytics"}, "method": "plugin",
                                           "pluginConfiguration": {"name": P.PLUGIN_NAME}},
                                  "status": {"instanceID": {"ContainerID": P.instance_pod_container_id(c, pod),
                                                            "podName": pod,
                                                            "sessionID": uid(f"session:{pod}:{c['pod_start']}")},
                                             "method": "plugin", "phase": "started",
                                             "reconciliationStartedAt": "{{now}}", "startedAt": "{{now}}"}}},
        H.ev_step("0s", bref, "Starting", "Starting backup for cluster pg-analytics", "cloudnative-pg-backup"),
        {"after": "2s", "patch": {"ref": bref, "merge": {"status": {"error": TRAP_ERR, "phase": "failed",
                                                                    "reconciliationTerminatedAt": "{{now}}"}}}},
        H.ev_step("2s", bref, "Failed", "Backup failed", "local-webserver"),
        {"after": "2s", "patch": {"ref": {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
                                          "namespace": "analytics", "name": "pg-analytics"},
                                  "merge": {"status": {"lastFailedBackup": "{{now}}"}}}},
    ]})
    # The archiver has retried the same segment since Sunday afternoon: the backlog is days long.
    ARCHIVERS["gitignore-trap"] = [stuck_archiver(c, first_fail_wal - 60 * SEC, at(seconds=-17), 180 * 1024)]
    expect = ["FLX009", "OBJ001", "BKP001", "BKP002", "BKP005", "ARC003"]
    return objs, remove, logs, tl, TRAP_DESCRIPTION, expect


# ===========================================================================
# 2. plugin-crashloop-oom

OOM_COMMIT = ("Right-size barman-cloud plugin resources", at(minutes=-48, seconds=-10))
REV_OOM = P.rev(OOM_COMMIT[0])
OOM_APPLY = OOM_COMMIT[1] + 65 * SEC
OOM_POD_START = OOM_APPLY + 3 * SEC
REFUSED = f'dial tcp {P.PLUGIN_SVC_IP}:9090: connect: connection refused'
# The operator dials a registered plugin lazily: with its pods down, every use fails with the dial error.
PLUGIN_DIAL_ERR = (f'while getting plugin connection: rpc error: code = Unavailable desc = connection error: '
                   f'desc = "transport: Error while dialing: {REFUSED}"')
# A registered plugin that cannot be reached (PhaseFailurePlugin), not an unknown one (PhaseUnknownPlugin).
FAILURE_PHASE = "Cluster cannot proceed to reconciliation due to an error while interacting with plugins"

OOM_DESCRIPTION = """\
06:00 UTC. The monitoring channel shows a pod in cnpg-system restarting over and over, and
the Flux summary has turned red for the Barman Cloud plugin. A few minutes later the
analytics team reports that this morning's 05:30 backup of pg-analytics "did not happen".

What on-call sees:
- the barman-cloud pod in cnpg-system is not Ready and its restart count keeps climbing;
- `flux get ks` shows infrastructure-cnpg-barman-plugin not Ready, and apps-postgresql
  waiting on it;
- all three PostgreSQL clusters report a phase that is not "Cluster in healthy state",
  although every database pod is up and serving.

About 50 minutes ago a "right-sizing" pull request that lowered resource requests and limits
under the infrastructure/ folder of the GitOps repository was merged.

Find the cause, prove it from the pod status, and decide what to change. Bonus question:
is WAL still being archived while this lasts, and why (or why not)?"""


def restart_times():
    """(startedAt, finishedAt) of every run of the crash-looping container, oldest first."""
    runs, t, backoff = [], OOM_POD_START + 1 * SEC, 10
    while True:
        start, end = t, t + dt.timedelta(seconds=20)
        if end > ANCHOR:
            break
        runs.append((start, end))
        t = end + dt.timedelta(seconds=backoff)
        backoff = min(backoff * 2, 300)
    return runs


def plugin_crashloop(base, extra):
    objs, remove = [], []
    dep = deep(extra["plugin_dep"])
    spec = P.plugin_pod_spec(memory_limit="64Mi", memory_request="32Mi")
    dep["metadata"]["generation"] = 4
    dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "4"
    dep["spec"]["template"]["spec"] = deep(spec)
    new_hash = safe("rs:plugin-v0.14.0-64Mi", 10)
    new_rs_name = f"barman-cloud-{new_hash}"
    dep["status"] = {"conditions": [
        {"lastTransitionTime": ts(OOM_APPLY + 1 * SEC), "lastUpdateTime": ts(OOM_APPLY + 1 * SEC),
         "message": "Deployment does not have minimum availability.", "reason": "MinimumReplicasUnavailable",
         "status": "False", "type": "Available"},
        {"lastTransitionTime": ts(OOM_APPLY + 601 * SEC), "lastUpdateTime": ts(OOM_APPLY + 601 * SEC),
         "message": f'ReplicaSet "{new_rs_name}" has timed out progressing.', "reason": "ProgressDeadlineExceeded",
         "status": "False", "type": "Progressing"}],
        "observedGeneration": 4, "replicas": 1, "unavailableReplicas": 1, "updatedReplicas": 1}
    objs.append(dep)
    old_rs = deep(extra["plugin_rs"])
    old_rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] = "1"
    old_rs["metadata"]["generation"] = 2
    old_rs["spec"]["replicas"] = 0
    old_rs["status"] = {"observedGeneration": 2, "replicas": 0}
    objs.append(old_rs)
    labels = dict(P.PLUGIN_LABELS, **{"pod-template-hash": new_hash})
    rs_template = {"metadata": {"labels": dict(labels)}, "spec": deep(spec)}
    new_rs = obj("apps/v1", "ReplicaSet", new_rs_name, "cnpg-system", created=OOM_APPLY + 1 * SEC, labels=labels,
                 generation=1, owner=owner_ref(dep),
                 annotations={"deployment.kubernetes.io/desired-replicas": "1",
                              "deployment.kubernetes.io/max-replicas": "1", "deployment.kubernetes.io/revision": "4"},
                 spec={"replicas": 1, "selector": {"matchLabels": dict(labels)}, "template": rs_template},
                 status={"fullyLabeledReplicas": 1, "observedGeneration": 1, "replicas": 1})
    objs.append(new_rs)
    remove.append(ref(extra["plugin_pod"]))
    pod = P.make_pod(new_rs, "barman-cloud", "cnpg-system", new_hash, labels, spec, OOM_POD_START, 1, 53,
                     "Burstable", suffix_seed="oom")
    pname = pod["metadata"]["name"]
    runs = restart_times()
    last_start, last_end = runs[-1]
    cs = pod["status"]["containerStatuses"][0]
    cid = containerd(f"{pname}run{len(runs)}")
    cs.update({"containerID": cid, "ready": False, "restartCount": len(runs), "started": False,
               "lastState": {"terminated": {"containerID": cid, "exitCode": 137, "finishedAt": ts(last_end),
                                            "reason": "OOMKilled", "startedAt": ts(last_start)}},
               "state": {"waiting": {"message": f"back-off 5m0s restarting failed container=barman-cloud pod={pname}_cnpg-system({pod['metadata']['uid']})",
                                     "reason": "CrashLoopBackOff"}}})
    pod["status"]["conditions"] = P.pod_conditions(OOM_POD_START, ready=False, ready_since=OOM_POD_START + 1 * SEC,
                                                   not_ready_msg="containers with unready status: [barman-cloud]")
    objs.append(pod)

    # Flux
    hc_first = f"health check failed after 5m0.021876543s: timeout waiting for: [Deployment/cnpg-system/barman-cloud status: 'InProgress']"
    hc_msg = "health check failed after 10.004311298s: failed early due to stalled resources: [Deployment/cnpg-system/barman-cloud status: 'Failed']"
    first_fail = OOM_APPLY + 301 * SEC
    last_try = at(minutes=-1, seconds=-38)
    plug = P.kustomization("infrastructure-cnpg-barman-plugin", conditions=[
        cond("Ready", "False", "HealthCheckFailed", hc_msg, first_fail, observedGeneration=1),
        cond("Healthy", "False", "HealthCheckFailed", hc_msg, first_fail, observedGeneration=1),
        cond("Reconciling", "True", "ProgressingWithRetry",
             f"Running health checks for revision {REV_OOM} with a timeout of 5m0s", OOM_APPLY, observedGeneration=1)],
        applied=P.REV_HEAD, attempted=REV_OOM, handled=P.HANDLED["infrastructure-cnpg-barman-plugin"],
        history=[P.hist("infrastructure-cnpg-barman-plugin", "v0.14.0-64Mi", REV_OOM, OOM_APPLY, last_try, 21,
                        "10.021344109s", status="HealthCheckFailed")] +
                P.healthy_history("infrastructure-cnpg-barman-plugin", last=OOM_APPLY - 60 * SEC))
    dep_msg = "dependency 'flux-system/infrastructure-cnpg-barman-plugin' is not ready"
    apps = P.kustomization("apps-postgresql", conditions=[
        cond("Ready", "False", "DependencyNotReady", dep_msg, OOM_APPLY + 2 * SEC, observedGeneration=3)],
        applied=P.REV_HEAD, attempted=P.REV_HEAD, handled=P.HANDLED["apps-postgresql"],
        history=P.healthy_history("apps-postgresql", last=P.COMMIT_HEAD[1] + 62 * SEC))
    objs += flux_state(REV_OOM, OOM_COMMIT[1], {"infrastructure-cnpg-barman-plugin": plug, "apps-postgresql": apps})
    objs.append(P.gitrepository(REV_OOM, OOM_COMMIT[0], OOM_COMMIT[1]))

    # Clusters: the operator restarted at 05:22 (node drain) and registered the plugin's Service again
    # (registration does not dial it), but every call to the crash-looping plugin fails.
    for c in P.CLUSTERS:
        extra_kw = {}
        wnd = H.healthy_window(c)
        if c["name"] == "pg-analytics":
            plan = P.week_plan(c)
            b = plan[-1]
            # The backup controller cannot load the plugins ("Error loading plugins, retrying"): the
            # Backup keeps an empty phase and is retried; it is never failed for it.
            objs.append(P.backup(c, b["t"], phase="failed", pod="-"))
            objs[-1].pop("status", None)
            lb = None
            wnd = P.window(P.sched_time(c, -7) + dt.timedelta(seconds=97), plan[-2]["stop"])
            objs.append(P.objectstore(c, wnd))
            for e in base.events_for("Backup", "analytics", P.backup_name(c, b["t"])):
                remove.append(ref(e))
        else:
            lb = None
            if wnd.get("lastFailedBackupTime"):
                extra_kw["last_failed"] = wnd["lastFailedBackupTime"]
        conds = P.cluster_conditions(c, ready=False, ready_since=P.OPERATOR_POD_START + 13 * SEC, last_backup=lb)
        objs.append(P.cluster(c, phase=FAILURE_PHASE, phase_reason=f"Error while discovering plugins: {PLUGIN_DIAL_ERR}",
                              conditions=conds, **extra_kw))

    # Events
    svc = extra["plugin_svc"]
    for e in base.events_for("Service", "cnpg-system", "barman-cloud"):
        remove.append(ref(e))
    refused = REFUSED
    del svc  # registration does not dial the plugin: no registration failure for a crash-looping pod
    node = pod["spec"]["nodeName"]
    objs += [
        P.event(pod, "Scheduled", f"Successfully assigned cnpg-system/{pname} to {node}", first=OOM_POD_START,
                component="default-scheduler"),
        P.event(pod, "Pulled", f'Container image "{P.PLUGIN_IMAGE}" already present on machine',
                first=OOM_POD_START + 1 * SEC, last=last_start - 1 * SEC, count=len(runs) + 1, component="kubelet",
                host=node),
        P.event(pod, "Created", "Created container: barman-cloud", first=OOM_POD_START + 1 * SEC,
                last=last_start - 1 * SEC, count=len(runs) + 1, component="kubelet", host=node),
        P.event(pod, "Started", "Started container barman-cloud", first=OOM_POD_START + 2 * SEC,
                last=last_start, count=len(runs) + 1, component="kubelet", host=node),
        P.event(pod, "BackOff", f"Back-off restarting failed container barman-cloud in pod {pname}_cnpg-system({pod['metadata']['uid']})",
                first=runs[0][1] + 1 * SEC, last=at(seconds=-12), count=197, type_="Warning", component="kubelet",
                host=node),
        P.event(dep, "ScalingReplicaSet", f"Scaled down replica set {extra['plugin_rs']['metadata']['name']} from 1 to 0",
                first=OOM_APPLY, component="deployment-controller"),
        P.event(dep, "ScalingReplicaSet", f"Scaled up replica set {new_rs_name} from 0 to 1",
                first=OOM_APPLY + 1 * SEC, component="deployment-controller"),
    ]
    objs += [
        ks_event("infrastructure-cnpg-barman-plugin", "ReconciliationSucceeded",
                 "Reconciliation finished in 2.31s, next run in 1h0m0s", P.COMMIT_HEAD[1] + 69 * SEC,
                 P.COMMIT_HEAD[1] + 69 * SEC, 1, P.REV_HEAD),
        ks_event("infrastructure-cnpg-barman-plugin", "Progressing", "Deployment/cnpg-system/barman-cloud configured",
                 OOM_APPLY, OOM_APPLY, 1, REV_OOM),
        ks_event("infrastructure-cnpg-barman-plugin", "HealthCheckFailed", hc_msg, first_fail, last_try, 21, REV_OOM,
                 type_="Warning"),
        ks_event("apps-postgresql", "ReconciliationSucceeded", "Reconciliation finished in 1.81s, next run in 10m0s",
                 P.COMMIT_HEAD[1] + 64 * SEC, P.COMMIT_HEAD[1] + 64 * SEC, 1, P.REV_HEAD),
        ks_event("apps-postgresql", "DependencyNotReady", "Dependencies do not meet ready condition, retrying in 30s",
                 OOM_APPLY + 2 * SEC, at(seconds=-21), 93, REV_OOM),
    ]
    gr = H.gitrepo_ref()
    for e in base.events_for("GitRepository", "flux-system", "flux-system"):
        if e["reason"] == "ArtifactUpToDate":
            remove.append(ref(e))
    objs += [P.event(gr, "NewArtifact", f"stored artifact for commit '{OOM_COMMIT[0]}'", first=OOM_COMMIT[1] + 38 * SEC,
                     component="source-controller", annotations={"source.toolkit.fluxcd.io/revision": REV_OOM}),
             P.event(gr, "ArtifactUpToDate", f"artifact up-to-date with remote revision: '{REV_OOM}'",
                     first=OOM_COMMIT[1] + 98 * SEC, last=at(minutes=-1, seconds=-2), count=47,
                     component="source-controller", annotations={"source.toolkit.fluxcd.io/revision": REV_OOM})]

    # Logs
    def run_lines(start, salt):
        L = [jline(start + dt.timedelta(milliseconds=610), "info", "starting server", salt, name="health probe",
                   addr="[::]:8081"),
             jline(start + dt.timedelta(milliseconds=640), "info",
                   "attempting to acquire leader lease cnpg-system/822e3f5c.cnpg.io...", salt),
             jline(start + dt.timedelta(seconds=2, milliseconds=100), "info",
                   "successfully acquired lease cnpg-system/822e3f5c.cnpg.io", salt)]
        for i_, kind in enumerate(["ObjectStore", "Cluster", "Backup", "Secret"]):
            L.append(jline(start + dt.timedelta(seconds=2, milliseconds=120 + 5 * i_), "info", "Starting EventSource",
                           salt + kind, controller="objectstore", controllerGroup="barmancloud.cnpg.io",
                           controllerKind="ObjectStore", source=f"kind source: *v1.{kind}"))
        L.append(jline(start + dt.timedelta(seconds=2, milliseconds=160), "info", "Starting Controller", salt,
                       controller="objectstore", controllerGroup="barmancloud.cnpg.io", controllerKind="ObjectStore"))
        L.append(jline(start + dt.timedelta(seconds=2, milliseconds=180), "info", "Starting plugin", salt,
                       name=P.PLUGIN_NAME, displayName="BarmanCloudInstance", version=P.PLUGIN_VERSION))
        L.append(jline(start + dt.timedelta(seconds=9, milliseconds=400), "debug", "Listing Secrets to warm up the cache",
                       salt, namespace="", caller="/workspace/internal/cmd/operator/main.go:212"))
        return L
    pl_logs = {"pod": f"cnpg-system/{pname}", "container": "barman-cloud",
               "lines": run_lines(last_start, "run-last"), "previous": run_lines(runs[-2][0], "run-prev")}
    op = extra["op_pod"]
    op_lines = H.operator_lines(P.OPERATOR_POD_START)
    for k_ in range(6):
        t = P.OPERATOR_POD_START + 9 * SEC + dt.timedelta(minutes=5 * k_)
        op_lines.append(jline(t, "error", "Error while connecting to plugin (logical)", f"ecp{k_}",
                              pluginName=P.PLUGIN_NAME,
                              error=f'while querying plugin identity: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: {refused}"'))
    for k_, c in enumerate(P.CLUSTERS):
        # The cluster controller registers PhaseFailurePlugin and logs the load failure.
        op_lines.append(jline(at(minutes=-2, seconds=-40 + 7 * k_), "error", "Error loading plugins, retrying",
                              f"unk{k_}", controller="cluster", controllerGroup="postgresql.cnpg.io",
                              controllerKind="Cluster", Cluster={"name": c["name"], "namespace": c["ns"]},
                              namespace=c["ns"], name=c["name"], reconcileID=uid(f"unk{k_}"),
                              error=PLUGIN_DIAL_ERR))
    a = P.CL["pg-analytics"]
    bk = P.backup_name(a, P.sched_time(a, 0))
    for k_ in range(4):
        op_lines.append(jline(P.sched_time(a, 0) + 1 * SEC + dt.timedelta(minutes=k_), "error",
                              "Error loading plugins, retrying", f"bkplug{k_}", controller="backup",
                              controllerGroup="postgresql.cnpg.io", controllerKind="Backup",
                              Backup={"name": bk, "namespace": "analytics"}, namespace="analytics", name=bk,
                              error=PLUGIN_DIAL_ERR))
    logs = [pl_logs, {"pod": f"cnpg-system/{op['metadata']['name']}", "container": "manager", "lines": sorted(op_lines)}]
    for c in P.CLUSTERS:
        logs += cluster_logs(c, backup_day=None if c["name"] == "pg-analytics" else 0)
    kc_items = [(OOM_APPLY - 1 * SEC, "info", "server-side apply completed", "infrastructure-cnpg-barman-plugin", REV_OOM,
                 {"output": {"Deployment/cnpg-system/barman-cloud": "configured"}}),
                (first_fail, "error", "Reconciliation failed after 5m0.46s, next try in 2m0s",
                 "infrastructure-cnpg-barman-plugin", REV_OOM, {"error": hc_first})]
    t = first_fail + 120 * SEC
    while t < ANCHOR:
        kc_items.append((t, "error", "Reconciliation failed after 10.22s, next try in 2m0s",
                         "infrastructure-cnpg-barman-plugin", REV_OOM, {"error": hc_msg}))
        t += 130 * SEC
    for k_ in range(6):
        kc_items.append((at(minutes=-3) + dt.timedelta(seconds=30 * k_), "info",
                         "Dependencies do not meet ready condition, retrying in 30s", "apps-postgresql", REV_OOM, {}))
    logs.append(kc_logs(extra, kc_items))

    # Timeline: the container keeps dying every 5m20s; Flux keeps retrying; no backup can start.
    first_restart = (last_end + dt.timedelta(seconds=300)) - ANCHOR
    tl = [{"at": f"{int(first_restart.total_seconds())}s", "every": "5m20s", "steps": [
        event_step("0s", "Pod", "cnpg-system", pname, "Pulled", f'Container image "{P.PLUGIN_IMAGE}" already present on machine', "kubelet"),
        event_step("0s", "Pod", "cnpg-system", pname, "Created", "Created container: barman-cloud", "kubelet"),
        event_step("1s", "Pod", "cnpg-system", pname, "Started", "Started container barman-cloud", "kubelet"),
        {"after": "20s", "restart": {"pod": f"cnpg-system/{pname}", "container": "barman-cloud", "reason": "OOMKilled",
                                     "then": "CrashLoopBackOff"}},
    ]}, {"at": "48s", "every": "1m", "steps": [
        event_step("0s", "Pod", "cnpg-system", pname, "BackOff",
                   f"Back-off restarting failed container barman-cloud in pod {pname}_cnpg-system({pod['metadata']['uid']})",
                   "kubelet", type_="Warning")]},
        {"at": "22s", "every": "2m10s", "steps": [
            H.ev_step("0s", ks_involved("infrastructure-cnpg-barman-plugin"), "HealthCheckFailed", hc_msg,
                      "kustomize-controller", type_="Warning")]},
        {"at": "9s", "every": "30s", "steps": [
            H.ev_step("0s", ks_involved("apps-postgresql"), "DependencyNotReady",
                      "Dependencies do not meet ready condition, retrying in 30s", "kustomize-controller")]},
        H.gitrepo_loop(REV_OOM),
    ]
    states = {n: flux_hist(objs, n) for n in ("flux-system", "infrastructure-cnpg-operator")}
    tl.append(H.flux_loop(states, names=["flux-system", "infrastructure-cnpg-operator"]))
    expect = ["PLG004", "PLG005", "PLG008", "FLX004", "FLX003", "FLX008", "BKP004"]
    return objs, remove, logs, tl, OOM_DESCRIPTION, expect


def flux_hist(objs, name):
    k = next(o for o in objs if o["kind"] == "Kustomization" and o["metadata"]["name"] == name)
    return deep(k["status"]["history"])


# ===========================================================================
# 3. objectstore-credentials

ROTATION_T = dt.datetime(2026, 11, 23, 21, 40, 12, tzinfo=dt.timezone.utc)
SIG = ("An error occurred (SignatureDoesNotMatch) when calling the {op} operation: The request signature we "
       "calculated does not match the signature you provided. Check your key and signing method.")
# barman-cloud-backup's failure comes back as the bare exit error (the wrapper is only for WAL archiving).
CRED_BACKUP_ERR = "rpc error: code = Unknown desc = exit status 4"
CRED_WAL_ERR = "rpc error: code = Unknown desc = unexpected failure invoking barman-cloud-wal-archive: exit status 4"
MISSING_KEY_ERR = "rpc error: code = Unknown desc = missing key AZURE_STORAGE_KEY, inside secret billing-azure-creds"
BILLING_BREAK = at(hours=-1, minutes=-49, seconds=-27)

CRED_DESCRIPTION = """\
06:00 UTC. Two alerts fired overnight on the database team's channel:
"PostgreSQL WAL archiving failing" for orders/pg-orders (since late yesterday evening) and,
since about 04:10, the same alert for billing/pg-billing. The 02:00 backup of pg-orders
also failed; the 03:00 backup of pg-billing completed.

Both clusters are up and serve traffic; Flux is green; the Barman Cloud plugin pod is
healthy. Yesterday evening the security team ran their quarterly rotation of cloud
credentials, and early this morning someone "tidied up" a Secret in the billing namespace.

Work out, for each cluster separately, what the object store is telling you and what is
wrong with the credentials, using the Backups, the ObjectStores, the Secrets (key names
only, never values) and the plugin sidecar logs. The two failures look alike in the Cluster
status but have different causes."""


def objectstore_credentials(base, extra):
    objs, remove = [], []
    o = P.CL["pg-orders"]
    plan = P.week_plan(o)
    today = plan[-1]
    objs += P.credential_secrets(o, "bad")
    fail_t = today["start"] + 3 * SEC
    objs.append(P.backup(o, today["t"], phase="failed", start=today["start"], stop=fail_t, error=CRED_BACKUP_ERR))
    wnd = P.window(P.sched_time(o, -30) + dt.timedelta(seconds=97), plan[-2]["stop"], fail_t)
    objs.append(P.objectstore(o, wnd))
    objs.append(P.cluster(o, conditions=P.cluster_conditions(
        o, archiving=("False", "ContinuousArchivingFailing", CRED_WAL_ERR, ROTATION_T + 75 * SEC),
        last_backup=("False", "LastBackupFailed", CRED_BACKUP_ERR, fail_t + 1 * SEC)), last_failed=ts(fail_t)))

    b = P.CL["pg-billing"]
    old_secret = base.get("Secret", "billing", "billing-azure-creds")
    objs += P.credential_secrets(b, "missing-key")
    wnd_b = H.healthy_window(b)
    objs.append(P.cluster(b, conditions=P.cluster_conditions(
        b, archiving=("False", "ContinuousArchivingFailing", MISSING_KEY_ERR, BILLING_BREAK + 41 * SEC)),
        last_failed=wnd_b["lastFailedBackupTime"]))

    # Logs: orders
    pod1 = o["primary"]
    sig_put = SIG.format(op="PutObject")
    stuck = P.wal_name(o["tli"], P.lsn_at(o, ROTATION_T + 20 * SEC) + P.SEG)
    prim = H.wal_archive_lines(o, pod1, ROTATION_T + 20 * SEC, n_wals=3)

    def wal_fail(t, salt):
        opts = H.archive_options(o, stuck)
        bar = t + dt.timedelta(milliseconds=820)
        return [jline(t, "info", "Executing barman-cloud-wal-archive", salt + "x", logging_pod=pod1,
                      walName=H.wal_path(stuck), options=opts),
                jline(bar, "info", f"[{3000 + int(hexs(salt, 3), 16) % 900}] "
                      "ERROR: Barman cloud WAL archiver exception: " + sig_put, salt + "b",
                      logger="barman-cloud-wal-archive", pipe="stderr", logging_pod=pod1),
                jline(t + dt.timedelta(milliseconds=905), "error", "Error invoking barman-cloud-wal-archive", salt + "e",
                      logging_pod=pod1, walName=H.wal_path(stuck), options=opts, exitCode=4, error="exit status 4"),
                jline(t + dt.timedelta(milliseconds=906), "warning", "Failed archiving WAL: PostgreSQL will retry",
                      salt + "w", logging_pod=pod1, walName=H.wal_path(stuck), startTime=tsn(t, salt + "st"),
                      endTime=tsn(t + dt.timedelta(milliseconds=905), salt + "et"), elapsedWalTime=0.905,
                      error="unexpected failure invoking barman-cloud-wal-archive: exit status 4")]

    def wal_fail_pg(t, salt):
        return H.instance_manager_wal_failure(pod1, t + dt.timedelta(milliseconds=910), CRED_WAL_ERR, salt)
    prim += wal_fail(ROTATION_T + 75 * SEC, "first")
    pg1 = wal_fail_pg(ROTATION_T + 75 * SEC, "first")
    for k_ in range(5):
        prim += wal_fail(at(minutes=-5 * (4 - k_), seconds=-33), f"f{k_}")
        pg1 += wal_fail_pg(at(minutes=-5 * (4 - k_), seconds=-33), f"f{k_}")
    pod2 = o["backup_pod"]
    bname = P.backup_name(o, today["t"])
    bar = today["start"] + dt.timedelta(milliseconds=2310)
    bk = [jline(today["t"] + 2 * SEC, "info", "Starting backup", pod2 + bname, logging_pod=pod2),
          jline(today["start"] - 1 * SEC, "info", "Starting barman-cloud-backup", pod2 + bname, logging_pod=pod2,
                options=["--user", "postgres", "--name", H.backup_id_name(today["start"] - 1 * SEC), "--gzip",
                         "--jobs", "2", "--cloud-provider", "aws-s3", "s3://acme-prod-pg-backups/orders/",
                         "pg-orders"]),
          jline(bar, "info", "[1187] "
                "ERROR: Barman cloud backup exception: " + SIG.format(op="CreateMultipartUpload"), pod2 + "bx",
                logger="barman-cloud-backup", pipe="stderr", logging_pod=pod2),
          jline(fail_t, "error", "while taking backup", pod2 + "bf", logging_pod=pod2, error="exit status 4")]
    pg = {pod1: pg1}
    pg.setdefault(pod2, [])
    pg[pod2] = pg[pod2] + H.instance_manager_backup_lines(pod2, bname, today["t"] + 1 * SEC, fail_t + 1 * SEC,
                                                          error=CRED_BACKUP_ERR)
    logs = cluster_logs(o, primary_lines=prim, backup_lines=bk, postgres_lines=pg)
    logs[0]["generate"] = {"perSecond": 1, "lines": [
        '{"level":"info","ts":"{{time}}","msg":"Executing barman-cloud-wal-archive","logging_pod":"pg-orders-1","walName":"%s"}' % H.wal_path(stuck),
        '{"level":"info","ts":"{{time}}","logger":"barman-cloud-wal-archive","msg":"ERROR: Barman cloud WAL archiver exception: %s","pipe":"stderr","logging_pod":"pg-orders-1"}' % sig_put,
        '{"level":"error","ts":"{{time}}","msg":"Error invoking barman-cloud-wal-archive","logging_pod":"pg-orders-1","walName":"%s","exitCode":4,"error":"exit status 4"}' % H.wal_path(stuck),
        '{"level":"warning","ts":"{{time}}","msg":"Failed archiving WAL: PostgreSQL will retry","logging_pod":"pg-orders-1","walName":"%s","startTime":"{{time}}","endTime":"{{time}}","elapsedWalTime":0.905,"error":"unexpected failure invoking barman-cloud-wal-archive: exit status 4"}' % H.wal_path(stuck)]}

    # Logs: billing (primary is pg-billing-2)
    pb = b["primary"]
    stuck_b = P.wal_name(b["tli"], P.lsn_at(b, BILLING_BREAK) + P.SEG)
    bl = H.wal_archive_lines(b, pb, BILLING_BREAK, n_wals=3)
    pgb = []
    for k_ in range(7):
        t = BILLING_BREAK + 41 * SEC if k_ == 0 else at(minutes=-6 * (6 - k_), seconds=-9)
        # The plugin returns the credentials error without logging it; the instance manager does.
        pgb += H.instance_manager_wal_failure(pb, t, MISSING_KEY_ERR, f"mk{k_}")
    logs += cluster_logs(b, primary_lines=bl, postgres_lines={pb: pgb})
    logs += cluster_logs(P.CL["pg-analytics"])
    logs = healthy_plugin_and_operator_logs(extra) + logs
    logs.append(kc_logs(extra, H.healthy_kc_items()))

    # Timeline: analytics keeps backing up; at 3 minutes the on-call retries a manual backup of pg-orders.
    tl = loops_for(["pg-analytics"]) + [H.flux_loop(), H.gitrepo_loop()]
    mname = "pg-orders-{{stamp}}"
    mref = {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Backup", "namespace": "orders", "name": mname}
    tl.append({"at": "3m", "steps": [
        {"after": "0s", "apply": {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Backup",
                                  "metadata": {"name": mname, "namespace": "orders"},
                                  "spec": {"cluster": {"name": "pg-orders"}, "method": "plugin",
                                           "pluginConfiguration": {"name": P.PLUGIN_NAME}},
                                  "status": {"instanceID": {"ContainerID": P.instance_pod_container_id(o, pod2),
                                                            "podName": pod2,
                                                            "sessionID": uid(f"session:{pod2}:{o['pod_start']}")},
                                             "method": "plugin", "phase": "started",
                                             "reconciliationStartedAt": "{{now}}", "startedAt": "{{now}}"}}},
        H.ev_step("0s", mref, "Starting", "Starting backup for cluster pg-orders", "cloudnative-pg-backup"),
        {"after": "4s", "patch": {"ref": mref, "merge": {"status": {"error": CRED_BACKUP_ERR, "phase": "failed",
                                                                    "reconciliationTerminatedAt": "{{now}}"}}}},
        H.ev_step("4s", mref, "Failed", "Backup failed", "local-webserver"),
        {"after": "4s", "patch": {"ref": {"apiVersion": "barmancloud.cnpg.io/v1", "kind": "ObjectStore",
                                          "namespace": "orders", "name": "pg-orders-s3"},
                                  "merge": {"status": {"serverRecoveryWindow": {"pg-orders": {"lastFailedBackupTime": "{{now}}"}}}}}},
        {"after": "4s", "patch": {"ref": {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
                                          "namespace": "orders", "name": "pg-orders"},
                                  "merge": {"status": {"lastFailedBackup": "{{now}}"}}}},
    ]})
    # pg-orders has failed since the rotation (140 WAL files waiting); pg-billing since 04:10.
    ARCHIVERS["objectstore-credentials"] = [
        stuck_archiver(o, ROTATION_T + 20 * SEC, at(seconds=-33) + dt.timedelta(milliseconds=905), 1024),
        stuck_archiver(b, BILLING_BREAK, at(seconds=-9), 1024)]
    expect = ["OBJ006", "OBJ004", "OBJ002", "BKP001", "BKP002", "BKP005", "ARC003"]
    return objs, remove, logs, tl, CRED_DESCRIPTION, expect


# ===========================================================================
# 4. slow-backups

SLOW_DURATIONS = [46, 52, 58, 63, 71, 84]   # minutes, 17..22 November

SLOW_DESCRIPTION = """\
06:00 UTC. The orders team complains that their nightly reporting jobs, which start at 00:30,
have been crawling all week, and this morning the backup dashboard shows a pg-orders backup
that started at 23:00 last night and has not finished.

Nothing is red in Flux and no pod is restarting. pg-orders is the biggest database here and
has grown quickly this autumn; a few weeks ago its backup was moved from 02:00 to 23:00
"so that it finishes before business hours".

Use the Backups of pg-orders (compare stoppedAt - startedAt night after night), the
ObjectStore's data and WAL settings, and the sidecar log of the instance that runs the
backup. Decide whether the running backup is making progress, what to do with it, and what to
change so that backups get fast again."""


def slow_backups(base, extra):
    objs, remove = [], []
    o = P.CL["pg-orders"]
    for b in base.find("Backup", "orders", o["sb"]):
        remove.append(ref(b))
    nights = [dt.datetime(2026, 11, 17, 23, 0, 0, tzinfo=dt.timezone.utc) + dt.timedelta(days=d) for d in range(7)]
    done = []
    for t, mins in zip(nights[:-1], SLOW_DURATIONS):
        start = t + dt.timedelta(seconds=8 + int(hexs(ts(t), 2), 16) % 5)
        stop = start + dt.timedelta(minutes=mins, seconds=int(hexs(ts(t) + "s", 2), 16) % 59)
        done.append((t, start, stop))
        objs.append(P.backup(o, t, phase="completed", start=start, stop=stop))
    stuck_t = nights[-1]
    stuck_start = stuck_t + 9 * SEC
    objs.append(P.backup(o, stuck_t, phase="started", start=stuck_start))
    objs.append(P.scheduled_backup(o, last=stuck_t, nxt=stuck_t + dt.timedelta(days=1), schedule="0 0 23 * * *",
                                   generation=2))
    objs.append(P.objectstore(o, P.window(P.sched_time(o, -30) + dt.timedelta(hours=-3, minutes=-8), done[-1][2]),
                              variant="slow"))
    objs.append(P.cluster(o, conditions=P.cluster_conditions(
        o, last_backup=("False", "BackupStarted", "New Backup starting up", stuck_t + 2 * SEC))))

    # Logs of the standby that runs the backup: progress, then read timeouts, then silence.
    pod2 = o["backup_pod"]
    bname = P.backup_name(o, stuck_t)
    bid = stuck_start.strftime("%Y%m%dT%H%M%S")

    def bl(t, m, salt):
        return jline(t, "info", "[2291] " + m,
                     pod2 + salt, logger="barman-cloud-backup", pipe="stderr", logging_pod=pod2)
    prev_t, prev_start, prev_stop = done[-1]
    pname = P.backup_name(o, prev_t)
    lines = [jline(prev_t + 2 * SEC, "info", "Starting backup", pod2 + pname, logging_pod=pod2),
             jline(prev_stop + 1 * SEC, "info", "Backup completed", pod2 + pname + "d", logging_pod=pod2,
                   backup=prev_start.strftime("%Y%m%dT%H%M%S")),
             jline(prev_stop + 1 * SEC, "info", "Refreshing the recovery window", pod2 + pname + "rw",
                   logging_pod=pod2, backupName=H.backup_id_name(prev_start - 1 * SEC)),
             jline(stuck_t + 2 * SEC, "info", "Starting backup", pod2 + bname, logging_pod=pod2),
             jline(stuck_start - 1 * SEC, "info", "Starting barman-cloud-backup", pod2 + bname, logging_pod=pod2,
                   options=["--user", "postgres", "--name", H.backup_id_name(stuck_start - 1 * SEC), "--jobs", "1",
                            "--cloud-provider", "aws-s3",
                            "s3://acme-prod-pg-backups/orders/", "pg-orders"]),
             bl(stuck_start + 1 * SEC, f"INFO: Starting backup '{bid}'", "s1"),
             bl(stuck_start + 3 * SEC, "INFO: Uploading 'pgdata' directory '/var/lib/postgresql/data/pgdata' as 'data.tar'", "s2")]
    url = "https://acme-prod-pg-backups.s3.eu-central-1.amazonaws.com/orders/pg-orders/base/" + bid + "/data.tar"
    t = dt.datetime(2026, 11, 24, 0, 38, 51, tzinfo=dt.timezone.utc)
    for k_, (part, attempt) in enumerate([(1871, 2), (1871, 3), (1872, 2), (1872, 3), (1872, 4)]):
        lines.append(bl(t + dt.timedelta(minutes=2 * k_, seconds=7 * k_),
                        f'WARNING: Upload of part {part} failed, retrying (attempt {attempt}/5): Read timeout on endpoint URL: "{url}?partNumber={part}&uploadId=FAKE-UPLOAD-ID"',
                        f"w{k_}"))
    logs = cluster_logs(o, backup_lines=lines)
    for n in ("pg-billing", "pg-analytics"):
        logs += cluster_logs(P.CL[n])
    logs[0]["generate"] = H.sidecar_generate(o, o["primary"])
    assert logs[0]["pod"] == "orders/pg-orders-1"
    logs = healthy_plugin_and_operator_logs(extra) + logs
    logs.append(kc_logs(extra, H.healthy_kc_items()))

    tl = loops_for(["pg-billing", "pg-analytics"]) + [H.flux_loop(), H.gitrepo_loop()]
    expect = ["BKP003", "BKP004", "BKP002"]
    return objs, remove, logs, tl, SLOW_DESCRIPTION, expect


# ===========================================================================
# 5. flux-stuck-dependency

STUCK_COMMIT = ("Bump CloudNativePG operator to 1.30.1", at(minutes=-46, seconds=-5))
REV_STUCK = P.rev(STUCK_COMMIT[0])
STUCK_APPLY = STUCK_COMMIT[1] + 62 * SEC
BAD_IMAGE = "ghcr.io/cloudnative-pg/cloudnative-pg:v1.30.1"

STUCK_DESCRIPTION = """\
06:00 UTC. A developer merged a change to the backup configuration of pg-billing 45 minutes
ago and asks why the cluster still does not show it. `flux get ks` has been showing
infrastructure-cnpg-barman-plugin and apps-postgresql as not Ready for the same 45 minutes;
`flux reconcile ks infrastructure-cnpg-barman-plugin` "does nothing".

The databases are healthy and backups keep completing. The GitRepository is Ready and has
fetched the newest commit. Shortly before the developer's change, a dependency-update pull
request for the CloudNativePG operator was merged as well.

Walk the dependency chain, find the Kustomization that is actually failing and why, and
explain why reconciling or suspend/resume on the plugin Kustomization cannot help."""


def flux_stuck(base, extra):
    objs, remove = [], []
    dep = deep(extra["op_dep"])
    spec = P.operator_pod_spec(image=BAD_IMAGE)
    dep["metadata"]["generation"] = 7
    dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "7"
    dep["spec"]["template"]["spec"] = deep(spec)
    new_hash = safe("rs:operator-v1.30.1", 10)
    new_rs_name = f"cnpg-controller-manager-{new_hash}"
    avail = dep["status"]["conditions"][0]
    dep["status"] = {"availableReplicas": 1, "conditions": [avail, {
        "lastTransitionTime": ts(STUCK_APPLY + 601 * SEC), "lastUpdateTime": ts(STUCK_APPLY + 601 * SEC),
        "message": f'ReplicaSet "{new_rs_name}" has timed out progressing.', "reason": "ProgressDeadlineExceeded",
        "status": "False", "type": "Progressing"}],
        "observedGeneration": 7, "readyReplicas": 1, "replicas": 2, "unavailableReplicas": 1, "updatedReplicas": 1}
    objs.append(dep)
    labels = dict(P.OPERATOR_LABELS, **{"pod-template-hash": new_hash})
    new_rs = obj("apps/v1", "ReplicaSet", new_rs_name, "cnpg-system", created=STUCK_APPLY + 1 * SEC, labels=labels,
                 generation=1, owner=owner_ref(dep),
                 annotations={"deployment.kubernetes.io/desired-replicas": "1",
                              "deployment.kubernetes.io/max-replicas": "2", "deployment.kubernetes.io/revision": "7"},
                 spec={"replicas": 1, "selector": {"matchLabels": dict(labels)},
                       "template": {"metadata": {"labels": dict(labels)}, "spec": deep(spec)}},
                 status={"fullyLabeledReplicas": 1, "observedGeneration": 1, "replicas": 1})
    objs.append(new_rs)
    pod_start = STUCK_APPLY + 2 * SEC
    pod = P.make_pod(new_rs, "cnpg-controller-manager", "cnpg-system", new_hash, labels, spec, pod_start, 2, 41,
                     "Burstable", suffix_seed="stuck")
    pname = pod["metadata"]["name"]
    pull_err = (f'failed to pull and unpack image "{BAD_IMAGE}": failed to resolve reference "{BAD_IMAGE}": '
                f'{BAD_IMAGE}: not found')
    pod["status"]["containerStatuses"] = [{
        "image": BAD_IMAGE, "imageID": "", "lastState": {}, "name": "manager", "ready": False, "restartCount": 0,
        "started": False, "state": {"waiting": {"message": f'Back-off pulling image "{BAD_IMAGE}": ErrImagePull: {pull_err}',
                                                "reason": "ImagePullBackOff"}}}]
    pod["status"]["conditions"] = P.pod_conditions(pod_start, ready=False, ready_since=pod_start + 1 * SEC,
                                                   not_ready_msg="containers with unready status: [manager]")
    pod["status"]["phase"] = "Pending"
    objs.append(pod)

    # Flux
    hc_first = "health check failed after 5m0.034117206s: timeout waiting for: [Deployment/cnpg-system/cnpg-controller-manager status: 'InProgress']"
    hc_msg = "health check failed after 10.007583412s: failed early due to stalled resources: [Deployment/cnpg-system/cnpg-controller-manager status: 'Failed']"
    first_fail = STUCK_APPLY + 301 * SEC
    last_try = at(minutes=-1, seconds=-14)
    opk = P.kustomization("infrastructure-cnpg-operator", conditions=[
        cond("Ready", "False", "HealthCheckFailed", hc_msg, first_fail, observedGeneration=2),
        cond("Healthy", "False", "HealthCheckFailed", hc_msg, first_fail, observedGeneration=2),
        cond("Reconciling", "True", "ProgressingWithRetry",
             f"Running health checks for revision {REV_STUCK2} with a timeout of 5m0s", STUCK_APPLY, observedGeneration=2)],
        applied=P.REV_HEAD, attempted=REV_STUCK2, handled=P.HANDLED["infrastructure-cnpg-operator"],
        history=[P.hist("infrastructure-cnpg-operator", "v1.30.1", REV_STUCK2, STUCK_APPLY, last_try, 19,
                        "10.018840671s", status="HealthCheckFailed")] +
                P.healthy_history("infrastructure-cnpg-operator", last=STUCK_APPLY - 60 * SEC))
    handled_plugin = tsn(at(minutes=-12, seconds=-3), "reconcile-by-hand")
    plug_msg = "dependency 'flux-system/infrastructure-cnpg-operator' is not ready"
    plug = P.kustomization("infrastructure-cnpg-barman-plugin", conditions=[
        cond("Ready", "False", "DependencyNotReady", plug_msg, STUCK_APPLY + 1 * SEC, observedGeneration=1),
        cond("Healthy", "True", "Succeeded", "Health check passed in 2.017416923s", P.PLUGIN_UPGRADED + 14 * SEC,
             observedGeneration=1)],
        applied=P.REV_HEAD, attempted=P.REV_HEAD, handled=handled_plugin,
        history=P.healthy_history("infrastructure-cnpg-barman-plugin", last=P.COMMIT_HEAD[1] + 69 * SEC))
    apps_msg = "dependency 'flux-system/infrastructure-cnpg-barman-plugin' is not ready"
    apps = P.kustomization("apps-postgresql", conditions=[
        cond("Ready", "False", "DependencyNotReady", apps_msg, STUCK_APPLY + 2 * SEC, observedGeneration=3)],
        applied=P.REV_HEAD, attempted=P.REV_HEAD, handled=P.HANDLED["apps-postgresql"],
        history=P.healthy_history("apps-postgresql", last=P.COMMIT_HEAD[1] + 64 * SEC))
    objs += flux_state(REV_STUCK2, STUCK_COMMIT2[1], {"infrastructure-cnpg-operator": opk,
                                                      "infrastructure-cnpg-barman-plugin": plug,
                                                      "apps-postgresql": apps})
    objs.append(P.gitrepository(REV_STUCK2, STUCK_COMMIT2[0], STUCK_COMMIT2[1]))

    # Events
    objs += [
        ks_event("infrastructure-cnpg-operator", "ReconciliationSucceeded",
                 "Reconciliation finished in 2.61s, next run in 1h0m0s", P.COMMIT_HEAD[1] + 66 * SEC,
                 P.COMMIT_HEAD[1] + 66 * SEC, 1, P.REV_HEAD),
        ks_event("infrastructure-cnpg-operator", "Progressing",
                 "Deployment/cnpg-system/cnpg-controller-manager configured", STUCK_APPLY, STUCK_APPLY, 1, REV_STUCK),
        ks_event("infrastructure-cnpg-operator", "HealthCheckFailed", hc_msg, first_fail, last_try, 19, REV_STUCK2,
                 type_="Warning"),
        ks_event("infrastructure-cnpg-barman-plugin", "ReconciliationSucceeded",
                 "Reconciliation finished in 2.31s, next run in 1h0m0s", P.COMMIT_HEAD[1] + 69 * SEC,
                 P.COMMIT_HEAD[1] + 69 * SEC, 1, P.REV_HEAD),
        ks_event("infrastructure-cnpg-barman-plugin", "DependencyNotReady",
                 "Dependencies do not meet ready condition, retrying in 30s", STUCK_APPLY + 1 * SEC, at(seconds=-17), 90,
                 REV_STUCK2),
        ks_event("apps-postgresql", "ReconciliationSucceeded", "Reconciliation finished in 1.81s, next run in 10m0s",
                 P.COMMIT_HEAD[1] + 64 * SEC, P.COMMIT_HEAD[1] + 64 * SEC, 1, P.REV_HEAD),
        ks_event("apps-postgresql", "DependencyNotReady", "Dependencies do not meet ready condition, retrying in 30s",
                 STUCK_APPLY + 2 * SEC, at(seconds=-16), 90, REV_STUCK2),
    ]
    gr = H.gitrepo_ref()
    for e in base.events_for("GitRepository", "flux-system", "flux-system"):
        if e["reason"] == "ArtifactUpToDate":
            remove.append(ref(e))
    objs += [P.event(gr, "NewArtifact", f"stored artifact for commit '{STUCK_COMMIT[0]}'",
                     first=STUCK_COMMIT[1] + 38 * SEC, component="source-controller",
                     annotations={"source.toolkit.fluxcd.io/revision": REV_STUCK}),
             P.event(gr, "NewArtifact", f"stored artifact for commit '{STUCK_COMMIT2[0]}'",
                     first=STUCK_COMMIT2[1] + 38 * SEC, component="source-controller",
                     annotations={"source.toolkit.fluxcd.io/revision": REV_STUCK2}),
             P.event(gr, "ArtifactUpToDate", f"artifact up-to-date with remote revision: '{REV_STUCK2}'",
                     first=STUCK_COMMIT2[1] + 98 * SEC, last=at(minutes=-1, seconds=-2), count=44,
                     component="source-controller", annotations={"source.toolkit.fluxcd.io/revision": REV_STUCK2})]
    node = pod["spec"]["nodeName"]
    objs += [
        P.event(pod, "Scheduled", f"Successfully assigned cnpg-system/{pname} to {node}", first=pod_start,
                component="default-scheduler"),
        P.event(pod, "Pulling", f'Pulling image "{BAD_IMAGE}"', first=pod_start + 1 * SEC, last=at(minutes=-3, seconds=-40),
                count=13, component="kubelet", host=node),
        P.event(pod, "Failed", f'Failed to pull image "{BAD_IMAGE}": {pull_err}', first=pod_start + 2 * SEC,
                last=at(minutes=-3, seconds=-39), count=13, type_="Warning", component="kubelet", host=node),
        P.event(pod, "Failed", "Error: ErrImagePull", first=pod_start + 2 * SEC, last=at(minutes=-3, seconds=-39),
                count=13, type_="Warning", component="kubelet", host=node),
        P.event(pod, "BackOff", f'Back-off pulling image "{BAD_IMAGE}"', first=pod_start + 3 * SEC,
                last=at(seconds=-25), count=196, component="kubelet", host=node),
        P.event(pod, "Failed", "Error: ImagePullBackOff", first=pod_start + 3 * SEC, last=at(seconds=-25),
                count=196, type_="Warning", component="kubelet", host=node),
        P.event(dep, "ScalingReplicaSet", f"Scaled up replica set {new_rs_name} from 0 to 1",
                first=STUCK_APPLY + 1 * SEC, component="deployment-controller"),
    ]

    # Logs
    kc_items = [(STUCK_APPLY - 1 * SEC, "info", "server-side apply completed", "infrastructure-cnpg-operator", REV_STUCK,
                 {"output": {"Deployment/cnpg-system/cnpg-controller-manager": "configured"}}),
                (STUCK_APPLY + 1 * SEC, "info", "Dependencies do not meet ready condition, retrying in 30s",
                 "infrastructure-cnpg-barman-plugin", REV_STUCK, {}),
                (first_fail, "error", "Reconciliation failed after 5m0.58s, next try in 2m0s",
                 "infrastructure-cnpg-operator", REV_STUCK, {"error": hc_first})]
    t = first_fail + 130 * SEC
    while t < ANCHOR:
        kc_items.append((t, "error", "Reconciliation failed after 10.19s, next try in 2m0s",
                         "infrastructure-cnpg-operator", REV_STUCK2, {"error": hc_msg}))
        t += 130 * SEC
    for k_ in range(6):
        for n, rv in (("infrastructure-cnpg-barman-plugin", REV_STUCK2), ("apps-postgresql", REV_STUCK2)):
            kc_items.append((at(minutes=-3) + dt.timedelta(seconds=30 * k_ + (1 if n == "apps-postgresql" else 0)),
                             "info", "Dependencies do not meet ready condition, retrying in 30s", n, rv, {}))
    kc_items.append((at(minutes=-12, seconds=-3), "info", "Dependencies do not meet ready condition, retrying in 30s",
                     "infrastructure-cnpg-barman-plugin", REV_STUCK2, {}))
    logs = healthy_plugin_and_operator_logs(extra) + [kc_logs(extra, kc_items)]
    for c in P.CLUSTERS:
        logs += cluster_logs(c)
    next(e for e in logs if e["pod"] == "orders/pg-orders-1")["generate"] = H.sidecar_generate(P.CL["pg-orders"], "pg-orders-1")

    # Timeline: backups keep working; Flux keeps retrying; the kubelet keeps backing off.
    tl = loops_for(["pg-orders", "pg-billing", "pg-analytics"])
    tl += [{"at": "26s", "every": "2m10s", "steps": [
        H.ev_step("0s", ks_involved("infrastructure-cnpg-operator"), "HealthCheckFailed", hc_msg,
                  "kustomize-controller", type_="Warning")]},
        {"at": "13s", "every": "30s", "steps": [
            H.ev_step("0s", ks_involved("infrastructure-cnpg-barman-plugin"), "DependencyNotReady",
                      "Dependencies do not meet ready condition, retrying in 30s", "kustomize-controller"),
            H.ev_step("1s", ks_involved("apps-postgresql"), "DependencyNotReady",
                      "Dependencies do not meet ready condition, retrying in 30s", "kustomize-controller")]},
        {"at": "35s", "every": "1m", "steps": [
            event_step("0s", "Pod", "cnpg-system", pname, "BackOff", f'Back-off pulling image "{BAD_IMAGE}"', "kubelet"),
            event_step("0s", "Pod", "cnpg-system", pname, "Failed", "Error: ImagePullBackOff", "kubelet", type_="Warning")]},
        H.gitrepo_loop(REV_STUCK2)]
    tl.append(H.flux_loop({"flux-system": flux_hist(objs, "flux-system")}, names=["flux-system"]))
    expect = ["FLX004", "FLX003", "FLX008"]
    return objs, remove, logs, tl, STUCK_DESCRIPTION, expect


# The developer's commit that cannot be applied: it came after the operator bump.
STUCK_COMMIT2 = ("pg-billing: keep 21 days of backups", at(minutes=-44, seconds=-51))
REV_STUCK2 = P.rev(STUCK_COMMIT2[0])


# ===========================================================================

SCENARIOS = [
    ("gitignore-trap", gitignore_trap),
    ("plugin-crashloop-oom", plugin_crashloop),
    ("objectstore-credentials", objectstore_credentials),
    ("slow-backups", slow_backups),
    ("flux-stuck-dependency", flux_stuck),
]


def write_all(write, base_objs, extra):
    base = Base(base_objs)
    for name, fn in SCENARIOS:
        objs, remove, logs, tl, desc, expect = fn(base, extra)
        rk = lambda r: (r["apiVersion"].split("/")[0] if "/" in r["apiVersion"] else "", r["kind"],
                        r.get("namespace", ""), r["name"])
        replaced = {ident(o) for o in objs}
        remove = [r for r in remove if rk(r) not in replaced]   # same identity: a replacement, not a removal
        removed = {rk(r) for r in remove}
        for r in removed:
            assert r in base.by_id, f"{name}: remove of unknown {r}"
        for o in objs:
            k = ident(o)
            assert k not in removed, f"{name}: {k} both removed and replaced"
            if k in base.by_id:
                assert base.by_id[k]["metadata"]["uid"] == o["metadata"]["uid"] or o["kind"] == "Secret", \
                    f"{name}: uid changed for {k}"
        # dedupe the remove list, keep order
        seen, rm = set(), []
        for r in remove:
            key = tuple(sorted(r.items()))
            if key not in seen:
                seen.add(key)
                rm.append(r)
        sc = H.scenario_doc(name, desc, expect, logs, tl, base="healthy", remove=rm)
        if name in ARCHIVERS:
            sc["spec"]["archivers"] = ARCHIVERS[name]
        write(name, objs, sc)
