//! Restores from the dashboard against the simulator: the plan view from a Cluster, a
//! Backup and an ObjectStore row (and a detail view), its file, its target; the drill
//! refused in read-only, confirmed, followed, hidden and shown again, stopped, and torn
//! down, also when the dashboard quits under it.

mod common;

use std::time::Duration;

use backstop::model::Kind;
use backstop::restore::drill::scratch;
use backstop::ui::app::{App, Settings};
use backstop::ui::msg::{Cmd, DrillPrep};
use backstop::ui::overlays::Overlay;
use backstop::ui::overlays::restore_drill::DrillState;
use backstop::ui::overlays::restore_plan::PlanState;
use common::world::World;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use k8s_openapi::api::core::v1::Namespace;

fn plan_state(app: &App) -> Option<&PlanState> {
    app.overlays.iter().rev().find_map(|o| match o {
        Overlay::Plan(v) => Some(&v.state),
        _ => None,
    })
}

fn planned(app: &App) -> bool {
    matches!(
        plan_state(app),
        Some(PlanState::Planned { .. } | PlanState::Refused(_) | PlanState::Failed(_))
    )
}

fn drill_prepared(app: &App) -> bool {
    app.overlays.iter().any(|o| match o {
        Overlay::DrillConfirm(c) => c.prep.is_some(),
        _ => false,
    })
}

fn drill_done(app: &App) -> bool {
    app.drill
        .as_ref()
        .is_some_and(|d| matches!(d.state, DrillState::Done(_)))
}

fn drill_lines(app: &App) -> String {
    app.drill
        .as_ref()
        .map(|d| d.lines.iter().cloned().collect::<Vec<_>>().join("\n"))
        .unwrap_or_default()
}

fn message(app: &App) -> String {
    app.message
        .as_ref()
        .map(|(_, m)| m.clone())
        .unwrap_or_default()
}

/// Settings whose files go to `dir` and whose drills give up quickly (the simulated
/// Cluster may never become healthy: these tests are about the flow and the teardown).
fn settings(dir: &std::path::Path, timeout: Duration) -> Settings {
    Settings {
        restore_files: dir.to_path_buf(),
        drill_timeout: Some(timeout),
        ..Settings::default()
    }
}

async fn world(timeout: Duration, read_only: bool) -> (World, tempfile::TempDir) {
    let files = tempfile::tempdir().expect("a temporary folder");
    let mut s = settings(files.path(), timeout);
    s.read_only_everywhere = read_only;
    (World::with("healthy", s).await, files)
}

/// Selects the Cluster orders/pg-orders in the Backups pane (its first row once filtered).
async fn select_cluster(w: &mut World) {
    w.press(KeyCode::Char('3')).await;
    w.typed("/orders/pg-orders").await;
    w.press(KeyCode::Enter).await;
    let selected = w.app.selected_object().expect("a row selected");
    assert_eq!(
        (selected.kind, selected.name.as_str()),
        (Kind::Cluster, "pg-orders"),
        "{}",
        w.render(100, 30)
    );
}

/// The drill namespaces that exist, whatever their state.
async fn drill_namespaces(client: &kube::Client) -> Vec<String> {
    let api: kube::Api<Namespace> = kube::Api::all(client.clone());
    api.list(&Default::default())
        .await
        .expect("namespaces listed")
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .filter(|n| n.starts_with("backstop-drill-"))
        .collect()
}

#[tokio::test]
async fn the_plan_from_a_cluster_a_backup_and_an_objectstore_row() {
    let (mut w, files) = world(Duration::from_secs(5), false).await;
    select_cluster(&mut w).await;

    w.press(KeyCode::Char('p')).await;
    w.until("the plan made", planned).await;
    let screen = w.render(100, 30);
    assert!(
        screen.contains("Restore plan [planned] Cluster orders/pg-orders to latest"),
        "{screen}"
    );
    let Some(PlanState::Planned { yaml, file, .. }) = plan_state(&w.app).cloned() else {
        panic!("planned: {:?}", plan_state(&w.app));
    };
    assert_eq!(file, "restore-pg-orders-restore.yaml");
    assert!(
        yaml.contains("kind: Cluster") && yaml.contains("recovery"),
        "{yaml}"
    );
    // The YAML is in the view, below the plan's text.
    w.press(KeyCode::Char('G')).await;
    let bottom = w.render(100, 30);
    let last = yaml
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    assert!(bottom.contains(last.trim()), "{last}: {bottom}");

    // Saved where the settings say, atomically, as the footer tells.
    w.press(KeyCode::Char('s')).await;
    w.until("the plan written", |a| {
        message(a).contains("plan written to")
    })
    .await;
    let path = files.path().join("restore-pg-orders-restore.yaml");
    let written = std::fs::read_to_string(&path).expect("the plan file");
    assert_eq!(written, yaml);
    assert!(
        w.render(100, 30).contains("plan written to"),
        "the footer says where"
    );

    // A time without its timezone is refused as typed; with one, it is planned again.
    w.press(KeyCode::Char('t')).await;
    for _ in "latest".chars() {
        w.press(KeyCode::Backspace).await;
    }
    w.typed("2026-11-24T05:00:00").await;
    w.press(KeyCode::Enter).await;
    assert!(
        message(&w.app).contains("has no timezone"),
        "{}",
        message(&w.app)
    );
    w.press(KeyCode::Char('t')).await;
    assert!(
        w.render(100, 30).contains("restore to: latest"),
        "the target as it stands is there to edit"
    );
    for _ in "latest".chars() {
        w.press(KeyCode::Backspace).await;
    }
    w.typed("2026-11-24T05:00:00+01:00").await;
    w.press(KeyCode::Enter).await;
    w.until("planned again", planned).await;
    let screen = w.render(100, 30);
    assert!(
        screen.contains("to 2026-11-24T05:00:00+01:00"),
        "the title says the target: {screen}"
    );
    w.press(KeyCode::Esc).await;
    assert!(plan_state(&w.app).is_none(), "Esc closes the plan");

    // The same from the Cluster's detail view.
    w.press(KeyCode::Enter).await;
    w.press(KeyCode::Char('p')).await;
    w.until("the plan made from the detail", planned).await;
    assert!(matches!(w.app.overlays.last(), Some(Overlay::Plan(_))));
    w.press(KeyCode::Esc).await;
    w.press(KeyCode::Esc).await;

    // A Backup row: its Cluster, to the end of that base backup.
    w.press(KeyCode::Char('j')).await;
    let backup = w.app.selected_object().expect("a Backup row");
    assert_eq!(backup.kind, Kind::Backup, "{}", w.render(100, 30));
    w.press(KeyCode::Char('p')).await;
    w.until("the Backup's plan made", planned).await;
    let screen = w.render(100, 30);
    assert!(
        screen.contains("Cluster orders/pg-orders to backup 2026"),
        "{screen}"
    );
    assert!(
        screen.contains(&format!("From Backup {}", backup.name)),
        "{screen}"
    );
    let Some(PlanState::Planned { yaml, .. }) = plan_state(&w.app).cloned() else {
        panic!("planned: {:?}", plan_state(&w.app));
    };
    assert!(yaml.contains("backupID"), "{yaml}");
    w.press(KeyCode::Esc).await;

    // An ObjectStore row: the Cluster archiving to it.
    w.press(KeyCode::Esc).await;
    w.press(KeyCode::Char('2')).await;
    w.typed("/pg-orders").await;
    w.press(KeyCode::Enter).await;
    let store = w.app.selected_object().expect("a store row");
    assert_eq!(store.kind, Kind::ObjectStore, "{}", w.render(100, 30));
    w.press(KeyCode::Char('p')).await;
    w.until("the store's plan made", planned).await;
    let screen = w.render(100, 30);
    assert!(
        screen.contains(&format!(
            "From ObjectStore {}: Cluster pg-orders archives to it.",
            store.name
        )),
        "{screen}"
    );
}

#[tokio::test]
async fn read_only_refuses_the_drill_as_every_action() {
    let (mut w, _files) = world(Duration::from_secs(5), true).await;
    select_cluster(&mut w).await;
    let cmds = w.press(KeyCode::Char('b')).await;
    assert!(cmds.is_empty());
    let other_action = message(&w.app);
    assert!(other_action.contains("read-only"), "{other_action}");

    let cmds = w.press(KeyCode::Char('D')).await;
    assert!(cmds.is_empty(), "nothing asked of the cluster: {cmds:?}");
    assert_eq!(message(&w.app), other_action);
    assert!(w.app.overlays.is_empty(), "no dialog opens");
    assert!(w.render(100, 30).contains(&other_action));

    // The plan reads only: it is there in read-only too, and so is its D, refused.
    w.press(KeyCode::Char('p')).await;
    w.until("the plan made", planned).await;
    w.press(KeyCode::Char('D')).await;
    assert_eq!(message(&w.app), other_action);
    assert!(w.app.drill.is_none());
}

/// D on the selected Cluster, the dialog read, and y.
async fn confirm_drill(w: &mut World) {
    w.press(KeyCode::Char('D')).await;
    w.until("the drill planned", drill_prepared).await;
    let dialog = w.render(100, 30);
    let prep: Option<DrillPrep> = w.app.overlays.iter().find_map(|o| match o {
        Overlay::DrillConfirm(c) => c.prep.clone().and_then(Result::ok).map(|b| *b),
        _ => None,
    });
    let prep = prep.unwrap_or_else(|| panic!("the drill is planned: {dialog}"));
    let plan = prep
        .plan
        .as_ref()
        .unwrap_or_else(|r| panic!("not refused: {}", r.text()));
    assert!(
        plan.into.0.starts_with("backstop-drill-pg-orders-"),
        "{}",
        plan.into.0
    );
    for said in [
        "Confirm: restore drill of orders/pg-orders",
        "to latest.",
        &format!("It creates namespace {}", plan.into.0),
        "Cluster pg-orders-drill",
        "✔ you may: the API server allows what the drill does",
        "y run the drill",
    ] {
        assert!(dialog.contains(said), "{said}: {dialog}");
    }
    // The rest of the dialog, scrolled: the same from a shell.
    let mut seen = dialog;
    for _ in 0..30 {
        w.press(KeyCode::Char('j')).await;
        seen.push_str(&w.render(100, 30));
    }
    assert!(
        seen.contains("$ backstop restore drill orders/pg-orders --to latest --yes"),
        "{seen}"
    );
    assert!(
        seen.contains("kubectl apply -f restore-pg-orders-drill.yaml"),
        "{seen}"
    );
    w.press(KeyCode::Char('y')).await;
    assert!(
        matches!(w.app.overlays.last(), Some(Overlay::Drill)),
        "the drill's view opens"
    );
}

#[tokio::test]
async fn a_confirmed_drill_streams_hides_ends_and_leaves_nothing() {
    let (mut w, files) = world(Duration::from_secs(3), false).await;
    select_cluster(&mut w).await;
    confirm_drill(&mut w).await;
    w.until("the drill created its Cluster", |a| {
        drill_lines(a).contains("created Cluster")
    })
    .await;
    let view = w.render(100, 30);
    assert!(
        view.contains("Restore drill [● running] orders/pg-orders to latest"),
        "{view}"
    );
    assert!(
        view.contains("created namespace backstop-drill-pg-orders-"),
        "{view}"
    );
    let ns = w
        .app
        .drill
        .as_ref()
        .map(|d| d.namespace.clone())
        .unwrap_or_default();
    assert_eq!(drill_namespaces(&w.client).await, vec![ns.clone()]);

    // Hidden, it goes on and the footer says so; D shows it again; another D refuses a
    // second drill.
    w.press(KeyCode::Esc).await;
    assert!(w.app.overlays.is_empty());
    let panes = w.render(100, 30);
    assert!(
        panes.contains("drill of orders/pg-orders") && panes.contains("(D shows it)"),
        "{panes}"
    );
    w.press(KeyCode::Char('D')).await;
    assert!(matches!(w.app.overlays.last(), Some(Overlay::Drill)));

    w.until("the drill ended", drill_done).await;
    let said = message(&w.app);
    assert!(
        (said.contains("PASSED") || said.contains("FAILED")) && said.contains("RTO"),
        "{said}"
    );
    assert!(said.contains("report "), "{said}");
    assert!(drill_lines(&w.app).contains(&format!("namespace {ns} is gone")));
    assert!(drill_namespaces(&w.client).await.is_empty(), "torn down");
    assert!(
        scratch::leftovers(&w.client, None)
            .await
            .expect("listed")
            .is_empty()
    );
    let report = std::fs::read_dir(files.path())
        .expect("the folder")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("restore-drill-orders-pg-orders-") && n.ends_with(".md"));
    assert!(report.is_some(), "the report is written");
    // On the record: the session's action log.
    let log = std::fs::read_to_string(w.dir.path().join("actions.log")).expect("the action log");
    assert!(
        log.contains("backstop restore drill orders/pg-orders --to latest --yes"),
        "{log}"
    );
}

#[tokio::test]
async fn ctrl_c_in_the_drill_stops_it_and_the_dashboard_stays() {
    let (mut w, _files) = world(Duration::from_secs(600), false).await;
    select_cluster(&mut w).await;
    confirm_drill(&mut w).await;
    w.until("the drill created its Cluster", |a| {
        drill_lines(a).contains("created Cluster")
    })
    .await;
    let cmds = w
        .key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL))
        .await;
    assert!(
        cmds.iter().any(|c| matches!(c, Cmd::CancelDrill))
            && !cmds.iter().any(|c| matches!(c, Cmd::Quit)),
        "{cmds:?}"
    );
    w.until("the drill ended", drill_done).await;
    assert!(drill_lines(&w.app).contains("stopped by the person running it"));
    assert!(drill_namespaces(&w.client).await.is_empty(), "torn down");
}

#[tokio::test]
async fn quitting_during_a_drill_waits_for_its_teardown() {
    let (mut w, _files) = world(Duration::from_secs(600), false).await;
    select_cluster(&mut w).await;
    confirm_drill(&mut w).await;
    w.until("the drill created its Cluster", |a| {
        drill_lines(a).contains("created Cluster")
    })
    .await;
    w.press(KeyCode::Esc).await;
    let cmds = w.press(KeyCode::Char('q')).await;
    assert!(
        cmds.iter().any(|c| matches!(c, Cmd::CancelDrill))
            && !cmds.iter().any(|c| matches!(c, Cmd::Quit)),
        "{cmds:?}"
    );
    assert!(
        w.render(100, 30)
            .contains("quitting once the drill's namespace"),
        "{}",
        w.render(100, 30)
    );
    // The loop as the binary runs it: the quit comes once the teardown is done.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let msg = tokio::time::timeout_at(deadline, w.ui.runtime.next())
            .await
            .expect("the quit within 20 s");
        let cmds = w.ui.app.update(msg);
        if cmds.iter().any(|c| matches!(c, Cmd::Quit)) {
            break;
        }
        w.ui.perform(cmds).await;
    }
    assert!(drill_done(&w.app));
    assert!(
        drill_namespaces(&w.client).await.is_empty(),
        "torn down before quitting"
    );
}

/// A Cluster's detail tells a restore under way (from what, to when, the pods doing it)
/// before everything else, and the drills recorded on a source Cluster.
#[tokio::test]
async fn the_cluster_detail_shows_a_restore_under_way_and_the_drills_recorded() {
    let (mut w, _files) = world(Duration::from_secs(5), false).await;
    let api: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(
        w.client.clone(),
        "orders",
        &backstop::cluster::fetch::resource_of(Kind::Cluster),
    );
    let restoring: kube::api::DynamicObject = serde_json::from_value(serde_json::json!({
        "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
        "metadata": {"name": "pg-orders-restore", "namespace": "orders"},
        "spec": {"instances": 1, "bootstrap": {"recovery": {"source": "origin",
            "recoveryTarget": {"targetTime": "2026-11-24T05:00:00+01:00"}}},
            "externalClusters": [{"name": "origin", "plugin": {"name": "barman-cloud.cloudnative-pg.io",
                "parameters": {"barmanObjectName": "pg-orders-s3", "serverName": "pg-orders"}}}]},
    }))
    .expect("a Cluster");
    api.create(&Default::default(), &restoring)
        .await
        .expect("the recovery Cluster is created");
    w.until("the recovery Cluster is seen", |app| {
        app.board
            .snapshot
            .clusters
            .rows
            .iter()
            .any(|c| c.name == "pg-orders-restore")
    })
    .await;
    w.press(KeyCode::Char('3')).await;
    w.typed("/orders/pg-orders-restore").await;
    w.press(KeyCode::Enter).await;
    w.press(KeyCode::Enter).await;
    let detail = w.render(140, 50);
    assert!(detail.contains("Restore in progress"), "{detail}");
    let line = |screen: &str, label: &str, value: &str| {
        screen
            .lines()
            .any(|l| l.contains(&format!("  {label} ")) && l.contains(value))
    };
    assert!(
        line(
            &detail,
            "from",
            "ObjectStore pg-orders-s3, server pg-orders"
        ),
        "{detail}"
    );
    assert!(
        line(&detail, "to", "time 2026-11-24T05:00:00+01:00"),
        "{detail}"
    );
    w.press(KeyCode::Esc).await;
    w.press(KeyCode::Esc).await;
    select_cluster(&mut w).await;
    w.press(KeyCode::Enter).await;
    let source = w.render(140, 60);
    assert!(source.contains("Restore drills"), "{source}");
    assert!(line(&source, "last passed", "ago)"), "{source}");
    assert!(
        source.contains("backstop restore drill orders/pg-orders"),
        "{source}"
    );
    assert!(!source.contains("Restore in progress"), "{source}");
}
