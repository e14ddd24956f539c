//! One size: a cluster of that size is seeded and served, then each program is measured
//! against it in turn, and the figures become one JSON line.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::{Value, json};

use backstop::sim::seed::{self, Scale};
use backstop::sim::{self, Sim};

use crate::app::bench_backstop;
use crate::cleanup::TempDir;
use crate::cluster::Served;
use crate::helpers::{part, round2};
use crate::kdash::bench_kdash;
use crate::kubectl::bench_kubectl;
use crate::procfs::machine;
use crate::report::{ratios, targets};
use crate::tmux::Tmux;
use crate::{Opts, Plan};

pub struct Case<'a> {
    pub n: usize,
    /// Quick runs: when everything must be done (the run has a minute).
    deadline: Option<Instant>,
    pub plan: &'a Plan,
    pub opts: &'a Opts,
    pub served: &'a Served,
    pub tmux: &'a Tmux,
    pub dir: &'a Path,
    pub kubeconfig: PathBuf,
    pub context: String,
    pub expected_pods: usize,
}

impl Case<'_> {
    /// `want`, or less (not below `min`) when the time left before the deadline, less
    /// `reserve` for what comes after, is shorter.
    pub fn within_budget(&self, want: Duration, min: Duration, reserve: Duration) -> Duration {
        match self.deadline {
            None => want,
            Some(end) => end
                .saturating_duration_since(Instant::now())
                .saturating_sub(reserve)
                .clamp(min, want.max(min)),
        }
    }
}

fn context_name(n: usize) -> String {
    if n >= 1000 && n.is_multiple_of(1000) {
        format!("bench-{}k", n / 1000)
    } else {
        format!("bench-{n}")
    }
}

pub fn run_case(
    rt: &tokio::runtime::Runtime,
    opts: &Opts,
    plan: &Plan,
    n: usize,
    deadline: Option<Instant>,
) -> Result<Value> {
    let t = Instant::now();
    let mut scale = Scale::of(n);
    scale.log_lines_per_second = 1000.0;
    let sim = {
        let mut sc = seed::scenario(&scale, chrono::Utc::now())
            .with_context(|| format!("seeding the cluster at scale {n}"))?;
        // The healthy scenario's timeline runs a Backup through its phases 40 s after the
        // start and every 6 minutes: writes the idle window must not see. Off.
        sc.timeline.clear();
        Sim::new(&sc).with_context(|| format!("building the simulator at scale {n}"))?
    };
    let seed_s = round2(t.elapsed().as_secs_f64());
    let objects = sim.store.count();
    let pod_t = sim
        .store
        .read()
        .registry
        .by_kind("", "Pod")
        .cloned()
        .context("the simulator serves no Pods")?;
    let expected_pods = sim
        .store
        .list(&pod_t, None, &Default::default(), &Default::default())
        .0
        .len();

    let dir = TempDir::new("backstop-bench-")?;
    let served = Served::start(rt, sim)?;
    let context = context_name(n);
    let kubeconfig = dir.path.join("kubeconfig");
    backstop::files::write_atomically(&kubeconfig, &sim::kubeconfig(served.addr, &context))
        .context("writing the kubeconfig")?;
    let tmux = Tmux::new(&dir.path)?;
    let case = Case {
        n,
        deadline,
        plan,
        opts,
        served: &served,
        tmux: &tmux,
        dir: &dir.path,
        kubeconfig,
        context,
        expected_pods,
    };

    eprintln!(
        "scale: n={n}: {objects} objects ({expected_pods} pods) seeded in {seed_s} s, simulator on {}",
        served.addr
    );
    // Quick runs kubectl during backstop's settle and idle windows (see `app::bench_backstop`).
    let mut kubectl = None;
    let backstop = part(|| bench_backstop(&case, &mut kubectl));
    let kubectl = match kubectl {
        _ if opts.skip_kubectl => json!({"skipped": true}),
        Some(k) => k,
        None => part(|| bench_kubectl(&case)),
    };
    let kdash = if opts.skip_kdash {
        json!({"skipped": true})
    } else {
        part(|| bench_kdash(&case))
    };
    drop(tmux);
    drop(served);
    drop(dir);

    let targets = targets(n, &backstop);
    let ratios = ratios(&backstop, &kubectl, &kdash);
    Ok(json!({
        "bench": "scale",
        "n": n,
        "quick": opts.quick,
        "objects": objects,
        "pods_total": expected_pods,
        "seed_s": seed_s,
        "machine": machine(),
        "plan": {
            "settle_s": plan.settle.as_secs_f64(),
            "idle_window_s": plan.idle_window.as_secs_f64(),
            "cpu_window_s": plan.cpu_window.as_secs_f64(),
            "log_window_s": if opts.skip_logs { Value::Null } else { json!(plan.log_window.as_secs_f64()) },
            "kubectl_runs": plan.kubectl_runs,
        },
        "backstop": backstop,
        "kubectl": kubectl,
        "kdash": kdash,
        "targets": targets,
        "ratios": ratios,
    }))
}
