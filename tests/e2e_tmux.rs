//! The real binary in a real terminal (tmux): what a user sees, what the keys do, and that
//! the terminal is given back whole on every way out.

mod common;

use std::time::Duration;

use common::{Tmux, fixture};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_backstop")
}

fn log_env() -> (&'static str, String) {
    (
        "BACKSTOP_LOG_FILE",
        std::env::temp_dir()
            .join("backstop-e2e.log")
            .display()
            .to_string(),
    )
}

const WAIT: Duration = Duration::from_secs(20);

#[test]
fn demo_navigates_and_quits_with_the_terminal_restored() {
    let (k, v) = log_env();
    let t = Tmux::start("nav", 120, 36, &[(k, &v)], &format!("{} demo", bin()));
    let screen = t.wait_for("4 Flux", WAIT);
    assert!(
        screen.contains("demo: healthy") && screen.contains("1 Plugin & operator"),
        "{screen}"
    );
    t.wait_for("cnpg-system/barman-cloud", WAIT);
    t.wait_for("archiving ok", WAIT);

    t.keys(&["3", "/", "pg-orders-daily", "Enter"]);
    t.wait_for("/pg-orders-daily", WAIT);
    t.keys(&["j", "Enter"]);
    let detail = t.wait_for("Related", WAIT);
    assert!(
        detail.contains("Backup orders/pg-orders-daily-") && detail.contains("Cluster pg-orders"),
        "{detail}"
    );
    t.keys(&["y"]);
    let yaml = t.wait_for("YAML of Backup orders/pg-orders-daily-", WAIT);
    t.wait_for("kind: Backup", WAIT);
    assert!(!yaml.contains("managedFields"), "{yaml}");
    t.keys(&["Escape"]);
    t.wait_for("Related", WAIT);
    t.keys(&["Escape"]);
    for (pane, expect) in [
        ("1", "1 Plugin & operator"),
        ("2", "2 ObjectStores"),
        ("4", "4 Flux"),
    ] {
        t.keys(&[pane]);
        t.wait_for(expect, WAIT);
    }
    t.keys(&["e"]);
    t.wait_for("ReconciliationSucceeded", WAIT);
    t.keys(&["Escape"]);
    t.keys(&["1", "l"]);
    t.wait_for("Logs of cnpg-system/barman-cloud-", WAIT);
    t.keys(&["Escape"]);
    t.keys(&["?"]);
    t.wait_for("Help · j/k PgUp/PgDn scroll · Esc closes", WAIT);
    t.keys(&["Escape", "q"]);
    let after = t.wait_for("backstop-exited-0", WAIT);
    assert!(
        !after.contains("1 Plugin & operator"),
        "the alternate screen is gone after quitting:\n{after}"
    );
}

#[test]
fn logs_follow_the_sidecar_of_a_backups_instance() {
    let (k, v) = log_env();
    let t = Tmux::start(
        "logs",
        130,
        36,
        &[(k, &v)],
        &format!("{} demo --scenario objectstore-credentials", bin()),
    );
    t.wait_for("archiving", WAIT);
    t.keys(&["3", "/", "failed", "Enter"]);
    t.wait_for("/failed", WAIT);
    t.keys(&["l"]);
    let logs = t.wait_for("SignatureDoesNotMatch", WAIT);
    assert!(
        logs.contains("Logs of orders/pg-orders-2 (plugin-barman-cloud)") && logs.contains("✖"),
        "{logs}"
    );
    t.keys(&["Escape", "q"]);
    t.wait_for("backstop-exited-0", WAIT);
}

/// Sends `signal` to the dashboard, the shell's child in the pane.
fn signal(t: &Tmux, signal: &str) {
    let shell = t.pane_pid();
    let status = std::process::Command::new("pkill")
        .args([signal, "-P", &shell.to_string(), "backstop"])
        .status()
        .expect("pkill");
    assert!(status.success());
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    let (k, v) = log_env();
    for sig in ["-TERM", "-HUP", "-INT"] {
        let t = Tmux::start(
            &format!("term{sig}"),
            100,
            30,
            &[(k, &v)],
            &format!("{} demo --scenario {}", bin(), fixture("mini.yaml")),
        );
        t.wait_for("3 Backups", WAIT);
        signal(&t, sig);
        let after = t.wait_for("backstop-exited-0", WAIT);
        assert!(!after.contains("3 Backups"), "{sig}: {after}");
        assert_eq!(t.display("#{alternate_on}"), "0", "{sig}");
        assert_eq!(t.display("#{cursor_flag}"), "1", "{sig}: the cursor shows");
    }
}

#[test]
fn a_signal_writes_out_a_walk_with_unsaved_notes() {
    let (k, v) = log_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state");
    let state_s = state.display().to_string();
    let t = Tmux::start(
        "rescue",
        120,
        40,
        &[
            (k, &v),
            ("XDG_STATE_HOME", &state_s),
            ("XDG_CONFIG_HOME", &state_s),
        ],
        &format!("{} demo --scenario plugin-crashloop-oom", bin()),
    );
    t.wait_for("findings ✖", WAIT);
    t.keys(&["w"]);
    t.wait_for("explains PLG004", WAIT);
    t.keys(&["Enter", "n"]);
    t.wait_for("Esc saves", WAIT);
    t.keys(&["my precious note"]);
    t.wait_for("my precious note", WAIT);
    signal(&t, "-HUP");
    let after = t.wait_for("backstop-exited-0", WAIT);
    assert!(after.contains("unsaved notes were written to"), "{after}");
    let md = common::only_transcript(&state);
    assert!(md.contains("my precious note"), "{md}");
}

#[test]
fn a_credential_plugin_that_never_answers_is_bounded_and_q_still_quits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let kc = dir.path().join("exec-hang.kubeconfig");
    std::fs::write(
        &kc,
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: \"https://127.0.0.1:1\"}}]\n\
         users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: sleep, args: [\"1000\"]}}}]\n\
         contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
    )
    .expect("kubeconfig");
    let kc = kc.display().to_string();
    let (k, v) = log_env();
    // While it waits, the screen says so and q quits.
    let t = Tmux::start(
        "exec-wait",
        120,
        30,
        &[(k, &v), ("BACKSTOP_CONNECT_TIMEOUT", "60")],
        &format!("{} --kubeconfig {kc}", bin()),
    );
    t.wait_for("a credential plugin may be waiting", WAIT);
    t.keys(&["q"]);
    t.wait_for("backstop-exited-0", Duration::from_secs(5));
    assert_eq!(t.display("#{alternate_on}"), "0");
    // Past the limit, the failure screen says what to do.
    let t = Tmux::start(
        "exec-timeout",
        120,
        30,
        &[(k, &v), ("BACKSTOP_CONNECT_TIMEOUT", "2")],
        &format!("{} --kubeconfig {kc}", bin()),
    );
    let screen = t.wait_for("no connection within 2 s", WAIT);
    assert!(screen.contains("credential plugin"), "{screen}");
    t.keys(&["q"]);
    t.wait_for("backstop-exited-0", Duration::from_secs(5));
    // check ends too, UNKNOWN.
    let began = std::time::Instant::now();
    let out = std::process::Command::new(bin())
        .args(["check", "--kubeconfig", &kc])
        .env("BACKSTOP_CONNECT_TIMEOUT", "2")
        .output()
        .expect("check runs");
    assert_eq!(out.status.code(), Some(3));
    assert!(began.elapsed() < Duration::from_secs(15));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no connection within 2 s"));
}

#[test]
fn no_color_means_no_colour_but_every_state_in_words() {
    let (k, v) = log_env();
    let t = Tmux::start(
        "nocolor",
        120,
        36,
        &[(k, &v), ("NO_COLOR", "1")],
        &format!("{} demo --scenario plugin-crashloop-oom", bin()),
    );
    t.wait_for("CrashLoopBackOff", WAIT);
    let raw = t.capture(true);
    for code in [
        "[31m", "[32m", "[33m", "[38;2;", "[38;5;", "[48;2;", "[48;5;",
    ] {
        assert!(
            !raw.contains(code),
            "colour escape {code:?} with NO_COLOR set"
        );
    }
    let plain = t.capture(false);
    assert!(
        plain.contains("✖ Plugin") && plain.contains("✖  plugin"),
        "states are glyphs and words:\n{plain}"
    );
    t.keys(&["q"]);

    // The same screen without NO_COLOR has colours: the check above can fail.
    let coloured = Tmux::start(
        "colour",
        120,
        36,
        &[(k, &v)],
        &format!("{} demo --scenario plugin-crashloop-oom", bin()),
    );
    coloured.wait_for("CrashLoopBackOff", WAIT);
    assert!(
        coloured.capture(true).contains("[38;2;"),
        "the default theme paints in true colour"
    );
    coloured.keys(&["q"]);
}

#[test]
fn an_unreachable_cluster_is_a_readable_screen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let kc = dir.path().join("kubeconfig");
    // Port 9 on loopback: nothing listens there.
    backstop::files::write_atomically(
        &kc,
        &backstop::sim::kubeconfig("127.0.0.1:9".parse().expect("addr"), "nowhere"),
    )
    .expect("kubeconfig");
    let (k, v) = log_env();
    let t = Tmux::start(
        "unreach",
        120,
        36,
        &[(k, &v)],
        &format!("{} --kubeconfig {}", bin(), kc.display()),
    );
    let screen = t.wait_for("unreachable", WAIT);
    assert!(screen.contains("nowhere"), "the context is named: {screen}");
    let screen = t.wait_for("error", WAIT);
    assert!(
        screen.contains("1 Plugin & operator"),
        "the panes stay, with their error: {screen}"
    );
    t.keys(&["q"]);
    t.wait_for("backstop-exited-0", WAIT);

    let missing = dir.path().join("no-such-kubeconfig");
    let t = Tmux::start(
        "nokc",
        120,
        30,
        &[(k, &v)],
        &format!("{} --kubeconfig {}", bin(), missing.display()),
    );
    let screen = t.wait_for("cannot connect", WAIT);
    assert!(
        screen.contains("no-such-kubeconfig") && screen.contains("what to do"),
        "{screen}"
    );
    t.keys(&["q"]);
    t.wait_for("backstop-exited-0", WAIT);
}

#[test]
fn a_bad_theme_file_is_named_and_the_default_used() {
    let dir = tempfile::tempdir().expect("temp dir");
    let theme = dir.path().join("mine.yaml");
    std::fs::write(&theme, "name: mine\nroles:\n  text: {fg: purplish}\n").expect("theme written");
    let (k, v) = log_env();
    let t = Tmux::start(
        "theme",
        120,
        36,
        &[(k, &v)],
        &format!(
            "{} demo --scenario {} --theme {}",
            bin(),
            fixture("mini.yaml"),
            theme.display()
        ),
    );
    // Wait for the footer itself: a capture can land between two parts of a frame.
    let screen = t.wait_for("default theme used: ", WAIT);
    assert!(
        screen.contains("mine.yaml: line 3")
            && screen.contains("'purplish' is not a colour")
            && screen.contains("default theme used: "),
        "{screen}"
    );
    // t cycles the built-in themes, and says which.
    t.keys(&["t"]);
    t.wait_for("theme: light", WAIT);
    t.keys(&["q"]);
    t.wait_for("backstop-exited-0", WAIT);
}

#[test]
fn ctx_switches_cluster_and_ns_scopes_the_panes() {
    let a = common::Served::start(&fixture("mini.yaml"));
    let b = common::Served::start(&fixture("no-flux-restricted.yaml"));
    let dir = tempfile::tempdir().expect("temp dir");
    let kc = dir.path().join("kubeconfig");
    let cluster = |name: &str, addr: std::net::SocketAddr| {
        format!("- name: {name}\n  cluster:\n    server: http://{addr}\n")
    };
    let context =
        |name: &str| format!("- name: {name}\n  context:\n    cluster: {name}\n    user: u\n");
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n{}{}contexts:\n{}{}current-context: alpha\nusers:\n- name: u\n  user:\n    token: t\n",
        cluster("alpha", a.addr),
        cluster("beta", b.addr),
        context("alpha"),
        context("beta")
    );
    std::fs::write(&kc, text).expect("kubeconfig written");
    let (k, v) = log_env();
    let t = Tmux::start(
        "ctx",
        120,
        36,
        &[(k, &v)],
        &format!("{} --kubeconfig {}", bin(), kc.display()),
    );
    let screen = t.wait_for("pg-backup-1", WAIT);
    assert!(screen.contains(" alpha "), "{screen}");
    t.keys(&[":", "ns kube-system", "Enter"]);
    let screen = t.wait_for("3 Backups 0", WAIT);
    assert!(
        screen.contains("ns kube-system") && !screen.contains("pg-backup-1"),
        "{screen}"
    );
    t.keys(&[":", "ns all", "Enter"]);
    t.wait_for("pg-backup-1", WAIT);
    t.keys(&[":", "ctx beta", "Enter"]);
    let screen = t.wait_for("[backups forbidden]", WAIT);
    assert!(
        screen.contains(" beta ") && screen.contains("may not list backups.postgresql.cnpg.io"),
        "{screen}"
    );
    t.keys(&[":", "ctx nowhere", "Enter"]);
    let screen = t.wait_for("cannot switch", WAIT);
    assert!(screen.contains("no context named 'nowhere'"), "{screen}");
    t.keys(&["q"]);
    t.wait_for("backstop-exited-0", WAIT);
}

#[test]
fn findings_appear_in_the_header_and_f_lists_them() {
    let (k, v) = log_env();
    let t = Tmux::start(
        "findings",
        140,
        40,
        &[(k, &v)],
        &format!("{} demo --scenario plugin-crashloop-oom", bin()),
    );
    // The extra kinds are gathered two seconds after start.
    let screen = t.wait_for("findings ✖", WAIT);
    assert!(screen.contains("CrashLoopBackOff"), "{screen}");
    t.keys(&["f"]);
    // A capture can catch a frame half written: wait for what is asserted.
    t.wait_for("Findings ", WAIT);
    let list = t.wait_for("PLG005", WAIT);
    assert!(list.contains("PLG004") && list.contains("PLG005"), "{list}");
    t.keys(&["Enter"]);
    // Causes first: the plugin pod's findings lead the list, so Enter opens the pod.
    let detail = t.wait_for("Pod cnpg-system/barman-cloud-", WAIT);
    assert!(
        detail.contains("PLG004") && detail.contains("OOMKilled"),
        "{detail}"
    );
    t.keys(&["Escape", "q"]);
    t.wait_for("backstop-exited-0", WAIT);
}

#[test]
fn the_dashboard_honours_the_config_files_silences() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("backstop")).expect("config dir");
    std::fs::write(
        dir.path().join("backstop/config.yaml"),
        "check:\n  silence: [PLG004, PLG005]\n",
    )
    .expect("config");
    let (k, v) = log_env();
    let xdg = dir.path().display().to_string();
    let t = Tmux::start(
        "silence",
        140,
        40,
        &[(k, &v), ("XDG_CONFIG_HOME", &xdg)],
        &format!("{} demo --scenario plugin-crashloop-oom", bin()),
    );
    t.wait_for("findings ✖", WAIT);
    t.keys(&["f"]);
    let list = t.wait_for("Findings ", WAIT);
    assert!(
        list.contains("✖ PLG008") && !list.contains("✖ PLG004") && !list.contains("✖ PLG005"),
        "{list}"
    );
    t.keys(&["Escape", "q"]);
    t.wait_for("backstop-exited-0", WAIT);

    // A config that does not hold stops the dashboard before it takes the terminal: a typo
    // beside `read_only: true` must never mean actions on (the audit's S4).
    for (i, (config, said)) in [
        (
            "check:\n  silence: [NOPE01]\n",
            "'NOPE01' is not a finding code",
        ),
        (
            "read_only: true\ncheck:\n  silence: [BKP010]\n  tresholds:\n    backup-max-age: 30h\n",
            "line 4: check: unknown field `tresholds`",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        std::fs::write(dir.path().join("backstop/config.yaml"), config).expect("config");
        let t = Tmux::start(
            &format!("badcfg{i}"),
            140,
            40,
            &[(k, &v), ("XDG_CONFIG_HOME", &xdg)],
            &format!("{} demo --scenario plugin-crashloop-oom", bin()),
        );
        let screen = t.wait_for("backstop-exited-3", WAIT);
        assert!(
            screen.contains(said)
                && screen.contains("config.yaml")
                && screen.contains("did not start"),
            "{screen}"
        );
        assert_eq!(
            t.display("#{alternate_on}"),
            "0",
            "the terminal was never taken"
        );
    }
}

#[test]
fn a_walk_with_a_note_is_exported_as_a_transcript() {
    let (k, v) = log_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state");
    let config = dir.path().join("config");
    let (state_s, config_s) = (state.display().to_string(), config.display().to_string());
    let t = Tmux::start(
        "walk",
        120,
        40,
        &[
            (k, &v),
            ("XDG_STATE_HOME", &state_s),
            ("XDG_CONFIG_HOME", &config_s),
        ],
        &format!("{} demo --scenario plugin-crashloop-oom", bin()),
    );
    t.wait_for("barman-cloud", WAIT);
    // The chooser marks the trees that explain what is wrong now, once the rules have run.
    t.keys(&["w"]);
    t.wait_for("explains PLG004", WAIT);
    t.keys(&["Enter"]);
    t.wait_for("Does the operator see a plugin Service?", WAIT);
    let first = t.wait_for("◀ proposed", WAIT);
    assert!(first.contains("✔ pass"), "{first}");
    // Accept the proposal, then let autopilot follow the evidence to the diagnosis.
    t.keys(&["Enter"]);
    t.wait_for("Are the plugin pods ready?", WAIT);
    let pods = t.wait_for("plugin-registered pass ›", WAIT);
    assert!(pods.contains("Are the plugin pods ready?"), "{pods}");
    t.keys(&["a"]);
    let leaf = t.wait_for("Diagnosis", WAIT);
    assert!(
        leaf.contains("OOMKilled") && leaf.contains("PLG005"),
        "{leaf}"
    );
    t.keys(&["n"]);
    t.wait_for("Esc saves", WAIT);
    t.keys(&["Raised the limit to 512Mi, token=abc123"]);
    t.wait_for("token=abc123", WAIT);
    t.keys(&["Escape"]);
    t.wait_for("note: Raised the limit", WAIT);
    t.keys(&["x"]);
    let saved = t.wait_for("transcript saved to", WAIT);
    let transcripts = state.join("backstop").join("transcripts");
    assert!(
        saved.contains("transcripts/") && saved.contains("plugin-issue.md"),
        "{saved}"
    );
    let files: Vec<_> = std::fs::read_dir(&transcripts)
        .expect("the transcripts folder exists")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let md = std::fs::read_to_string(&files[0]).expect("the transcript reads");
    for want in [
        "# Incident walk: CNPG plugin issue detected",
        "## Change Summary",
        "- **Impact**: High",
        "## Root Cause",
        "**Diagnosis** (`oom-killed`)",
        "**Finding**: PLG005",
        "### 1. Does the operator see a plugin Service? (`plugin-registered`)",
        "- **Chosen**: pass → `plugin-running`\n",
        "- **Chosen**: fail → `plugin-flux-ready` (autopilot)",
        "lastState.terminated.reason: OOMKilled",
        "## Solution Applied",
        "> Raised the limit to 512Mi, token=[redacted]",
        "## Validation",
        "PLG005 is still found on Pod cnpg-system/barman-cloud-",
        "## Prevention",
        "## References",
    ] {
        assert!(md.contains(want), "{want:?} in:\n{md}");
    }
    assert!(!md.contains("abc123"), "the token is masked:\n{md}");
    t.keys(&["Escape"]);
    t.wait_for("1 Plugin & operator", WAIT);
    t.keys(&["q"]);
    t.wait_for("backstop-exited-0", WAIT);
}

#[test]
fn demo_training_opens_the_chooser_blind() {
    let (k, v) = log_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().display().to_string();
    let t = Tmux::start(
        "training",
        120,
        36,
        &[(k, &v), ("XDG_CONFIG_HOME", &config)],
        &format!("{} demo --scenario flux-stuck-dependency --training", bin()),
    );
    t.wait_for("training: on (t)", WAIT);
    t.keys(&["Enter"]);
    let blind = t.wait_for("Your choice:", WAIT);
    assert!(
        blind.contains("training") && !blind.contains("proposed"),
        "{blind}"
    );
    // On a loaded machine the walk's check may still be running on fresh data, and `a`
    // says so instead: ask again until the answer is about training.
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        t.keys(&["a"]);
        let screen = t.capture(false);
        if screen.contains("autopilot is off in training") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "a in training did not say autopilot is off:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    t.keys(&["Escape", "q"]);
    t.wait_for("backstop-exited-0", WAIT);
}

#[test]
fn a_reconcile_is_confirmed_followed_and_seen_by_kubectl() {
    let served = common::Served::start("healthy");
    let (k, v) = log_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state");
    let (state_s, config_s) = (
        state.display().to_string(),
        dir.path().join("config").display().to_string(),
    );
    let t = Tmux::start(
        "reconcile",
        120,
        40,
        &[
            (k, &v),
            ("XDG_STATE_HOME", &state_s),
            ("XDG_CONFIG_HOME", &config_s),
        ],
        &format!("{} --kubeconfig {}", bin(), served.kubeconfig.display()),
    );
    t.wait_for("4 Flux", WAIT);
    t.keys(&["4", "/", "apps-postgresql", "Enter"]);
    t.wait_for("/apps-postgresql", WAIT);
    t.keys(&["r"]);
    let dialog = t.wait_for("✔ you may", WAIT);
    assert!(
        dialog.contains("Confirm: Kustomization flux-system/apps-postgresql")
            && dialog.contains("$ flux reconcile kustomization apps-postgresql -n flux-system"),
        "{dialog}"
    );
    t.keys(&["y"]);
    t.wait_for("Ready=True ReconciliationSucceeded", WAIT);
    let out = std::process::Command::new("kubectl")
        .args([
            "--kubeconfig",
            &served.kubeconfig.display().to_string(),
            "-n",
            "flux-system",
            "get",
            "kustomization",
            "apps-postgresql",
            "-o",
            r"jsonpath={.metadata.annotations.reconcile\.fluxcd\.io/requestedAt} {.status.lastHandledReconcileAt}",
        ])
        .output()
        .expect("kubectl runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let parts: Vec<&str> = text.split_whitespace().collect();
    assert!(
        parts.len() == 2 && parts[0] == parts[1] && parts[0].starts_with("20"),
        "requestedAt and lastHandledReconcileAt: {text:?} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // No walk was open: the session log has it.
    let log = std::fs::read_to_string(state.join("backstop").join("actions.log"))
        .expect("the action log");
    assert!(
        log.contains(
            "flux reconcile kustomization apps-postgresql -n flux-system → ok: Ready=True"
        ),
        "{log}"
    );
    t.keys(&["q"]);
    t.wait_for("backstop-exited-0", WAIT);
}

#[test]
fn read_only_turns_actions_off_visibly() {
    let (k, v) = log_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().display().to_string();
    let t = Tmux::start(
        "readonly",
        120,
        36,
        &[(k, &v), ("XDG_CONFIG_HOME", &config)],
        &format!("{} demo --read-only", bin()),
    );
    t.wait_for("│ read-only", WAIT);
    t.wait_for("flux-system/apps-postgresql", WAIT);
    t.keys(&["4", "j", "r"]);
    t.wait_for("read-only: actions are off", WAIT);
    t.keys(&["3", "b"]);
    let screen = t.wait_for("read-only: actions are off", WAIT);
    assert!(!screen.contains("Confirm:"), "{screen}");
    t.keys(&["q"]);
    t.wait_for("backstop-exited-0", WAIT);
}

#[test]
fn a_namespace_that_does_not_exist_is_said_not_shown_green() {
    let (k, v) = log_env();
    let t = Tmux::start("nosuchns", 120, 30, &[(k, &v)], &format!("{} demo", bin()));
    t.wait_for("4 Flux", WAIT);
    t.keys(&[":", "ns nosuch", "Enter"]);
    t.wait_for("namespace nosuch does not exist", WAIT);
    t.keys(&["q"]);
    t.wait_for("backstop-exited-0", WAIT);
}
