//! The data layer against the simulator: rows appear, follow changes, and every sync state
//! (live, not installed, forbidden, stale) is what a pane will show.

mod common;

use std::time::Duration;

use backstop::cluster::Watched;
use backstop::model::SyncState;
use backstop::sim::Sim;
use common::{eventually_async, fixture};
use kube::Client;
use kube::api::{Api, Patch, PatchParams};

#[tokio::test]
async fn rows_arrive_and_follow_changes() {
    let sim = Sim::from_scenario(&fixture("mini.yaml")).expect("mini loads");
    let client = Client::new(sim.router(), "default");
    let watched = Watched::start(&client, None);
    let snap =
        eventually_async("pods and backups live", Duration::from_secs(10), || {
            let s = watched.snapshot();
            async move {
                (s.pods.sync == SyncState::Live && s.backups.sync == SyncState::Live).then_some(s)
            }
        })
        .await;
    let names: Vec<_> = snap.pods.rows.iter().map(|p| p.name.clone()).collect();
    assert_eq!(names, ["pg-1", "web-0"]);
    assert_eq!(snap.backups.rows[0].phase, "completed");

    let backups: Api<kube::api::DynamicObject> = Api::namespaced_with(
        client.clone(),
        "demo",
        &backstop::cluster::fetch::resource_of(backstop::model::Kind::Backup),
    );
    backups
        .patch_status(
            "pg-backup-1",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"status": {"phase": "failed", "error": "boom"}})),
        )
        .await
        .expect("status patch");
    let failed = eventually_async(
        "the failed phase in the rows",
        Duration::from_secs(10),
        || {
            let s = watched.snapshot();
            async move {
                s.backups
                    .rows
                    .iter()
                    .find(|b| b.name == "pg-backup-1" && b.phase == "failed")
                    .map(|b| b.error.clone())
            }
        },
    )
    .await;
    assert_eq!(failed.as_deref(), Some("boom"));
}

#[tokio::test]
async fn absent_and_forbidden_kinds_say_so() {
    let sim = Sim::from_scenario(&fixture("no-flux-restricted.yaml")).expect("loads");
    let watched = Watched::start(&Client::new(sim.router(), "default"), None);
    let snap = eventually_async("every kind settled", Duration::from_secs(10), || {
        let s = watched.snapshot();
        async move {
            (s.kustomizations.sync != SyncState::Syncing && s.backups.sync != SyncState::Syncing)
                .then_some(s)
        }
    })
    .await;
    assert_eq!(
        snap.kustomizations.sync,
        SyncState::NotInstalled {
            what: "Flux is not installed (no kustomizations.kustomize.toolkit.fluxcd.io)".into()
        }
    );
    assert_eq!(
        snap.backups.sync,
        SyncState::Forbidden {
            verb: "list".into(),
            resource: "backups.postgresql.cnpg.io".into()
        }
    );
    assert_eq!(snap.pods.sync, SyncState::Live);
}

#[test]
fn a_lost_connection_keeps_rows_and_marks_them_stale() {
    let served = common::Served::start(&fixture("mini.yaml"));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async move {
        let config = kube::Config::from_custom_kubeconfig(
            kube::config::Kubeconfig::read_from(&served.kubeconfig).expect("kubeconfig"),
            &Default::default(),
        )
        .await
        .expect("config");
        let watched = Watched::start(&Client::try_from(config).expect("client"), None);
        eventually_async("pods live", Duration::from_secs(10), || {
            let s = watched.snapshot();
            async move { (s.pods.sync == SyncState::Live).then_some(()) }
        })
        .await;
        tokio::task::spawn_blocking(move || drop(served))
            .await
            .expect("server stopped");
        let snap = eventually_async("pods stale", Duration::from_secs(20), || {
            let s = watched.snapshot();
            async move { matches!(s.pods.sync, SyncState::Stale { .. }).then_some(s) }
        })
        .await;
        assert_eq!(snap.pods.rows.len(), 2, "the last known rows are kept");
    });
}

#[tokio::test]
async fn dropped_watch_streams_resume_and_stay_live() {
    let sim = Sim::from_scenario(&fixture("flaky.yaml")).expect("flaky loads");
    let client = Client::new(sim.router(), "default");
    let watched = Watched::start(&client, None);
    eventually_async("backups live", Duration::from_secs(10), || {
        let s = watched.snapshot();
        async move { (s.backups.sync == SyncState::Live).then_some(()) }
    })
    .await;
    // Several drops later, a change still arrives and the state is still live.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let backups: Api<kube::api::DynamicObject> = Api::namespaced_with(
        client,
        "demo",
        &backstop::cluster::fetch::resource_of(backstop::model::Kind::Backup),
    );
    backups
        .patch_status(
            "pg-backup-1",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"status": {"phase": "failed"}})),
        )
        .await
        .expect("patch");
    let snap = eventually_async("the change after drops", Duration::from_secs(10), || {
        let s = watched.snapshot();
        async move {
            s.backups
                .rows
                .iter()
                .any(|b| b.phase == "failed")
                .then_some(s)
        }
    })
    .await;
    assert_eq!(snap.backups.sync, SyncState::Live);
}

#[tokio::test]
async fn server_errors_show_and_then_recover() {
    let sim = Sim::from_scenario(&fixture("mini.yaml")).expect("mini loads");
    let broken = || {
        vec![backstop::sim::faults::ErrorRule {
            path: "/apis/postgresql.cnpg.io".into(),
            rate: 1.0,
            code: 500,
        }]
    };
    sim.faults.set_errors(broken());
    let watched = Watched::start(&Client::new(sim.router(), "default"), None);
    let snap = eventually_async("backups in error", Duration::from_secs(10), || {
        let s = watched.snapshot();
        async move { matches!(s.backups.sync, SyncState::Error(_)).then_some(s) }
    })
    .await;
    assert!(snap.backups.rows.is_empty());
    assert_eq!(
        snap.pods.sync,
        SyncState::Live,
        "other kinds are not affected"
    );
    sim.faults.set_errors(vec![]);
    let snap = eventually_async("backups recovered", Duration::from_secs(30), || {
        let s = watched.snapshot();
        async move { (s.backups.sync == SyncState::Live).then_some(s) }
    })
    .await;
    assert_eq!(snap.backups.rows.len(), 1);
}

#[test]
fn the_server_gone_and_back_goes_stale_then_live_again() {
    let sim = Sim::from_scenario(&fixture("mini.yaml")).expect("mini loads");
    let served = common::Served::with(sim.clone());
    let addr = served.addr;
    let keep = tempfile::tempdir().expect("temp dir");
    let kubeconfig = keep.path().join("kubeconfig");
    std::fs::copy(&served.kubeconfig, &kubeconfig).expect("kubeconfig kept");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async move {
        let config = kube::Config::from_custom_kubeconfig(
            kube::config::Kubeconfig::read_from(&kubeconfig).expect("kubeconfig"),
            &Default::default(),
        )
        .await
        .expect("config");
        let watched = Watched::start(&Client::try_from(config).expect("client"), None);
        let live = |w: &Watched| {
            let s = w.snapshot();
            async move {
                (s.pods.sync == SyncState::Live && s.backups.sync == SyncState::Live).then_some(())
            }
        };
        eventually_async("live", Duration::from_secs(10), || live(&watched)).await;
        tokio::task::spawn_blocking(move || drop(served))
            .await
            .expect("server stopped");
        eventually_async("stale", Duration::from_secs(20), || {
            let s = watched.snapshot();
            async move { matches!(s.pods.sync, SyncState::Stale { .. }).then_some(()) }
        })
        .await;
        let back = tokio::task::spawn_blocking(move || common::Served::on(sim, addr))
            .await
            .expect("server back");
        // kube's watcher backs off up to tens of seconds between attempts.
        eventually_async("live again", Duration::from_secs(60), || live(&watched)).await;
        assert_eq!(watched.snapshot().pods.rows.len(), 2);
        tokio::task::spawn_blocking(move || drop((back, keep)))
            .await
            .expect("stopped");
    });
}
