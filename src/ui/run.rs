//! The event loop: terminal input, data changes and the clock in, frames out. The terminal
//! is restored on every way out: normal exit, error, panic (ratatui's hook), SIGTERM.

use std::io::IsTerminal;
use std::time::Duration;

/// How long the way out waits for a running drill's teardown.
const DRILL_TEARDOWN: Duration = Duration::from_secs(150);

use anyhow::Context;
use chrono::Utc;
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use ratatui::DefaultTerminal;

use super::app::{App, Location, Settings};
use super::draw::draw;
use super::keys::{Action, GLOBAL_BINDINGS, GlobalAction, action_for, action_in};
use super::msg::{Cmd, Msg};
use super::overlays::Overlay;
use super::overlays::chooser::Chooser;
use super::panes::Health;
use super::runtime::{Reach, Runtime, write_file};
use super::theme::Theme;
use crate::cluster::connect::{ConnectOptions, connect_bounded};

/// At most this many frames a second, however fast the data changes.
const FRAME: Duration = Duration::from_millis(33);

/// Restores the terminal when dropped, whatever way the loop ends.
pub struct Restore;

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
    /// What made the dashboard start degraded (a theme, the config, tree files), shown
    /// once, all of them.
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
    /// Alertmanager's URL (the config's alertmanager.url), for the alerts view.
    pub alertmanager: Option<String>,
    /// Opened from the fleet screen: Esc at the panes goes back to it.
    pub from_fleet: bool,
}

/// How a dashboard ended.
#[derive(Debug)]
pub enum Ending {
    /// The user quit, or a signal came: with what to say once the terminal is back.
    Quit(Option<String>),
    /// Esc from a dashboard opened from the fleet screen: back to it.
    Back,
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
    if let Ok(Ending::Quit(Some(farewell))) = &result {
        say_farewell(farewell);
    }
    result.map(|_| ())
}

/// Said once the terminal is back: where a signal's rescue wrote the walk.
pub fn say_farewell(farewell: &str) {
    eprintln!("backstop: {}", crate::sanitize::untrusted(farewell));
}

/// Takes over the terminal, restored however the caller ends (normal exit, error, panic,
/// signal): for a screen that runs dashboards inside it (the fleet screen).
pub fn take_terminal() -> anyhow::Result<(DefaultTerminal, Restore)> {
    if !std::io::stdout().is_terminal() {
        anyhow::bail!(
            "the fleet screen needs a terminal, and standard output is not one: `backstop check --context a,b` (or --all-contexts) writes a report anywhere"
        );
    }
    let terminal = ratatui::try_init()
        .context("taking over the terminal (raw mode and the alternate screen)")?;
    Ok((terminal, Restore))
}

/// One dashboard on a terminal already taken (a dive from the fleet screen), until the
/// user quits or goes back.
pub async fn dive(
    terminal: &mut DefaultTerminal,
    source: Source,
    options: Options,
) -> anyhow::Result<Ending> {
    // No `terminal.clear()`: it asks the terminal where its cursor is, racing the key
    // reader; the dashboard paints every cell of its first frame anyway.
    event_loop(terminal, source, options).await
}

/// The signals that end the dashboard: SIGTERM, SIGHUP (the terminal went away) and
/// SIGINT (Ctrl-C from outside: raw mode reads Ctrl-C typed here as a key). Each ends it
/// the same way, with the terminal restored and an unsaved walk written out.
pub(crate) struct Signals {
    #[cfg(unix)]
    streams: Vec<(&'static str, tokio::signal::unix::Signal)>,
}

impl Signals {
    pub(crate) fn new() -> Signals {
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
    pub(crate) async fn recv(&mut self) -> &'static str {
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
                    let quit = action_in(GLOBAL_BINDINGS, &key) == Some(GlobalAction::Quit)
                        || action_for(&key) == Some(Action::Quit);
                    if quit {
                        return Ok(Waited::Quit);
                    }
                    // Typed before the panes had rows: the keys act once connected.
                    typed_ahead.push_back(key);
                }
                Some(Ok(Event::Resize(w, h))) => {
                    app.update(Msg::Resize(w, h));
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e).context("reading the terminal"),
                None => return Ok(Waited::Quit),
            },
            _ = tick.tick() => {
                let waited = began.elapsed().as_secs();
                if waited >= 2 {
                    said = true;
                    app.message = Some((
                        Health::Info,
                        format!(
                            "connecting… {waited} s of {} s (a credential plugin may be waiting for a login); q quits",
                            crate::cluster::connect::connect_timeout().as_secs()
                        ),
                    ));
                }
            }
        }
        draw_frame(terminal, app)?;
    }
}

/// After a signal: a walk with unsaved notes is written where transcripts go (else to the
/// temporary folder), since nobody is there to be asked. Says where, or why not.
fn rescue_walk(app: &mut App) -> Option<String> {
    let Some(Cmd::SaveTranscript { path, markdown }) = app.rescue_transcript() else {
        return None;
    };
    let fallback = std::env::temp_dir().join(path.file_name().unwrap_or_default());
    for target in [path, fallback] {
        match write_file(&target, &markdown) {
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

/// The settings the dashboard starts with.
fn settings(options: &mut Options) -> Settings {
    Settings {
        thresholds: options.thresholds.clone(),
        silence: std::mem::take(&mut options.silence),
        trees: std::mem::take(&mut options.trees),
        git: options.git.take(),
        transcripts: options.transcripts.clone(),
        read_only_everywhere: options.read_only,
        read_only_contexts: std::mem::take(&mut options.read_only_contexts),
        read_only: options.read_only,
        restore_files: std::path::PathBuf::new(),
        drill_timeout: None,
        from_fleet: options.from_fleet,
    }
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    source: Source,
    mut options: Options,
) -> anyhow::Result<Ending> {
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
    let settings = settings(&mut options);
    let mut app = App::new(provisional, options.theme, Utc::now(), settings);
    if let Ok(size) = terminal.size() {
        app.update(Msg::Resize(size.width, size.height));
    }
    draw_frame(terminal, &app)?;
    let mut signals = Signals::new();
    let mut input = EventStream::new();
    let mut typed_ahead = std::collections::VecDeque::new();
    let (client, namespace, connect_options) = match source {
        Source::Client { client, location } => (Some(client), location.namespace, None),
        Source::Kube(opts) => {
            let attempt = match while_connecting(
                terminal,
                &mut app,
                &mut signals,
                &mut input,
                &mut typed_ahead,
                connect_bounded(&opts),
            )
            .await?
            {
                Waited::Quit => return Ok(Ending::Quit(None)),
                Waited::Done(attempt) => attempt,
            };
            match attempt {
                Ok((client, target)) => {
                    app.update(Msg::Connected(Location {
                        context: target.context,
                        server: target.server,
                        namespace: target.namespace.clone(),
                        demo: false,
                    }));
                    (Some(client), target.namespace, Some(opts))
                }
                Err(e) => {
                    app.location.server = e.target.clone();
                    app.update(Msg::ConnectFailed(e));
                    (None, opts.namespace.clone(), Some(opts))
                }
            }
        }
    };
    crate::timings::record("phase", serde_json::json!({"at": "connected"}));
    let reach = Reach {
        options: connect_options,
        actions_log: options.actions_log,
        ticking: true,
    };
    let mut runtime = Runtime::new(client, namespace, reach);
    runtime.set_alertmanager(options.alertmanager.clone());
    if options.training {
        app.overlays.push(Overlay::Chooser(Chooser {
            selected: 0,
            training: true,
        }));
    }
    if !options.problems.is_empty() {
        app.update(Msg::Note(Health::Warning, options.problems.join(" · ")));
    } else if options.from_fleet {
        app.update(Msg::Note(
            Health::Info,
            "opened from the fleet screen: Esc goes back to it, q quits backstop".into(),
        ));
    }
    let mut dirty = true;
    let mut last_frame = tokio::time::Instant::now() - FRAME;
    loop {
        if dirty && last_frame.elapsed() >= FRAME {
            draw_frame(terminal, &app)?;
            dirty = false;
            last_frame = tokio::time::Instant::now();
        }
        let msg = tokio::select! {
            ev = async {
                match typed_ahead.pop_front() {
                    Some(key) => Some(Ok(Event::Key(key))),
                    None => input.next().await,
                }
            } => match ev {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => Msg::Key(key),
                Some(Ok(Event::Resize(w, h))) => Msg::Resize(w, h),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e).context("reading the terminal"),
                None => return Ok(Ending::Quit(None)),
            },
            msg = runtime.next() => msg,
            _ = tokio::time::sleep_until(last_frame + FRAME), if dirty => continue,
            signal = signals.recv() => {
                tracing::info!(signal, "ending on a signal");
                end_drill(terminal, &mut app, &mut runtime).await;
                return Ok(Ending::Quit(rescue_walk(&mut app)));
            }
        };
        dirty = true;
        for cmd in update_timed(&mut app, msg) {
            match cmd {
                Cmd::Quit => {
                    end_drill(terminal, &mut app, &mut runtime).await;
                    return Ok(Ending::Quit(None));
                }
                // The app refuses to leave while a drill runs: nothing to end here.
                Cmd::Leave => return Ok(Ending::Back),
                _ => {}
            }
            runtime.perform(cmd).await;
        }
    }
}

/// A drill still running when the dashboard ends (a signal, or a quit whose wait ran
/// out) is stopped and its teardown awaited, bounded: its namespace is not left behind.
async fn end_drill(terminal: &mut DefaultTerminal, app: &mut App, runtime: &mut Runtime) {
    if !app.drill.as_ref().is_some_and(|d| d.running()) {
        return;
    }
    app.update(Msg::Note(
        Health::Warning,
        "stopping the restore drill and deleting its namespace before ending…".into(),
    ));
    let _ = draw_frame(terminal, app);
    // A quit that already waited its while for the teardown does not wait as long again.
    let within = if app.quit_after_drill.is_some() {
        Duration::from_secs(5)
    } else {
        DRILL_TEARDOWN
    };
    if let Some(said) = runtime.finish(within).await {
        tracing::info!(teardown = %said, "restore drill stopped on the way out");
    }
}

/// `App::update`, with what the benchmarks read: the cost of each refresh and rules' run.
fn update_timed(app: &mut App, msg: Msg) -> Vec<Cmd> {
    let cause = match &msg {
        Msg::Data(_) => Some("data"),
        Msg::Tick(_) => Some("clock"),
        Msg::Verdict(_, took) => {
            crate::timings::record("rules", serde_json::json!({"us": took.as_micros() as u64}));
            None
        }
        _ => None,
    };
    let t = std::time::Instant::now();
    let cmds = app.update(msg);
    if let Some(cause) = cause {
        crate::timings::record(
            "refresh",
            serde_json::json!({"us": t.elapsed().as_micros() as u64, "cause": cause}),
        );
    }
    cmds
}

fn draw_frame(terminal: &mut DefaultTerminal, app: &App) -> anyhow::Result<()> {
    let began = std::time::Instant::now();
    let mut render = Duration::ZERO;
    terminal
        .draw(|f| {
            let t = std::time::Instant::now();
            draw(app, f);
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
    let s = &app.board.snapshot;
    let log_lines = app.overlays.iter().find_map(|o| match o {
        Overlay::Text(t) => Some(t.lines.len()),
        _ => None,
    });
    crate::timings::record(
        "frame",
        serde_json::json!({
            "render_us": render.as_micros() as u64,
            "draw_us": draw.as_micros() as u64,
            "rv": s.rv(),
            "live": s.live(),
            "backups": s.backups.rows.len(),
            "pods": s.pods.rows.len(),
            "log_lines": log_lines.unwrap_or(0),
        }),
    );
}
