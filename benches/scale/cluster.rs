//! The simulated cluster every program is measured against: served on loopback from the
//! harness's runtime ([`Served`]), and changed by writes straight into its store ([`Churn`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

use backstop::sim::Sim;
use backstop::sim::store::{Part, WriteOpts};

use crate::helpers::wall_us;

pub struct Served {
    pub sim: Arc<Sim>,
    pub addr: SocketAddr,
    rt: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<()>>>,
}

impl Served {
    pub fn start(rt: &tokio::runtime::Runtime, sim: Arc<Sim>) -> Result<Served> {
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .context("binding the simulator to 127.0.0.1")?;
        let addr = listener
            .local_addr()
            .context("the simulator's local address")?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = rt.spawn(sim.clone().serve(listener, async move {
            let _ = stopped.await;
        }));
        Ok(Served {
            sim,
            addr,
            rt: rt.handle().clone(),
            stop: Some(stop),
            task: Some(task),
        })
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            // The server cuts open streams two seconds after the signal.
            let r = self
                .rt
                .block_on(async { tokio::time::timeout(Duration::from_secs(5), task).await });
            match r {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => eprintln!("scale: the simulator ended with an error: {e:#}"),
                Ok(Err(e)) => eprintln!("scale: the simulator task failed: {e}"),
                Err(_) => eprintln!("scale: the simulator did not stop within 5 s"),
            }
        }
    }
}

pub struct Churn {
    pub sim: Arc<Sim>,
    backup_t: backstop::sim::registry::ResourceType,
    pod_t: backstop::sim::registry::ResourceType,
    backups: Vec<(String, String)>,
    pods: Vec<(String, String)>,
    rng: backstop::sim::seed::Rng,
    count: u64,
}

/// One write: its resourceVersion and when it was sent.
#[derive(Debug, Clone, Copy)]
pub struct Sent {
    pub rv: u64,
    wall_us: u64,
}

fn tenant_keys(sim: &Sim, t: &backstop::sim::registry::ResourceType) -> Vec<(String, String)> {
    let (items, _) = sim
        .store
        .list(t, None, &Default::default(), &Default::default());
    items
        .iter()
        .filter_map(|o| {
            let ns = o.pointer("/metadata/namespace")?.as_str()?;
            let name = o.pointer("/metadata/name")?.as_str()?;
            ns.starts_with("tenant-")
                .then(|| (ns.to_string(), name.to_string()))
        })
        .collect()
}

impl Churn {
    pub fn new(sim: Arc<Sim>) -> Result<Churn> {
        let (backup_t, pod_t) = {
            let inner = sim.store.read();
            let b = inner
                .registry
                .by_kind("postgresql.cnpg.io", "Backup")
                .map(|t| (**t).clone())
                .context("the simulator serves no Backups")?;
            let p = inner
                .registry
                .by_kind("", "Pod")
                .map(|t| (**t).clone())
                .context("the simulator serves no Pods")?;
            (b, p)
        };
        let backups = tenant_keys(&sim, &backup_t);
        let pods = tenant_keys(&sim, &pod_t);
        if backups.is_empty() || pods.is_empty() {
            bail!("no seeded Backups or Pods in tenant-* namespaces to modify");
        }
        Ok(Churn {
            sim,
            backup_t,
            pod_t,
            backups,
            pods,
            rng: backstop::sim::seed::Rng(0xbac5_70b0_c4ec_0001),
            count: 0,
        })
    }

    /// Modifies one object: a Backup's stoppedAt, or a Pod's restartCount, alternately.
    /// None when the store saw no change (no new resourceVersion).
    pub fn write(&mut self) -> Result<Option<Sent>> {
        self.count += 1;
        let before = self.sim.store.resource_version();
        let wall = wall_us();
        let opts = WriteOpts::internal();
        let new = if self.count % 2 == 1 {
            let (ns, name) = &self.backups[self.rng.below(self.backups.len() as u64) as usize];
            // Microsecond precision: two writes to one Backup in a burst still differ.
            let stamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            self.sim
                .store
                .update(&self.backup_t, ns, name, Part::Main, &opts, |old| {
                    let mut v = old.clone();
                    if let Some(status) = v.get_mut("status").and_then(Value::as_object_mut) {
                        status.insert("stoppedAt".into(), json!(stamp));
                    }
                    Ok(v)
                })
        } else {
            let (ns, name) = &self.pods[self.rng.below(self.pods.len() as u64) as usize];
            self.sim
                .store
                .update(&self.pod_t, ns, name, Part::Main, &opts, |old| {
                    let mut v = old.clone();
                    if let Some(c) = v.pointer_mut("/status/containerStatuses/0/restartCount") {
                        *c = json!(c.as_u64().unwrap_or(0) + 1);
                    }
                    Ok(v)
                })
        };
        let new = new.map_err(|e| anyhow!("writing to the simulator: {}", e.message))?;
        let rv = new
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<u64>().ok())
            .context("a written object without a resourceVersion")?;
        Ok((rv > before).then_some(Sent { rv, wall_us: wall }))
    }
}

/// Event-to-screen latencies (ms): for each write, the first frame (in time order) whose rv
/// covers it. Also how many writes no frame showed.
pub fn latencies(sent: &[Sent], frames: &[(u64, u64)]) -> (Vec<f64>, usize) {
    // frames: (wall_us, rv) in file order; prefix max of rv is monotonic, so binary search.
    let mut prefix = Vec::with_capacity(frames.len());
    let mut max = 0u64;
    for &(_, rv) in frames {
        max = max.max(rv);
        prefix.push(max);
    }
    let mut out = Vec::with_capacity(sent.len());
    let mut unseen = 0;
    for s in sent {
        let i = prefix.partition_point(|&m| m < s.rv);
        match frames.get(i) {
            Some(&(wall, _)) => out.push(wall.saturating_sub(s.wall_us) as f64 / 1000.0),
            None => unseen += 1,
        }
    }
    (out, unseen)
}
