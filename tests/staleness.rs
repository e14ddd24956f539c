//! Honest staleness: a server that accepts connections but answers nothing is marked stale
//! within 15 s; an API group answering 503 for ever shows the error, not "syncing"; a server
//! that comes back with other content (its resourceVersions restarting) leaves no ghost rows.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use backstop::cluster::Watched;
use backstop::cluster::connect::{ConnectOptions, connect};
use backstop::model::{Kind, ObjectRef, SyncState};
use backstop::sim::Sim;
use backstop::ui::msg::{Cmd, Msg};
use backstop::ui::runtime::{Reach, Runtime};
use common::world::World;
use common::{Served, eventually_async};
use crossterm::event::KeyCode;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

/// A TCP relay in front of the simulator that can freeze: from then on it keeps every
/// connection open and accepts new ones, but passes nothing, as a stopped API server, a
/// half-open VPN or a black-holed network does.
struct Relay {
    addr: SocketAddr,
    freeze: tokio::sync::watch::Sender<bool>,
}

impl Relay {
    async fn start(upstream: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (freeze, frozen) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let mut held = Vec::new();
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                if *frozen.borrow() {
                    held.push(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                let mut frozen = frozen.clone();
                tokio::spawn(async move {
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let froze = tokio::select! {
                        _ = tokio::io::copy(&mut cr, &mut sw) => false,
                        _ = tokio::io::copy(&mut sr, &mut cw) => false,
                        _ = frozen.wait_for(|f| *f) => true,
                    };
                    if froze {
                        // Hold both ends open and relay nothing, for ever.
                        std::future::pending::<()>().await;
                    }
                    let _ = cw.shutdown().await;
                });
            }
        });
        Relay { addr, freeze }
    }
}

async fn client_for(kubeconfig: &Path) -> kube::Client {
    let (client, _) = connect(&ConnectOptions {
        kubeconfig: Some(kubeconfig.to_path_buf()),
        ..Default::default()
    })
    .await
    .expect("connects");
    client
}

async fn all_live(w: &Watched) {
    eventually_async("every kind live", Duration::from_secs(15), || {
        let s = w.snapshot();
        async move { s.live().then_some(()) }
    })
    .await;
}

#[test]
fn a_server_that_answers_nothing_is_stale_within_15_s_and_live_after() {
    let served = Served::start("healthy");
    let upstream = served.addr;
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async move {
        let relay = Relay::start(upstream).await;
        let dir = tempfile::tempdir().expect("temp dir");
        let kc = dir.path().join("kubeconfig");
        backstop::files::write_atomically(&kc, &backstop::sim::kubeconfig(relay.addr, "relay"))
            .expect("kubeconfig");
        let watched = Watched::start(&client_for(&kc).await, None);
        all_live(&watched).await;
        relay.freeze.send(true).expect("freeze");
        let frozen_at = std::time::Instant::now();
        let frozen_utc = chrono::Utc::now();
        eventually_async("every kind stale", Duration::from_secs(15), || {
            let s = watched.snapshot();
            async move {
                [&s.pods.sync, &s.backups.sync, &s.kustomizations.sync]
                    .iter()
                    .all(|k| matches!(k, SyncState::Stale { .. }))
                    .then_some(())
            }
        })
        .await;
        let snap = watched.snapshot();
        assert!(!snap.pods.rows.is_empty(), "the last rows are kept");
        let SyncState::Stale { reason, since } = &snap.pods.sync else {
            unreachable!()
        };
        assert!(reason.contains("did not answer"), "{reason}");
        // Since the server last answered, not since the probe gave up.
        assert!(
            *since <= frozen_utc + chrono::Duration::seconds(1),
            "{since} vs {frozen_utc}"
        );
        println!("stale {:?} after the freeze", frozen_at.elapsed());
        // A YAML view opened now says the server did not answer, instead of loading for ever.
        let client = client_for(&kc).await;
        let mut runtime = Runtime::new(
            Some(client),
            None,
            Reach {
                options: None,
                actions_log: dir.path().join("actions.log"),
                ticking: false,
            },
        );
        runtime
            .perform(Cmd::Yaml {
                id: 1,
                target: ObjectRef::new(Kind::Cluster, "orders", "pg-orders"),
            })
            .await;
        let yaml = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                if let Msg::Text { lines, .. } = runtime.next().await {
                    return lines;
                }
            }
        })
        .await
        .expect("the view hears back within its bound");
        let why = yaml.expect_err("no YAML from a frozen server");
        assert!(why.contains("did not answer"), "{why}");
        relay.freeze.send(false).expect("thaw");
        all_live(&watched).await;
        drop(served);
    });
}

#[test]
fn an_api_group_answering_503_for_ever_shows_the_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = dir.path().join("flux503.yaml");
    std::fs::write(
        &scenario,
        "apiVersion: sim.backstop.dev/v1\nkind: Scenario\nmetadata: {name: flux503}\nspec:\n  base: healthy\n  faults:\n    errors: [{path: /apis/kustomize.toolkit.fluxcd.io, rate: 1.0, code: 503}]\n",
    )
    .expect("scenario");
    let served = Served::with(Sim::from_scenario(&scenario.display().to_string()).expect("loads"));
    let kc = served.kubeconfig.clone();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async move {
        let watched = Watched::start(&client_for(&kc).await, None);
        let why = eventually_async("the error shown", Duration::from_secs(5), || {
            let s = watched.snapshot();
            async move {
                match s.kustomizations.sync {
                    SyncState::Error(e) => Some(e),
                    _ => None,
                }
            }
        })
        .await;
        assert!(why.contains("503"), "{why}");
    });
    drop(served);
}

#[test]
fn a_server_back_with_other_content_leaves_no_ghost_rows() {
    let served = Served::start("healthy");
    let addr = served.addr;
    let keep = tempfile::tempdir().expect("temp dir");
    let kc = keep.path().join("kubeconfig");
    std::fs::copy(&served.kubeconfig, &kc).expect("kubeconfig kept");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async move {
        let watched = Watched::start(&client_for(&kc).await, None);
        all_live(&watched).await;
        let old = "barman-cloud-fttg7fqgd5-zrklv";
        assert!(watched.snapshot().pods.rows.iter().any(|p| p.name == old));
        tokio::task::spawn_blocking(move || drop(served))
            .await
            .expect("stopped");
        let other: Arc<Sim> = Sim::from_scenario("plugin-crashloop-oom").expect("loads");
        let back = tokio::task::spawn_blocking(move || Served::on(other, addr))
            .await
            .expect("back");
        eventually_async(
            "only the new server's pods",
            Duration::from_secs(30),
            || {
                let s = watched.snapshot();
                async move {
                    let names: Vec<&str> = s.pods.rows.iter().map(|p| p.name.as_str()).collect();
                    (s.pods.sync == SyncState::Live
                        && names.contains(&"barman-cloud-lnhgtpkgwx-7jfs6")
                        && !names.contains(&old))
                    .then_some(())
                }
            },
        )
        .await;
        tokio::task::spawn_blocking(move || drop(back))
            .await
            .expect("stopped");
    });
}

/// What cannot be read is never shown as a fact: with Backups forbidden, a Cluster's last
/// backup is `?` and why, not `✔ never`; and the findings list does not open with "every
/// rule passed" when areas could not be checked.
#[test]
fn unreadable_backups_show_question_marks_not_never() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = dir.path().join("nobackups.yaml");
    std::fs::write(
        &scenario,
        "apiVersion: sim.backstop.dev/v1\nkind: Scenario\nmetadata: {name: nobackups}\nspec:\n  base: healthy\n  faults:\n    forbidden: [{group: postgresql.cnpg.io, resource: backups, verbs: [list, watch]}]\n",
    )
    .expect("scenario");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async move {
        let mut w = World::start(&scenario.display().to_string()).await;
        assert!(matches!(
            w.app.board.snapshot.backups.sync,
            SyncState::Forbidden { .. }
        ));
        w.gather().await;
        w.press(KeyCode::Char('3')).await;
        let render = |w: &World| w.render(150, 50);
        let screen = render(&w);
        let cluster_rows: Vec<&str> = screen
            .lines()
            .filter(|l| l.contains("analytics/pg-analytics") || l.contains("orders/pg-orders "))
            .collect();
        assert!(!cluster_rows.is_empty(), "{screen}");
        for row in &cluster_rows {
            assert!(!row.contains("never") && !row.contains("✔"), "{row}");
            assert!(row.contains("?") && row.contains("forbidden"), "{row}");
        }
        assert!(screen.contains("last backup"), "{screen}");
        w.press(KeyCode::Char('f')).await;
        let findings = render(&w);
        assert!(!findings.contains("every rule passed"), "{findings}");
        assert!(findings.contains("? could not check"), "{findings}");
    });
}
