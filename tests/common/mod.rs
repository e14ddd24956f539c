//! Shared test helpers: a simulator on loopback in its own thread, polling with deadlines.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backstop::sim::{self, Sim};

pub mod gitops;
pub mod world;

/// What a command printed, stdout then stderr.
pub fn output_text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A simulator served on 127.0.0.1 with a kubeconfig in a temporary folder; stops on drop.
pub struct Served {
    pub addr: SocketAddr,
    pub kubeconfig: PathBuf,
    pub dir: tempfile::TempDir,
    pub sim: Arc<Sim>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Served {
    pub fn start(scenario: &str) -> Served {
        let sim = Sim::from_scenario(scenario)
            .unwrap_or_else(|e| panic!("scenario {scenario} loads: {e:#}"));
        Served::with(sim)
    }

    pub fn with(sim: Arc<Sim>) -> Served {
        Served::on(sim, "127.0.0.1:0".parse().expect("loopback"))
    }

    /// Serves on a given address: a server can come back where it was.
    pub fn on(sim: Arc<Sim>, addr: SocketAddr) -> Served {
        let dir = tempfile::tempdir().expect("temp dir");
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = sim.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .expect("bind loopback");
                addr_tx
                    .send(listener.local_addr().expect("local addr"))
                    .expect("send addr");
                served
                    .serve(listener, async {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("serve");
            });
        });
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("simulator started");
        let kubeconfig = dir.path().join("kubeconfig");
        backstop::files::write_atomically(&kubeconfig, &sim::kubeconfig(addr, "sim"))
            .expect("kubeconfig written");
        Served {
            addr,
            kubeconfig,
            dir,
            sim,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The real kubectl against this simulator, `stdin` piped in.
    pub fn kubectl(&self, args: &[&str], stdin: &str) -> std::process::Output {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let mut child = Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(self.dir.path().join("kube-cache"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl runs: install kubectl 1.32");
        if let Some(mut w) = child.stdin.take() {
            let _ = w.write_all(stdin.as_bytes());
        }
        child.wait_with_output().expect("kubectl ends")
    }

    /// The backstop binary against this simulator, run in `cwd`, logging beside it.
    pub fn backstop(&self, cwd: &std::path::Path, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_backstop"))
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--log-file")
            .arg(self.dir.path().join("backstop.log"))
            .args(args)
            .current_dir(cwd)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("backstop runs")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The one transcript a test's walk exported under `state` (its XDG_STATE_HOME).
pub fn only_transcript(state: &std::path::Path) -> String {
    let dir = state.join("backstop").join("transcripts");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the transcripts folder {}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .collect();
    assert_eq!(files.len(), 1, "one transcript in {}", dir.display());
    std::fs::read_to_string(files[0].path()).expect("the transcript reads")
}

/// Polls `check` until it returns Some or the deadline passes.
pub fn eventually<T>(what: &str, within: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = check() {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {within:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The async twin of `eventually`.
pub async fn eventually_async<T, F, Fut>(what: &str, within: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {within:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The real binary in a tmux session of its own (own socket), for end-to-end tests.
pub struct Tmux {
    socket: String,
    pub session: String,
}

impl Tmux {
    /// Starts `command` (a shell command line) in a `width`×`height` terminal. The pane
    /// stays after the command exits, so a test can read what it left on the screen.
    pub fn start(name: &str, width: u16, height: u16, env: &[(&str, &str)], command: &str) -> Tmux {
        let socket = format!("backstop-test-{}-{name}", std::process::id());
        let t = Tmux {
            socket,
            session: name.to_string(),
        };
        let mut c = std::process::Command::new("tmux");
        c.args([
            "-L",
            &t.socket,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
        c.args(["-e", "TERM=xterm-256color"]);
        for (k, v) in env {
            c.args(["-e", &format!("{k}={v}")]);
        }
        // remain-on-exit keeps the pane (and its last screen) after the program ends.
        c.arg(format!("{command}; echo backstop-exited-$?; sleep 30"));
        let status = c.status().expect("tmux runs (CI installs it)");
        assert!(status.success(), "tmux new-session failed");
        t
    }

    pub fn capture(&self, escapes: bool) -> String {
        let mut args = vec![
            "-L",
            &self.socket,
            "capture-pane",
            "-p",
            "-t",
            &self.session,
        ];
        if escapes {
            args.push("-e");
        }
        let out = std::process::Command::new("tmux")
            .args(&args)
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Sends keys (tmux key names: "Enter", "Escape", "q", "C-c").
    pub fn keys(&self, keys: &[&str]) {
        for (i, k) in keys.iter().enumerate() {
            // An Escape read together with the next key is Alt+key. Under load a fixed pause
            // is not enough: wait until the screen shows the Escape was handled (or, when it
            // changes nothing, a short deadline) before the next key goes.
            let before = (*k == "Escape" && i + 1 < keys.len()).then(|| self.capture(false));
            let status = std::process::Command::new("tmux")
                .args(["-L", &self.socket, "send-keys", "-t", &self.session, k])
                .status()
                .expect("send-keys");
            assert!(status.success());
            if let Some(before) = before {
                let deadline = Instant::now() + Duration::from_millis(1500);
                while self.capture(false) == before && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    pub fn wait_for(&self, what: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let last = self.capture(false);
            if last.contains(what) {
                return last;
            }
            if Instant::now() > deadline {
                panic!("timed out after {within:?} waiting for {what:?}; the screen:\n{last}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A tmux format string for the pane (`#{pane_title}`, `#{alternate_on}`, ...).
    pub fn display(&self, format: &str) -> String {
        let out = std::process::Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "display-message",
                "-p",
                "-t",
                &self.session,
                format,
            ])
            .output()
            .expect("display-message");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn pane_pid(&self) -> u32 {
        let out = std::process::Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "list-panes",
                "-t",
                &self.session,
                "-F",
                "#{pane_pid}",
            ])
            .output()
            .expect("list-panes");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("a pid")
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}
