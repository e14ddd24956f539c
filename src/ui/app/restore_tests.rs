//! Which Cluster and target a row means, and the drill key's refusals, without a cluster.

use std::sync::Arc;

use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::super::{App, Location, Settings};
use crate::model::rows::{BackupRow, ClusterRow, PluginRef};
use crate::model::{Kind, ObjectRef, Snapshot};
use crate::restore::Target;
use crate::ui::msg::{Cmd, Msg};
use crate::ui::overlays::Overlay;
use crate::ui::overlays::restore_drill::DrillRun;
use crate::ui::overlays::restore_plan::PlanView;
use crate::ui::theme::Theme;

fn app(read_only: bool) -> App {
    let mut a = App::new(
        Location {
            context: "ctx".into(),
            server: "https://k".into(),
            namespace: None,
            demo: false,
        },
        Theme::no_color(),
        Utc::now(),
        Settings {
            read_only_everywhere: read_only,
            ..Settings::default()
        },
    );
    let using = |name: &str, store: &str| {
        Arc::new(ClusterRow {
            namespace: "db".into(),
            name: name.into(),
            plugin: Some(PluginRef {
                object_store: Some(store.into()),
                ..Default::default()
            }),
            ..Default::default()
        })
    };
    let mut s = Snapshot::default();
    s.clusters.rows = Arc::new(vec![using("pg-b", "shared"), using("pg-a", "shared")]);
    s.backups.rows = Arc::new(vec![Arc::new(BackupRow {
        namespace: "db".into(),
        name: "pg-a-new".into(),
        cluster: "pg-a".into(),
        ..Default::default()
    })]);
    a.board.snapshot = s;
    a
}

fn object(kind: Kind, name: &str) -> ObjectRef {
    ObjectRef::new(kind, "db", name)
}

#[test]
fn an_objectstore_row_plans_the_first_cluster_and_says_so() {
    let a = app(false);
    let (cluster, target, about) = a
        .restore_source(&object(Kind::ObjectStore, "shared"))
        .expect("a Cluster archives to it");
    assert_eq!((cluster.name.as_str(), target), ("pg-a", Target::Latest));
    let about = about.unwrap_or_default();
    assert!(
        about.contains("2 Clusters archive to it (pg-a, pg-b)")
            && about.contains("pg-a's restore, the first"),
        "{about}"
    );
    let none = a
        .restore_source(&object(Kind::ObjectStore, "unused"))
        .expect_err("nobody archives there");
    assert!(
        none.contains("no Cluster in db archives to ObjectStore unused"),
        "{none}"
    );
}

#[test]
fn a_backup_without_its_id_and_other_kinds_are_said_not_planned() {
    let a = app(false);
    let no_id = a
        .restore_source(&object(Kind::Backup, "pg-a-new"))
        .expect_err("no backup ID yet");
    assert!(
        no_id.contains("has no backup ID yet (status.backupId)"),
        "{no_id}"
    );
    let pod = a
        .restore_source(&object(Kind::Pod, "x"))
        .expect_err("not a restore source");
    assert!(pod.contains("a restore starts from a Cluster"), "{pod}");
}

#[test]
fn a_backup_target_is_read_as_the_title_writes_it() {
    let mut a = app(false);
    let cluster = object(Kind::Cluster, "pg-a");
    a.overlays.push(Overlay::Plan(PlanView::new(
        1,
        cluster,
        Target::Latest,
        None,
    )));
    let dos = a.retarget("backup 20261124T020000");
    assert!(matches!(
        dos.as_slice(),
        [crate::ui::overlays::Do::Cmd(Cmd::PlanRestore { target: Target::Backup(id), .. })]
            if id == "20261124T020000"
    ));
}

#[test]
fn d_shows_the_running_drill_and_refuses_in_read_only() {
    let mut ro = app(true);
    let dos = ro.drill_key(Some(&object(Kind::Cluster, "pg-a")));
    assert!(matches!(
        dos.as_slice(),
        [crate::ui::overlays::Do::Say(_, m)] if m.starts_with("read-only: actions are off")
    ));

    let mut a = app(false);
    a.drill = Some(DrillRun::new(
        object(Kind::Cluster, "pg-a"),
        "backstop-drill-pg-a-000001".into(),
        Target::Latest,
    ));
    let cmds = a.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('D'),
        KeyModifiers::SHIFT,
    )));
    assert!(cmds.is_empty());
    assert!(matches!(a.overlays.last(), Some(Overlay::Drill)));
    // Ctrl-C in its view stops it; the dashboard stays.
    let cmds = a.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert!(matches!(cmds.as_slice(), [Cmd::CancelDrill]), "{cmds:?}");
}
