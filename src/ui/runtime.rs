//! The dashboard's IO, in one place: the connection and its watchers, the rules' runs, the
//! gatherings, the reads views ask for, actions. `next` waits for the next thing that
//! happened, as a `Msg`; `perform` does what a `Cmd` asks. The binary's loop and the tests
//! drive the same runtime, so what the tests see is what a user gets.

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use super::msg::{Cmd, Msg};
use super::panes::Health;
use super::restore_task::{self, DrillTask};
use super::rules_task::RulesTask;
use super::settings::Location;
use crate::actions::exec::Progress;
use crate::checks::Extras;
use crate::cluster::Watched;
use crate::cluster::connect::{ConnectOptions, connect_bounded};
use crate::cluster::fetch::{self, LogChunk};
use crate::model::ObjectRef;
use crate::model::bucket::StoreProof;

/// How long a YAML or events view waits for the API server.
const TEXT_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The rules read kinds the panes do not watch: gathered shortly after start, then on
/// this cadence, one gathering at a time.
const GATHER_EVERY: Duration = Duration::from_secs(30);
const FIRST_GATHER: Duration = Duration::from_secs(2);
/// Listing a bucket costs requests and time (a store with a year of WAL holds 100k
/// objects): the stores are read shortly after start, then on this slower cadence.
const PROVE_EVERY: Duration = Duration::from_secs(600);
const FIRST_PROVE: Duration = Duration::from_secs(5);

/// A frozen API server would leave a view "[loading…]" for ever: the read is bounded and
/// says why it stopped.
async fn bounded<T>(
    read: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    tokio::time::timeout(TEXT_READ_TIMEOUT, read)
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "the API server did not answer within {} s",
                TEXT_READ_TIMEOUT.as_secs()
            ))
        })
}

struct Connected {
    client: kube::Client,
    watched: Watched,
    namespace: Option<String>,
}

/// How the runtime was reached, for context switches and retries.
pub struct Reach {
    /// How to connect again (None: a client given whole, as the demo's).
    pub options: Option<ConnectOptions>,
    /// Where actions taken outside a walk are recorded.
    pub actions_log: PathBuf,
    /// Whether the clock ticks and the facts are gathered on their own every 30 s (tests
    /// freeze both, to compare frames, and gather when they choose).
    pub ticking: bool,
}

pub struct Runtime {
    connected: Option<Connected>,
    reach: Reach,
    /// Results of the IO `perform` started, in the order they come.
    tx: mpsc::UnboundedSender<Msg>,
    rx: mpsc::UnboundedReceiver<Msg>,
    rules: RulesTask,
    /// The followed log: its view's id, its chunks, its task.
    log: Option<(u64, mpsc::Receiver<LogChunk>, JoinHandle<()>)>,
    action: Option<mpsc::Receiver<Progress>>,
    /// The restore drill under way (one at a time).
    drill: Option<DrillTask>,
    /// The incident bundle being written, and where: one at a time (two in the same second
    /// would share a file name).
    bundling: Option<(std::path::PathBuf, tokio::task::JoinHandle<()>)>,
    extras_tx: mpsc::Sender<Extras>,
    extras_rx: mpsc::Receiver<Extras>,
    gather_tick: Interval,
    proofs_tx: mpsc::Sender<Vec<StoreProof>>,
    proofs_rx: mpsc::Receiver<Vec<StoreProof>>,
    prove_tick: Interval,
    clock: Interval,
    /// Alertmanager's URL: its firing alerts are read with each gathering.
    alertmanager: Option<String>,
}

/// A dashboard left for the fleet screen stops following its log: the watchers stop with
/// `Watched`, the one-shot reads end on their own.
impl Drop for Runtime {
    fn drop(&mut self) {
        self.close_log();
    }
}

impl Runtime {
    /// Starts watching through `client`, in `namespace` or everywhere (None: not
    /// connected; `perform(Cmd::Context)` connects).
    pub fn new(client: Option<kube::Client>, namespace: Option<String>, reach: Reach) -> Runtime {
        let (tx, rx) = mpsc::unbounded_channel();
        let (extras_tx, extras_rx) = mpsc::channel(1);
        let mut gather_tick = tokio::time::interval_at(Instant::now() + FIRST_GATHER, GATHER_EVERY);
        gather_tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let (proofs_tx, proofs_rx) = mpsc::channel(1);
        let mut prove_tick = tokio::time::interval_at(Instant::now() + FIRST_PROVE, PROVE_EVERY);
        prove_tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut clock = tokio::time::interval(Duration::from_secs(1));
        clock.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut rt = Runtime {
            connected: None,
            reach,
            tx,
            rx,
            rules: RulesTask::default(),
            log: None,
            action: None,
            drill: None,
            bundling: None,
            extras_tx,
            extras_rx,
            gather_tick,
            proofs_tx,
            proofs_rx,
            prove_tick,
            clock,
            alertmanager: None,
        };
        if let Some(client) = client {
            rt.start(client, namespace);
        }
        rt
    }

    fn start(&mut self, client: kube::Client, namespace: Option<String>) {
        let watched = Watched::start(&client, namespace.clone());
        let (c, tx) = (client.clone(), self.tx.clone());
        tokio::spawn(async move {
            let version = c
                .apiserver_version()
                .await
                .map(|v| v.git_version)
                .map_err(|e| e.to_string());
            let _ = tx.send(Msg::ServerVersion(version));
        });
        self.connected = Some(Connected {
            client,
            watched,
            namespace,
        });
    }

    /// The next thing that happened.
    pub async fn next(&mut self) -> Msg {
        loop {
            let changed = async {
                match &self.connected {
                    Some(c) => c.watched.changed.notified().await,
                    None => std::future::pending().await,
                }
            };
            let next_log = async {
                match &mut self.log {
                    Some((id, rx, _)) => (*id, rx.recv().await),
                    None => std::future::pending().await,
                }
            };
            let next_progress = async {
                match &mut self.action {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            let next_drill = async {
                match &mut self.drill {
                    Some(d) => d.next().await,
                    None => std::future::pending().await,
                }
            };
            let ticking = self.reach.ticking;
            tokio::select! {
                Some(msg) = self.rx.recv() => return msg,
                _ = changed => {
                    if let Some(c) = &self.connected {
                        return Msg::Data(Box::new(c.watched.snapshot()));
                    }
                }
                (outcome, took) = self.rules.next() => return Msg::Verdict(outcome, took),
                (id, chunk) = next_log => match chunk {
                    Some(chunk) => return Msg::Log { id, chunk },
                    None => self.log = None,
                },
                progress = next_progress => match progress {
                    Some(p) => return Msg::Progress(p),
                    None => self.action = None,
                },
                drill = next_drill => match drill {
                    Some(msg) => {
                        if matches!(msg, Msg::DrillDone(_)) {
                            self.drill = None;
                        }
                        return msg;
                    }
                    None => self.drill = None,
                },
                _ = self.gather_tick.tick(), if ticking => self.gather(false),
                Some(extras) = self.extras_rx.recv() => return Msg::Extras(Box::new(extras)),
                _ = self.prove_tick.tick(), if ticking => self.prove(),
                Some(proofs) = self.proofs_rx.recv() => return Msg::Proofs(proofs),
                _ = self.clock.tick(), if ticking => return Msg::Tick(Utc::now()),
            }
        }
    }

    /// Reads Alertmanager's firing alerts with each gathering from now on.
    pub fn set_alertmanager(&mut self, url: Option<String>) {
        self.alertmanager = url;
    }

    /// Gathers the rules' facts in the background. With the channel full, a gathering is
    /// already waiting to be read: this one is dropped, as it would say the same.
    fn gather(&self, network: bool) {
        let Some(c) = &self.connected else { return };
        let (client, snapshot, ns) = (c.client.clone(), c.watched.snapshot(), c.namespace.clone());
        let tx = self.extras_tx.clone();
        let alertmanager = self.alertmanager.clone();
        tokio::spawn(async move {
            let read = async {
                match &alertmanager {
                    Some(url) => Some(
                        crate::alerts::alertmanager::firing(url, Duration::from_secs(10)).await,
                    ),
                    None => None,
                }
            };
            let (mut extras, firing) = tokio::join!(
                crate::checks::extras(&client, ns.as_deref(), &snapshot, network),
                read
            );
            extras.firing = firing;
            let _ = tx.try_send(extras);
        });
    }

    /// Reads each store's bucket in the background, one reading at a time (a reading
    /// asked while one runs is dropped: it would say the same). On the simulator only
    /// stores on this machine are read: its other endpoints are fictional.
    fn prove(&self) {
        let Some(c) = &self.connected else { return };
        let (client, snapshot) = (c.client.clone(), c.watched.snapshot());
        let limits = crate::checks::bucket::BucketLimits {
            loopback_only: self.reach.options.is_none(),
            ..Default::default()
        };
        let Ok(permit) = self.proofs_tx.clone().try_reserve_owned() else {
            return;
        };
        tokio::spawn(async move {
            let proofs = crate::checks::bucket::prove(&client, &snapshot, limits).await;
            permit.send(proofs);
        });
    }

    fn client(&self) -> Option<kube::Client> {
        self.connected.as_ref().map(|c| c.client.clone())
    }

    /// Does what the App asked. `Quit` is the caller's to act on.
    pub async fn perform(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Quit | Cmd::Leave => {}
            Cmd::Assess(input) => self.rules.start(*input),
            Cmd::Yaml { id, target } => self.read_text(id, target, true),
            Cmd::Events { id, target } => self.read_text(id, target, false),
            Cmd::Logs {
                id,
                namespace,
                pod,
                container,
            } => {
                self.close_log();
                if let Some(client) = self.client() {
                    let (tx, rx) = mpsc::channel(64);
                    let task = tokio::spawn(fetch::follow_logs(
                        client, namespace, pod, container, 500, tx,
                    ));
                    self.log = Some((id, rx, task));
                }
            }
            Cmd::CloseText => self.close_log(),
            Cmd::Bundle(take) => self.bundle(*take),
            Cmd::Gather { network } => self.gather(network),
            Cmd::Prove => self.prove(),
            Cmd::SaveTranscript { path, markdown } => {
                let result = write_file(&path, &markdown)
                    .map(|_| path.clone())
                    .map_err(|e| format!("writing {}: {e:#}", path.display()));
                let _ = self.tx.send(Msg::TranscriptSaved(result));
            }
            Cmd::CheckAccess(plan) => {
                if let Some(client) = self.client() {
                    let tx = self.tx.clone();
                    tokio::spawn(async move {
                        let allowed = crate::actions::exec::allowed(&client, &plan).await;
                        let _ = tx.send(Msg::Access(allowed));
                    });
                }
            }
            Cmd::RunAction(plan) => {
                if let Some(client) = self.client() {
                    tracing::info!(command = plan.command(), "action confirmed");
                    let (tx, rx) = mpsc::channel(16);
                    tokio::spawn(crate::actions::exec::run(client, plan, tx));
                    self.action = Some(rx);
                }
            }
            Cmd::LogAction(line) => {
                if let Err(e) = append_line(&self.reach.actions_log, &line) {
                    self.note(
                        Health::Warning,
                        format!("the action is done but not recorded: {e:#}"),
                    );
                }
            }
            Cmd::PlanRestore {
                id,
                cluster,
                target,
                now,
            } => {
                if let Some(client) = self.client() {
                    let tx = self.tx.clone();
                    tokio::spawn(async move {
                        let result = restore_task::plan(client, cluster, target, now).await;
                        let _ = tx.send(Msg::RestorePlanned { id, result });
                    });
                }
            }
            Cmd::WritePlan { path, yaml } => {
                let result = write_file(&path, &yaml)
                    .map(|_| path.clone())
                    .map_err(|e| format!("writing {}: {e:#}", path.display()));
                let _ = self.tx.send(Msg::PlanWritten(result));
            }
            Cmd::PrepareDrill {
                id,
                cluster,
                target,
            } => {
                if let Some(client) = self.client() {
                    let tx = self.tx.clone();
                    tokio::spawn(async move {
                        let result = restore_task::prepare(client, cluster, target).await;
                        let _ = tx.send(Msg::DrillPrepared { id, result });
                    });
                }
            }
            Cmd::RunDrill(start) => match (self.client(), &self.drill) {
                (_, Some(_)) => self.note(
                    Health::Info,
                    "one drill at a time: the running one goes on (D shows it)".into(),
                ),
                (Some(client), None) => {
                    tracing::info!(
                        source = %format!("{}/{}", start.plan.source.0, start.plan.source.1),
                        namespace = %start.plan.into.0,
                        "restore drill confirmed"
                    );
                    self.drill = Some(restore_task::start(client, *start));
                }
                (None, None) => self.note(
                    Health::Warning,
                    "not connected: the drill did not start".into(),
                ),
            },
            Cmd::CancelDrill => {
                if let Some(d) = self.drill.as_mut() {
                    d.cancel();
                }
            }
            Cmd::Namespace(ns) => self.switch_namespace(ns),
            Cmd::Context(ctx) => self.switch_context(ctx).await,
        }
    }

    /// The dashboard is ending: a running drill is stopped and its teardown awaited, up to
    /// `within`. Says what happened to its namespace, when there was one.
    pub async fn finish(&mut self, within: Duration) -> Option<String> {
        self.drill.take()?.finish(within).await
    }

    /// Writes an incident bundle in the background: its progress in the footer (at most a
    /// note a second), then where it went or why it did not.
    fn bundle(&mut self, take: crate::bundle::take::Take) {
        let Some(client) = self.client() else {
            self.note(
                Health::Warning,
                "not connected: no bundle can be taken".into(),
            );
            return;
        };
        if let Some((out, task)) = &self.bundling
            && !task.is_finished()
        {
            self.note(
                Health::Info,
                format!("a bundle is already being written to {}", out.display()),
            );
            return;
        }
        let tx = self.tx.clone();
        self.note(
            Health::Info,
            format!("writing an incident bundle to {}…", take.out.display()),
        );
        let out = take.out.clone();
        let task = tokio::spawn(async move {
            let mut last = std::time::Instant::now();
            let progress = |p: crate::bundle::Progress| {
                if last.elapsed() < Duration::from_secs(1) {
                    return;
                }
                last = std::time::Instant::now();
                let said = match p {
                    crate::bundle::Progress::Checking => "reading and checking the cluster".into(),
                    crate::bundle::Progress::Objects { kind, so_far } => {
                        format!("{so_far} {kind} written")
                    }
                    crate::bundle::Progress::Logs { done, of } => format!("logs {done} of {of}"),
                    crate::bundle::Progress::Finishing => "finishing the archive".into(),
                };
                let _ = tx.send(Msg::Note(Health::Info, format!("bundle: {said}…")));
            };
            let result = crate::bundle::take::take(&client, &take, progress).await;
            let note = match result {
                Ok(m) => (
                    Health::Ok,
                    format!(
                        "bundle written to {}: {} objects, {} logs{}",
                        take.out.display(),
                        m.objects.values().sum::<usize>(),
                        m.logs.len(),
                        if m.unread.is_empty() && m.cut.is_empty() {
                            String::new()
                        } else {
                            format!(
                                "; {} not read, {} cut (its manifest.json says which)",
                                m.unread.len(),
                                m.cut.len()
                            )
                        }
                    ),
                ),
                Err(e) => (
                    Health::Critical,
                    format!("no bundle was written to {}: {e:#}", take.out.display()),
                ),
            };
            let _ = tx.send(Msg::Note(note.0, note.1));
        });
        self.bundling = Some((out, task));
    }

    fn note(&self, h: Health, text: String) {
        let _ = self.tx.send(Msg::Note(h, text));
    }

    fn close_log(&mut self) {
        if let Some((_, _, task)) = self.log.take() {
            task.abort();
        }
    }

    fn read_text(&self, id: u64, target: ObjectRef, yaml: bool) {
        let Some(client) = self.client() else { return };
        let tx = self.tx.clone();
        let (kind, ns, name) = (target.kind, target.namespace, target.name);
        tokio::spawn(async move {
            let msg = if yaml {
                let lines = bounded(fetch::yaml(client, kind, &ns, &name))
                    .await
                    .map(|y| y.lines().map(str::to_string).collect());
                Msg::Text { id, lines }
            } else {
                let events = bounded(fetch::events(client, kind, &ns, &name)).await;
                Msg::Events { id, events }
            };
            let _ = tx.send(msg);
        });
    }

    /// Watches another namespace. An empty namespace and a mistyped one look alike (all
    /// green), so whether it exists is asked too.
    fn switch_namespace(&mut self, ns: Option<String>) {
        let Some(c) = self.connected.take() else {
            return;
        };
        if let Some(name) = ns.clone() {
            let api: kube::Api<k8s_openapi::api::core::v1::Namespace> =
                kube::Api::all(c.client.clone());
            let tx = self.tx.clone();
            tokio::spawn(async move {
                let said = match api.get_opt(&name).await {
                    Ok(Some(_)) => return,
                    Ok(None) => format!(
                        "namespace {name} does not exist: every pane is empty for that reason (kubectl get ns)"
                    ),
                    Err(e) => format!("namespace {name} could not be read: {e}"),
                };
                let _ = tx.send(Msg::Note(Health::Warning, said));
            });
        }
        self.rules.forget();
        self.gather_tick.reset_immediately();
        let client = c.client.clone();
        drop(c);
        self.start(client, ns.clone());
        let _ = self.tx.send(Msg::Scope(ns));
    }

    /// Connects to `context` (None: as first asked, the retry of the error screen).
    async fn switch_context(&mut self, context: Option<String>) {
        let Some(base) = &self.reach.options else {
            return;
        };
        let wanted = ConnectOptions {
            context: context.or_else(|| base.context.clone()),
            namespace: self
                .connected
                .as_ref()
                .map_or(base.namespace.clone(), |c| c.namespace.clone()),
            ..base.clone()
        };
        match connect_bounded(&wanted).await {
            Ok((client, target)) => {
                self.connected = None;
                self.rules.forget();
                self.gather_tick.reset_immediately();
                self.start(client, target.namespace.clone());
                let _ = self.tx.send(Msg::Connected(Location {
                    context: target.context,
                    server: target.server,
                    namespace: target.namespace,
                    demo: false,
                }));
            }
            Err(e) if self.connected.is_some() => {
                self.note(Health::Critical, format!("cannot switch: {e}"));
            }
            Err(e) => {
                let _ = self.tx.send(Msg::ConnectFailed(e));
            }
        }
    }
}

/// Writes a file whole, creating its folder.
pub fn write_file(path: &std::path::Path, contents: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    crate::files::write_atomically(path, contents)
}

/// Appends one line to the session's action log, creating it and its folder.
fn append_line(path: &std::path::Path, line: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    writeln!(f, "{line}").with_context(|| format!("writing {}", path.display()))
}
