//! Runs a drill: the scratch namespace, the copied credentials, the planned objects; follows
//! the recovery to a healthy primary or to a failure the restore rules name; verifies; tears
//! everything down whatever happened; records the result on the source Cluster.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Namespace, Pod, Secret};
use kube::api::{Api, DynamicObject, ListParams, LogParams, Patch, PatchParams, PostParams};
use serde_json::Value;

use super::observe::{ClusterCourse, Replay, line_text, recovery_pods};
use super::record::{DrillRecord, Seen, Verdict};
use super::scratch;
use crate::assess::{self, Thresholds};
use crate::checks::{self, Reach};
use crate::cluster::fetch::resource_of;
use crate::model::Kind;
use crate::restore::plan::RestorePlan;

/// How long and how a drill runs.
#[derive(Debug, Clone)]
pub struct DrillOptions {
    /// Up to this long for a healthy primary.
    pub timeout: Duration,
    /// Leave the scratch namespace for a look (it still carries its expiry).
    pub keep: bool,
    /// Record the result on the source Cluster.
    pub annotate: bool,
    pub thresholds: Thresholds,
    /// How often to look.
    pub every: Duration,
    /// The person's verification: SQL run by psql in the restored primary, and the
    /// database to run it in.
    pub verify: Option<(String, String)>,
}

impl Default for DrillOptions {
    fn default() -> DrillOptions {
        DrillOptions {
            timeout: Duration::from_secs(30 * 60),
            keep: false,
            annotate: true,
            thresholds: Thresholds::default(),
            every: Duration::from_secs(1),
            verify: None,
        }
    }
}

/// What the drill says as it goes, one line at a time.
pub type Progress = tokio::sync::mpsc::UnboundedSender<String>;

/// How many lines of the recovery log a record keeps.
const LOG_KEPT: usize = 60;

struct Run<'a> {
    client: &'a kube::Client,
    plan: &'a RestorePlan,
    progress: &'a Progress,
    record: DrillRecord,
    seen_lines: BTreeMap<(String, String), usize>,
}

impl Run<'_> {
    fn step(&mut self, text: String) {
        let now = Utc::now();
        let line = crate::sanitize::clean_line(&crate::redact::redact(&text)).into_owned();
        let at = (now - self.record.started).num_seconds();
        let _ = self
            .progress
            .send(format!("[+{}:{:02}] {line}", at / 60, at % 60));
        self.record.steps.push((now, line));
    }
}

fn kube_error(what: &str, e: kube::Error) -> String {
    match e {
        kube::Error::Api(s) if s.code == 403 => format!("{what}: forbidden: {}", s.message),
        kube::Error::Api(s) => format!("{what}: {} ({})", s.message, s.code),
        other => format!("{what}: {other}"),
    }
}

/// The flags that repeat the plan's target.
fn again(plan: &RestorePlan) -> String {
    let mut out = match &plan.ask.target {
        crate::restore::Target::Latest => String::new(),
        crate::restore::Target::Time(t) => format!(" --to {}", t.to_rfc3339()),
        crate::restore::Target::Backup(id) => format!(" --backup {id}"),
    };
    if let Some(id) = &plan.ask.from_backup {
        out.push_str(&format!(" --from-backup {id}"));
    }
    out
}

/// Runs the drill the plan describes (its `into` is the scratch namespace). `cancel`
/// resolves when the person stops it; the scratch namespace is deleted on every way out
/// unless `keep`.
pub async fn run(
    client: &kube::Client,
    plan: &RestorePlan,
    opts: &DrillOptions,
    progress: &Progress,
    cancel: impl std::future::Future<Output = ()>,
) -> DrillRecord {
    let started = Utc::now();
    let mut run = Run {
        client,
        plan,
        progress,
        record: DrillRecord {
            source: plan.source.clone(),
            namespace: plan.into.0.clone(),
            cluster: plan.into.1.clone(),
            target: plan.ask.target.describe(),
            shape: match &plan.shape {
                crate::restore::manifest::Shape::Plugin { store, server } => {
                    format!("Barman Cloud plugin (ObjectStore {store}, server {server})")
                }
                crate::restore::manifest::Shape::InTree { server } => {
                    format!("in-tree barmanObjectStore (server {server})")
                }
            },
            started,
            ready: None,
            finished: started,
            verdict: Verdict::Interrupted,
            replay: Replay::default(),
            course: None,
            window: Some(plan.window.clone()),
            steps: Vec::new(),
            log: Vec::new(),
            findings: Vec::new(),
            verify: None,
            teardown: String::new(),
            plan_yaml: plan.yaml(),
            warnings: plan.warnings.clone(),
            again: again(plan),
        },
        seen_lines: BTreeMap::new(),
    };
    let verdict = tokio::select! {
        v = drive(&mut run, opts) => v,
        _ = cancel => {
            run.step("stopped by the person running it: tearing down".into());
            Verdict::Interrupted
        }
    };
    run.record.verdict = verdict;
    // The log as it ended, for the report, whatever the outcome.
    collect_logs(&mut run, true).await;
    let ns = run.record.namespace.clone();
    run.record.teardown = if opts.keep {
        format!(
            "kept on request: delete it with `kubectl delete namespace {ns}` (it expires {})",
            plan.ask
                .annotations
                .get(scratch::EXPIRES_AT)
                .and_then(Value::as_str)
                .unwrap_or("when backstop next runs a drill of this Cluster")
        )
    } else {
        run.step(format!("deleting namespace {ns}"));
        match scratch::delete(client, &ns, Duration::from_secs(120)).await {
            Ok(()) => {
                run.step(format!("namespace {ns} is gone"));
                format!("namespace {ns} deleted, and gone")
            }
            Err(e) => {
                run.step(e.clone());
                e
            }
        }
    };
    run.record.finished = Utc::now();
    if opts.annotate {
        let (sns, sname) = plan.source.clone();
        let api: Api<DynamicObject> =
            Api::namespaced_with(client.clone(), &sns, &resource_of(Kind::Cluster));
        let patch = run.record.annotation_patch();
        match api
            .patch(&sname, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(_) => run.step(format!(
                "recorded on Cluster {sns}/{sname} ({})",
                super::record::LAST_DRILL
            )),
            Err(e) => {
                let e = kube_error(&format!("recording the result on Cluster {sns}/{sname}"), e);
                run.step(e);
            }
        }
    }
    run.record
}

async fn drive(run: &mut Run<'_>, opts: &DrillOptions) -> Verdict {
    if let Err(e) = create(run).await {
        run.step(e.clone());
        return Verdict::Failed(e);
    }
    let deadline = tokio::time::Instant::now() + opts.timeout;
    let mut last_phase = String::new();
    let mut polls = 0u64;
    loop {
        polls += 1;
        let cluster = get_cluster(run).await;
        if let Some(c) = &cluster {
            let course = ClusterCourse::of(c);
            if course.phase != last_phase && !course.phase.is_empty() {
                run.step(format!(
                    "Cluster {}: {}{}",
                    run.record.cluster,
                    course.phase,
                    if course.phase_reason.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", course.phase_reason)
                    }
                ));
                last_phase = course.phase.clone();
            }
            run.record.course = Some(course.clone());
            if course.healthy() {
                run.record.ready = Some(Utc::now());
                collect_logs(run, false).await;
                let verdict = verify(run).await;
                if verdict != Verdict::Passed {
                    return verdict;
                }
                return match &opts.verify {
                    Some((sql, db)) => run_sql(run, c, sql, db).await,
                    None => verdict,
                };
            }
            if course.unrecoverable() {
                let why = format!(
                    "the recovery Cluster is unrecoverable ({}{})",
                    course.phase,
                    if course.phase_reason.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", course.phase_reason)
                    }
                );
                look_for_causes(run, opts).await;
                return Verdict::Failed(why);
            }
        }
        collect_logs(run, false).await;
        if let Some(failed) = failed_job(run).await {
            run.step(failed.clone());
            look_for_causes(run, opts).await;
            return Verdict::Failed(failed);
        }
        // The restore rules, on what the scratch namespace shows: a named cause ends the
        // drill early instead of waiting for the timeout.
        if polls.is_multiple_of(5) && look_for_causes(run, opts).await {
            let first = &run.record.findings[0];
            return Verdict::Failed(format!("{}: {}", first.code, first.summary));
        }
        if tokio::time::Instant::now() >= deadline {
            look_for_causes(run, opts).await;
            let phase = run
                .record
                .course
                .as_ref()
                .map(|c| c.phase.clone())
                .unwrap_or_default();
            return Verdict::Failed(format!(
                "no healthy primary within {} (phase: {})",
                crate::model::kubefmt::span(chrono::TimeDelta::seconds(
                    opts.timeout.as_secs() as i64
                )),
                if phase.is_empty() { "none yet" } else { &phase }
            ));
        }
        tokio::time::sleep(opts.every).await;
    }
}

/// The namespace, the credentials, the planned objects.
async fn create(run: &mut Run<'_>) -> Result<(), String> {
    let plan = run.plan;
    let ns = plan.into.0.clone();
    let ns_obj = scratch::namespace_object(
        &ns,
        &plan.source.0,
        &plan.source.1,
        run.record.started,
        super::TTL,
    );
    let namespace: Namespace =
        serde_json::from_value(ns_obj).map_err(|e| format!("building namespace {ns}: {e}"))?;
    Api::<Namespace>::all(run.client.clone())
        .create(&PostParams::default(), &namespace)
        .await
        .map_err(|e| kube_error(&format!("creating namespace {ns}"), e))?;
    run.step(format!("created namespace {ns}"));
    for (secret, keys) in &plan.secrets {
        copy_secret(run, secret, keys).await?;
    }
    for o in &plan.objects {
        let kind = o.get("kind").and_then(Value::as_str).unwrap_or_default();
        let name = o
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let k = match kind {
            "ObjectStore" => Kind::ObjectStore,
            _ => Kind::Cluster,
        };
        let obj: DynamicObject = serde_json::from_value(o.clone())
            .map_err(|e| format!("building {kind} {ns}/{name}: {e}"))?;
        Api::<DynamicObject>::namespaced_with(run.client.clone(), &ns, &resource_of(k))
            .create(&PostParams::default(), &obj)
            .await
            .map_err(|e| kube_error(&format!("creating {kind} {ns}/{name}"), e))?;
        run.step(format!("created {kind} {ns}/{name}"));
    }
    Ok(())
}

/// Copies the keys the store uses of one Secret into the scratch namespace. The values go
/// from the API to the API and nowhere else.
async fn copy_secret(run: &mut Run<'_>, name: &str, keys: &[String]) -> Result<(), String> {
    let (src_ns, ns) = (run.plan.source.0.clone(), run.plan.into.0.clone());
    let from: Api<Secret> = Api::namespaced(run.client.clone(), &src_ns);
    let secret = from
        .get(name)
        .await
        .map_err(|e| kube_error(&format!("reading Secret {src_ns}/{name} to copy it"), e))?;
    let data: BTreeMap<_, _> = secret
        .data
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| keys.contains(k))
        .collect();
    let missing: Vec<&String> = keys.iter().filter(|k| !data.contains_key(*k)).collect();
    if !missing.is_empty() {
        run.step(format!(
            "Secret {src_ns}/{name} has no key {}: the copy lacks it, as the source does",
            missing
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut copy = Secret {
        data: Some(data),
        type_: secret.type_,
        ..Default::default()
    };
    copy.metadata.name = Some(name.to_string());
    copy.metadata.namespace = Some(ns.clone());
    copy.metadata.labels = Some(
        scratch::labels(&src_ns, &run.plan.source.1)
            .into_iter()
            .filter_map(|(k, v)| Some((k, v.as_str()?.to_string())))
            .collect(),
    );
    Api::<Secret>::namespaced(run.client.clone(), &ns)
        .create(&PostParams::default(), &copy)
        .await
        .map_err(|e| kube_error(&format!("copying Secret {name} into {ns}"), e))?;
    run.step(format!(
        "copied Secret {name} (keys {}) into {ns}",
        keys.join(", ")
    ));
    Ok(())
}

async fn get_cluster(run: &Run<'_>) -> Option<Value> {
    let api: Api<DynamicObject> = Api::namespaced_with(
        run.client.clone(),
        &run.record.namespace,
        &resource_of(Kind::Cluster),
    );
    let obj = api.get_opt(&run.record.cluster).await.ok()??;
    serde_json::to_value(obj).ok()
}

async fn pods(run: &Run<'_>) -> Vec<Value> {
    let api: Api<Pod> = Api::namespaced(run.client.clone(), &run.record.namespace);
    api.list(&ListParams::default())
        .await
        .map(|l| {
            l.items
                .into_iter()
                .filter_map(|p| serde_json::to_value(p).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// New lines of every recovery pod's containers go to the progress; the last ones are kept
/// for the report. `all` reads them once more at the end, for the record.
async fn collect_logs(run: &mut Run<'_>, all: bool) {
    let pods = pods(run).await;
    let api: Api<Pod> = Api::namespaced(run.client.clone(), &run.record.namespace);
    let mut replay_lines: Vec<String> = Vec::new();
    for pod in recovery_pods(&pods, &run.record.cluster) {
        let name = pod
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let containers: Vec<String> = ["/spec/initContainers", "/spec/containers"]
            .iter()
            .flat_map(|p| {
                pod.pointer(p)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            })
            .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
            .collect();
        for container in containers {
            let params = LogParams {
                container: Some(container.clone()),
                tail_lines: Some(500),
                ..Default::default()
            };
            let Ok(text) = api.logs(&name, &params).await else {
                continue;
            };
            let lines: Vec<&str> = text.lines().collect();
            replay_lines.extend(lines.iter().map(|l| l.to_string()));
            let key = (name.clone(), container.clone());
            let seen = run
                .seen_lines
                .get(&key)
                .copied()
                .unwrap_or(0)
                .min(lines.len());
            for l in &lines[seen..] {
                let text = line_text(l);
                let shown = crate::sanitize::bounded(&text, 300).into_owned();
                if !all {
                    run.step(format!("{name}/{container}: {shown}"));
                }
                run.record.log.push(format!("{name}/{container}: {shown}"));
            }
            run.seen_lines.insert(key, lines.len());
        }
    }
    if run.record.log.len() > LOG_KEPT {
        let cut = run.record.log.len() - LOG_KEPT;
        run.record.log.drain(..cut);
    }
    let replay = Replay::read(replay_lines.iter().map(String::as_str));
    if replay != Replay::default() {
        run.record.replay = replay;
    }
}

/// The `*-full-recovery` Job gave up (its backoff limit, cnpg#11475).
async fn failed_job(run: &Run<'_>) -> Option<String> {
    let api: Api<Job> = Api::namespaced(run.client.clone(), &run.record.namespace);
    let jobs = api.list(&ListParams::default()).await.ok()?;
    jobs.items.iter().find_map(|j| {
        let c = j
            .status
            .as_ref()?
            .conditions
            .as_ref()?
            .iter()
            .find(|c| c.type_ == "Failed" && c.status == "True")?;
        Some(format!(
            "Job {} failed: {}{}",
            j.metadata.name.clone().unwrap_or_default(),
            c.reason.clone().unwrap_or_default(),
            c.message
                .as_ref()
                .map(|m| format!(" ({m})"))
                .unwrap_or_default()
        ))
    })
}

/// Runs the restore rules over the scratch namespace; true when one names a cause.
async fn look_for_causes(run: &mut Run<'_>, opts: &DrillOptions) -> bool {
    let facts = checks::collect(
        run.client,
        Some(&run.record.namespace),
        Reach {
            logs: true,
            network: false,
            bucket: false,
            archiver: false,
        },
    )
    .await;
    let outcome = assess::assess(&facts, Utc::now(), &opts.thresholds);
    let mut found = false;
    for f in outcome
        .findings
        .iter()
        .filter(|f| f.code.starts_with("RST") && f.severity >= assess::Severity::Warning)
    {
        if run.record.findings.iter().any(|s| s.code == f.code) {
            found = true;
            continue;
        }
        let seen = Seen {
            code: f.code.to_string(),
            summary: f.summary.clone(),
            remedy: f.remedy.clone(),
        };
        run.step(format!("{}: {}", seen.code, seen.summary));
        run.record.findings.push(seen);
        found = true;
    }
    found
}

/// The default verification: a healthy primary, the timeline it chose, the last
/// transaction it replayed, and for a time target, that it stopped at or before it.
async fn verify(run: &mut Run<'_>) -> Verdict {
    let replay = run.record.replay.clone();
    let course = run.record.course.clone();
    let timeline = replay
        .timeline
        .map(i64::from)
        .or(course.as_ref().and_then(|c| c.timeline));
    run.step(format!(
        "healthy: timeline {}, last replayed transaction {}, {} WAL segment(s) restored",
        timeline
            .map(|t| t.to_string())
            .unwrap_or_else(|| "unknown".into()),
        replay
            .last_transaction
            .map(crate::model::kubefmt::ts)
            .unwrap_or_else(|| "not in the log".into()),
        replay.restored_wal
    ));
    if let (Some(target), Some(last)) = (run.plan.ask.target.time(), replay.last_transaction)
        && last > target
    {
        return Verdict::Failed(format!(
            "the restore replayed a transaction of {}, after its target {}",
            crate::model::kubefmt::ts(last),
            crate::model::kubefmt::ts(target)
        ));
    }
    Verdict::Passed
}

/// The person's SQL in the restored primary; its failure fails the drill.
async fn run_sql(run: &mut Run<'_>, cluster: &Value, sql: &str, database: &str) -> Verdict {
    let Some(primary) = cluster
        .pointer("/status/currentPrimary")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        let why = "the restored Cluster names no primary to run the verification in".to_string();
        run.record.verify = Some(Err(why.clone()));
        return Verdict::Failed(why);
    };
    run.step(format!(
        "verifying: psql in {primary} (database {database}), {} bytes of SQL",
        sql.len()
    ));
    let ns = run.record.namespace.clone();
    let result = super::verify::run(
        run.client,
        &ns,
        &primary,
        database,
        sql,
        Duration::from_secs(300),
    )
    .await;
    let verdict = match &result {
        Ok(out) => {
            run.step(format!(
                "verification query succeeded ({} line(s) of output)",
                out.lines().count()
            ));
            Verdict::Passed
        }
        Err(e) => {
            run.step(format!("verification query failed: {e}"));
            Verdict::Failed(format!("the verification query failed: {e}"))
        }
    };
    run.record.verify = Some(result.map(|o| crate::redact::redact(&o).into_owned()));
    verdict
}
