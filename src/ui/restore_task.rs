//! The runtime's restore work: plans gathered and made off the loop, a plan's YAML
//! written, a drill prepared, and the one drill that may run, its lines streamed back and
//! its end reported. A drill is cancelled when asked, and when the runtime holding it goes
//! away (its cancel sender is dropped), so the dashboard never leaves its namespace behind
//! by quitting.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{mpsc, oneshot};

use super::msg::{DrillEnd, DrillPrep, DrillStart, Msg};
use crate::cluster::fetch::resource_of;
use crate::model::{Kind, ObjectRef};
use crate::restore::drill::{self, DrillOptions, scratch};
use crate::restore::{self, Ask, Target};

/// How long deleting one earlier drill's namespace may take before the drill goes on.
const CLEAN_LIMIT: Duration = Duration::from_secs(120);
/// How many lines one message carries at most (a chatty recovery log comes in bursts).
const LINES_PER_MSG: usize = 200;

/// What the running drill says: its lines, then its end.
pub enum DrillEvent {
    Line(String),
    Done(Box<DrillEnd>),
}

/// The drill under way.
pub struct DrillTask {
    events: mpsc::UnboundedReceiver<DrillEvent>,
    /// Sending, or dropping it, stops the drill (it then tears down).
    cancel: Option<oneshot::Sender<()>>,
    /// The end, read while batching lines: the next call returns it.
    end: Option<Box<DrillEnd>>,
    /// What the end says if the drill's task dies without one.
    lost: Option<Box<DrillEnd>>,
}

impl DrillTask {
    /// Stops the drill; it tears down and ends with its `Done`.
    pub fn cancel(&mut self) {
        if let Some(tx) = self.cancel.take() {
            let _ = tx.send(());
        }
    }

    /// The next message: lines in batches, then the end; None once it ended.
    pub async fn next(&mut self) -> Option<Msg> {
        if let Some(end) = self.end.take() {
            return Some(Msg::DrillDone(end));
        }
        let Some(first) = self.events.recv().await else {
            // The task ended without its end (it panicked): said once, as a failure.
            return self.lost.take().map(Msg::DrillDone);
        };
        let mut lines = match first {
            DrillEvent::Done(end) => return Some(Msg::DrillDone(end)),
            DrillEvent::Line(l) => vec![l],
        };
        // A line after the batch may be the end: it waits for the next call.
        while lines.len() < LINES_PER_MSG {
            match self.events.try_recv() {
                Ok(DrillEvent::Line(l)) => lines.push(l),
                Ok(DrillEvent::Done(end)) => {
                    self.end = Some(end);
                    break;
                }
                Err(_) => break,
            }
        }
        Some(Msg::DrillLines(lines))
    }

    /// Cancels and waits up to `within` for the teardown; says what is left if it did not
    /// finish.
    pub async fn finish(mut self, within: Duration) -> Option<String> {
        self.cancel();
        if let Some(end) = self.end.take() {
            return Some(end.teardown);
        }
        let waited = tokio::time::timeout(within, async {
            while let Some(e) = self.events.recv().await {
                if let DrillEvent::Done(end) = e {
                    return Some(end);
                }
            }
            None
        })
        .await;
        match waited {
            Ok(Some(end)) => Some(end.teardown),
            Ok(None) => None,
            Err(_) => Some(format!(
                "the drill's teardown did not finish within {} s: `backstop restore drills --clean` deletes what is left",
                within.as_secs()
            )),
        }
    }
}

/// Gathers a Cluster's facts and plans its restore, judging the target as of `now`.
pub async fn plan(
    client: kube::Client,
    cluster: ObjectRef,
    target: Target,
    now: chrono::DateTime<Utc>,
) -> Result<Box<Result<restore::RestorePlan, restore::Refused>>, String> {
    let gathered = restore::gather(&client, &cluster.namespace, &cluster.name).await?;
    let ask = Ask::new(target);
    Ok(Box::new(restore::plan(&gathered.source(), ask, now)))
}

/// The drill's plan into a fresh scratch namespace, and the namespaces earlier drills of
/// this Cluster left. A drill creates real objects: its expiry is from the real clock.
pub async fn prepare(
    client: kube::Client,
    cluster: ObjectRef,
    target: Target,
) -> Result<Box<DrillPrep>, String> {
    let (ns, name) = (cluster.namespace.as_str(), cluster.name.as_str());
    let leftovers = scratch::leftovers(&client, Some((ns, name))).await?;
    let gathered = restore::gather(&client, ns, name).await?;
    let now = Utc::now();
    let suffix = (now.timestamp_subsec_nanos() ^ std::process::id().rotate_left(11)) & 0xff_ffff;
    let ask = drill::ask(ns, name, target, None, now, suffix);
    let plan = restore::plan(&gathered.source(), ask, now);
    let access = match &plan {
        Ok(p) => allowed(&client, p).await,
        Err(_) => Ok(()),
    };
    Ok(Box::new(DrillPrep {
        plan,
        leftovers,
        access,
    }))
}

/// Whether the API server lets this user run the drill: create and delete the scratch
/// namespace and what goes in it, read the Secrets it copies, record the result on the
/// source Cluster. Asked before the yes is offered, as for every action.
async fn allowed(client: &kube::Client, plan: &restore::RestorePlan) -> Result<(), String> {
    use k8s_openapi::api::authorization::v1::{
        ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
    };
    let (scratch, source) = (plan.into.0.as_str(), plan.source.0.as_str());
    let cluster = resource_of(Kind::Cluster);
    let mut asks: Vec<(&str, String, String, &str)> = vec![
        ("create", String::new(), "namespaces".into(), ""),
        ("delete", String::new(), "namespaces".into(), ""),
        ("get", String::new(), "secrets".into(), source),
        ("create", String::new(), "secrets".into(), scratch),
        (
            "patch",
            cluster.group.clone(),
            cluster.plural.clone(),
            source,
        ),
    ];
    for o in &plan.objects {
        let kind = o.get("kind").and_then(serde_json::Value::as_str);
        if let Some(k) = kind.and_then(Kind::from_name) {
            let r = resource_of(k);
            asks.push(("create", r.group, r.plural, scratch));
        }
    }
    let reviews: kube::Api<SelfSubjectAccessReview> = kube::Api::all(client.clone());
    for (verb, group, resource, namespace) in asks {
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    verb: Some(verb.into()),
                    group: Some(group.clone()),
                    resource: Some(resource.clone()),
                    namespace: Some(namespace.into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let answer = reviews
            .create(&Default::default(), &review)
            .await
            .map_err(|e| format!("could not ask whether you may {verb} {resource}: {e}"))?;
        let status = answer.status.unwrap_or_default();
        if !status.allowed {
            let qualified = if group.is_empty() {
                resource
            } else {
                format!("{resource}.{group}")
            };
            let place = if namespace.is_empty() {
                String::new()
            } else {
                format!(" in namespace {namespace}")
            };
            let why = status
                .reason
                .filter(|r| !r.is_empty())
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            return Err(format!("you may not {verb} {qualified}{place}{why}"));
        }
    }
    Ok(())
}

/// Starts the drill in the background.
pub fn start(client: kube::Client, start: DrillStart) -> DrillTask {
    let namespace = start.plan.into.0.clone();
    let lost = DrillEnd {
        source: start.plan.source.clone(),
        namespace: namespace.clone(),
        target: start.plan.ask.target.describe(),
        passed: false,
        verdict: "FAILED (the drill stopped unexpectedly)".into(),
        rto: None,
        rpo: None,
        remedy: None,
        teardown: format!(
            "not confirmed: `kubectl get namespace {namespace}`; `backstop restore drills --clean` deletes what is left"
        ),
        report: Err("the drill stopped before writing its report".into()),
    };
    let (events_tx, events) = mpsc::unbounded_channel();
    let (cancel_tx, cancel_rx) = oneshot::channel::<()>();
    tokio::spawn(run(client, start, events_tx, cancel_rx));
    DrillTask {
        events,
        cancel: Some(cancel_tx),
        end: None,
        lost: Some(Box::new(lost)),
    }
}

async fn run(
    client: kube::Client,
    start: DrillStart,
    events: mpsc::UnboundedSender<DrillEvent>,
    cancel: oneshot::Receiver<()>,
) {
    let say = |line: String| {
        let _ = events.send(DrillEvent::Line(line));
    };
    let (ns, name) = start.plan.source.clone();
    for leftover in &start.clean {
        say(format!(
            "deleting namespace {leftover}, left by an earlier drill"
        ));
        match scratch::delete(&client, leftover, CLEAN_LIMIT).await {
            Ok(()) => say(format!("namespace {leftover} is gone")),
            Err(e) => say(e),
        }
    }
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let forward = {
        let events = events.clone();
        tokio::spawn(async move {
            while let Some(line) = rx.recv().await {
                let _ = events.send(DrillEvent::Line(line));
            }
        })
    };
    let opts = DrillOptions {
        timeout: start.timeout,
        thresholds: start.thresholds.clone(),
        ..DrillOptions::default()
    };
    // A dropped sender stops the drill as a sent one does: the runtime went away.
    let stop = async {
        let _ = cancel.await;
    };
    let record = drill::run(&client, &start.plan, &opts, &tx, stop).await;
    drop(tx);
    let _ = forward.await;
    let path = start.report_dir.join(format!(
        "restore-drill-{ns}-{name}-{}.md",
        record.started.format("%Y%m%dT%H%M%SZ")
    ));
    let report = write_report(&path, &drill::report::markdown(&record));
    let end = DrillEnd {
        source: record.source.clone(),
        namespace: record.namespace.clone(),
        target: record.target.clone(),
        passed: record.passed(),
        verdict: match &record.verdict {
            drill::Verdict::Passed => "PASSED".into(),
            v => format!("FAILED ({})", v.reason()),
        },
        rto: record.rto().map(crate::model::kubefmt::span),
        rpo: record.rpo().map(crate::model::kubefmt::span),
        remedy: record
            .findings
            .first()
            .map(|f| format!("{}: {}", f.code, f.remedy)),
        teardown: record.teardown.clone(),
        report,
    };
    let _ = events.send(DrillEvent::Done(Box::new(end)));
}

/// Writes the report whole (a reader never sees half of one), creating its folder.
fn write_report(path: &Path, text: &str) -> Result<PathBuf, String> {
    let said = |e: String| format!("writing the drill report to {}: {e}", path.display());
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| said(e.to_string()))?;
    }
    crate::files::write_atomically(path, text)
        .map(|_| path.to_path_buf())
        .map_err(|e| said(format!("{e:#}")))
}
