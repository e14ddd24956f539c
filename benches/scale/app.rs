//! backstop itself, in tmux 120x40 with `BACKSTOP_TIMINGS`: first frame, populated, memory,
//! CPU and event-to-screen latency under watch events, render times, a relist after a
//! compaction, and the log view.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::case::Case;
use crate::cluster::{Churn, Sent, latencies};
use crate::helpers::{ms, part, percentile, poll_until, round2, shell_quote, stats_ms, u, wall_us};
use crate::kubectl::bench_kubectl;
use crate::procfs::{CpuWindow, proc_alive, proc_mem};
use crate::timings::{Timings, is, is_populated, kind_is};
use crate::tmux::Session;

/// backstop's figures. In quick mode, also kubectl's (into `kubectl`), measured during
/// backstop's settle and idle windows: kubectl at 10k takes ~15 s, too long to run after.
pub fn bench_backstop(case: &Case, kubectl: &mut Option<Value>) -> Result<Value> {
    let mut out = serde_json::Map::new();
    // A failure half-way keeps the figures measured so far, with the error.
    if let Err(e) = backstop_phases(case, kubectl, &mut out) {
        out.insert("error".into(), json!(format!("{e:#}")));
    }
    Ok(Value::Object(out))
}

fn backstop_phases(
    case: &Case,
    kubectl: &mut Option<Value>,
    out: &mut serde_json::Map<String, Value>,
) -> Result<()> {
    let bin = env!("CARGO_BIN_EXE_backstop");
    let (dir, tmux, n, plan) = (case.dir, case.tmux, case.n, case.plan);
    let timings_path = dir.join("timings.jsonl");
    let state = dir.join("state");
    let config = dir.join("config");
    for d in [&state, &config] {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let env = [
        ("KUBECONFIG", case.kubeconfig.display().to_string()),
        ("TERM", "xterm-256color".to_string()),
        ("XDG_STATE_HOME", state.display().to_string()),
        ("XDG_CONFIG_HOME", config.display().to_string()),
        ("BACKSTOP_TIMINGS", timings_path.display().to_string()),
        (
            "BACKSTOP_LOG_FILE",
            dir.join("backstop.log").display().to_string(),
        ),
    ];
    let mut timings = Timings::new(timings_path);

    // 1. First frame, on screen and in the timings.
    let spawn_wall = wall_us();
    let spawn = Instant::now();
    tmux.start(
        "bench",
        120,
        40,
        &env,
        &format!("exec {}", shell_quote(bin)),
    )?;
    let _session = Session {
        tmux,
        name: "bench",
    };
    let mut tries = 0u32;
    let screen = poll_until(Duration::from_secs(30), Duration::from_millis(10), || {
        // Seen when the capture returns (the figure, tmux included); the pane was
        // captured somewhere after `began`, a lower bound.
        let began = spawn.elapsed();
        let screen = tmux.capture("bench")?;
        if screen
            .lines()
            .next()
            .is_some_and(|l| l.contains(&case.context))
        {
            return Ok(Some((spawn.elapsed(), began)));
        }
        tries += 1;
        if tries.is_multiple_of(25) {
            tmux.ended_error("bench", "backstop")?;
        }
        Ok(None)
    })?
    .with_context(|| {
        format!(
            "backstop's header never showed the context {} within 30 s",
            case.context
        )
    })?;
    out.insert("first_frame_screen_ms".into(), json!(ms(screen.0)));
    out.insert("first_frame_screen_lower_ms".into(), json!(ms(screen.1)));
    let first = poll_until(Duration::from_secs(10), Duration::from_millis(20), || {
        timings.poll()?;
        Ok(timings.frames_from(0).next().cloned())
    })?
    .with_context(|| "backstop drew on screen but recorded no frame in its timings")?;
    let pid = timings
        .events
        .iter()
        .find(|e| is(e, "start"))
        .map(|e| u(e, "pid") as u32)
        .context("no start event in the timings")?;
    out.insert("pid".into(), json!(pid));
    out.insert(
        "first_frame_ms".into(),
        json!(round2(u(&first, "t_us") as f64 / 1000.0)),
    );
    out.insert(
        "first_frame_wall_ms".into(),
        json!(round2(
            u(&first, "wall_us").saturating_sub(spawn_wall) as f64 / 1000.0
        )),
    );

    // 2. Populated: live, and every Backup and Pod counted.
    let populated = poll_until(
        plan.populated_deadline(n),
        Duration::from_millis(20),
        || {
            timings.poll()?;
            if let Some(i) = timings
                .events
                .iter()
                .position(|e| is(e, "frame") && is_populated(e, n))
            {
                return Ok(Some(i));
            }
            tmux.check_alive("bench", "backstop", pid)?;
            Ok(None)
        },
    )?;
    let init_done = |t: &Timings, kind: &str| {
        t.events
            .iter()
            .find(|e| is(e, "init_done") && kind_is(e, kind))
            .map(|e| round2(u(e, "t_us") as f64 / 1000.0))
    };
    out.insert(
        "init_done_ms".into(),
        json!({"Backups": init_done(&timings, "Backups"), "Pods": init_done(&timings, "Pods")}),
    );
    let Some(populated) = populated else {
        let last = timings.last_frame().cloned();
        out.insert("populated_ms".into(), Value::Null);
        out.insert(
            "note".into(),
            json!(format!(
                "not populated after {:?}; last frame: {}",
                plan.populated_deadline(n),
                last.map_or("none".into(), |f| f.to_string())
            )),
        );
        return Ok(());
    };
    let pf = timings.events[populated].clone();
    out.insert(
        "populated_ms".into(),
        json!(round2(u(&pf, "t_us") as f64 / 1000.0)),
    );
    out.insert(
        "populated_wall_ms".into(),
        json!(round2(
            u(&pf, "wall_us").saturating_sub(spawn_wall) as f64 / 1000.0
        )),
    );
    out.insert(
        "rows".into(),
        json!({"backups": u(&pf, "backups"), "pods": u(&pf, "pods")}),
    );

    // 3. Memory after a settle window, and 4a. the idle window (rate 0). In quick mode
    // kubectl runs meanwhile: it only reads from the simulator, so backstop gets no event
    // and stays idle; the windows with events start once kubectl is done.
    let mut churn = Churn::new(case.served.sim.clone())?;
    let mut rates = Vec::new();
    let concurrent = case.opts.quick && !case.opts.skip_kubectl;
    std::thread::scope(|scope| -> Result<()> {
        let kubectl_run = concurrent.then(|| {
            scope.spawn(|| {
                let mut v = part(|| bench_kubectl(case));
                if let Some(o) = v.as_object_mut() {
                    o.insert(
                        "concurrent_with".into(),
                        json!("backstop's settle and idle windows"),
                    );
                }
                v
            })
        });
        let settle_start = Instant::now();
        let settle_end = settle_start + plan.settle;
        while Instant::now() < settle_end {
            timings.poll()?;
            std::thread::sleep(
                Duration::from_millis(100)
                    .min(settle_end.saturating_duration_since(Instant::now())),
            );
        }
        out.insert(
            "settle_s".into(),
            json!(round2(settle_start.elapsed().as_secs_f64())),
        );
        tmux.check_alive("bench", "backstop", pid)?;
        let mem = proc_mem(pid)?;
        out.insert("peak_rss_mb".into(), json!(mem.hwm_mb));
        out.insert("rss_mb".into(), json!(mem.rss_mb));

        timings.poll()?;
        let from = timings.events.len();
        rates.push(part(|| {
            churn_window(&mut churn, &mut timings, from, pid, 0, plan.idle_window)
        }));
        if let Some(h) = kubectl_run {
            let waited = Instant::now();
            while !h.is_finished() {
                timings.poll()?;
                std::thread::sleep(Duration::from_millis(50));
            }
            out.insert(
                "kubectl_wait_s".into(),
                json!(round2(waited.elapsed().as_secs_f64())),
            );
            *kubectl = Some(
                h.join()
                    .unwrap_or_else(|_| json!({"error": "the kubectl thread panicked"})),
            );
        }
        Ok(())
    })?;
    tmux.check_alive("bench", "backstop", pid)?;

    // 4b. CPU and event-to-screen latency at each rate of watch events.
    for &rate in plan.rates.iter().filter(|&&r| r > 0) {
        timings.poll()?;
        let from = timings.events.len();
        rates.push(part(|| {
            churn_window(&mut churn, &mut timings, from, pid, rate, plan.cpu_window)
        }));
        tmux.check_alive("bench", "backstop", pid)?;
    }
    let idle = rates
        .first()
        .and_then(|r| r.get("cpu_pct"))
        .cloned()
        .unwrap_or(Value::Null);
    out.insert("idle_cpu_pct".into(), idle);
    out.insert("churn".into(), Value::Array(rates));

    // 5. Render and draw times of the frames since populated, and the data refreshes.
    timings.poll()?;
    let span = &timings.events[populated..];
    let frames: Vec<&Value> = span.iter().filter(|e| is(e, "frame")).collect();
    let render: Vec<f64> = frames
        .iter()
        .map(|f| u(f, "render_us") as f64 / 1000.0)
        .collect();
    let draw: Vec<f64> = frames
        .iter()
        .map(|f| u(f, "draw_us") as f64 / 1000.0)
        .collect();
    out.insert("render_ms".into(), stats_ms(&render));
    out.insert("draw_ms".into(), stats_ms(&draw));
    // Refreshes over the same span: after populated, before the relist.
    let refresh = |cause: &str| -> Vec<f64> {
        span.iter()
            .filter(|e| is(e, "refresh") && e.get("cause").and_then(Value::as_str) == Some(cause))
            .map(|e| u(e, "us") as f64 / 1000.0)
            .collect()
    };
    out.insert(
        "refresh_ms".into(),
        json!({"data": stats_ms(&refresh("data")), "clock": stats_ms(&refresh("clock"))}),
    );

    // 6. Relist after a compaction.
    out.insert("relist".into(), part(|| relist(case, &mut timings, pid)));
    tmux.check_alive("bench", "backstop", pid)?;

    // 7. The log view of the plugin pod at 1000 lines a second.
    if !case.opts.skip_logs {
        out.insert(
            "log".into(),
            part(|| {
                // Quick runs keep within their minute: the window shrinks (to 6 s at least)
                // when the app was slow so far, leaving time for kdash.
                let reserve = if case.opts.skip_kdash {
                    Duration::from_secs(1)
                } else {
                    plan.idle_window + Duration::from_secs(5)
                };
                let window = case.within_budget(plan.log_window, Duration::from_secs(6), reserve);
                log_view(case, &mut timings, pid, window)
            }),
        );
    } else {
        out.insert("log".into(), json!({"skipped": true}));
    }

    // Quit; the session is killed anyway when `_session` drops.
    let quit = Instant::now();
    tmux.keys("bench", &["Escape"])?;
    tmux.keys("bench", &["q"])?;
    let exited = poll_until(Duration::from_secs(10), Duration::from_millis(20), || {
        Ok((!proc_alive(pid)).then_some(()))
    })?
    .is_some();
    out.insert(
        "quit".into(),
        json!({"exited": exited, "ms": if exited { json!(ms(quit.elapsed())) } else { Value::Null }}),
    );
    timings.poll()?;
    out.insert("timing_events".into(), json!(timings.events.len()));
    Ok(())
}

fn churn_window(
    churn: &mut Churn,
    timings: &mut Timings,
    from: usize,
    pid: u32,
    rate: u32,
    window: Duration,
) -> Result<Value> {
    let w0 = wall_us();
    let rv0 = churn.sim.store.resource_version();
    let cpu = CpuWindow::start(pid)?;
    let t0 = cpu.t0;
    let mut sent: Vec<Sent> = Vec::new();
    let mut noop = 0usize;
    if rate > 0 {
        let every = Duration::from_secs_f64(1.0 / rate as f64);
        let mut i: u32 = 0;
        loop {
            let due = t0 + every * i;
            if due >= t0 + window {
                break;
            }
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            match churn.write()? {
                Some(s) => sent.push(s),
                None => noop += 1,
            }
            i += 1;
        }
    }
    let end = t0 + window;
    while Instant::now() < end {
        // Reading the file as we go keeps the final read short.
        timings.poll()?;
        std::thread::sleep(
            Duration::from_millis(50).min(end.saturating_duration_since(Instant::now())),
        );
    }
    let cpu_pct = cpu.pct()?;
    let elapsed = t0.elapsed().as_secs_f64();
    let w1 = wall_us();
    let store_writes = churn.sim.store.resource_version().saturating_sub(rv0);
    // Let the last writes reach the screen (or give up after 5 s).
    let last_rv = sent.iter().map(|s| s.rv).max().unwrap_or(0);
    poll_until(Duration::from_secs(5), Duration::from_millis(20), || {
        timings.poll()?;
        Ok(timings
            .frames_from(from)
            .any(|f| u(f, "rv") >= last_rv)
            .then_some(()))
    })?;
    let frames: Vec<(u64, u64)> = timings
        .frames_from(from)
        .map(|f| (u(f, "wall_us"), u(f, "rv")))
        .collect();
    let in_window = frames.iter().filter(|(w, _)| *w >= w0 && *w <= w1).count();
    let (lat, unseen) = latencies(&sent, &frames);
    let refresh: Vec<f64> = timings.events[from.min(timings.events.len())..]
        .iter()
        .filter(|e| {
            is(e, "refresh")
                && e.get("cause").and_then(Value::as_str) == Some("data")
                && u(e, "wall_us") <= w1
        })
        .map(|e| u(e, "us") as f64 / 1000.0)
        .collect();
    // Writes no frame showed (within the 5 s grace) count as infinitely late: a percentile
    // that falls on them is null.
    let mut all = lat.clone();
    all.extend(std::iter::repeat_n(f64::INFINITY, unseen));
    let finite = |x: Option<f64>| x.filter(|x| x.is_finite()).map(round2);
    let latency = json!({
        "n": lat.len(),
        "unseen": unseen,
        "p50": finite(percentile(&all, 50.0)),
        "p95": finite(percentile(&all, 95.0)),
        "max": finite(lat.iter().copied().reduce(f64::max)),
    });
    Ok(json!({
        "rate": rate,
        "window_s": round2(elapsed),
        "sent": sent.len(),
        "noop_writes": noop,
        // Writes to the store by anyone else during the window (should be 0).
        "other_writes": store_writes.saturating_sub(sent.len() as u64),
        "sent_per_s": round2(sent.len() as f64 / elapsed),
        "cpu_pct": cpu_pct,
        "fps": round2(in_window as f64 / elapsed),
        "data_refreshes": refresh.len(),
        "refresh_ms_p95": percentile(&refresh, 95.0).map(round2),
        "latency_ms": latency,
    }))
}

fn relist(case: &Case, timings: &mut Timings, pid: u32) -> Result<Value> {
    timings.poll()?;
    let from = timings.events.len();
    let before = proc_mem(pid)?;
    let w0 = wall_us();
    let t0 = Instant::now();
    case.served.sim.store.compact();
    let mut peak_rss = before.rss_mb;
    let done = |t: &Timings, kind: &str| {
        t.events[from..]
            .iter()
            .find(|e| is(e, "init_done") && kind_is(e, kind))
            .map(|e| u(e, "wall_us"))
    };
    let relisted = poll_until(Duration::from_secs(120), Duration::from_millis(20), || {
        timings.poll()?;
        peak_rss = peak_rss.max(proc_mem(pid)?.rss_mb);
        Ok(match (done(timings, "Backups"), done(timings, "Pods")) {
            (Some(b), Some(p)) => Some((b, p)),
            _ => None,
        })
    })?;
    let Some((b, p)) = relisted else {
        bail!("no new init_done for both Backups and Pods within 120 s of the compaction");
    };
    let relist_ms = round2(b.max(p).saturating_sub(w0) as f64 / 1000.0);
    // And until a frame shows every row again.
    let from_done = from;
    let repopulated = poll_until(Duration::from_secs(60), Duration::from_millis(20), || {
        timings.poll()?;
        peak_rss = peak_rss.max(proc_mem(pid)?.rss_mb);
        Ok(timings
            .frames_from(from_done)
            .find(|f| u(f, "wall_us") >= b.max(p) && is_populated(f, case.n))
            .map(|f| u(f, "wall_us")))
    })?;
    let after = proc_mem(pid)?;
    let starts = timings.events[from..]
        .iter()
        .filter(|e| is(e, "init_start"))
        .count();
    Ok(json!({
        "relist_ms": relist_ms,
        "backups_ms": round2(b.saturating_sub(w0) as f64 / 1000.0),
        "pods_ms": round2(p.saturating_sub(w0) as f64 / 1000.0),
        "repopulated_ms": repopulated.map(|w| round2(w.saturating_sub(w0) as f64 / 1000.0)),
        "relist_peak_rss_mb": round2(peak_rss),
        "rss_before_mb": before.rss_mb,
        "hwm_before_mb": before.hwm_mb,
        "rss_after_mb": after.rss_mb,
        "hwm_after_mb": after.hwm_mb,
        "init_starts": starts,
        "elapsed_ms": ms(t0.elapsed()),
    }))
}

/// The log view of the plugin pod, whose log writes 1000 lines a second, for `window`.
fn log_view(case: &Case, timings: &mut Timings, pid: u32, window: Duration) -> Result<Value> {
    let tmux = case.tmux;
    timings.poll()?;
    let from = timings.events.len();
    let pressed = Instant::now();
    // At start the first pane (Plugin & operator) is focused on the plugin pod.
    tmux.keys("bench", &["l"])?;
    let first = poll_until(Duration::from_secs(20), Duration::from_millis(20), || {
        timings.poll()?;
        if timings.frames_from(from).any(|f| u(f, "log_lines") > 0) {
            return Ok(Some(pressed.elapsed()));
        }
        tmux.check_alive("bench", "backstop", pid)?;
        Ok(None)
    })?
    .context("no frame with log lines within 20 s of pressing l")?;
    let screen = tmux.capture("bench").unwrap_or_default();
    let title = screen.lines().find_map(|l| {
        let at = l.find("Logs of")?;
        let rest = &l[at..];
        Some(rest[..rest.find(']').map_or(rest.len(), |i| i + 1)].to_string())
    });
    let start = proc_mem(pid)?;
    let cpu = CpuWindow::start(pid)?;
    let frames_from = timings.events.len();
    let mut samples = vec![start.rss_mb];
    let t0 = Instant::now();
    let mut next = t0;
    while t0.elapsed() < window {
        next += Duration::from_secs(1);
        while Instant::now() < next {
            timings.poll()?;
            std::thread::sleep(
                Duration::from_millis(100).min(next.saturating_duration_since(Instant::now())),
            );
        }
        tmux.check_alive("bench", "backstop", pid)?;
        samples.push(proc_mem(pid)?.rss_mb);
    }
    let window_s = t0.elapsed().as_secs_f64();
    let cpu_pct = cpu.pct()?;
    timings.poll()?;
    let end = proc_mem(pid)?;
    let frames = timings.frames_from(frames_from).count();
    let lines = timings.last_frame().map(|f| u(f, "log_lines")).unwrap_or(0);
    let max = samples.iter().copied().fold(start.rss_mb, f64::max);
    let last = samples.last().copied().unwrap_or(start.rss_mb);
    Ok(json!({
        "first_lines_ms": ms(first),
        "title": title,
        "window_s": round2(window_s),
        "start_rss_mb": start.rss_mb,
        "end_rss_mb": last,
        "max_rss_mb": round2(max),
        "growth_mb": round2(last - start.rss_mb),
        "hwm_end_mb": end.hwm_mb,
        "lines_held": lines,
        "cpu_pct": cpu_pct,
        "fps": round2(frames as f64 / window_s),
        "rss_samples_mb": samples,
    }))
}
