//! Files and flags a user can get wrong: special files, symlink loops, oversized and empty
//! dumps, usage errors. Each ends quickly with a clear message and the UNKNOWN exit code
//! (3) of the monitoring convention; none hangs, fills memory or reports a wrong finding.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs backstop, killed if it takes longer than `limit`: a regression fails, it does not
/// hang the suite. (exit code, stdout, stderr)
fn backstop(args: &[&str], limit: Duration) -> (i32, String, String) {
    backstop_with(args, &[], limit)
}

/// The most address space the binary may take here: a reader that lost its bound fails on
/// an allocation within a second, instead of taking gigabytes from the machine until the
/// deadline (`/dev/zero` filled 9.7 GB in 15 s).
const MEMORY_CAP: u64 = 4 << 30;

/// [`backstop`] with environment variables set.
fn backstop_with(args: &[&str], env: &[(&str, &str)], limit: Duration) -> (i32, String, String) {
    use std::os::unix::process::CommandExt;
    let dir = std::env::temp_dir();
    let mut command = Command::new(env!("CARGO_BIN_EXE_backstop"));
    command
        .args(args)
        .env("BACKSTOP_LOG_FILE", dir.join("backstop-bad-input.log"))
        .env("XDG_CONFIG_HOME", dir.join("backstop-bad-input-config"))
        .envs(env.iter().copied());
    // SAFETY: setrlimit is async-signal-safe and touches no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            let cap = libc::rlimit {
                rlim_cur: MEMORY_CAP,
                rlim_max: MEMORY_CAP,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &cap) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("backstop runs");
    let began = Instant::now();
    loop {
        if child.try_wait().expect("waits").is_some() {
            break;
        }
        if began.elapsed() > limit {
            let _ = child.kill();
            panic!("backstop {args:?} still ran after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const QUICK: Duration = Duration::from_secs(10);

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: a valid NUL-terminated path and a mode.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

#[test]
fn devices_fifos_and_symlink_loops_are_refused_at_once() {
    let (code, _, err) = backstop(&["check", "--dump", "/dev/zero"], QUICK);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("/dev/zero") && err.contains("character device"),
        "{err}"
    );
    let (code, out, err) = backstop(&["trees", "lint", "/dev/zero"], QUICK);
    assert_ne!(code, 0);
    assert!(
        format!("{out}{err}").contains("character device"),
        "{out}{err}"
    );
    let (code, out, _) = backstop(&["check", "--kubeconfig", "/dev/zero"], QUICK);
    assert_eq!(code, 3);
    assert!(out.contains("character device"), "{out}");
    let e = backstop::ui::theme::Theme::load("/dev/zero").expect_err("a device is no theme");
    assert!(e.to_string().contains("character device"), "{e}");

    // A dump folder with a FIFO among its YAML files.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("a.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: default}\n",
    )
    .expect("file");
    mkfifo(&dir.path().join("b-fifo.yaml"));
    let (code, _, err) = backstop(
        &["check", "--dump", &dir.path().display().to_string()],
        QUICK,
    );
    assert_eq!(code, 3);
    assert!(
        err.contains("b-fifo.yaml") && err.contains("a FIFO"),
        "{err}"
    );
    // One with a symlink back to its parent.
    let dir = tempfile::tempdir().expect("temp dir");
    let dump = dir.path().join("dump");
    std::fs::create_dir(&dump).expect("dump folder");
    std::fs::write(
        dump.join("a.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: default}\n",
    )
    .expect("file");
    std::os::unix::fs::symlink("..", dump.join("loop")).expect("symlink");
    let (code, _, err) = backstop(&["check", "--dump", &dump.display().to_string()], QUICK);
    assert_eq!(code, 3);
    assert!(err.contains("symlink loop"), "{err}");
}

#[test]
fn a_config_that_is_a_device_or_a_fifo_is_refused_at_once_by_every_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("config.yaml");
    mkfifo(&fifo);
    let fifo = fifo.display().to_string();
    for (config, said) in [("/dev/zero", "character device"), (fifo.as_str(), "a FIFO")] {
        for args in [
            vec!["check", "--dump", "/nonexistent", "--config", config],
            vec!["demo", "--config", config],
            vec![
                "trees",
                "walk",
                "plugin-issue",
                "--dump",
                "/nonexistent",
                "--config",
                config,
            ],
        ] {
            let (code, _, err) = backstop(&args, QUICK);
            assert_eq!(code, 3, "{args:?}: {err}");
            assert!(
                err.contains(&format!("cannot read the config file {config}"))
                    && err.contains(said),
                "{args:?}: {err}"
            );
        }
    }
}

#[test]
fn an_oversized_dump_says_the_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let big = dir.path().join("big.yaml");
    std::fs::File::create(&big)
        .and_then(|f| f.set_len(backstop::files::DUMP_LIMIT.bytes + 1))
        .expect("a sparse file");
    let (code, _, err) = backstop(&["check", "--dump", &big.display().to_string()], QUICK);
    assert_eq!(code, 3);
    assert!(err.contains("larger than 512 MiB"), "{err}");
    assert!(
        err.contains("split it into several files in a folder"),
        "says what to do: {err}"
    );
}

/// How many times the report's line about the kubeconfig names `path` (the header names
/// the source as well).
fn mentions(report: &str, path: &Path) -> usize {
    let line = report
        .lines()
        .find(|l| l.contains("cannot read the kubeconfig"))
        .unwrap_or_else(|| panic!("a line about the kubeconfig: {report}"));
    line.matches(&path.display().to_string()).count()
}

#[test]
fn a_kubeconfig_is_read_within_its_limit_and_named_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let big = dir.path().join("big-kubeconfig");
    std::fs::File::create(&big)
        .and_then(|f| f.set_len(2 << 20))
        .expect("a sparse file");
    let (code, out, err) = backstop(
        &["check", "--kubeconfig", &big.display().to_string()],
        QUICK,
    );
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        out.contains("larger than 1 MiB, the most backstop reads from a kubeconfig"),
        "{out}"
    );
    assert_eq!(mentions(&out, &big), 1, "{out}");

    // In a KUBECONFIG list, a missing file is skipped as kubectl skips it; a FIFO is
    // refused at once, named once.
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let list =
        std::env::join_paths([dir.path().join("missing"), fifo.clone()]).expect("a path list");
    let (code, out, err) = backstop_with(
        &["check"],
        &[("KUBECONFIG", list.to_str().expect("utf-8"))],
        QUICK,
    );
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.contains("it is a FIFO"), "{out}");
    assert_eq!(mentions(&out, &fifo), 1, "{out}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_kubeconfig_that_lies_about_its_size_is_still_bounded() {
    // /proc/self/pagemap says it is empty, and reads as 8 bytes for every page of the
    // address space: a reader that trusts the size reads until memory runs out.
    let (code, out, err) = backstop(&["check", "--kubeconfig", "/proc/self/pagemap"], QUICK);
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.contains("larger than 1 MiB"), "{out}{err}");
}

#[test]
fn sim_serve_of_an_empty_file_says_it_is_empty() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = dir.path().join("empty.yaml");
    std::fs::write(&empty, "---\n").expect("file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(["sim", "serve", "--listen", "127.0.0.1:0", "--scenario"])
        .arg(&empty)
        .env("BACKSTOP_LOG_FILE", dir.path().join("log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let said = rx.recv_timeout(QUICK);
    let _ = child.kill();
    let _ = child.wait();
    let said = said.expect("a line on stderr before the deadline");
    assert!(
        said.contains("scenario 'empty' is empty") && said.contains("no Kubernetes object"),
        "{said}"
    );
}

#[test]
fn an_empty_dump_is_unknown_not_critical() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in [("empty.yaml", ""), ("separators.yaml", "---\n---\n")] {
        let f = dir.path().join(name);
        std::fs::write(&f, text).expect("file");
        let (code, out, err) = backstop(&["check", "--dump", &f.display().to_string()], QUICK);
        assert_eq!(code, 3, "{out}{err}");
        assert!(
            err.contains("is empty") && !out.contains("PLG001"),
            "{out}{err}"
        );
    }
}

#[test]
fn usage_errors_are_unknown_and_help_is_not_an_error() {
    for args in [
        vec!["check", "--format", "xml"],
        vec!["check", "--no-such-flag"],
        vec!["check", "--format"],
        vec!["sim"],
    ] {
        let (code, _, err) = backstop(&args, QUICK);
        assert_eq!(code, 3, "{args:?}: {err}");
    }
    assert_eq!(backstop(&["--help"], QUICK).0, 0);
    assert_eq!(backstop(&["check", "--help"], QUICK).0, 0);
    assert_eq!(backstop(&["--version"], QUICK).0, 0);
}

#[test]
fn a_namespace_scopes_a_dump_as_it_scopes_a_live_check() {
    let codes = |args: &[&str]| -> Vec<(String, String)> {
        let (_, out, err) = backstop(args, Duration::from_secs(30));
        let v: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
        let mut found: Vec<(String, String)> = v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                (
                    f["code"].as_str().unwrap_or("").to_string(),
                    f["object"]["namespace"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        found.sort();
        found
    };
    let now = "2026-11-24T06:00:00Z";
    let all = codes(&[
        "check",
        "--format",
        "json",
        "--now",
        now,
        "--dump",
        "objectstore-credentials",
    ]);
    assert!(all.iter().any(|(_, ns)| ns == "billing"), "{all:?}");
    let orders = codes(&[
        "check",
        "--format",
        "json",
        "--now",
        now,
        "--dump",
        "objectstore-credentials",
        "-n",
        "orders",
    ]);
    assert!(
        !orders.is_empty() && orders.iter().all(|(_, ns)| ns == "orders"),
        "{orders:?}"
    );
    assert!(orders.len() < all.len());
}

#[test]
fn one_malformed_object_does_not_hide_its_kind() {
    let dump = format!(
        "{}/tests/fixtures/malformed.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let (code, out, err) = backstop(
        &["check", "--now", "2026-11-24T06:00:00Z", "--dump", &dump],
        Duration::from_secs(30),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("Error deserializing"), "{out}");
    // Each malformed object is named, with its field.
    assert!(
        out.contains("note: Pod cnpg-system/cnpg-controller-manager-gtkr6qr46v-w4bfx: malformed metadata.creationTimestamp")
            && out.contains("note: Cluster orders/pg-orders: malformed metadata.labels"),
        "{out}"
    );

    // The dashboard's watchers read the same way: every Pod and Cluster is a row.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let sc = backstop::sim::scenario::load(&dump, chrono::Utc::now()).expect("loads");
        let sim = backstop::sim::Sim::new(&sc).expect("sim");
        let client = kube::Client::new(sim.router(), "default");
        let watched = backstop::cluster::Watched::start(&client, None);
        let began = Instant::now();
        let snap = loop {
            let s = watched.snapshot();
            if s.live() {
                break s;
            }
            assert!(began.elapsed() < Duration::from_secs(10), "every kind live");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(
            snap.pods
                .rows
                .iter()
                .any(|p| p.name == "cnpg-controller-manager-gtkr6qr46v-w4bfx"),
            "the malformed pod is a row"
        );
        assert_eq!(
            snap.clusters.rows.len(),
            3,
            "every Cluster, the malformed one too"
        );
        assert_eq!(
            snap.clusters.malformed.as_slice(),
            ["Cluster orders/pg-orders: malformed metadata.labels, read as absent".to_string()]
        );
        // The Backups pane, which reads Clusters, names it under its rows.
        let mut app = backstop::ui::app::App::new(
            backstop::ui::app::Location {
                context: "sim".into(),
                server: "sim".into(),
                namespace: None,
                demo: true,
            },
            backstop::ui::theme::Theme::no_color(),
            chrono::Utc::now(),
            backstop::ui::app::Settings::default(),
        );
        app.update(backstop::ui::msg::Msg::Data(Box::new(snap.clone())));
        app.update(backstop::ui::msg::Msg::Key(
            crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Char('3'),
                crossterm::event::KeyModifiers::NONE,
            ),
        ));
        let mut t =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(200, 50)).expect("terminal");
        t.draw(|f| backstop::ui::draw::draw(&app, f))
            .expect("draws");
        let screen = t.backend().to_string();
        assert!(
            screen.contains("[1 malformed]")
                && screen.contains("Cluster orders/pg-orders: malformed metadata.labels"),
            "{screen}"
        );
    });
}
