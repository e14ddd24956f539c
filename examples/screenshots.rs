//! Renders the dashboard on built-in scenarios to SVG, with a frozen clock, for the README:
//! `scripts/screenshots.sh` runs it and turns the SVGs into PNGs. Never drawn by hand.

use std::sync::Arc;
use std::time::Duration;

use backstop::sim::{Sim, scenario};
use backstop::ui::app::{App, Location, Settings};
use backstop::ui::headless::Headless;
use backstop::ui::overlays::Overlay;
use backstop::ui::runtime::{Reach, Runtime};
use backstop::ui::theme::Theme;
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

const ANCHOR: &str = "2026-11-24T06:00:00Z";
/// How long a scenario may take to settle, or a view to load.
const WITHIN: Duration = Duration::from_secs(20);
const CELL_W: f64 = 8.43;
const CELL_H: f64 = 17.0;

fn hex(c: Color, default: &str) -> String {
    let named = |i: usize| {
        // The xterm palette: what a terminal shows for the 16 named colours.
        const P: [&str; 16] = [
            "#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5",
            "#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff",
        ];
        P[i].to_string()
    };
    match c {
        Color::Reset => default.to_string(),
        Color::Black => named(0),
        Color::Red => named(1),
        Color::Green => named(2),
        Color::Yellow => named(3),
        Color::Blue => named(4),
        Color::Magenta => named(5),
        Color::Cyan => named(6),
        Color::Gray => named(7),
        Color::DarkGray => named(8),
        Color::LightRed => named(9),
        Color::LightGreen => named(10),
        Color::LightYellow => named(11),
        Color::LightBlue => named(12),
        Color::LightMagenta => named(13),
        Color::LightCyan => named(14),
        Color::White => named(15),
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) if i < 16 => named(i as usize),
        Color::Indexed(i) => {
            // The 6×6×6 cube and the grey ramp.
            if i >= 232 {
                let v = 8 + (i - 232) * 10;
                format!("#{v:02x}{v:02x}{v:02x}")
            } else {
                let i = i - 16;
                let step = |n: u8| if n == 0 { 0 } else { 55 + n * 40 };
                format!(
                    "#{:02x}{:02x}{:02x}",
                    step(i / 36),
                    step((i / 6) % 6),
                    step(i % 6)
                )
            }
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The buffer as SVG: background runs as rects, text runs as <text> with textLength so the
/// grid stays exact whatever the font's advance.
fn svg(buf: &Buffer, bg_default: &str, fg_default: &str) -> String {
    let (w, h) = (buf.area.width, buf.area.height);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0}\" height=\"{:.0}\" font-family=\"DejaVu Sans Mono, monospace\" font-size=\"14\">\n<rect width=\"100%\" height=\"100%\" fill=\"{bg_default}\"/>\n",
        w as f64 * CELL_W + 16.0,
        h as f64 * CELL_H + 16.0
    );
    for y in 0..h {
        let mut x = 0;
        while x < w {
            let cell = &buf[(x, y)];
            let style = (cell.fg, cell.bg, cell.modifier);
            let start = x;
            let mut text = String::new();
            while x < w && (buf[(x, y)].fg, buf[(x, y)].bg, buf[(x, y)].modifier) == style {
                text.push_str(buf[(x, y)].symbol());
                x += 1;
            }
            let (mut fg, mut bg) = (hex(style.0, fg_default), hex(style.1, bg_default));
            if style.2.contains(Modifier::REVERSED) {
                std::mem::swap(&mut fg, &mut bg);
            }
            let px = 8.0 + start as f64 * CELL_W;
            let py = 8.0 + y as f64 * CELL_H;
            let len = (x - start) as f64 * CELL_W;
            if bg != bg_default {
                out.push_str(&format!("<rect x=\"{px:.2}\" y=\"{py:.2}\" width=\"{len:.2}\" height=\"{CELL_H}\" fill=\"{bg}\"/>\n"));
            }
            if !text.trim().is_empty() {
                let weight = if style.2.contains(Modifier::BOLD) {
                    " font-weight=\"bold\""
                } else {
                    ""
                };
                out.push_str(&format!(
                    "<text x=\"{px:.2}\" y=\"{:.2}\" fill=\"{fg}\"{weight} textLength=\"{len:.2}\" lengthAdjust=\"spacingAndGlyphs\" xml:space=\"preserve\">{}</text>\n",
                    py + CELL_H * 0.78,
                    escape(&text)
                ));
            }
        }
    }
    out.push_str("</svg>\n");
    out
}

/// The dashboard on `spec` as the binary shows it, every kind live and the facts judged,
/// its clock frozen at `now`.
async fn settled(
    spec: &str,
    theme: Theme,
    now: DateTime<Utc>,
) -> anyhow::Result<(Headless, Arc<Sim>)> {
    let sc = scenario::load(spec, now)?;
    let sim = Sim::new(&sc)?;
    let client = kube::Client::new(sim.router(), "default");
    let app = App::new(
        Location {
            context: format!("demo: {}", sc.name),
            server: "sim".into(),
            namespace: None,
            demo: true,
        },
        theme,
        now,
        Settings {
            trees: backstop::trees::builtin(),
            transcripts: std::env::temp_dir(),
            ..Settings::default()
        },
    );
    let runtime = Runtime::new(
        Some(client),
        None,
        Reach {
            options: None,
            actions_log: std::env::temp_dir().join("backstop-screenshots-actions.log"),
            ticking: false,
        },
    );
    let mut ui = Headless { app, runtime };
    ui.until("every kind live", WITHIN, |a| a.board.snapshot.live())
        .await
        .map_err(anyhow::Error::msg)?;
    ui.gather(WITHIN).await.map_err(anyhow::Error::msg)?;
    Ok((ui, sim))
}

/// Types keys; `\n` is Enter.
async fn press(ui: &mut Headless, keys: &str) {
    for c in keys.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            c => KeyCode::Char(c),
        };
        ui.key(KeyEvent::new(code, KeyModifiers::NONE)).await;
    }
}

/// What `|` waits for: the view just opened has its lines, and a walk's check has run.
fn caught_up(app: &App) -> bool {
    let text_ready = app.overlays.iter().all(|o| match o {
        Overlay::Text(t) => !t.lines.is_empty(),
        _ => true,
    });
    let walk_ready = app.walk.as_ref().is_none_or(|w| !w.running);
    let plan_ready = app.overlays.iter().all(|o| match o {
        Overlay::Plan(p) => !matches!(
            p.state,
            backstop::ui::overlays::restore_plan::PlanState::Loading
        ),
        Overlay::DrillConfirm(c) => c.prep.is_some(),
        _ => true,
    });
    text_ready && walk_ready && plan_ready
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let out_dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "screenshots".into());
    std::fs::create_dir_all(&out_dir)?;
    let now = DateTime::parse_from_rfc3339(ANCHOR)?.with_timezone(&Utc);
    let theme = Theme::default_theme();
    let text = theme.style(backstop::ui::theme::Role::Text);
    let bg = hex(text.bg.unwrap_or(Color::Reset), "#1e1e2e");
    let fg = hex(text.fg.unwrap_or(Color::Reset), "#d0d0d0");
    // (file, scenario, keys typed before the shot, size)
    let shots: &[(&str, &str, &str, (u16, u16))] = &[
        ("healthy", "healthy", "", (140, 44)),
        (
            "plugin-crashloop-oom",
            "plugin-crashloop-oom",
            "",
            (140, 44),
        ),
        (
            "objectstore-credentials-backups",
            "objectstore-credentials",
            "3",
            (140, 44),
        ),
        (
            "flux-stuck-dependency-detail",
            "flux-stuck-dependency",
            "4j\n",
            (140, 44),
        ),
        ("help", "healthy", "?", (140, 44)),
        ("findings", "plugin-crashloop-oom", "f", (140, 44)),
        (
            "backup-yaml",
            "healthy",
            "3/pg-orders-daily\n\ny",
            (140, 44),
        ),
        (
            "kustomization-events",
            "flux-stuck-dependency",
            "4e",
            (140, 44),
        ),
        (
            "sidecar-logs-of-a-failed-backup",
            "objectstore-credentials",
            "3/failed\nl",
            (140, 44),
        ),
        ("small-terminal-80x24", "slow-backups", "3", (80, 24)),
        ("restore-plan", "restore-drill", "3jjp|", (140, 44)),
        ("restore-drill-confirm", "restore-drill", "3jjD|", (140, 44)),
        ("walker-chooser", "plugin-crashloop-oom", "w", (140, 44)),
        (
            "walker-question",
            "plugin-crashloop-oom",
            "w\n|\n",
            (140, 44),
        ),
        (
            "walker-diagnosis",
            "plugin-crashloop-oom",
            "w\n|a",
            (140, 44),
        ),
        (
            "walker-training-score",
            "plugin-crashloop-oom",
            "wt\n|2\n\n\n\n\n\n\n\n\n\n",
            (140, 44),
        ),
    ];
    for (file, scenario, keys, (w, h)) in shots {
        let (mut ui, _sim) = settled(scenario, theme.clone(), now).await?;
        // `|` waits for what the keys before it asked for (a fetch, a gathering).
        for keys in keys.split('|') {
            press(&mut ui, keys).await;
            ui.until("the view caught up", WITHIN, caught_up)
                .await
                .map_err(anyhow::Error::msg)?;
        }
        let path = format!("{out_dir}/{file}.svg");
        std::fs::write(&path, svg(&ui.frame(*w, *h), &bg, &fg))?;
        println!("{path}");
    }
    let path = format!("{out_dir}/fleet.svg");
    std::fs::write(&path, svg(&fleet(&theme).await?, &bg, &fg))?;
    println!("{path}");
    Ok(())
}

/// The fleet screen of `backstop demo --fleet`, selected on its second row. Its clock is
/// the real one: the simulators are served on loopback, as the demo serves them.
async fn fleet(theme: &Theme) -> anyhow::Result<Buffer> {
    use backstop::ui::fleet::FleetView;
    let served = backstop::cli::start_demo_fleet().await?;
    let names = backstop::cli::demo_fleet_contexts();
    let opts = backstop::fleet::Options {
        kubeconfig: Some(served.kubeconfig.clone()),
        namespace: None,
    };
    let th = backstop::assess::Thresholds::default();
    let reads = backstop::fleet::read_all(&names, &opts).await;
    let now = Utc::now();
    let mut view = FleetView::new(names, now, &th);
    view.read(backstop::fleet::judge(reads, now, &th, &[]), now);
    view.key(&KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE));
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(140, 30))?;
    terminal.draw(|f| backstop::ui::fleet::draw::draw(&view, theme, f))?;
    Ok(terminal.backend().buffer().clone())
}
