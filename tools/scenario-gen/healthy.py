"""The healthy scenario: objects, events, logs and a timeline that keeps the demo alive."""
from parts import *  # noqa: F401,F403
import parts as P
from common import monotonic, at, ts, tsn, hexs, uid, safe, b64, obj, owner_ref, cond, flux_labels, jline, deep, ref, ANCHOR
import datetime as dt
import json

SEC = dt.timedelta(seconds=1)
KS_NAMES = ["flux-system", "infrastructure-cnpg-operator", "infrastructure-cnpg-barman-plugin", "apps-postgresql"]


# ---------------------------------------------------------------------------
# objects


def namespaces():
    return [P.namespace("cnpg-system", P.CNPG_INSTALLED - 60 * SEC, "infrastructure-cnpg-operator"),
            P.namespace("flux-system", P.INSTALLED - 60 * SEC, "flux-system",
                        {"app.kubernetes.io/instance": "flux-system", "app.kubernetes.io/part-of": "flux",
                         "app.kubernetes.io/version": P.FLUX_VERSION, "pod-security.kubernetes.io/warn": "restricted",
                         "pod-security.kubernetes.io/warn-version": "latest"})] + \
           [P.namespace(c["ns"], c["created"] - 60 * SEC, "apps-postgresql") for c in P.CLUSTERS]


def week_backups(c, overrides=None):
    """The 7 daily backups; overrides: {day: dict(phase=..., error=..., stop=...)}."""
    out = []
    for b in P.week_plan(c):
        o = (overrides or {}).get(b["day"])
        if o:
            out.append(P.backup(c, b["t"], start=o.get("start", b["start"]), **{k: v for k, v in o.items() if k != "start"}))
        else:
            out.append(P.backup(c, b["t"], phase="completed", start=b["start"], stop=b["stop"]))
    return out


BILLING_FAILED_DAY = -5   # 2026-11-19: a transient Azure outage; the next days succeeded
BILLING_FAILED_ERROR = "rpc error: code = Unknown desc = exit status 2"


def healthy_window(c):
    plan = P.week_plan(c)
    last_ok = plan[-1]["stop"]
    days = int(c["retention"][:-1])
    first = P.sched_time(c, -days) + dt.timedelta(seconds=97)
    failed = None
    if c["name"] == "pg-billing":
        failed = plan[BILLING_FAILED_DAY + 6]["start"] + 38 * SEC
    return P.window(first, last_ok, failed)


def cluster_objects(c):
    wnd = healthy_window(c)
    out = [P.cluster(c, last_failed=wnd.get("lastFailedBackupTime"))]
    out.append(P.objectstore(c, wnd))
    out += P.credential_secrets(c)
    out.append(P.scheduled_backup(c))
    overrides = None
    if c["name"] == "pg-billing":
        b = P.week_plan(c)[BILLING_FAILED_DAY + 6]
        overrides = {BILLING_FAILED_DAY: dict(phase="failed", error=BILLING_FAILED_ERROR, stop=b["start"] + 37 * SEC)}
    out += week_backups(c, overrides)
    out += [P.instance_pod(c, i) for i in range(c["instances"])]
    out += P.cluster_support(c)
    return out


def ks_event(ks_name, reason, message, first, last, count, revision, type_="Normal"):
    involved = {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                "metadata": {"name": ks_name, "namespace": "flux-system",
                             "uid": uid(f"kustomize.toolkit.fluxcd.io/v1/Kustomization/flux-system/{ks_name}")}}
    return P.event(involved, reason, message, first=first, last=last, count=count, type_=type_,
                   component="kustomize-controller",
                   annotations={"kustomize.toolkit.fluxcd.io/revision": revision},
                   name_seed=f"{ks_name}/{reason}/{revision}/{message[:40]}")


def gitrepo_ref():
    return {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "flux-system", "namespace": "flux-system",
                         "uid": uid("source.toolkit.fluxcd.io/v1/GitRepository/flux-system/flux-system")}}


def backup_ref(c, name):
    return {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Backup",
            "metadata": {"name": name, "namespace": c["ns"], "uid": uid(f"postgresql.cnpg.io/v1/Backup/{c['ns']}/{name}")}}


def backup_events(c, b, outcome="Completed"):
    name = P.backup_name(c, b["t"])
    r = backup_ref(c, name)
    evs = [P.event(r, "Starting", f"Starting backup for cluster {c['name']}", first=b["t"] + 1 * SEC,
                   component="cloudnative-pg-backup"),
           # The instance manager records these three (recorder `local-webserver`), not the backup controller.
           P.event(r, "Starting", "Backup started", first=b["start"], component="local-webserver",
                   host=c["backup_pod"])]
    if outcome == "Completed":
        evs.append(P.event(r, "Completed", "Backup completed", first=b["stop"] + 1 * SEC,
                           component="local-webserver", host=c["backup_pod"]))
    elif outcome == "Failed":
        evs.append(P.event(r, "Failed", "Backup failed", first=b["start"] + 4 * SEC,
                           component="local-webserver", host=c["backup_pod"]))
    return evs


def pod_ref(pod):
    return pod


def healthy_events(objs_by_kind):
    ev = []
    # The nightly analytics backup ran 30 minutes ago: its events are still within the 1 h event TTL.
    a = P.CL["pg-analytics"]
    b = P.week_plan(a)[-1]
    ev += backup_events(a, b)
    ev.append(P.event(P.sb_obj_ref(a), "BackupSchedule",
                      "Next backup scheduled by 2026-11-25 05:30:00 +0000 UTC",
                      first=b["t"], component="cloudnative-pg-scheduledbackup"))
    # Flux
    for name in KS_NAMES:
        interval = 10 if name in ("flux-system", "apps-postgresql") else 60
        secs = {"flux-system": "1.18s", "infrastructure-cnpg-operator": "2.61s",
                "infrastructure-cnpg-barman-plugin": "2.31s", "apps-postgresql": "1.81s"}[name]
        count = {"flux-system": 6, "apps-postgresql": 7, "infrastructure-cnpg-operator": 2,
                 "infrastructure-cnpg-barman-plugin": 2}[name]
        ev.append(ks_event(name, "ReconciliationSucceeded",
                           f"Reconciliation finished in {secs}, next run in {'10m0s' if interval == 10 else '1h0m0s'}",
                           P.COMMIT_HEAD[1] + 61 * SEC, P.KS_LAST[name], count, P.REV_HEAD))
    ev.append(ks_event("apps-postgresql", "Progressing", "Cluster/analytics/pg-analytics configured",
                       P.COMMIT_HEAD[1] + 63 * SEC, P.COMMIT_HEAD[1] + 63 * SEC, 1, P.REV_HEAD))
    gr = gitrepo_ref()
    ev.append(P.event(gr, "NewArtifact", f"stored artifact for commit '{P.COMMIT_HEAD[0]}'",
                      first=P.COMMIT_HEAD[1] + 38 * SEC, component="source-controller",
                      annotations={"source.toolkit.fluxcd.io/revision": P.REV_HEAD}))
    ev.append(P.event(gr, "ArtifactUpToDate", f"artifact up-to-date with remote revision: '{P.REV_HEAD}'",
                      first=P.COMMIT_HEAD[1] + 98 * SEC, last=at(minutes=-1, seconds=-2), count=51,
                      component="source-controller",
                      annotations={"source.toolkit.fluxcd.io/revision": P.REV_HEAD}))
    # The operator pod was rescheduled this morning (node drain): it registered the plugin again.
    svc = objs_by_kind[("Service", "cnpg-system", "barman-cloud")]
    ev.append(P.event(svc, "PluginRegistered", f"Plugin {P.PLUGIN_NAME} registered",
                      first=P.OPERATOR_POD_START + 9 * SEC, component="cloudnative-pg"))
    op_pod = objs_by_kind[("Pod", "cnpg-system", "operator")]
    n = op_pod["metadata"]["name"]
    node = op_pod["spec"]["nodeName"]
    ev += [P.event(op_pod, "Scheduled", f"Successfully assigned cnpg-system/{n} to {node}",
                   first=P.OPERATOR_POD_START, component="default-scheduler"),
           P.event(op_pod, "Pulled", f'Container image "{P.CNPG_IMAGE}" already present on machine',
                   first=P.OPERATOR_POD_START + 1 * SEC, component="kubelet", host=node),
           P.event(op_pod, "Created", "Created container: manager", first=P.OPERATOR_POD_START + 1 * SEC,
                   component="kubelet", host=node),
           P.event(op_pod, "Started", "Started container manager", first=P.OPERATOR_POD_START + 2 * SEC,
                   component="kubelet", host=node)]
    return ev


def build_objects():
    objs = []
    objs += namespaces()
    op_dep, op_rs, op_pod = P.operator_objects()
    objs += [op_dep, op_rs, op_pod]
    objs += list(P.cnpg_support_objects())
    pl_dep, pl_rs, pl_pod, pl_svc, pl_sa, pl_secret = P.plugin_objects()
    objs += [pl_dep, pl_rs, pl_pod, pl_svc, pl_sa, pl_secret]
    issuer, certs, tls = P.cert_manager_objects()
    objs += [issuer] + certs + tls
    objs += P.flux_objects()
    objs.append(P.gitrepository(P.REV_HEAD, P.COMMIT_HEAD[0], P.COMMIT_HEAD[1]))
    objs += [P.healthy_kustomization(n) for n in KS_NAMES]
    for c in P.CLUSTERS:
        objs += cluster_objects(c)
    lookup = {("Service", "cnpg-system", "barman-cloud"): pl_svc, ("Pod", "cnpg-system", "operator"): op_pod}
    objs += healthy_events(lookup)
    kc_pod = next(o for o in objs if o["kind"] == "Pod" and o["metadata"].get("labels", {}).get("app") == "kustomize-controller")
    return objs, {"kc_pod": kc_pod, "op_pod": op_pod, "plugin_pod": pl_pod, "plugin_rs": pl_rs, "plugin_dep": pl_dep,
                  "op_dep": op_dep, "op_rs": op_rs, "plugin_svc": pl_svc}


# ---------------------------------------------------------------------------
# logs

def wal_path(name):
    return f"/var/lib/postgresql/data/pgdata/pg_wal/{name}"


def archive_options(c, walname):
    n = c["name"]
    if n == "pg-orders":
        return ["--gzip", "--cloud-provider", "aws-s3", "--tags", "environment,production", "team,commerce",
                "s3://acme-prod-pg-backups/orders/", c["server"], wal_path(walname)]
    if n == "pg-billing":
        return ["--snappy", "--cloud-provider", "azure-blob-storage",
                "https://acmeprodpgbackups.blob.core.windows.net/billing", c["server"], wal_path(walname)]
    return ["--zstd", "--endpoint-url", "https://s3.nas01.example.internal:9000", "--cloud-provider", "aws-s3",
            "s3://pg-analytics/", c["server"], wal_path(walname)]


def destination(c):
    return {"pg-orders": "s3://acme-prod-pg-backups/orders/",
            "pg-billing": "https://acmeprodpgbackups.blob.core.windows.net/billing",
            "pg-analytics": "s3://pg-analytics/"}[c["name"]]


def sidecar_start_lines(c, pod, t):
    # The sidecar's own line, then cnpg-i-machinery's when the gRPC server starts.
    return [jline(t, "info", "Starting barman cloud instance plugin", pod, logging_pod=pod),
            jline(t + 1 * SEC, "info", "Starting plugin", pod, logging_pod=pod, name=P.PLUGIN_NAME,
                  displayName="BarmanCloudInstance", version=P.PLUGIN_VERSION)]


def wal_spacing(c):
    return min(300, int(P.SEG / (c["lsn_day"] / 86400)))


def wal_archive_lines(c, pod, t_end, n_wals=4, elapsed=(0.6, 1.4), first_seg_lsn=None):
    """The last n_wals archived WAL segments before t_end, consecutive, one every wal_spacing(c) seconds."""
    lines = []
    sp = wal_spacing(c)
    end_lsn = first_seg_lsn if first_seg_lsn is not None else P.lsn_at(c, t_end)
    for k in range(n_wals):
        name = P.wal_name(c["tli"], end_lsn - (n_wals - 1 - k) * P.SEG)
        tt = t_end - dt.timedelta(seconds=sp * (n_wals - 1 - k)) - dt.timedelta(seconds=20) + \
            dt.timedelta(microseconds=int(hexs(name + "us", 5), 16) % 900000 + 1000)
        e = elapsed[0] + (int(hexs(name, 4), 16) % 100) / 100 * (elapsed[1] - elapsed[0])
        lines.append(jline(tt, "info", "Executing barman-cloud-wal-archive", pod + name, logging_pod=pod,
                           walName=wal_path(name), options=archive_options(c, name)))
        end = tt + dt.timedelta(seconds=e)
        lines.append(jline(end + dt.timedelta(microseconds=180), "info", "Archived WAL file", pod + name,
                           walName=wal_path(name), startTime=tsn(tt, pod + name), endTime=tsn(end, pod + name),
                           elapsedWalTime=round(e, 9), logging_pod=pod))
    return lines


def retention_lines(c, pod, t):
    # barman-cloud-backup-delete runs with `--retention-policy "RECOVERY WINDOW OF …"`; the plugin
    # logs no line of its own naming the command, so only the policy line is shown.
    return [jline(t, "info", "Applying backup retention policy", pod, logging_pod=pod, retentionPolicy=c["retention"])]


def backup_lines(c, pod, b, name, jobs=None, compression="default"):
    start, stop = b["start"], b["stop"]
    bid = start.strftime("%Y%m%dT%H%M%S")
    provider = "azure-blob-storage" if c["name"] == "pg-billing" else "aws-s3"
    spec = P.objectstore_spec(c)["configuration"]["data"]
    jobs = jobs or spec.get("jobs", 2)
    comp = spec.get("compression") if compression == "default" else compression
    # The plugin names the base backup `backup-<compact timestamp>` when it starts the command.
    bname = backup_id_name(start - 1 * SEC)
    opts = ["--user", "postgres", "--name", bname]
    if comp:
        opts.append("--" + comp)
    opts += ["--jobs", str(jobs)]
    if spec.get("immediateCheckpoint"):
        opts.append("--immediate-checkpoint")
    if c["name"] == "pg-analytics":
        opts += ["--endpoint-url", "https://s3.nas01.example.internal:9000"]
    opts += ["--cloud-provider", provider, destination(c), c["server"]]
    bl = lambda t, m: jline(t, "info", f"[{812 + b['day'] % 7}] " + m,
                            pod + m, logger="barman-cloud-backup", pipe="stderr", logging_pod=pod)
    return [jline(b["t"] + 2 * SEC, "info", "Starting backup", pod + name, logging_pod=pod),
            jline(start - 1 * SEC, "info", "Starting barman-cloud-backup", pod + name, logging_pod=pod, options=opts),
            bl(start, f"INFO: Starting backup '{bid}'"),
            bl(start + 2 * SEC, f"INFO: Uploading 'pgdata' directory '/var/lib/postgresql/data/pgdata' as 'data.tar{'.gz' if comp == 'gzip' else ''}'"),
            bl(stop - 6 * SEC, "INFO: Stopping backup '" + bid + "'"),
            bl(stop - 4 * SEC, "INFO: Uploading 'backup_label' file"),
            bl(stop - 2 * SEC, "INFO: Marking all the uploaded archives as 'completed'"),
            bl(stop - 1 * SEC, f"INFO: Backup end at LSN: {P.lsn_str(P.lsn_at(c, stop))} ({P.wal_name(c['tli'], P.lsn_at(c, stop))}, 00000060)"),
            bl(stop, f"INFO: Backup completed (start time: {start.strftime('%Y-%m-%d %H:%M:%S')}, elapsed time: {_elapsed(stop - start)})"),
            jline(stop + 1 * SEC, "info", "Completed barman-cloud-backup", pod + name + "cmd", logging_pod=pod,
                  options=opts),
            jline(stop + 1 * SEC, "info", "Backup completed", pod + name + "done", logging_pod=pod, backup=bid),
            jline(stop + 1 * SEC, "info", "Refreshing the recovery window", pod + name + "rw", logging_pod=pod,
                  backupName=bname)]


def instance_manager_backup_lines(pod, name, t_start, t_end, error=None):
    """The instance manager (postgres container) drives a plugin backup and logs its start and end.

    Upstream logs backupNamespace with the Backup's name; it is reproduced as printed."""
    fields = dict(logging_pod=pod, pluginConfiguration={"name": P.PLUGIN_NAME}, backupName=name, backupNamespace=name)
    lines = [jline(t_start, "info", "Plugin backup started", pod + name + "ims", **fields)]
    if error is None:
        lines.append(jline(t_end, "info", "Backup completed", pod + name + "imc", **fields))
    else:
        lines.append(jline(t_end, "error", "Backup failed", pod + name + "imf", logging_pod=pod, error=error))
    return lines


def instance_manager_wal_failure(pod, t, error, salt):
    """What the postgres container's archive_command (the instance manager) logs when the plugin fails."""
    return [jline(t, "error", "Error while calling ArchiveWAL, failing", salt + "call", logger="wal-archive",
                  pluginName=P.PLUGIN_NAME, logging_pod=pod, error=error),
            jline(t + dt.timedelta(milliseconds=3), "error", "failed to run wal-archive command", salt + "run",
                  logger="wal-archive", logging_pod=pod, error=error)]


def backup_id_name(t):
    """The name the Barman Cloud plugin gives a base backup (status.backupName)."""
    return "backup-" + t.strftime("%Y%m%d%H%M%S")


def _elapsed(d):
    s = int(d.total_seconds())
    h, m, sec = s // 3600, (s % 3600) // 60, s % 60
    return (f"{h} hour{'s' if h != 1 else ''}, " if h else "") + (f"{m} minute{'s' if m != 1 else ''}, " if m or h else "") + \
        f"{sec} second{'s' if sec != 1 else ''}"


def plugin_operator_lines(start, recent_from, n_recent=6, clusters=None, extra=None):
    pod = "barman-cloud"
    lines = [
        jline(start + 1 * SEC, "info", "starting server", "op", name="health probe", addr="[::]:8081"),
        jline(start + 1 * SEC, "info", "attempting to acquire leader lease cnpg-system/822e3f5c.cnpg.io...", "op"),
        jline(start + 3 * SEC, "info", "successfully acquired lease cnpg-system/822e3f5c.cnpg.io", "op"),
        jline(start + 3 * SEC, "info", "Starting EventSource", "op", controller="objectstore",
              controllerGroup="barmancloud.cnpg.io", controllerKind="ObjectStore", source="kind source: *v1.ObjectStore"),
        jline(start + 3 * SEC, "info", "Starting Controller", "op", controller="objectstore",
              controllerGroup="barmancloud.cnpg.io", controllerKind="ObjectStore"),
        jline(start + 4 * SEC, "info", "Starting workers", "op", controller="objectstore",
              controllerGroup="barmancloud.cnpg.io", controllerKind="ObjectStore", **{"worker count": 1}),
        # cnpg-i-machinery's line when the plugin's gRPC server starts.
        jline(start + 4 * SEC, "info", "Starting plugin", "op", name=P.PLUGIN_NAME, displayName="BarmanCloudInstance",
              version=P.PLUGIN_VERSION),
    ]
    clusters = clusters or P.CLUSTERS
    for k in range(n_recent):
        c = clusters[k % len(clusters)]
        t = recent_from + dt.timedelta(seconds=47 * k)
        lines += [jline(t, "info", "Pre hook reconciliation start", f"pre{k}"),
                  jline(t + dt.timedelta(milliseconds=2), "debug", "parsing cluster definition", f"pc{k}",
                        caller="/workspace/internal/cnpgi/operator/reconciler.go:62"),
                  jline(t + dt.timedelta(milliseconds=4), "debug", "parsing barman object configuration", f"pb{k}",
                        name=c["store"], namespace=c["ns"], caller="/workspace/internal/cnpgi/operator/reconciler.go:76"),
                  jline(t + dt.timedelta(milliseconds=9), "info", "Pre hook reconciliation completed", f"pd{k}",
                        name=c["name"], namespace=c["ns"])]
    return lines + (extra or [])


def operator_lines(start):
    return [
        jline(start + 2 * SEC, "info", "Starting CloudNativePG Operator", "cnpg", logger="setup", version=P.CNPG_VERSION,
              build={"Version": P.CNPG_VERSION, "Commit": hexs("cnpg-commit-" + P.CNPG_VERSION, 8), "Date": "2026-06-29"}),
        jline(start + 9 * SEC, "info", "Registered plugin", "cnpg", controller="plugin",
              controllerGroup="", controllerKind="Service", Service={"name": "barman-cloud", "namespace": "cnpg-system"},
              namespace="cnpg-system", name="barman-cloud", pluginName=P.PLUGIN_NAME),
        jline(start + 10 * SEC, "info", "Starting workers", "cnpg", controller="cluster",
              controllerGroup="postgresql.cnpg.io", controllerKind="Cluster", **{"worker count": 10}),
        jline(start + 10 * SEC, "info", "Starting workers", "cnpg", controller="backup",
              controllerGroup="postgresql.cnpg.io", controllerKind="Backup", **{"worker count": 10}),
        jline(start + 10 * SEC, "info", "Starting workers", "cnpg", controller="scheduledbackup",
              controllerGroup="postgresql.cnpg.io", controllerKind="ScheduledBackup", **{"worker count": 10}),
    ]


def kustomize_controller_lines(items):
    """items: list of (time, level, msg, ks_name, revision, extra dict)."""
    out = []
    for t, level, msg, ks, revision, extra in items:
        fields = {"controller": "kustomization", "controllerGroup": "kustomize.toolkit.fluxcd.io",
                  "controllerKind": "Kustomization", "Kustomization": {"name": ks, "namespace": "flux-system"},
                  "namespace": "flux-system", "name": ks,
                  "reconcileID": str(uid(f"rid:{ks}:{ts(t)}")), "revision": revision}
        fields.update(extra or {})
        out.append(jline(t, level, msg, ks + ts(t), **fields))
    return out


def healthy_kc_items(last=None):
    items = []
    for ks in KS_NAMES:
        t = (last or P.KS_LAST)[ks]
        out = {"apps-postgresql": {"Cluster/analytics/pg-analytics": "unchanged", "Cluster/billing/pg-billing": "unchanged",
                                   "Cluster/orders/pg-orders": "unchanged",
                                   "ObjectStore/analytics/analytics-backup-store": "unchanged",
                                   "ObjectStore/billing/billing-azure-store": "unchanged",
                                   "ObjectStore/orders/pg-orders-s3": "unchanged",
                                   "ScheduledBackup/analytics/pg-analytics-nightly": "unchanged",
                                   "ScheduledBackup/billing/pg-billing-daily": "unchanged",
                                   "ScheduledBackup/orders/pg-orders-daily": "unchanged"},
               "infrastructure-cnpg-barman-plugin": {"Deployment/cnpg-system/barman-cloud": "unchanged",
                                                     "Service/cnpg-system/barman-cloud": "unchanged",
                                                     "Certificate/cnpg-system/barman-cloud-client": "unchanged",
                                                     "Certificate/cnpg-system/barman-cloud-server": "unchanged"},
               "infrastructure-cnpg-operator": {"Deployment/cnpg-system/cnpg-controller-manager": "unchanged"},
               "flux-system": {"GitRepository/flux-system/flux-system": "unchanged",
                               "Kustomization/flux-system/flux-system": "unchanged"}}[ks]
        interval = "10m0s" if ks in ("flux-system", "apps-postgresql") else "1h0m0s"
        items.append((t - 1 * SEC, "info", "server-side apply completed", ks, P.REV_HEAD, {"output": out}))
        items.append((t, "info", f"Reconciliation finished in 1.{len(ks)}s, next run in {interval}", ks, P.REV_HEAD, {}))
    items.sort(key=lambda x: x[0])
    return items


def cluster_logs(c, variant=None):
    """Sidecar logs for each instance pod of a cluster, healthy."""
    entries = []
    plan = P.week_plan(c)
    today = plan[-1]
    for i, pod in enumerate(P.pod_names(c)):
        start = c["pod_start"] + dt.timedelta(minutes=3 * i) + 4 * SEC
        lines = sidecar_start_lines(c, pod, start)
        if pod == c["backup_pod"]:
            lines += backup_lines(c, pod, today, P.backup_name(c, today["t"]))
        if pod == c["primary"]:
            lines += retention_lines(c, pod, at(minutes=-27, seconds=-14))
            lines += wal_archive_lines(c, pod, ANCHOR, n_wals=5)
        entries.append({"pod": f"{c['ns']}/{pod}", "container": "plugin-barman-cloud", "lines": lines})
    return entries


def sidecar_generate(c, pod, n=8):
    """Endless WAL archiving lines for `logs -f` (cycled; {{now}} is the emission instant)."""
    lines = []
    base = P.lsn_at(c, ANCHOR)
    for k in range(n):
        name = P.wal_name(c["tli"], base + (k + 1) * P.SEG)
        opts = json.dumps(archive_options(c, name), separators=(",", ":"))
        lines.append('{"level":"info","ts":"{{time}}","msg":"Executing barman-cloud-wal-archive","logging_pod":"%s",'
                     '"walName":"%s","options":%s}' % (pod, wal_path(name), opts))
        lines.append('{"level":"info","ts":"{{time}}","msg":"Archived WAL file","walName":"%s","startTime":"{{time}}",'
                     '"endTime":"{{time}}","elapsedWalTime":0.%03d41877,"logging_pod":"%s"}'
                     % (wal_path(name), 600 + 37 * k, pod))
    return {"perSecond": 1, "lines": lines}


def healthy_logs(extra):
    logs = []
    pl = extra["plugin_pod"]
    logs.append({"pod": f"cnpg-system/{pl['metadata']['name']}", "container": "barman-cloud",
                 "lines": plugin_operator_lines(P.PLUGIN_POD_START + 2 * SEC, at(minutes=-5, seconds=-30))})
    op = extra["op_pod"]
    logs.append({"pod": f"cnpg-system/{op['metadata']['name']}", "container": "manager",
                 "lines": operator_lines(P.OPERATOR_POD_START)})
    for c in P.CLUSTERS:
        logs += cluster_logs(c)
    logs[2]["generate"] = sidecar_generate(P.CL["pg-orders"], "pg-orders-1")   # pg-orders-1 is the primary
    assert logs[2]["pod"] == "orders/pg-orders-1"
    kc = extra["kc_pod"]
    logs.append({"pod": f"flux-system/{kc['metadata']['name']}", "container": "manager",
                 "lines": kustomize_controller_lines(healthy_kc_items())})
    return logs


# ---------------------------------------------------------------------------
# timeline


def ev_step(after, involved, reason, message, source, type_="Normal"):
    return {"after": after, "event": {"involved": involved, "type": type_, "reason": reason, "message": message,
                                      "source": source}}


def cond_patch(c, lb, archiving=None):
    """The whole conditions list (a merge patch replaces arrays); lb = (status, reason, message)."""
    conds = P.cluster_conditions(c, archiving=archiving)
    for k in conds:
        if k["type"] == "LastBackupSucceeded":
            k["status"], k["reason"], k["message"] = lb
            k["lastTransitionTime"] = "{{now}}"
    return conds


def backup_loop(c, at_, every, duration, archiving=None):
    """A scheduled backup every few minutes: started -> completed, with events and status updates."""
    name = c["sb"] + "-{{stamp}}"
    pod = c["backup_pod"]
    bref = {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Backup", "namespace": c["ns"], "name": name}
    cref = {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "namespace": c["ns"], "name": c["name"]}
    labels = {"cnpg.io/cluster": c["name"], "cnpg.io/immediateBackup": "false", "cnpg.io/scheduled-backup": c["sb"]}
    md = {"name": name, "namespace": c["ns"], "labels": labels}
    if c["owner_ref"] == "self":
        md["ownerReferences"] = [owner_ref(P.sb_obj_ref(c))]
    spec = {"cluster": {"name": c["name"]}, "method": "plugin", "pluginConfiguration": {"name": P.PLUGIN_NAME}}
    if c["target"]:
        spec["target"] = c["target"]
    instance = {"ContainerID": P.instance_pod_container_id(c, pod), "podName": pod,
                "sessionID": uid(f"session:{pod}:{c['pod_start']}")}
    end_lsn = P.lsn_at(c, ANCHOR + dt.timedelta(hours=1))
    begin_lsn = (P.lsn_at(c, ANCHOR + dt.timedelta(minutes=50)) // P.SEG) * P.SEG + 0x28
    steps = [
        {"after": "0s", "apply": {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Backup", "metadata": md, "spec": spec,
                                  "status": {"instanceID": instance, "method": "plugin", "phase": "started",
                                             "reconciliationStartedAt": "{{now}}", "startedAt": "{{now}}"}}},
        {"after": "0s", "patch": {"ref": {"apiVersion": "postgresql.cnpg.io/v1", "kind": "ScheduledBackup",
                                          "namespace": c["ns"], "name": c["sb"]},
                                  "merge": {"status": {"lastCheckTime": "{{start}}", "lastScheduleTime": "{{start}}"}}}},
        ev_step("0s", bref, "Starting", f"Starting backup for cluster {c['name']}", "cloudnative-pg-backup"),
        {"after": duration, "patch": {"ref": bref, "merge": {"status": {
            "backupId": "{{backupId}}", "backupName": "{{backupName}}", "beginLSN": P.lsn_str(begin_lsn),
            "beginWal": P.wal_name(c["tli"], begin_lsn), "endLSN": P.lsn_str(end_lsn),
            "endWal": P.wal_name(c["tli"], end_lsn), "majorVersion": c["major"], "online": True,
            "phase": "completed", "pluginMetadata": P.plugin_metadata(c), "reconciliationTerminatedAt": "{{now}}",
            "stoppedAt": "{{now}}"}}}},
        ev_step(duration, bref, "Completed", "Backup completed", "local-webserver"),
        {"after": duration, "patch": {"ref": {"apiVersion": "barmancloud.cnpg.io/v1", "kind": "ObjectStore",
                                              "namespace": c["ns"], "name": c["store"]},
                                      "merge": {"status": {"serverRecoveryWindow": {
                                          c["server"]: {"lastSuccessfulBackupTime": "{{now}}"}}}}}},
    ]
    return {"at": at_, "every": every, "steps": steps}


def flux_loop(states=None, at_="50s", every="10m", names=None):
    """Every 10 minutes the Kustomizations reconcile: history[0].lastReconciled moves and an event is bumped."""
    steps = []
    for name in names or KS_NAMES:
        interval = "10m0s" if name in ("flux-system", "apps-postgresql") else "1h0m0s"
        hist = deep(P.healthy_history(name) if not states else states[name])
        hist[0]["lastReconciled"] = "{{now}}"
        steps.append({"after": "0s", "patch": {"ref": {"apiVersion": "kustomize.toolkit.fluxcd.io/v1",
                                                       "kind": "Kustomization", "namespace": "flux-system", "name": name},
                                               "merge": {"status": {"history": hist}}}})
        secs = {"flux-system": "1.18s", "infrastructure-cnpg-operator": "2.61s",
                "infrastructure-cnpg-barman-plugin": "2.31s", "apps-postgresql": "1.81s"}[name]
        steps.append(ev_step("0s", {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                                    "namespace": "flux-system", "name": name},
                             "ReconciliationSucceeded", f"Reconciliation finished in {secs}, next run in {interval}",
                             "kustomize-controller"))
    return {"at": at_, "every": every, "steps": steps}


def gitrepo_loop(revision=None, at_="1m10s", every="5m"):
    return {"at": at_, "every": every, "steps": [
        ev_step("0s", {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                       "namespace": "flux-system", "name": "flux-system"},
                "ArtifactUpToDate", f"artifact up-to-date with remote revision: '{revision or P.REV_HEAD}'",
                "source-controller")]}


LOOP_AT = {"pg-orders": ("40s", "28s"), "pg-billing": ("2m40s", "16s"), "pg-analytics": ("4m40s", "37s")}


def healthy_timeline():
    tl = [backup_loop(c, LOOP_AT[c["name"]][0], "6m", LOOP_AT[c["name"]][1]) for c in P.CLUSTERS]
    tl.append(flux_loop())
    tl.append(gitrepo_loop())
    return tl


# ---------------------------------------------------------------------------

HEALTHY_DESCRIPTION = """\
A healthy production cluster: three CloudNativePG clusters back up through the Barman
Cloud plugin, and Flux delivers the operator, the plugin and the backup configuration
from Git.

- orders/pg-orders: 3 instances, PostgreSQL 17, AWS S3, daily backup at 02:00 UTC
- billing/pg-billing: 2 instances, PostgreSQL 18, Azure Blob Storage, serverName pg-billing-v2
  (the bucket folder differs from the cluster name), daily backup at 03:00 UTC; one backup
  failed on 19 November during a short Azure outage and every backup since succeeded
- analytics/pg-analytics: 1 instance, PostgreSQL 16, on-premises MinIO with a private CA,
  nightly backup at 05:30 UTC

Nothing is wrong here. Use it to learn what normal looks like: every pane green, WAL
archived continuously, a base backup every few minutes (the demo runs the schedules fast),
Flux reconciling every 10 minutes."""


def simple_duration(d):
    """'5m20s' -> '320s'; single-unit durations are kept as written."""
    import re
    parts = re.findall(r"(\d+)(ms|s|m|h)", d)
    if len(parts) <= 1:
        return d
    total = sum(int(n) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[u] for n, u in parts)
    return f"{int(total)}s"


def scenario_doc(name, description, expect, logs, timeline, base=None, remove=None):
    spec = {"description": description}
    if base:
        spec["base"] = base
    spec["expect"] = expect
    if remove:
        spec["remove"] = remove
    spec["clock"] = {"anchor": "2026-11-24T06:00:00Z"}
    for entry in timeline:
        for key in ("at", "every"):
            if key in entry:
                entry[key] = simple_duration(entry[key])
        for st in entry["steps"]:
            st["after"] = simple_duration(st["after"])
    for e in logs:
        e["lines"] = monotonic(sorted(e["lines"], key=lambda l: l[:30]))
        if "previous" in e:
            e["previous"] = monotonic(sorted(e["previous"], key=lambda l: l[:30]))
    spec["logs"] = logs
    spec["timeline"] = timeline
    return {"apiVersion": "sim.backstop.dev/v1", "kind": "Scenario", "metadata": {"name": name}, "spec": spec}
