//! Escape sequences and bidirectional overrides in cluster data, dumps, trees and error
//! messages never reach a terminal or a Markdown file: `check` in text and Markdown, `trees
//! walk`, `trees lint`, error messages, the dashboard and a walk's transcript. The payload
//! (`tests/fixtures/escapes.yaml`) retitles the window, writes the clipboard (OSC 52),
//! colours, clears the screen, rings, returns, backspaces and overrides the direction.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{Tmux, fixture};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_backstop")
}

/// The first character a terminal would act on rather than show.
fn unsafe_char(text: &str) -> Option<(usize, char)> {
    text.char_indices().find(|(_, c)| {
        (c.is_control() && *c != '\n' && *c != '\t')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    })
}

fn assert_safe(what: &str, text: &str) {
    if let Some((at, c)) = unsafe_char(text) {
        let from = text[..at]
            .char_indices()
            .rev()
            .nth(60)
            .map_or(0, |(i, _)| i);
        panic!("{what} passes {c:?} through: {:?}", &text[from..]);
    }
}

fn output(args: &[&str], env: &[(&str, &Path)]) -> (String, String) {
    let log = std::env::temp_dir().join("backstop-injection.log");
    let mut c = Command::new(bin());
    c.args(args).arg("--log-file").arg(&log);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("the binary runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_text_and_markdown_and_trees_walk_print_no_escapes() {
    let dump = fixture("escapes.yaml");
    for format in ["text", "markdown"] {
        let (out, err) = output(&["check", "--dump", &dump, "--format", format], &[]);
        assert!(out.contains("kustomize build failed: RED"), "{out}");
        assert_safe(&format!("check --format {format}"), &out);
        assert_safe("check's stderr", &err);
    }
    let (json, _) = output(&["check", "--dump", &dump, "--format", "json"], &[]);
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("the JSON parses");
    assert!(parsed["findings"].is_array());
    assert_safe("check --format json", &json);
    let (walk, _) = output(
        &[
            "trees",
            "walk",
            "flux-reconciliation-failing",
            "--dump",
            &dump,
        ],
        &[],
    );
    assert!(walk.contains("RED"), "{walk}");
    assert_safe("trees walk", &walk);
}

#[test]
fn error_messages_and_user_trees_print_no_escapes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dup = dir.path().join("dup.yaml");
    let named = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"dup\\e]0;ERR-TITLE\\a\\u202E\", namespace: default}\n";
    std::fs::write(&dup, format!("{named}---\n{named}")).expect("dump written");
    let (out, err) = output(&["check", "--dump", &dup.display().to_string()], &[]);
    assert!(err.contains("duplicate object"), "{err}");
    assert_safe("a duplicate object's error", &format!("{out}{err}"));

    // A user's tree whose title carries the payload: listed, linted and walked.
    let config = dir.path().join("config");
    let trees = config.join("backstop").join("trees");
    std::fs::create_dir_all(&trees).expect("trees folder");
    let builtin = std::fs::read_to_string(format!(
        "{}/src/trees/builtin/flux-stuck.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("a built-in tree");
    let tree = builtin.replace("name: flux-stuck", "name: esc").replace(
        "title: Is kustomize-controller available?",
        "title: \"Is it \\e]0;TREE-TITLE\\a\\e[2J\\u202Eavailable?\"",
    );
    let file = trees.join("esc.yaml");
    std::fs::write(&file, tree).expect("tree written");
    let env = [("XDG_CONFIG_HOME", config.as_path())];
    for args in [
        vec!["trees", "list"],
        vec!["trees", "lint", file.to_str().expect("utf-8 path")],
        vec!["trees", "walk", "esc", "--dump", "healthy"],
    ] {
        let (out, err) = output(&args, &env);
        assert_safe(&args.join(" "), &format!("{out}{err}"));
        if args[1] == "walk" {
            assert!(out.contains("Is it available?"), "{out}{err}");
        }
    }
}

#[test]
fn the_dashboard_and_a_transcript_carry_no_escapes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state");
    let state_s = state.display().to_string();
    let t = Tmux::start(
        "escapes",
        160,
        48,
        &[("XDG_STATE_HOME", &state_s), ("XDG_CONFIG_HOME", &state_s)],
        &format!("{} demo --scenario {}", bin(), fixture("escapes.yaml")),
    );
    let wait = Duration::from_secs(20);
    let title = t.display("#{pane_title}");
    let mut screens = vec![t.wait_for("findings ✖", wait)];
    // The Backup whose name carries the override, and the failing Kustomization's finding.
    t.keys(&["3", "/", "evil", "Enter"]);
    screens.push(t.wait_for("evil", wait));
    t.keys(&["Escape", "4", "Enter"]);
    screens.push(t.wait_for("kustomize build failed: RED", wait));
    // A walk from it, exported.
    t.keys(&["W"]);
    // Autopilot starts once the walk's first check has run on fresh facts.
    screens.push(t.wait_for("◀ proposed", wait));
    t.keys(&["a"]);
    screens.push(t.wait_for("Diagnosis", wait));
    t.keys(&["x"]);
    screens.push(t.wait_for("transcript saved to", wait));
    for (i, s) in screens.iter().enumerate() {
        assert_safe(&format!("screen {i}"), s);
    }
    let raw = t.capture(true);
    assert!(!raw.contains("]0;") && !raw.contains("]52;"), "{raw}");
    assert_eq!(
        t.display("#{pane_title}"),
        title,
        "the window title is ours"
    );
    let md = common::only_transcript(&state);
    assert!(md.contains("RED"), "{md}");
    assert_safe("the transcript", &md);
    t.keys(&["Escape", "q"]);
    t.wait_for("backstop-exited-0", wait);
}
