//! The event loop: terminal input, data changes and the clock in, frames out. The terminal
//! is restored on every way out: normal exit, error, panic (ratatui's hook), SIGTERM.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use ratatui::DefaultTerminal;

use super::app::{App, Effect, Location};
use super::draw::draw;
use super::theme::Theme;
use crate::cluster::Watched;
use crate::cluster::connect::{ConnectError, ConnectOptions, connect_bounded};
use crate::cluster::fetch::{self, LogChunk};

/// How long a YAML or events view waits for the API server.
const TEXT_READ_TIMEOUT: Duration = Duration::from_secs(10);

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

/// At most this many frames a second, however fast the data changes.
const FRAME: Duration = Duration::from_millis(33);

/// Restores the terminal when dropped, whatever way the loop ends.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        ratatui::restore();
        // The cursor shape is part of the terminal's state too.
        let _ = crossterm::execute!(
            std::io::stdout(),
            crossterm::cursor::SetCursorStyle::DefaultUserShape,
            crossterm::cursor::Show
        );
    }
}

/// How the dashboard reaches a cluster.
pub enum Source {
    /// A real cluster, chosen like kubectl.
    Kube(ConnectOptions),
    /// An already-built client (the in-process simulator of `backstop demo`).
    Client {
        client: kube::Client,
        location: Location,
    },
}

pub struct Options {
    pub theme: Theme,
    /// What made the start degraded (the theme, the config, tree files), all shown at once.
    pub problems: Vec<String>,
    /// The health rules' thresholds and silenced codes, from the config file.
    pub thresholds: crate::assess::Thresholds,
    pub silence: Vec<String>,
    /// Troubleshooting trees: built in, then the user's.
    pub trees: Vec<crate::trees::load::Tree>,
    /// The GitOps checkout for the trees' git checks.
    pub git: Option<crate::trees::git::Checkout>,
    /// Where transcripts go.
    pub transcripts: std::path::PathBuf,
    /// Start in the tree chooser, in training mode.
    pub training: bool,
    /// Actions are off.
    pub read_only: bool,
    /// Contexts where actions are off (the config file's contexts.NAME.read_only).
    pub read_only_contexts: Vec<String>,
    /// Where actions taken outside a walk are recorded.
    pub actions_log: std::path::PathBuf,
}

/// Runs the dashboard until the user quits.
pub async fn run(source: Source, options: Options) -> anyhow::Result<()> {
    crate::timings::record("phase", serde_json::json!({"at": "options loaded"}));
    if !std::io::stdout().is_terminal() {
        anyhow::bail!(
            "the dashboard needs a terminal, and standard output is not one: `backstop check` writes a report anywhere"
        );
    }
    let mut terminal = ratatui::try_init()
        .context("taking over the terminal (raw mode and the alternate screen)")?;
    crate::timings::record("phase", serde_json::json!({"at": "terminal ready"}));
    let _restore = Restore;
    let result = event_loop(&mut terminal, source, options).await;
    drop(_restore);
    // Said once the terminal is back: where a signal's rescue wrote the walk.
    if let Ok(Some(farewell)) = &result {
        eprintln!("backstop: {}", crate::sanitize::untrusted(farewell));
    }
    result.map(|_| ())
}

/// Does the read a YAML or events view asks for: (view id, its lines or why not).
pub async fn load_text(
    client: kube::Client,
    effect: &Effect,
    now: chrono::DateTime<Utc>,
) -> Option<(u64, Result<Vec<String>, String>)> {
    match effect {
        Effect::Yaml { id, target } => {
            let r = bounded(fetch::yaml(
                client,
                target.kind,
                &target.namespace,
                &target.name,
            ))
            .await;
            Some((*id, r.map(|y| y.lines().map(str::to_string).collect())))
        }
        Effect::Events { id, target } => {
            let r = bounded(fetch::events(
                client,
                target.kind,
                &target.namespace,
                &target.name,
            ))
            .await;
            Some((*id, r.map(|e| super::app::event_lines(&e, now))))
        }
        _ => None,
    }
}

/// The signals that end the dashboard: SIGTERM, SIGHUP (the terminal went away) and
/// SIGINT (Ctrl-C from outside: raw mode reads Ctrl-C typed here as a key). Each ends it
/// the same way, with the terminal restored and an unsaved walk written out.
struct Signals {
    #[cfg(unix)]
    streams: Vec<(&'static str, tokio::signal::unix::Signal)>,
}

impl Signals {
    fn new() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let streams = [
                ("SIGTERM", SignalKind::terminate()),
                ("SIGHUP", SignalKind::hangup()),
                ("SIGINT", SignalKind::interrupt()),
            ]
            .into_iter()
            .filter_map(|(name, kind)| signal(kind).ok().map(|s| (name, s)))
            .collect();
            Signals { streams }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// The name of the next signal received.
    async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            if self.streams.is_empty() {
                return std::future::pending().await;
            }
            let waits = self.streams.iter_mut().map(|(name, s)| {
                Box::pin(async move {
                    s.recv().await;
                    *name
                })
            });
            futures::future::select_all(waits).await.0
        }
        #[cfg(not(unix))]
        std::future::pending().await
    }
}

/// What waiting for a connection ended in.
enum Waited<T> {
    Done(T),
    /// The user quit, or a signal came, before it was done.
    Quit,
}

/// Waits for `work` (connecting) while the dashboard stays alive: the header counts the
/// seconds and says a credential plugin may be waiting, q and Ctrl-C quit, signals quit.
async fn while_connecting<T>(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    signals: &mut Signals,
    input: &mut EventStream,
    typed_ahead: &mut std::collections::VecDeque<crossterm::event::KeyEvent>,
    work: impl std::future::Future<Output = T>,
) -> anyhow::Result<Waited<T>> {
    tokio::pin!(work);
    let began = tokio::time::Instant::now();
    let mut said = false;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            done = &mut work => {
                if said {
                    app.message = None;
                }
                return Ok(Waited::Done(done));
            }
            _ = signals.recv() => return Ok(Waited::Quit),
            ev = input.next() => match ev {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => {
                    let ctrl_c = key.code == crossterm::event::KeyCode::Char('c')
                        && key.modifiers.contains(crossterm::event::KeyModifiers::CONTROL);
                    if ctrl_c || key.code == crossterm::event::KeyCode::Char('q') {
                        return Ok(Waited::Quit);
                    }
                    // Typed before the panes had rows: the keys act once connected.
                    typed_ahead.push_back(key);
                }
                Some(Ok(Event::Resize(w, h))) => app.screen = Some((w, h)),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e).context("reading the terminal"),
                None => return Ok(Waited::Quit),
            },
            _ = tick.tick() => {
                let waited = began.elapsed().as_secs();
                if waited >= 2 {
                    said = true;
                    app.message = Some((
                        super::view::Health::Info,
                        format!(
                            "connecting… {waited} s of {} s (a credential plugin may be waiting for a login); q quits",
                            crate::cluster::connect::connect_timeout().as_secs()
                        ),
                    ));
                }
            }
        }
        draw_frame(terminal, app, None)?;
    }
}

/// After a signal: a walk with unsaved notes is written where transcripts go (else to the
/// temporary folder), since nobody is there to be asked. Says where, or why not.
fn rescue_walk(app: &mut App) -> Option<String> {
    let Some(Effect::SaveTranscript { path, markdown }) = app.rescue_transcript() else {
        return None;
    };
    let fallback = std::env::temp_dir().join(path.file_name().unwrap_or_default());
    for target in [path, fallback] {
        let written = target
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .map_err(anyhow::Error::from)
            .and_then(|_| crate::files::write_atomically(&target, &markdown));
        match written {
            Ok(()) => {
                return Some(format!(
                    "the walk's unsaved notes were written to {}",
                    target.display()
                ));
            }
            Err(e) => {
                tracing::warn!(path = %target.display(), error = %format!("{e:#}"), "rescuing the walk")
            }
        }
    }
    Some("the walk's unsaved notes could not be written anywhere (see the log)".into())
}

struct Connected {
    client: kube::Client,
    watched: Watched,
}

fn start(client: kube::Client, namespace: Option<String>) -> Connected {
    let watched = Watched::start(&client, namespace);
    Connected { client, watched }
}

fn probe(client: &kube::Client, tx: &tokio::sync::mpsc::UnboundedSender<Result<String, String>>) {
    let client = client.clone();
    let tx = tx.clone();
    tokio::spawn(async move {
        let result = client
            .apiserver_version()
            .await
            .map(|v| v.git_version)
            .map_err(|e| e.to_string());
        let _ = tx.send(result);
    });
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    source: Source,
    options: Options,
) -> anyhow::Result<Option<String>> {
    let now = Utc::now();
    // The first frame comes before the connection: reading a kubeconfig and building a
    // client take tens of milliseconds the user should not stare at a blank screen for.
    let provisional = match &source {
        Source::Client { location, .. } => location.clone(),
        Source::Kube(opts) => Location {
            context: opts.context.clone().unwrap_or_else(|| "connecting…".into()),
            server: String::new(),
            namespace: opts.namespace.clone(),
            demo: false,
        },
    };
    let mut app = App::with_trees(provisional, options.theme, now, options.trees);
    app.screen = terminal.size().ok().map(|s| (s.width, s.height));
    draw_frame(terminal, &app, None)?;
    let mut signals = Signals::new();
    let mut input = EventStream::new();
    let mut typed_ahead = std::collections::VecDeque::new();
    let (mut connected, location, opts, mut failure) = match source {
        Source::Client { client, location } => {
            let ns = location.namespace.clone();
            (Some(start(client, ns)), location, None, None)
        }
        Source::Kube(opts) => match match while_connecting(
            terminal,
            &mut app,
            &mut signals,
            &mut input,
            &mut typed_ahead,
            connect_bounded(&opts),
        )
        .await?
        {
            Waited::Quit => return Ok(None),
            Waited::Done(attempt) => attempt,
        } {
            Ok((client, target)) => {
                let location = Location {
                    context: target.context,
                    server: target.server,
                    namespace: target.namespace.clone(),
                    demo: false,
                };
                (
                    Some(start(client, target.namespace)),
                    location,
                    Some(opts),
                    None,
                )
            }
            Err(e) => {
                let location = Location {
                    context: opts.context.clone().unwrap_or_else(|| "?".into()),
                    server: e.target.clone(),
                    namespace: opts.namespace.clone(),
                    demo: false,
                };
                (None, location, Some(opts), Some(e))
            }
        },
    };
    crate::timings::record("phase", serde_json::json!({"at": "connected"}));
    app.location = location;
    app.thresholds = options.thresholds;
    app.silence = options.silence;
    app.git = options.git;
    app.transcripts = options.transcripts;
    let read_only_contexts = options.read_only_contexts;
    let read_only_everywhere = options.read_only;
    app.read_only = read_only_everywhere || read_only_contexts.contains(&app.location.context);
    let options_actions_log = options.actions_log;
    if options.training {
        app.chooser.training = true;
        app.open_chooser();
    }
    if !options.problems.is_empty() {
        app.message = Some((super::view::Health::Warning, options.problems.join(" · ")));
    }
    let (probe_tx, mut probe_rx) = tokio::sync::mpsc::unbounded_channel();
    if let Some(c) = &connected {
        probe(&c.client, &probe_tx);
    }
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // Results of on-demand reads, tagged with the id of the text view that asked.
    let (fetched_tx, mut fetched_rx) =
        tokio::sync::mpsc::unbounded_channel::<(u64, Result<Vec<String>, String>)>();
    let mut log: Option<(
        u64,
        tokio::sync::mpsc::Receiver<LogChunk>,
        tokio::task::JoinHandle<()>,
    )> = None;
    // The rules read kinds the panes do not watch: gathered shortly after start, then
    // every 30 s, one gathering at a time.
    let (extras_tx, mut extras_rx) = tokio::sync::mpsc::channel::<crate::checks::Extras>(1);
    let mut extras_tick = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_secs(2),
        Duration::from_secs(30),
    );
    extras_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let (scope_tx, mut scope_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let (access_tx, mut access_rx) = tokio::sync::mpsc::unbounded_channel::<Result<(), String>>();
    let mut action: Option<tokio::sync::mpsc::Receiver<crate::actions::exec::Progress>> = None;
    // The rules run beside the UI, one run at a time; data that changes meanwhile is
    // assessed by the next run.
    let (rules_tx, mut rules_rx) = tokio::sync::mpsc::channel::<Tagged>(1);
    let mut rules = Rules::default();
    let mut dirty = true;
    let mut last_frame = tokio::time::Instant::now() - FRAME;
    loop {
        if dirty && last_frame.elapsed() >= FRAME {
            draw_frame(terminal, &app, failure.as_ref())?;
            dirty = false;
            last_frame = tokio::time::Instant::now();
        }
        let changed = async {
            match &connected {
                Some(c) => c.watched.changed.notified().await,
                None => std::future::pending().await,
            }
        };
        let next_log = async {
            match &mut log {
                Some((id, rx, _)) => (*id, rx.recv().await),
                None => std::future::pending().await,
            }
        };
        let next_progress = async {
            match &mut action {
                Some(rx) => rx.recv().await,
                None => std::future::pending().await,
            }
        };
        let effect = tokio::select! {
            Some(said) = scope_rx.recv() => {
                app.message = Some((super::view::Health::Warning, said));
                dirty = true;
                None
            }
            Some(result) = access_rx.recv() => {
                app.access_checked(result);
                dirty = true;
                None
            }
            progress = next_progress => {
                dirty = true;
                match progress {
                    Some(p) => app.action_progress(p),
                    None => { action = None; None }
                }
            }
            ev = async {
                match typed_ahead.pop_front() {
                    Some(key) => Some(Ok(Event::Key(key))),
                    None => input.next().await,
                }
            } => match ev {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => {
                    dirty = true;
                    if failure.is_some() {
                        // The error screen: r retries, anything else quits.
                        if matches!(key.code, crossterm::event::KeyCode::Char('r')) {
                            Some(Effect::Context(app.location.context.clone()))
                        } else {
                            Some(Effect::Quit)
                        }
                    } else {
                        app.handle_key(key)
                    }
                }
                Some(Ok(Event::Resize(w, h))) => {
                    app.screen = Some((w, h));
                    dirty = true;
                    None
                }
                Some(Ok(_)) => None,
                Some(Err(e)) => return Err(e).context("reading the terminal"),
                None => Some(Effect::Quit),
            },
            _ = changed => {
                if let Some(c) = &connected {
                    let t = std::time::Instant::now();
                    app.set_rows(c.watched.snapshot());
                    crate::timings::record("refresh", serde_json::json!({"us": t.elapsed().as_micros() as u64, "cause": "data"}));
                    rules.start(&app, &rules_tx);
                }
                dirty = true;
                None
            }
            Some((generation, (outcome, took))) = rules_rx.recv() => {
                crate::timings::record("rules", serde_json::json!({"us": took.as_micros() as u64}));
                // A verdict on the cluster or namespace left behind is dropped.
                if generation == rules.generation {
                    app.set_outcome(outcome, took);
                }
                rules.done(&app, &rules_tx);
                dirty = true;
                None
            }
            Some((id, result)) = fetched_rx.recv() => {
                app.text_loaded(id, result);
                dirty = true;
                None
            }
            (id, chunk) = next_log => {
                match chunk {
                    Some(c) => app.log_chunk(id, c),
                    None => log = None,
                }
                dirty = true;
                None
            }
            _ = extras_tick.tick() => {
                if let Some(c) = &connected {
                    gather(c, app.location.namespace.clone(), false, extras_tx.clone());
                }
                None
            }
            Some(extras) = extras_rx.recv() => {
                app.keep_extras(extras);
                rules.start(&app, &rules_tx);
                dirty = true;
                None
            }
            Some(status) = probe_rx.recv() => {
                app.server_status = Some(status);
                dirty = true;
                None
            }
            _ = clock.tick() => {
                let t = std::time::Instant::now();
                if app.tick(Utc::now()) {
                    rules.start(&app, &rules_tx);
                }
                crate::timings::record("refresh", serde_json::json!({"us": t.elapsed().as_micros() as u64, "cause": "clock"}));
                dirty = true;
                None
            }
            _ = tokio::time::sleep_until(last_frame + FRAME), if dirty => None,
            signal = signals.recv() => {
                tracing::info!(signal, "ending on a signal");
                return Ok(rescue_walk(&mut app));
            }
        };
        let client = connected.as_ref().map(|c| c.client.clone());
        match effect {
            None => {}
            Some(effect @ (Effect::Yaml { .. } | Effect::Events { .. })) => {
                if let Some(client) = client {
                    let tx = fetched_tx.clone();
                    tokio::spawn(async move {
                        if let Some(loaded) = load_text(client, &effect, Utc::now()).await {
                            let _ = tx.send(loaded);
                        }
                    });
                }
            }
            Some(Effect::Logs {
                id,
                namespace,
                pod,
                container,
            }) => {
                if let Some((_, _, task)) = log.take() {
                    task.abort();
                }
                if let Some(client) = client {
                    let (tx, rx) = tokio::sync::mpsc::channel(64);
                    let task = tokio::spawn(fetch::follow_logs(
                        client, namespace, pod, container, 500, tx,
                    ));
                    log = Some((id, rx, task));
                }
            }
            Some(Effect::CloseText) => {
                if let Some((_, _, task)) = log.take() {
                    task.abort();
                }
            }
            Some(Effect::Gather { network }) => {
                if let Some(c) = &connected {
                    gather(
                        c,
                        app.location.namespace.clone(),
                        network,
                        extras_tx.clone(),
                    );
                }
            }
            Some(Effect::SaveTranscript { path, markdown }) => {
                let result = path
                    .parent()
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .map_err(anyhow::Error::from)
                    .and_then(|_| crate::files::write_atomically(&path, &markdown))
                    .map(|_| path.clone())
                    .map_err(|e| format!("writing {}: {e:#}", path.display()));
                app.transcript_saved(result);
            }
            Some(Effect::CheckAccess(plan)) => {
                if let Some(client) = client {
                    let tx = access_tx.clone();
                    tokio::spawn(async move {
                        let _ = tx.send(crate::actions::exec::allowed(&client, &plan).await);
                    });
                }
            }
            Some(Effect::RunAction(plan)) => {
                if let Some(client) = client {
                    tracing::info!(command = plan.command(), "action confirmed");
                    let (tx, rx) = tokio::sync::mpsc::channel(16);
                    tokio::spawn(crate::actions::exec::run(client, plan, tx));
                    action = Some(rx);
                }
            }
            Some(Effect::LogAction(line)) => {
                if let Err(e) = append_line(&options_actions_log, &line) {
                    app.message = Some((
                        super::view::Health::Warning,
                        format!("the action is done but not recorded: {e:#}"),
                    ));
                }
            }
            Some(Effect::Quit) => return Ok(None),
            Some(Effect::Namespace(ns)) => {
                if let (Some(c), Some(name)) = (&connected, &ns) {
                    // An empty namespace and a mistyped one look alike: all green. Say which.
                    let api: kube::Api<k8s_openapi::api::core::v1::Namespace> =
                        kube::Api::all(c.client.clone());
                    let (tx, name) = (scope_tx.clone(), name.clone());
                    tokio::spawn(async move {
                        let said = match api.get_opt(&name).await {
                            Ok(Some(_)) => None,
                            Ok(None) => Some(format!(
                                "namespace {name} does not exist: every pane is empty for that reason (kubectl get ns)"
                            )),
                            Err(e) => Some(format!("namespace {name} could not be read: {e}")),
                        };
                        if let Some(m) = said {
                            let _ = tx.send(m);
                        }
                    });
                }
                if let Some(c) = connected.take() {
                    app.location.namespace = ns.clone();
                    app.extras = None;
                    app.findings.clear();
                    app.set_snapshot(Default::default());
                    rules.forget();
                    extras_tick.reset_immediately();
                    connected = Some(start(c.client, ns));
                }
            }
            Some(Effect::Context(ctx)) => {
                let Some(base) = &opts else { continue };
                // A retry from the failure screen connects as first asked: the context
                // shown there may be a placeholder, not a name.
                let context = if failure.is_some() {
                    base.context.clone()
                } else {
                    Some(ctx)
                };
                let wanted = ConnectOptions {
                    context,
                    namespace: app.location.namespace.clone(),
                    ..base.clone()
                };
                match connect_bounded(&wanted).await {
                    Ok((client, target)) => {
                        connected = Some(start(client.clone(), target.namespace.clone()));
                        probe(&client, &probe_tx);
                        app.location = Location {
                            context: target.context,
                            server: target.server,
                            namespace: target.namespace,
                            demo: false,
                        };
                        app.read_only = read_only_everywhere
                            || read_only_contexts.contains(&app.location.context);
                        app.server_status = None;
                        app.extras = None;
                        app.findings.clear();
                        app.set_snapshot(Default::default());
                        rules.forget();
                        extras_tick.reset_immediately();
                        failure = None;
                    }
                    Err(e) if connected.is_some() => {
                        app.message =
                            Some((super::view::Health::Critical, format!("cannot switch: {e}")));
                    }
                    Err(e) => failure = Some(e),
                }
                dirty = true;
            }
        }
    }
}

/// A verdict with the generation of the scope it judged.
type Tagged = (u64, super::app::Verdict);

/// The rules' runs on the blocking pool: at most one at a time, and one more when the data
/// changed while it ran.
#[derive(Default)]
struct Rules {
    running: bool,
    again: bool,
    /// Moves when the scope changes (namespace, context).
    generation: u64,
}

impl Rules {
    fn start(&mut self, app: &App, tx: &tokio::sync::mpsc::Sender<Tagged>) {
        if self.running {
            self.again = true;
            return;
        }
        let Some(input) = app.rules_input() else {
            return;
        };
        self.running = true;
        self.again = false;
        let (tx, generation) = (tx.clone(), self.generation);
        tokio::task::spawn_blocking(move || {
            // The loop has ended when nobody receives: nothing left to tell.
            let _ = tx.blocking_send((generation, super::app::judge(input)));
        });
    }

    /// The scope changed: a run under way judges what is no longer shown.
    fn forget(&mut self) {
        self.generation += 1;
    }

    fn done(&mut self, app: &App, tx: &tokio::sync::mpsc::Sender<Tagged>) {
        self.running = false;
        if self.again {
            self.start(app, tx);
        }
    }
}

fn draw_frame(
    terminal: &mut DefaultTerminal,
    app: &App,
    failure: Option<&ConnectError>,
) -> anyhow::Result<()> {
    let began = std::time::Instant::now();
    let mut render = Duration::ZERO;
    terminal
        .draw(|f| {
            let t = std::time::Instant::now();
            match failure {
                Some(e) => draw_connect_error(app, e, f),
                None => draw(app, f),
            }
            render = t.elapsed();
        })
        .context("drawing")?;
    if crate::timings::enabled() {
        frame_timings(app, render, began.elapsed());
    }
    Ok(())
}

/// One frame's line for the benchmarks: how long it took and what data it showed.
fn frame_timings(app: &App, render: Duration, draw: Duration) {
    let s = &app.snapshot;
    crate::timings::record(
        "frame",
        serde_json::json!({
            "render_us": render.as_micros() as u64,
            "draw_us": draw.as_micros() as u64,
            "rv": s.rv(),
            "live": s.live(),
            "backups": s.backups.rows.len(),
            "pods": s.pods.rows.len(),
            "log_lines": app.text.as_ref().map_or(0, |t| t.lines.len()),
        }),
    );
}

/// Appends one line to the session's action log, creating it and its folder.
fn append_line(path: &std::path::Path, line: &str) -> anyhow::Result<()> {
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

/// Gathers the rules' facts in the background. With the channel full, a gathering is
/// already waiting to be read: this one is dropped, as it would say the same.
fn gather(
    c: &Connected,
    namespace: Option<String>,
    network: bool,
    tx: tokio::sync::mpsc::Sender<crate::checks::Extras>,
) {
    let (client, snapshot) = (c.client.clone(), c.watched.snapshot());
    tokio::spawn(async move {
        let extras = crate::checks::extras(&client, namespace.as_deref(), &snapshot, network).await;
        let _ = tx.try_send(extras);
    });
}

fn draw_connect_error(app: &App, e: &ConnectError, f: &mut ratatui::Frame) {
    use super::theme::Role;
    use ratatui::text::Line;
    use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
    let t = &app.theme;
    let lines = vec![
        Line::styled(
            "backstop cannot connect to a cluster",
            t.style(Role::Critical),
        ),
        Line::raw(""),
        Line::from(vec![
            ratatui::text::Span::styled("where        ", t.style(Role::Muted)),
            ratatui::text::Span::styled(e.target.clone(), t.style(Role::Text)),
        ]),
        Line::from(vec![
            ratatui::text::Span::styled("what failed  ", t.style(Role::Muted)),
            ratatui::text::Span::styled(e.what.clone(), t.style(Role::Text)),
        ]),
        Line::from(vec![
            ratatui::text::Span::styled("what to do   ", t.style(Role::Muted)),
            ratatui::text::Span::styled(e.hint.clone(), t.style(Role::Text)),
        ]),
        Line::raw(""),
        Line::styled(
            "r retry · any other key quits · `backstop demo` works without a cluster",
            t.style(Role::Key),
        ),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::Critical))
        .title(" backstop ");
    f.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: true }),
        f.area(),
    );
}
