//! The walker as drawn and driven by keys, over the built-in incidents with a frozen clock:
//! the chooser, a question with its evidence and proposal, overrides and stepping back,
//! autopilot to a diagnosis, training, and "walk this" from a finding.

mod common;

use backstop::ui::msg::{Cmd, Msg};
use backstop::ui::overlays::Mode;
use common::world::World;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The dashboard on a scenario after its first gathering, as of the scenario's anchor.
async fn world(name: &str) -> World {
    World::start(name).await.gathered().await
}

fn mode(w: &World) -> Mode {
    w.app.mode()
}

/// Whether the walk's check has run on the facts it waited for.
fn checked(app: &backstop::ui::app::App) -> bool {
    app.walk.as_ref().is_some_and(|v| !v.running)
}

fn quits(cmds: &[Cmd]) -> bool {
    matches!(cmds, [Cmd::Quit])
}

async fn ctrl_c(w: &mut World) -> Vec<Cmd> {
    w.key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL))
        .await
}

#[tokio::test]
async fn chooser_question_override_back_and_autopilot() {
    let mut w = world("plugin-crashloop-oom").await;
    w.press(KeyCode::Char('w')).await;
    assert_eq!(mode(&w), Mode::Choose);
    let chooser = w.render(100, 30);
    assert!(
        chooser.contains("▸ ● CNPG plugin issue detected"),
        "{chooser}"
    );
    insta::assert_snapshot!("walker_chooser_100x30", chooser);

    // The first check runs on fresh facts: the demo asks for no network probe.
    let cmds = w
        .app
        .update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    assert!(
        matches!(cmds.as_slice(), [Cmd::Gather { network: false }]),
        "{cmds:?}"
    );
    assert!(
        w.render(100, 30)
            .contains("running the check on fresh data")
    );
    w.perform(cmds).await;
    w.until("the check ran", checked).await;
    w.press(KeyCode::Enter).await;
    let question = w.render(100, 30);
    assert!(
        question.contains("plugin-registered pass › plugin-running")
            && question.contains("✖ fail")
            && question.contains("lastState.terminated.reason: OOMKilled"),
        "{question}"
    );
    insta::assert_snapshot!("walker_question_100x30", question);

    // Taking the branch the evidence did not propose is kept as an override.
    w.press(KeyCode::Char('1')).await;
    w.press(KeyCode::Enter).await;
    let overridden = w.render(100, 30);
    assert!(
        overridden.contains("plugin-running pass (override) › plugin-service-complete"),
        "{overridden}"
    );
    w.press(KeyCode::Backspace).await;
    assert!(w.render(100, 30).contains("Are the plugin pods ready?"));

    w.press(KeyCode::Char('a')).await;
    let leaf = w.render(100, 30);
    assert!(
        leaf.contains("Diagnosis") && leaf.contains("PLG005 critical"),
        "{leaf}"
    );
    insta::assert_snapshot!("walker_diagnosis_100x30", leaf);

    // Leaving keeps the walk: the chooser offers to resume it.
    w.press(KeyCode::Esc).await;
    assert_eq!(mode(&w), Mode::Normal);
    w.press(KeyCode::Char('w')).await;
    assert!(w.render(100, 30).contains("↩ Resume"));
    w.press(KeyCode::Enter).await;
    assert!(w.render(100, 30).contains("Diagnosis"));
}

#[tokio::test]
async fn training_hides_the_proposal_and_scores_the_walk() {
    let mut w = world("plugin-crashloop-oom").await;
    w.press(KeyCode::Char('w')).await;
    w.press(KeyCode::Char('t')).await;
    assert!(w.render(100, 30).contains("training: on"));
    w.press(KeyCode::Enter).await;
    w.until("the check ran", checked).await;
    let blind = w.render(100, 30);
    assert!(
        blind.contains("Your choice:") && !blind.contains("proposed") && !blind.contains("✔ pass"),
        "{blind}"
    );
    w.press(KeyCode::Char('a')).await;
    assert!(
        w.app
            .message
            .as_ref()
            .is_some_and(|(_, m)| m.contains("autopilot is off in training"))
    );
    // The plugin Service is registered, but the trainee says it is not.
    w.press(KeyCode::Char('2')).await;
    w.press(KeyCode::Enter).await;
    for _ in 0..30 {
        if w.app.walk.as_ref().is_some_and(|v| v.walk.leaf().is_some()) {
            break;
        }
        w.press(KeyCode::Enter).await;
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
    w.press(KeyCode::Char('f')).await;
    let at = w
        .app
        .board
        .findings
        .iter()
        .position(|f| f.code == "OBJ006")
        .expect("OBJ006 found");
    for _ in 0..at {
        w.press(KeyCode::Char('j')).await;
    }
    let cmds = w
        .key(KeyEvent::new(KeyCode::Char('W'), KeyModifiers::SHIFT))
        .await;
    assert!(
        matches!(cmds.as_slice(), [Cmd::Gather { network: false }]),
        "{cmds:?}"
    );
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
    w.until("the check ran", checked).await;
    let screen = w.render(120, 36);
    assert!(
        screen.contains(
            "Walk: ObjectStore connection failures · about ObjectStore orders/pg-orders-s3"
        ) && screen.contains("it explains OBJ006"),
        "{screen}"
    );
    w.press(KeyCode::Char('a')).await;
    let leaf = w.render(120, 36);
    assert!(leaf.contains("OBJ006"), "{leaf}");
}

#[tokio::test]
async fn a_diagnosis_offers_its_actions_and_the_walk_records_them() {
    use backstop::actions::Verb;
    use backstop::actions::exec::Progress;
    let mut w = world("plugin-crashloop-oom").await;
    w.press(KeyCode::Char('w')).await;
    w.press(KeyCode::Enter).await;
    w.until("the check ran", checked).await;
    w.press(KeyCode::Char('a')).await;
    let leaf = w.render(120, 40);
    assert!(
        leaf.contains("Actions (Enter asks to confirm):")
            && leaf.contains("reconcile-with-source")
            && leaf.contains("Kustomization flux-system/"),
        "{leaf}"
    );
    let cmds = w
        .app
        .update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    let Some(Cmd::CheckAccess(plan)) = cmds.first() else {
        panic!("Enter on a diagnosis asks to confirm its first action: {cmds:?}");
    };
    assert_eq!(plan.verb, Verb::ReconcileWithSource);
    assert_eq!(mode(&w), Mode::Confirm);
    // Until the review answers, y does nothing.
    assert!(w.press(KeyCode::Char('y')).await.is_empty());
    w.app.update(Msg::Access(Ok(())));
    let dialog = w.render(120, 40);
    assert!(
        dialog.contains("✔ you may") && dialog.contains("--with-source"),
        "{dialog}"
    );
    // The run itself is the runtime's (tests/actions.rs follows real ones): here its
    // outcome is handed in as the runtime would.
    let cmds = w.app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('y'),
        KeyModifiers::NONE,
    )));
    assert!(matches!(cmds.as_slice(), [Cmd::RunAction(_)]), "{cmds:?}");
    assert_eq!(mode(&w), Mode::Walk);
    let cmds = w.app.update(Msg::Progress(Progress::Done(Ok(
        "Ready=True ReconciliationSucceeded".into(),
    ))));
    assert!(
        cmds.is_empty(),
        "a walk is open: the walk records it, not the session log: {cmds:?}"
    );
    let view = w.app.walk.as_ref().expect("the walk");
    let recorded = &view.walk.current().actions;
    assert!(
        recorded.len() == 1
            && recorded[0].contains("flux reconcile kustomization")
            && recorded[0].ends_with("→ ok: Ready=True ReconciliationSucceeded"),
        "{recorded:?}"
    );
    let cmds = w.app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('x'),
        KeyModifiers::NONE,
    )));
    let Some(Cmd::SaveTranscript { markdown, .. }) = cmds.first() else {
        panic!("x exports: {cmds:?}");
    };
    assert!(markdown.contains("Run from backstop:"), "{markdown}");
}

#[tokio::test]
async fn below_the_minimum_size_only_quit_does_anything() {
    let mut w = world("healthy").await;
    w.app.update(Msg::Resize(40, 10));
    // The audit's `4 s y`: on a screen that shows only "too small", nothing may be proposed,
    // confirmed or run.
    for k in ['4', 's', 'y', 'b', 'r', 'R', 'w', 'f', '?', '\n'] {
        let code = if k == '\n' {
            KeyCode::Enter
        } else {
            KeyCode::Char(k)
        };
        assert!(w.press(code).await.is_empty(), "{k:?} at 40x10");
        assert_eq!(mode(&w), Mode::Normal, "{k:?} at 40x10");
    }
    assert_eq!(w.app.board.focus, 0, "not even focus moves");
    assert!(quits(&w.press(KeyCode::Char('q')).await));
    // Enlarged, the same keys work again.
    w.app.update(Msg::Resize(120, 40));
    w.press(KeyCode::Char('4')).await;
    assert_eq!(w.app.board.focus, 3);
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
            w2.press(k).await;
        }
        assert_ne!(mode(&w2), Mode::Normal, "{name} is open");
        assert!(quits(&ctrl_c(&mut w2).await), "Ctrl-C in {name}");
    }
    // The note editor too: it has no unsaved note yet, so it quits at once.
    w.press(KeyCode::Char('w')).await;
    w.press(KeyCode::Enter).await;
    w.press(KeyCode::Char('n')).await;
    assert!(w.app.walk.as_ref().is_some_and(|v| v.editor.is_some()));
    assert!(quits(&ctrl_c(&mut w).await), "Ctrl-C in the note editor");
}

#[tokio::test]
async fn quitting_with_unsaved_notes_asks_first() {
    let mut w = world("plugin-crashloop-oom").await;
    w.press(KeyCode::Char('w')).await;
    w.press(KeyCode::Enter).await;
    w.press(KeyCode::Char('n')).await;
    for c in "my precious note".chars() {
        w.press(KeyCode::Char(c)).await;
    }
    // In the editor, Ctrl-C asks instead of dropping what was typed.
    assert!(ctrl_c(&mut w).await.is_empty());
    let asked = w.render(120, 40);
    assert!(asked.contains("q or Ctrl-C again quits"), "{asked}");
    w.press(KeyCode::Esc).await;
    assert_eq!(mode(&w), Mode::Walk);
    // A failed export keeps the walk and its note; leaving the walk and pressing q asks.
    w.app.update(Msg::TranscriptSaved(Err(
        "writing /ro/x.md: Read-only file system".into(),
    )));
    w.press(KeyCode::Esc).await;
    assert_eq!(mode(&w), Mode::Normal);
    assert!(w.press(KeyCode::Char('q')).await.is_empty(), "q asks first");
    assert!(w.render(120, 40).contains("notes no transcript holds"));
    // Another key disarms; q again asks again, and a second q quits.
    w.press(KeyCode::Char('j')).await;
    assert!(w.press(KeyCode::Char('q')).await.is_empty());
    assert!(quits(&w.press(KeyCode::Char('q')).await));
    // Once saved, q quits at once.
    let mut w = world("plugin-crashloop-oom").await;
    w.press(KeyCode::Char('w')).await;
    w.press(KeyCode::Enter).await;
    w.press(KeyCode::Char('n')).await;
    w.press(KeyCode::Char('x')).await;
    w.press(KeyCode::Esc).await;
    w.app.update(Msg::TranscriptSaved(Ok("/tmp/t.md".into())));
    w.press(KeyCode::Esc).await;
    assert!(quits(&w.press(KeyCode::Char('q')).await));
}

/// W on a HelmRelease in the Flux pane walks the HelmRelease tree about that release, not
/// the Kustomizations' tree.
#[tokio::test]
async fn walk_this_on_a_helm_release_walks_the_helmrelease_tree() {
    use backstop::model::Kind;
    let mut w = World::start(&format!(
        "{}/tests/fixtures/flux-helm.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .await
    .gathered()
    .await;
    w.press(KeyCode::Char('4')).await;
    let wanted = |w: &World| {
        w.app
            .selected_object()
            .is_some_and(|o| o.kind == Kind::HelmRelease && o.name == "plugin-barman-cloud")
    };
    for _ in 0..10 {
        if wanted(&w) {
            break;
        }
        w.press(KeyCode::Char('j')).await;
    }
    assert!(wanted(&w), "{}", w.render(150, 40));
    w.key(KeyEvent::new(KeyCode::Char('W'), KeyModifiers::SHIFT))
        .await;
    let view = w.app.walk.as_ref().expect("a walk started");
    assert_eq!(view.walk.tree.name, "helmrelease-failing");
    w.until("the check ran", checked).await;
    let screen = w.render(120, 36);
    assert!(
        screen.contains(
            "Walk: HelmRelease not Ready · about HelmRelease cnpg-system/plugin-barman-cloud"
        ) && screen.contains("it explains FLX011"),
        "{screen}"
    );
    w.press(KeyCode::Char('a')).await;
    let leaf = w.render(120, 36);
    assert!(
        leaf.contains("Diagnosis") && leaf.contains("FLX011") && leaf.contains("still retries"),
        "{leaf}"
    );
}
