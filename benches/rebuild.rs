//! What one rebuild of the dashboard costs at a given size: the panes, the rules, and the
//! whole refresh the UI thread runs after a watch event. The seeded cluster is read
//! in-process (no TCP), so the figures are the CPU the UI spends, nothing else.
//!
//! `cargo bench --bench rebuild [-- 10000 50000] [--rounds 15]` prints one JSON line per
//! size. More rounds make a profile (perf record) of the rebuild rather than the seeding.

use std::time::Instant;

use anyhow::{Context, Result};
use chrono::Utc;

use backstop::assess::{self, Thresholds};
use backstop::checks::{self, Reach};
use backstop::sim::Sim;
use backstop::sim::seed::{Scale, scenario};
use backstop::ui::app::{App, Location, Settings};
use backstop::ui::msg::{Cmd, Msg};
use backstop::ui::panes;
use backstop::ui::rules_task::judge;
use backstop::ui::theme::Theme;

/// The allocator the binary runs with (src/main.rs): the figures are the app's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn timed(rounds: usize, mut f: impl FnMut()) -> serde_json::Value {
    // One untimed round: the first pays for page faults the rest do not.
    f();
    let mut ms: Vec<f64> = (0..rounds.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| (ms[((ms.len() - 1) as f64 * p).round() as usize] * 100.0).round() / 100.0;
    serde_json::json!({"p50_ms": at(0.5), "p95_ms": at(0.95), "min_ms": at(0.0)})
}

async fn one(n: usize, rounds: usize) -> Result<serde_json::Value> {
    let now = Utc::now();
    let sc = scenario(&Scale::of(n), now).context("seeding the cluster")?;
    let sim = Sim::new(&sc).context("starting the simulator")?;
    let client = kube::Client::new(sim.router(), "default");
    let reach = Reach {
        logs: false,
        network: false,
        bucket: false,
        archiver: false,
    };
    let facts = checks::collect(&client, None, reach).await;
    let extras = checks::extras(&client, None, &facts.snapshot, false).await;
    let snapshot = facts.snapshot.clone();
    let th = Thresholds::default();

    let panes = timed(rounds, || {
        std::hint::black_box(panes::panes(&snapshot, now, &th, panes::Ground::default()));
    });
    let rules = timed(rounds, || {
        std::hint::black_box(assess::assess(&facts, now, &th));
    });
    // Each pane and each area's rules alone: where a rebuild's time goes.
    let mut parts = serde_json::Map::new();
    let mut part = |name: &str, f: &mut dyn FnMut()| {
        parts.insert(name.into(), timed(rounds, f)["p50_ms"].clone());
    };
    part("pane_plugin", &mut || {
        std::hint::black_box(panes::pane(
            0,
            &snapshot,
            now,
            &th,
            panes::Ground::default(),
        ));
    });
    part("pane_stores", &mut || {
        std::hint::black_box(panes::pane(
            1,
            &snapshot,
            now,
            &th,
            panes::Ground::default(),
        ));
    });
    part("pane_backups", &mut || {
        std::hint::black_box(panes::pane(
            2,
            &snapshot,
            now,
            &th,
            panes::Ground::default(),
        ));
    });
    part("pane_flux", &mut || {
        std::hint::black_box(panes::pane(
            3,
            &snapshot,
            now,
            &th,
            panes::Ground::default(),
        ));
    });
    part("rules_plugin", &mut || {
        std::hint::black_box(assess::plugin::rules(&facts, now, &th));
    });
    part("rules_flux", &mut || {
        std::hint::black_box(assess::flux::rules(&facts, now, &th));
    });
    part("rules_stores", &mut || {
        std::hint::black_box(assess::objectstore::rules(&facts, now, &th));
    });
    part("rules_backups", &mut || {
        std::hint::black_box(assess::backup::rules(&facts, now, &th));
    });
    let mut app = App::new(
        Location {
            context: "bench".into(),
            server: "sim".into(),
            namespace: None,
            demo: true,
        },
        Theme::no_color(),
        now,
        Settings::default(),
    );
    app.update(Msg::Extras(Box::new(extras)));
    // A data change as the dashboard takes it: the panes, then the rules on the same data.
    let refresh = timed(rounds, || {
        for cmd in app.update(Msg::Data(Box::new(snapshot.clone()))) {
            if let Cmd::Assess(input) = cmd {
                let (outcome, took) = judge(*input);
                app.update(Msg::Verdict(outcome, took));
            }
        }
    });
    Ok(serde_json::json!({
        "backups": snapshot.backups.rows.len(),
        "pods": snapshot.pods.rows.len(),
        "findings": app.board.findings.len(),
        "panes": panes,
        "rules": rules,
        "refresh": refresh,
        "parts_p50_ms": parts,
    }))
}

fn main() -> Result<()> {
    let mut sizes = Vec::new();
    let mut rounds = 15;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rounds" => {
                let v = args.next().context("--rounds needs a number")?;
                rounds = v
                    .parse()
                    .with_context(|| format!("--rounds {v:?} is not a number"))?;
            }
            // cargo bench passes --bench to every harness-less target.
            "--bench" => {}
            size => sizes.push(
                size.parse()
                    .with_context(|| format!("{size:?} is not a size (a number of Backups)"))?,
            ),
        }
    }
    if sizes.is_empty() {
        sizes = vec![10_000, 50_000];
    }
    let rt = tokio::runtime::Runtime::new().context("starting tokio")?;
    for n in sizes {
        let began = Instant::now();
        let mut line = rt.block_on(one(n, rounds))?;
        line["size"] = n.into();
        line["took_s"] = ((began.elapsed().as_secs_f64() * 10.0).round() / 10.0).into();
        println!("{line}");
    }
    Ok(())
}
