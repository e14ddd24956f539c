//! The fleet screen's loop: keys and the clock in, frames out; every context read in the
//! background (at the start, every 30 s and on `r`), never in a draw or a key; Enter runs
//! the dashboard of one context on the same terminal, and its Esc comes back here.

use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use ratatui::DefaultTerminal;
use tokio::task::JoinHandle;

use super::{FleetCmd, FleetView, draw};
use crate::assess::Thresholds;
use crate::cluster::connect::ConnectOptions;
use crate::fleet::{self, Judged};
use crate::ui::panes::Health;
use crate::ui::run::{Ending, Options, Signals, Source, dive, say_farewell, take_terminal};
use crate::ui::theme::Theme;

/// The fleet to show, and how each context is judged (the config's thresholds and
/// silenced codes, as `check` judges it).
pub struct Fleet {
    pub names: Vec<String>,
    pub opts: fleet::Options,
    pub thresholds: Thresholds,
    pub silence: Vec<String>,
    pub theme: Theme,
    /// What made the start degraded (a theme, the config), said in the footer first.
    pub problems: Vec<String>,
}

/// Runs the fleet screen until the user quits, here or in a dashboard opened from it.
/// `dashboard` makes the options of each dashboard opened (they are used up by it).
pub async fn run(
    fleet: Fleet,
    mut dashboard: impl FnMut() -> anyhow::Result<Options>,
) -> anyhow::Result<()> {
    let (mut terminal, restore) = take_terminal()?;
    let result = screen(&mut terminal, &fleet, &mut dashboard).await;
    drop(restore);
    if let Ok(Some(farewell)) = &result {
        say_farewell(farewell);
    }
    result.map(|_| ())
}

/// Reads and judges every context, in the background.
fn read(fleet: &Fleet) -> JoinHandle<Vec<Judged>> {
    let (names, opts) = (fleet.names.clone(), fleet.opts.clone());
    let (th, silence) = (fleet.thresholds.clone(), fleet.silence.clone());
    tokio::spawn(async move {
        let reads = fleet::read_all(&names, &opts).await;
        fleet::judge(reads, Utc::now(), &th, &silence)
    })
}

/// The screen; Ok(what to say once the terminal is back).
async fn screen(
    terminal: &mut DefaultTerminal,
    fleet: &Fleet,
    dashboard: &mut impl FnMut() -> anyhow::Result<Options>,
) -> anyhow::Result<Option<String>> {
    let mut view = FleetView::new(fleet.names.clone(), Utc::now(), &fleet.thresholds);
    if !fleet.problems.is_empty() {
        view.message = Some((Health::Warning, fleet.problems.join(" · ")));
    }
    let mut signals = Signals::new();
    let mut input = EventStream::new();
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut reading: Option<JoinHandle<Vec<Judged>>> = None;
    loop {
        let now = Utc::now();
        if view.tick(now) && reading.is_none() {
            reading = Some(read(fleet));
            view.reading(now);
        }
        terminal
            .draw(|f| draw::draw(&view, &fleet.theme, f))
            .context("drawing the fleet screen")?;
        let cmd = tokio::select! {
            done = async {
                match reading.as_mut() {
                    Some(task) => task.await,
                    None => std::future::pending().await,
                }
            } => {
                reading = None;
                match done {
                    Ok(sites) => view.read(sites, Utc::now()),
                    Err(e) => {
                        view.reading_since = None;
                        view.read_at = Some(Utc::now());
                        view.message = Some((Health::Critical, format!("reading the fleet failed: {e}")));
                    }
                }
                None
            }
            ev = input.next() => match ev {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => view.key(&key),
                Some(Ok(_)) => None,
                Some(Err(e)) => return Err(e).context("reading the terminal"),
                None => return Ok(None),
            },
            _ = clock.tick() => None,
            signal = signals.recv() => {
                tracing::info!(signal, "ending the fleet screen on a signal");
                return Ok(None);
            }
        };
        match cmd {
            None => {}
            Some(FleetCmd::Quit) => return Ok(None),
            Some(FleetCmd::Reread) if reading.is_none() => {
                reading = Some(read(fleet));
                view.reading(Utc::now());
            }
            Some(FleetCmd::Reread) => {}
            Some(FleetCmd::Dive(context)) => {
                let mut options = match dashboard() {
                    Ok(o) => o,
                    Err(e) => {
                        view.message = Some((
                            Health::Critical,
                            format!("the dashboard of {context} did not open: {e:#}"),
                        ));
                        continue;
                    }
                };
                options.from_fleet = true;
                let source = Source::Kube(ConnectOptions {
                    kubeconfig: fleet.opts.kubeconfig.clone(),
                    context: Some(context.clone()),
                    namespace: fleet.opts.namespace.clone(),
                });
                tracing::info!(context = %context, "opening a dashboard from the fleet screen");
                match dive(terminal, source, options).await? {
                    Ending::Quit(farewell) => return Ok(farewell),
                    // No `terminal.clear()` on the way (it asks the terminal where the cursor
                    // is, racing the key reader): each screen paints every cell, and the
                    // next frame is drawn against the dashboard's last one.
                    Ending::Back => input = EventStream::new(),
                }
            }
        }
    }
}
