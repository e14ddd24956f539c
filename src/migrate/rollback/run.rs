//! The rollback's steps against the API.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DynamicObject, ListParams, PostParams};
use serde_json::{Value, json};

use super::confirm::{Answer, Confirm};
use super::objects::{archive_of, creatable, spec_changes, with_spec};
use super::saved::{Manager, Saved, manager_from_labels};
use super::{Account, Outcome};
use crate::actions::{self, Body, Follow, Plan, Request, Verb, exec};
use crate::checks::list_kind;
use crate::cluster::fetch::resource_of;
use crate::cluster::watch::KindSpec;
use crate::model::domain::{CLUSTER_LABEL, PHASE_HEALTHY, SIDECAR};
use crate::model::{Kind, ObjectRef, Snapshot};

#[derive(Debug, Clone)]
pub struct Options {
    /// How long to wait for a healthy Cluster, and for the test backup.
    pub timeout: Duration,
    pub every: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            timeout: Duration::from_secs(600),
            every: Duration::from_secs(2),
        }
    }
}

fn s<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn said(what: &str, e: kube::Error) -> String {
    match e {
        kube::Error::Api(s) => format!(
            "{what}: {} ({})",
            crate::sanitize::untrusted(&s.message),
            s.code
        ),
        other => format!("{what}: {other}"),
    }
}

fn api(client: &kube::Client, kind: Kind, ns: &str) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), ns, &resource_of(kind))
}

async fn get(
    client: &kube::Client,
    kind: Kind,
    ns: &str,
    name: &str,
) -> Result<Option<Value>, String> {
    match api(client, kind, ns).get_opt(name).await {
        Ok(Some(o)) => serde_json::to_value(o)
            .map(Some)
            .map_err(|e| format!("reading {kind} {ns}/{name}: {e}")),
        Ok(None) => Ok(None),
        Err(e) => Err(said(&format!("reading {kind} {ns}/{name}"), e)),
    }
}

struct Ctx<'a, C: Confirm> {
    client: &'a kube::Client,
    ns: String,
    name: String,
    confirm: &'a mut C,
    progress: &'a (dyn Fn(String) + Sync),
    stop: &'a AtomicBool,
    account: Account,
}

impl<C: Confirm> Ctx<'_, C> {
    /// An action's outcome, or a stop by Ctrl-C while it is followed (what was sent stays
    /// sent: the account says so).
    async fn until_stopped(
        &self,
        work: impl std::future::Future<Output = Result<String, String>>,
    ) -> Result<String, String> {
        let stop = self.stop;
        let stopped = async {
            while !stop.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        };
        tokio::select! {
            r = work => r,
            _ = stopped => Err("stopped (Ctrl-C) while following it; what was sent stays: look with kubectl".into()),
        }
    }

    /// Shows a step and asks; None when it is to be done, else how it ended.
    async fn ask(&mut self, step: &str, show: &str) -> Option<Outcome> {
        if self.stop.load(Ordering::SeqCst) {
            return Some(Outcome::Stopped);
        }
        (self.progress)(format!("\n{step}\n{show}"));
        match self.confirm.ask(&format!("Do {step}?")).await {
            Answer::Yes if !self.stop.load(Ordering::SeqCst) => None,
            Answer::Yes | Answer::Quit => Some(Outcome::Stopped),
            Answer::No => Some(Outcome::Skipped),
        }
    }
}

/// Runs the rollback of the Cluster `saved` describes. `stop` is set by Ctrl-C: the step
/// under way ends at its next look, and none after it runs.
pub async fn rollback(
    client: &kube::Client,
    saved: &Saved,
    opts: &Options,
    confirm: &mut impl Confirm,
    progress: &(dyn Fn(String) + Sync),
    stop: &AtomicBool,
) -> Account {
    let ns = s(&saved.cluster, "/metadata/namespace")
        .unwrap_or_default()
        .to_string();
    let name = s(&saved.cluster, "/metadata/name")
        .unwrap_or_default()
        .to_string();
    let mut cx = Ctx {
        client,
        ns,
        name,
        confirm,
        progress,
        stop,
        account: Account::default(),
    };
    let live = match get(client, Kind::Cluster, &cx.ns, &cx.name).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            let msg = format!(
                "Cluster {}/{} does not exist: nothing to roll back (apply the saved file with `kubectl apply -f {}` to recreate it)",
                cx.ns, cx.name, saved.file
            );
            cx.account.push("read the Cluster", Outcome::Failed, msg);
            return cx.account;
        }
        Err(e) => {
            cx.account.push("read the Cluster", Outcome::Failed, e);
            return cx.account;
        }
    };
    let manager = manager_from_labels(&live).or_else(|| saved.manager.clone());
    let steps: [&str; 4] = [
        "step 1/4: suspend Flux",
        "step 2/4: restore the saved spec",
        "step 3/4: wait for the Cluster",
        "step 4/4: test backup",
    ];
    let mut stopped = false;
    for (i, step) in steps.iter().enumerate() {
        if stopped {
            cx.account.push(step, Outcome::Stopped, "not run");
            continue;
        }
        let (outcome, what) = match i {
            0 => suspend(&mut cx, step, manager.as_ref()).await,
            1 => restore(&mut cx, step, &live, saved).await,
            2 => wait(&mut cx, step, opts).await,
            _ => test_backup(&mut cx, step, opts).await,
        };
        cx.account.push(step, outcome, what);
        // A failure to restore or a Cluster that does not come back stops the rollback:
        // the steps after it would build on it.
        if outcome == Outcome::Stopped || (outcome == Outcome::Failed && i >= 1) {
            stopped = true;
        }
    }
    cx.account.remaining = vec![
        "revert the migration commit in Git (the ObjectStore manifest may stay: the in-tree configuration does not use it), push it".into(),
        match &manager {
            Some(m) => format!(
                "once Flux's source has the revert: `{}` (until then Flux stays suspended and applies nothing)",
                m.flux("resume")
            ),
            None => "no Flux object was found to resume".into(),
        },
        "the ObjectStore and the plugin stay in place; what the plugin archived stays in the bucket".into(),
    ];
    cx.account
}

async fn suspend<C: Confirm>(
    cx: &mut Ctx<'_, C>,
    step: &str,
    manager: Option<&Manager>,
) -> (Outcome, String) {
    let Some(m) = manager else {
        return (
            Outcome::Warning,
            format!(
                "no Flux object manages Cluster {}/{} (no kustomize.toolkit.fluxcd.io or helm.toolkit.fluxcd.io labels, none named in the file's header): nothing to suspend",
                cx.ns, cx.name
            ),
        );
    };
    let spec = KindSpec::of(m.kind);
    let mut snapshot = Snapshot::default();
    let suspended = if m.kind == Kind::HelmRelease {
        snapshot.helm_releases = list_kind(cx.client, spec, Some(&m.namespace)).await;
        snapshot
            .helm_releases
            .rows
            .iter()
            .find(|r| r.namespace == m.namespace && r.name == m.name)
            .map(|r| r.suspended)
    } else {
        snapshot.kustomizations = list_kind(cx.client, spec, Some(&m.namespace)).await;
        snapshot
            .kustomizations
            .rows
            .iter()
            .find(|r| r.namespace == m.namespace && r.name == m.name)
            .map(|r| r.suspended)
    };
    let what = format!("{} {}/{}", m.kind, m.namespace, m.name);
    match suspended {
        None => {
            return (
                Outcome::Warning,
                format!(
                    "{what} was not found: nothing to suspend (does Flux still manage the Cluster?)"
                ),
            );
        }
        Some(true) => return (Outcome::Done, format!("{what} was already suspended")),
        Some(false) => {}
    }
    let target = ObjectRef::new(m.kind, &m.namespace, &m.name);
    let plan = match actions::plan(
        Verb::ToggleSuspend,
        &target,
        &snapshot,
        &[],
        chrono::Utc::now(),
    ) {
        Ok(p) => p,
        Err(e) => return (Outcome::Failed, e),
    };
    let show = format!(
        "Suspend {what}, so that Flux does not apply the migrated spec again.\n  {}",
        m.flux("suspend")
    );
    if let Some(o) = cx.ask(step, &show).await {
        return (o, format!("{what} left running"));
    }
    match cx
        .until_stopped(run_action(
            cx.client,
            plan,
            Duration::from_secs(60),
            cx.progress,
        ))
        .await
    {
        Ok(_) => (
            Outcome::Done,
            format!("{what} suspended ({})", m.flux("suspend")),
        ),
        Err(e) => (Outcome::Failed, format!("suspending {what}: {e}")),
    }
}

async fn replace(cx: &Ctx<'_, impl Confirm>, kind: Kind, obj: &Value) -> Result<(), String> {
    let name = s(obj, "/metadata/name").unwrap_or_default().to_string();
    let o: DynamicObject = serde_json::from_value(obj.clone())
        .map_err(|e| format!("building {kind} {}/{name}: {e}", cx.ns))?;
    let params = PostParams {
        field_manager: Some("backstop".into()),
        ..Default::default()
    };
    api(cx.client, kind, &cx.ns)
        .replace(&name, &params, &o)
        .await
        .map(|_| ())
        .map_err(|e| said(&format!("replacing the spec of {kind} {}/{name}", cx.ns), e))
}

async fn restore<C: Confirm>(
    cx: &mut Ctx<'_, C>,
    step: &str,
    live: &Value,
    saved: &Saved,
) -> (Outcome, String) {
    let mut show = format!(
        "Restore the spec saved in {} (replace, at the live resourceVersion).\n  kubectl replace -f {}\n  Cluster {}/{}: {} -> {}",
        saved.file,
        saved.file,
        cx.ns,
        cx.name,
        archive_of(live),
        archive_of(&saved.cluster)
    );
    for c in spec_changes(live, &saved.cluster) {
        show.push_str(&format!("\n    {c}"));
    }
    let mut live_sbs = Vec::new();
    for sb in &saved.scheduled {
        let n = s(sb, "/metadata/name").unwrap_or_default();
        let l = get(cx.client, Kind::ScheduledBackup, &cx.ns, n)
            .await
            .ok()
            .flatten();
        let method = |v: &Value| {
            s(v, "/spec/method")
                .unwrap_or("barmanObjectStore (default)")
                .to_string()
        };
        show.push_str(&format!(
            "\n  ScheduledBackup {n}: {}",
            match &l {
                Some(l) => format!("method {} -> {}", method(l), method(sb)),
                None => format!("absent, created (method {})", method(sb)),
            }
        ));
        live_sbs.push((sb, l));
    }
    if let Some(o) = cx.ask(step, &crate::sanitize::clean(&show)).await {
        return (
            o,
            format!("Cluster {}/{} left as it is (migrated)", cx.ns, cx.name),
        );
    }
    let mut current = live.clone();
    let mut result = replace(cx, Kind::Cluster, &with_spec(&current, &saved.cluster)).await;
    if result.as_ref().is_err_and(|e| e.contains("(409)")) {
        // Changed since it was read (the operator writes annotations): read again, once.
        if let Ok(Some(c)) = get(cx.client, Kind::Cluster, &cx.ns, &cx.name).await {
            current = c;
            result = replace(cx, Kind::Cluster, &with_spec(&current, &saved.cluster)).await;
        }
    }
    if let Err(e) = result {
        return (Outcome::Failed, e);
    }
    let mut done = vec![format!("Cluster {}/{} spec restored", cx.ns, cx.name)];
    for (sb, l) in live_sbs {
        let n = s(sb, "/metadata/name").unwrap_or_default().to_string();
        let r = match l {
            Some(l) => replace(cx, Kind::ScheduledBackup, &with_spec(&l, sb)).await,
            None => {
                let o: Result<DynamicObject, _> = serde_json::from_value(creatable(sb));
                match o {
                    Ok(o) => api(cx.client, Kind::ScheduledBackup, &cx.ns)
                        .create(&PostParams::default(), &o)
                        .await
                        .map(|_| ())
                        .map_err(|e| said(&format!("creating ScheduledBackup {}/{n}", cx.ns), e)),
                    Err(e) => Err(format!("building ScheduledBackup {n}: {e}")),
                }
            }
        };
        match r {
            Ok(()) => done.push(format!("ScheduledBackup {n} restored")),
            Err(e) => {
                done.push(e);
                return (Outcome::Failed, done.join("; "));
            }
        }
    }
    (Outcome::Done, done.join("; "))
}

/// Instance pods that still carry the sidecar.
async fn with_sidecar(cx: &Ctx<'_, impl Confirm>) -> Result<(usize, Vec<String>), String> {
    let api: Api<Pod> = Api::namespaced(cx.client.clone(), &cx.ns);
    let lp = ListParams::default().labels(&format!("{CLUSTER_LABEL}={}", cx.name));
    let pods = api
        .list(&lp)
        .await
        .map_err(|e| said(&format!("listing the pods of {}/{}", cx.ns, cx.name), e))?;
    let instances: Vec<&Pod> = pods
        .items
        .iter()
        .filter(|p| {
            p.metadata
                .labels
                .as_ref()
                .is_none_or(|l| !l.contains_key("cnpg.io/jobRole"))
        })
        .collect();
    let carrying = instances
        .iter()
        .filter(|p| {
            p.spec.as_ref().is_some_and(|s| {
                s.containers.iter().any(|c| c.name == SIDECAR)
                    || s.init_containers
                        .iter()
                        .flatten()
                        .any(|c| c.name == SIDECAR)
            })
        })
        .filter_map(|p| p.metadata.name.clone())
        .collect();
    Ok((instances.len(), carrying))
}

async fn wait<C: Confirm>(cx: &mut Ctx<'_, C>, _step: &str, opts: &Options) -> (Outcome, String) {
    let deadline = tokio::time::Instant::now() + opts.timeout;
    (cx.progress)(format!(
        "\nstep 3/4: waiting up to {} for Cluster {}/{} healthy, its pods without {SIDECAR}\n  kubectl get cluster {} -n {}\n  kubectl get pods -n {} -l {CLUSTER_LABEL}={}",
        crate::model::kubefmt::span(crate::model::kubefmt::delta(opts.timeout)),
        cx.ns,
        cx.name,
        cx.name,
        cx.ns,
        cx.ns,
        cx.name
    ));
    let mut last_phase = String::new();
    loop {
        if cx.stop.load(Ordering::SeqCst) {
            return (Outcome::Stopped, "stopped while waiting".into());
        }
        let cluster = get(cx.client, Kind::Cluster, &cx.ns, &cx.name)
            .await
            .ok()
            .flatten();
        let phase = cluster
            .as_ref()
            .and_then(|c| s(c, "/status/phase"))
            .unwrap_or("unknown")
            .to_string();
        if phase != last_phase {
            (cx.progress)(format!("  Cluster: {}", crate::sanitize::clean(&phase)));
            last_phase = phase.clone();
        }
        let pods = with_sidecar(cx).await;
        let healthy = phase == PHASE_HEALTHY;
        if let (true, Ok((n, carrying))) = (healthy, &pods)
            && carrying.is_empty()
        {
            return (
                Outcome::Done,
                format!("healthy; none of its {n} pod(s) carries {SIDECAR}"),
            );
        }
        if tokio::time::Instant::now() >= deadline {
            let span = crate::model::kubefmt::span(crate::model::kubefmt::delta(opts.timeout));
            return match (healthy, pods) {
                (true, Ok((n, carrying))) => (
                    Outcome::Warning,
                    format!(
                        "healthy, but after {span} {} of {n} pod(s) still carry {SIDECAR} ({}): not rolled yet; the in-tree archiver works without it",
                        carrying.len(),
                        carrying.join(", ")
                    ),
                ),
                (true, Err(e)) => (
                    Outcome::Warning,
                    format!("healthy; the pods could not be read: {e}"),
                ),
                (false, _) => (
                    Outcome::Failed,
                    format!(
                        "not healthy after {span} (phase: {}): `kubectl cnpg status {} -n {}`",
                        crate::sanitize::clean(&phase),
                        cx.name,
                        cx.ns
                    ),
                ),
            };
        }
        tokio::time::sleep(opts.every).await;
    }
}

async fn test_backup<C: Confirm>(
    cx: &mut Ctx<'_, C>,
    step: &str,
    opts: &Options,
) -> (Outcome, String) {
    let now = chrono::Utc::now();
    let backup = format!("{}-rollback-test-{}", cx.name, now.format("%Y%m%d%H%M%S"));
    let (ns, cluster) = (cx.ns.clone(), cx.name.clone());
    let payload = json!({
        "apiVersion": Kind::Backup.api_version(),
        "kind": "Backup",
        "metadata": {"name": backup, "namespace": ns, "labels": {CLUSTER_LABEL: cluster}},
        "spec": {"cluster": {"name": cluster}, "method": "barmanObjectStore"},
    });
    let plan = Plan {
        verb: Verb::BackupNow,
        target: ObjectRef::new(Kind::Cluster, &ns, &cluster),
        what: format!("Creates Backup {ns}/{backup} (method barmanObjectStore)"),
        commands: vec![format!(
            "kubectl cnpg backup {cluster} -n {ns} --backup-name {backup} --method barmanObjectStore"
        )],
        requests: vec![Request {
            kind: Kind::Backup,
            namespace: ns.clone(),
            name: backup.clone(),
            body: Body::Create,
            payload,
        }],
        follow: Follow::Backup {
            namespace: ns.clone(),
            name: backup.clone(),
        },
    };
    let show = format!(
        "Take a test backup through the restored in-tree configuration.\n  {}\n  kubectl get backup {backup} -n {ns} -w",
        plan.command()
    );
    if let Some(o) = cx.ask(step, &show).await {
        return (o, "no test backup taken".into());
    }
    match cx
        .until_stopped(run_action(cx.client, plan, opts.timeout, cx.progress))
        .await
    {
        Ok(o) => (Outcome::Done, crate::sanitize::clean(&o).into_owned()),
        Err(e) => (Outcome::Failed, crate::sanitize::clean(&e).into_owned()),
    }
}

/// Sends a planned action and follows it, up to `limit`.
pub async fn run_action(
    client: &kube::Client,
    plan: actions::Plan,
    limit: Duration,
    progress: &(dyn Fn(String) + Sync),
) -> Result<String, String> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let name = plan
        .requests
        .first()
        .map(|r| r.name.clone())
        .unwrap_or_default();
    let task = tokio::spawn(exec::run(client.clone(), plan, tx));
    let deadline = tokio::time::Instant::now() + limit;
    let out = loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(exec::Progress::Step(s))) => progress(s),
            Ok(Some(exec::Progress::Done(r))) => break r,
            Ok(None) => break Err("the action ended without an outcome".into()),
            Err(_) => {
                break Err(format!(
                    "{name} did not finish within {}: follow it with `kubectl get backup {name} -w`",
                    crate::model::kubefmt::span(crate::model::kubefmt::delta(limit))
                ));
            }
        }
    };
    task.abort();
    out
}
