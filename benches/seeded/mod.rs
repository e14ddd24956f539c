//! The scale benchmark's cluster (`sim::seed::Scale`) served on loopback from the bench's
//! own process, behind a kubeconfig, for benches that run the release binary against it.

use std::time::Instant;

use anyhow::Result;

use backstop::sim::{self, Sim, seed};

pub struct Seeded {
    pub objects: usize,
    pub kubeconfig: std::path::PathBuf,
    pub dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<Result<()>>>,
}

impl Seeded {
    /// N Backups and N Pods over 50 namespaces; no timeline writes, so every read of it
    /// reads the same cluster.
    pub fn serve(n: usize) -> Result<Seeded> {
        let t = Instant::now();
        let mut sc = seed::scenario(&seed::Scale::of(n), chrono::Utc::now())?;
        sc.timeline.clear();
        let sim = Sim::new(&sc)?;
        let objects = sim.store.count();
        eprintln!(
            "seeded {objects} objects ({n} Backups) in {:.1}s",
            t.elapsed().as_secs_f64()
        );
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = rt.spawn(sim.serve(listener, async {
            let _ = stopped.await;
        }));
        let dir = tempfile::tempdir()?;
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(&kubeconfig, sim::kubeconfig(addr, "bench"))?;
        Ok(Seeded {
            objects,
            kubeconfig,
            dir,
            rt,
            stop: Some(stop),
            served: Some(served),
        })
    }
}

impl Drop for Seeded {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(served) = self.served.take() {
            let _ = self.rt.block_on(served);
        }
    }
}
