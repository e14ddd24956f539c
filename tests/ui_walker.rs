//! The walker as drawn and driven by keys, over the built-in incidents with a frozen clock:
//! the chooser, a question with its evidence and proposal, overrides and stepping back,
//! autopilot to a diagnosis, training, and "walk this" from a finding.

mod common;

use std::time::Duration;

use backstop::cluster::Watched;
use backstop::sim::{Sim, scenario};
use backstop::ui::app::{App, Effect, Location, Mode};
use backstop::ui::draw::draw;
use backstop::ui::theme::Theme;
use chrono::{DateTime, Utc};
use common::eventually_async;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn anchor() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T06:00:00Z")
        .expect("anchor")
        .with_timezone(&Utc)
}

struct World {
    app: App,
    client: kube::Client,
    _watched: Watched,
}

impl World {
    /// What the event loop does for Effect::Gather: the rules' facts, fresh.
    async fn gather(&mut self) {
        let snap = self.app.snapshot.clone();
        let extras = backstop::checks::extras(&self.client, None, &snap, false).await;
        self.app.set_extras(extras);
    }

    fn key(&mut self, code: KeyCode) -> Option<Effect> {
        self.app.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn render(&self, w: u16, h: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
        terminal.draw(|f| draw(&self.app, f)).expect("draws");
        terminal.backend().to_string()
    }
}

/// The dashboard on a scenario after its first gathering, as of the scenario's anchor.
async fn world(name: &str) -> World {
    let sc = scenario::load(name, anchor()).expect("scenario loads");
    let sim = Sim::new(&sc).expect("sim");
    let client = kube::Client::new(sim.router(), "default");
    let watched = Watched::start(&client, None);
    let snap = eventually_async("every kind live", Duration::from_secs(10), || {
        let s = watched.snapshot();
        async move { s.live().then_some(s) }
    })
    .await;
    let mut app = App::new(
        Location {
            context: format!("demo: {name}"),
            server: "sim".into(),
            namespace: None,
            demo: true,
        },
        Theme::no_color(),
        anchor(),
    );
    app.set_snapshot(snap);
    let mut w = World {
        app,
        client,
        _watched: watched,
    };
    w.gather().await;
    w
}

#[tokio::test]
async fn chooser_question_override_back_and_autopilot() {
    let mut w = world("plugin-crashloop-oom").await;
    w.key(KeyCode::Char('w'));
    assert_eq!(w.app.mode, Mode::Choose);
    let chooser = w.render(100, 30);
    assert!(
        chooser.contains("▸ ● CNPG plugin issue detected"),
        "{chooser}"
    );
    insta::assert_snapshot!("walker_chooser_100x30", chooser);

    // The first check runs on fresh facts: the demo asks for no network probe.
    let effect = w.key(KeyCode::Enter);
    assert_eq!(effect, Some(Effect::Gather { network: false }));
    assert!(
        w.render(100, 30)
            .contains("running the check on fresh data")
    );
    w.gather().await;
    w.key(KeyCode::Enter);
    let question = w.render(100, 30);
    assert!(
        question.contains("plugin-registered pass › plugin-running")
            && question.contains("✖ fail")
            && question.contains("lastState.terminated.reason: OOMKilled"),
        "{question}"
    );
    insta::assert_snapshot!("walker_question_100x30", question);

    // Taking the branch the evidence did not propose is kept as an override.
    w.key(KeyCode::Char('1'));
    w.key(KeyCode::Enter);
    let overridden = w.render(100, 30);
    assert!(
        overridden.contains("plugin-running pass (override) › objectstore-exists"),
        "{overridden}"
    );
    w.key(KeyCode::Backspace);
    assert!(w.render(100, 30).contains("Are the plugin pods ready?"));

    w.key(KeyCode::Char('a'));
    let leaf = w.render(100, 30);
    assert!(
        leaf.contains("Diagnosis") && leaf.contains("PLG005 critical"),
        "{leaf}"
    );
    insta::assert_snapshot!("walker_diagnosis_100x30", leaf);

    // Leaving keeps the walk: the chooser offers to resume it.
    w.key(KeyCode::Esc);
    assert_eq!(w.app.mode, Mode::Normal);
    w.key(KeyCode::Char('w'));
    assert!(w.render(100, 30).contains("↩ Resume"));
    w.key(KeyCode::Enter);
    assert!(w.render(100, 30).contains("Diagnosis"));
}

#[tokio::test]
async fn training_hides_the_proposal_and_scores_the_walk() {
    let mut w = world("plugin-crashloop-oom").await;
    w.key(KeyCode::Char('w'));
    w.key(KeyCode::Char('t'));
    assert!(w.render(100, 30).contains("training: on"));
    w.key(KeyCode::Enter);
    w.gather().await;
    let blind = w.render(100, 30);
    assert!(
        blind.contains("Your choice:") && !blind.contains("proposed") && !blind.contains("✔ pass"),
        "{blind}"
    );
    w.key(KeyCode::Char('a'));
    assert!(
        w.app
            .message
            .as_ref()
            .is_some_and(|(_, m)| m.contains("autopilot is off in training"))
    );
    // The plugin Service is registered, but the trainee says it is not.
    w.key(KeyCode::Char('2'));
    w.key(KeyCode::Enter);
    for _ in 0..30 {
        if w.app.walk.as_ref().is_some_and(|v| v.walk.leaf().is_some()) {
            break;
        }
        w.key(KeyCode::Enter);
    }
    let end = w.render(120, 40);
    assert!(
        end.contains("Score:")
            && end.contains("The evidence leads to oom-killed, not here.")
            && end.contains("step 1, plugin-registered: you chose plugin-wrong-namespace, the evidence said plugin-running"),
        "{end}"
    );
}

#[tokio::test]
async fn walk_this_on_a_finding_walks_the_tree_that_fits_about_its_object() {
    let mut w = world("objectstore-credentials").await;
    w.key(KeyCode::Char('f'));
    let at = w
        .app
        .findings
        .iter()
        .position(|f| f.code == "OBJ006")
        .expect("OBJ006 found");
    for _ in 0..at {
        w.key(KeyCode::Char('j'));
    }
    let effect = w
        .app
        .handle_key(KeyEvent::new(KeyCode::Char('W'), KeyModifiers::SHIFT));
    assert_eq!(effect, Some(Effect::Gather { network: false }));
    let view = w.app.walk.as_ref().expect("a walk started");
    assert_eq!(view.walk.tree.name, "objectstore-connection");
    let about = view
        .walk
        .context
        .clone()
        .expect("about the finding's object");
    assert_eq!(
        (
            about.kind.name(),
            about.namespace.as_str(),
            about.name.as_str()
        ),
        ("ObjectStore", "orders", "pg-orders-s3")
    );
    w.gather().await;
    let screen = w.render(120, 36);
    assert!(
        screen.contains(
            "Walk: ObjectStore connection failures · about ObjectStore orders/pg-orders-s3"
        ) && screen.contains("it explains OBJ006"),
        "{screen}"
    );
    w.key(KeyCode::Char('a'));
    let leaf = w.render(120, 36);
    assert!(leaf.contains("OBJ006"), "{leaf}");
}

#[tokio::test]
async fn a_diagnosis_offers_its_actions_and_the_walk_records_them() {
    use backstop::actions::Verb;
    use backstop::actions::exec::Progress;
    let mut w = world("plugin-crashloop-oom").await;
    w.key(KeyCode::Char('w'));
    w.key(KeyCode::Enter);
    w.gather().await;
    w.key(KeyCode::Char('a'));
    let leaf = w.render(120, 40);
    assert!(
        leaf.contains("Actions (Enter asks to confirm):")
            && leaf.contains("reconcile-with-source")
            && leaf.contains("Kustomization flux-system/"),
        "{leaf}"
    );
    let Some(Effect::CheckAccess(plan)) = w.key(KeyCode::Enter) else {
        panic!("Enter on a diagnosis asks to confirm its first action");
    };
    assert_eq!(plan.verb, Verb::ReconcileWithSource);
    assert_eq!(w.app.mode, Mode::Confirm);
    // Until the review answers, y does nothing.
    assert_eq!(w.key(KeyCode::Char('y')), None);
    w.app.access_checked(Ok(()));
    let dialog = w.render(120, 40);
    assert!(
        dialog.contains("✔ you may") && dialog.contains("--with-source"),
        "{dialog}"
    );
    assert!(matches!(
        w.key(KeyCode::Char('y')),
        Some(Effect::RunAction(_))
    ));
    assert_eq!(w.app.mode, Mode::Walk);
    assert_eq!(
        w.app.action_progress(Progress::Done(Ok(
            "Ready=True ReconciliationSucceeded".into()
        ))),
        None,
        "a walk is open: the walk records it, not the session log"
    );
    let view = w.app.walk.as_ref().expect("the walk");
    let recorded = &view.walk.current().actions;
    assert!(
        recorded.len() == 1
            && recorded[0].contains("flux reconcile kustomization")
            && recorded[0].ends_with("→ ok: Ready=True ReconciliationSucceeded"),
        "{recorded:?}"
    );
    let Some(Effect::SaveTranscript { markdown, .. }) = w.key(KeyCode::Char('x')) else {
        panic!("x exports");
    };
    assert!(markdown.contains("Run from backstop:"), "{markdown}");
}

fn ctrl_c(w: &mut World) -> Option<Effect> {
    w.app
        .handle_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL))
}

#[tokio::test]
async fn below_the_minimum_size_only_quit_does_anything() {
    let mut w = world("healthy").await;
    w.app.screen = Some((40, 10));
    // The audit's `4 s y`: on a screen that shows only "too small", nothing may be proposed,
    // confirmed or run.
    for k in ['4', 's', 'y', 'b', 'r', 'R', 'w', 'f', '?', '\n'] {
        let code = if k == '\n' {
            KeyCode::Enter
        } else {
            KeyCode::Char(k)
        };
        assert_eq!(w.key(code), None, "{k:?} at 40x10");
        assert_eq!(w.app.mode, Mode::Normal, "{k:?} at 40x10");
    }
    assert_eq!(w.app.focus, 0, "not even focus moves");
    assert_eq!(w.key(KeyCode::Char('q')), Some(Effect::Quit));
    // Enlarged, the same keys work again.
    w.app.screen = Some((120, 40));
    w.key(KeyCode::Char('4'));
    assert_eq!(w.app.focus, 3);
}

#[tokio::test]
async fn ctrl_c_quits_from_every_view() {
    let mut w = world("plugin-crashloop-oom").await;
    // Each view, reached as a user would, then Ctrl-C.
    let views: Vec<(&str, Vec<KeyCode>)> = vec![
        ("help", vec![KeyCode::Char('?')]),
        ("detail", vec![KeyCode::Char('j'), KeyCode::Enter]),
        ("yaml", vec![KeyCode::Char('j'), KeyCode::Char('y')]),
        ("events", vec![KeyCode::Char('j'), KeyCode::Char('e')]),
        ("logs", vec![KeyCode::Char('j'), KeyCode::Char('l')]),
        ("findings", vec![KeyCode::Char('f')]),
        ("chooser", vec![KeyCode::Char('w')]),
        ("walker", vec![KeyCode::Char('w'), KeyCode::Enter]),
        (
            "confirm",
            vec![KeyCode::Char('4'), KeyCode::Char('j'), KeyCode::Char('s')],
        ),
        ("filter", vec![KeyCode::Char('/')]),
        ("command", vec![KeyCode::Char(':')]),
    ];
    for (name, keys) in views {
        let mut w2 = world("plugin-crashloop-oom").await;
        for k in keys {
            w2.key(k);
        }
        assert_ne!(w2.app.mode, Mode::Normal, "{name} is open");
        assert_eq!(ctrl_c(&mut w2), Some(Effect::Quit), "Ctrl-C in {name}");
    }
    // The note editor too: it has no unsaved note yet, so it quits at once.
    w.key(KeyCode::Char('w'));
    w.key(KeyCode::Enter);
    w.key(KeyCode::Char('n'));
    assert!(w.app.walk.as_ref().is_some_and(|v| v.editor.is_some()));
    assert_eq!(
        ctrl_c(&mut w),
        Some(Effect::Quit),
        "Ctrl-C in the note editor"
    );
}

#[tokio::test]
async fn quitting_with_unsaved_notes_asks_first() {
    let mut w = world("plugin-crashloop-oom").await;
    w.key(KeyCode::Char('w'));
    w.key(KeyCode::Enter);
    w.key(KeyCode::Char('n'));
    for c in "my precious note".chars() {
        w.key(KeyCode::Char(c));
    }
    // In the editor, Ctrl-C asks instead of dropping what was typed.
    assert_eq!(ctrl_c(&mut w), None);
    let asked = w.render(120, 40);
    assert!(asked.contains("q or Ctrl-C again quits"), "{asked}");
    w.key(KeyCode::Esc);
    assert_eq!(w.app.mode, Mode::Walk);
    // A failed export keeps the walk and its note; leaving the walk and pressing q asks.
    w.app
        .transcript_saved(Err("writing /ro/x.md: Read-only file system".into()));
    w.key(KeyCode::Esc);
    assert_eq!(w.app.mode, Mode::Normal);
    assert_eq!(w.key(KeyCode::Char('q')), None, "q asks first");
    assert!(w.render(120, 40).contains("notes no transcript holds"));
    // Another key disarms; q again asks again, and a second q quits.
    w.key(KeyCode::Char('j'));
    assert_eq!(w.key(KeyCode::Char('q')), None);
    assert_eq!(w.key(KeyCode::Char('q')), Some(Effect::Quit));
    // Once saved, q quits at once.
    let mut w = world("plugin-crashloop-oom").await;
    w.key(KeyCode::Char('w'));
    w.key(KeyCode::Enter);
    w.key(KeyCode::Char('n'));
    w.key(KeyCode::Char('x'));
    w.key(KeyCode::Esc);
    w.app.transcript_saved(Ok("/tmp/t.md".into()));
    w.key(KeyCode::Esc);
    assert_eq!(w.key(KeyCode::Char('q')), Some(Effect::Quit));
}
