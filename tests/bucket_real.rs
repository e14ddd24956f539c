//! backstop against real barman-cloud archives: real PostgreSQL 15 writes WAL, real
//! barman-cloud-backup and barman-cloud-wal-archive put it into a real S3 server (moto), and
//! backstop reads the bucket and proves the window. Built once per run, in five prefixes:
//! healthy, a deleted segment, the newest backup's end WAL missing, two servers in one
//! prefix, and a second timeline after a standby's promotion. Then the errors a real server
//! gives for wrong credentials, a missing bucket and an unreachable endpoint.

mod common;
#[path = "common/real.rs"]
mod real;

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::{Arc, OnceLock};

use backstop::assess::{self, Thresholds};
use backstop::ground::bucket::{self, Limits, SecretValues};
use backstop::ground::layout;
use backstop::model::bucket::{
    BucketFacts, Credentials, ProofOutcome, SecretKeyRef, StoreAccess, StoreProof,
};
use backstop::model::facts::Facts;
use chrono::Utc;
use object_store::path::Path as KeyPath;
use object_store::{ObjectStore, ObjectStoreExt};
use real::{KEY_ID, Moto, Pg, SECRET};

const BUCKET: &str = "backups";
const SERVER: &str = "pg";

/// What the archives were built with: the moto server (alive for the whole run) and what
/// each planted defect is.
struct Archives {
    moto: Moto,
    /// Base backup ids of the healthy prefix, oldest first.
    backups: Vec<String>,
    /// The segment deleted from `gap/`.
    deleted: String,
    /// The newest backup's end WAL, absent (with what follows) from `endwal/`.
    end_wal: String,
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

fn s3(moto: &Moto) -> Arc<dyn ObjectStore> {
    // backstop's reqwest carries no crypto provider of its own (ring is installed by the
    // reader); this client is built before any read.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Arc::new(
        object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(BUCKET)
            .with_endpoint(moto.endpoint())
            .with_access_key_id(KEY_ID)
            .with_secret_access_key(SECRET)
            .with_region("us-east-1")
            .with_allow_http(true)
            .with_virtual_hosted_style_request(false)
            .build()
            .expect("an S3 client"),
    )
}

/// Every key under `prefix/`.
async fn keys(s: &Arc<dyn ObjectStore>, prefix: &str) -> Vec<String> {
    use futures::TryStreamExt;
    let mut v: Vec<String> = s
        .list(Some(&KeyPath::from(prefix)))
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .expect("listing");
    v.sort();
    v
}

/// Copies `from/` to `to/`, leaving out the keys `skip` names.
async fn copy_prefix(s: &Arc<dyn ObjectStore>, from: &str, to: &str, skip: impl Fn(&str) -> bool) {
    for k in keys(s, from).await {
        if skip(&k) {
            continue;
        }
        let dest = format!("{to}{}", &k[from.len()..]);
        s.copy(&KeyPath::from(k.as_str()), &KeyPath::from(dest.as_str()))
            .await
            .expect("copying an object");
    }
}

fn segment_of(key: &str) -> Option<String> {
    let base = key.rsplit('/').next()?;
    let bare = base.strip_suffix(".gz").unwrap_or(base);
    (bare.len() == 24).then(|| bare.to_string())
}

fn build() -> Archives {
    let started = std::time::Instant::now();
    let step = |what: &str| eprintln!("[{:>6.1}s] {what}", started.elapsed().as_secs_f64());
    let dir = tempfile::tempdir().expect("a temp dir");
    let moto = Moto::start(false);
    moto.create_bucket(BUCKET);
    let endpoint = moto.endpoint();
    let dest = |p: &str| format!("s3://{BUCKET}/{p}");

    // The healthy archive: WAL, a backup, WAL, a backup, WAL.
    let mut primary = Pg::init(&dir.path().join("primary"));
    primary.start();
    primary.churn(2);
    primary.backup(&endpoint, &dest("healthy"), SERVER);
    primary.churn(3);
    primary.backup(&endpoint, &dest("healthy"), SERVER);
    primary.churn(3);
    step("two backups taken");
    primary.archive(&endpoint, &dest("healthy"), SERVER, |_| true);
    step("healthy archived");
    let archived: BTreeSet<String> = primary
        .spooled()
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();

    let rt = rt();
    let store = s3(&moto);
    let (backups, end_wal, deleted) = rt.block_on(async {
        let all = keys(&store, "healthy/pg").await;
        let mut backups: Vec<String> = all
            .iter()
            .filter_map(|k| layout::backup_id_of(k, "healthy/pg/base"))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        backups.sort();
        let newest = backups.last().cloned().expect("two backups");
        let info = store
            .get(&KeyPath::from(format!(
                "healthy/pg/base/{newest}/backup.info"
            )))
            .await
            .expect("backup.info")
            .bytes()
            .await
            .expect("backup.info bytes");
        let info = layout::parse_backup_info(&newest, &String::from_utf8_lossy(&info));
        let end_wal = info.end_wal.expect("an end WAL");
        let segments: Vec<String> = all.iter().filter_map(|k| segment_of(k)).collect();
        // A segment after the newest backup with one more after it: a real hole.
        let deleted = segments
            .iter()
            .rev()
            .nth(1)
            .cloned()
            .expect("segments after the backup");
        assert!(deleted > end_wal, "{deleted} after {end_wal}");
        copy_prefix(&store, "healthy/pg", "gap/pg", |k| k.contains(&deleted)).await;
        copy_prefix(&store, "healthy/pg", "endwal/pg", |k| {
            segment_of(k).is_some_and(|s| s >= end_wal)
        })
        .await;
        copy_prefix(&store, "healthy/pg", "two/pg", |_| false).await;
        copy_prefix(&store, "healthy/pg", "tl2/pg", |_| false).await;
        (backups, end_wal, deleted)
    });

    step("prefixes copied");
    // A second server writing a backup under the same prefix.
    let mut other = Pg::init(&dir.path().join("other"));
    other.start();
    other.backup(&endpoint, &dest("two"), SERVER);
    other.stop();

    // A standby promoted: timeline 2, archiving to the same server prefix.
    let mut standby = primary.standby(&dir.path().join("standby"));
    standby.start();
    let target = primary.sql("SELECT pg_current_wal_lsn()");
    real::wait_for(
        "the standby catching up",
        std::time::Duration::from_secs(60),
        || {
            standby.sql(&format!(
                "SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"
            )) == "t"
        },
    );
    primary.stop();
    standby.promote();
    real::wait_for("the promotion", std::time::Duration::from_secs(60), || {
        standby.sql("SELECT pg_is_in_recovery()") == "f"
    });
    standby.churn(2);
    primary.archive(&endpoint, &dest("tl2"), SERVER, |n| !archived.contains(n));
    standby.archive(&endpoint, &dest("tl2"), SERVER, |_| true);
    standby.stop();
    step("timeline 2 archived");

    // The servers' data directories are not needed once the bucket holds the archives (a
    // static is never dropped, so they go now).
    drop((primary, other, standby));
    drop(dir);
    Archives {
        moto,
        backups,
        deleted,
        end_wal,
    }
}

fn archives() -> &'static Archives {
    static A: OnceLock<Archives> = OnceLock::new();
    A.get_or_init(build)
}

fn access(endpoint: &str, destination: &str) -> StoreAccess {
    let r = |key: &str| {
        Some(SecretKeyRef {
            name: "moto-creds".into(),
            key: key.into(),
        })
    };
    StoreAccess {
        destination: destination.into(),
        endpoint: Some(endpoint.into()),
        endpoint_ca: None,
        server_name: None,
        credentials: Credentials::S3 {
            access_key_id: r("ACCESS_KEY_ID"),
            secret_access_key: r("ACCESS_SECRET_KEY"),
            session_token: None,
            region: None,
            inherit_from_iam_role: false,
        },
    }
}

fn secrets(key_id: &str, secret: &str) -> SecretValues {
    let mut v = SecretValues::default();
    v.insert("moto-creds", "ACCESS_KEY_ID", Ok(key_id.into()));
    v.insert("moto-creds", "ACCESS_SECRET_KEY", Ok(secret.into()));
    v
}

fn read_with(endpoint: &str, prefix: &str, key_id: &str, secret: &str) -> StoreProof {
    let a = access(endpoint, &format!("s3://{BUCKET}/{prefix}"));
    let outcome = rt().block_on(bucket::read(
        &a,
        SERVER,
        &secrets(key_id, secret),
        Limits::default(),
    ));
    StoreProof {
        namespace: "db".into(),
        store: "moto-store".into(),
        in_tree: false,
        server_name: SERVER.into(),
        destination: a.destination,
        checked_at: Utc::now(),
        outcome,
    }
}

fn read(prefix: &str) -> StoreProof {
    read_with(&archives().moto.endpoint(), prefix, KEY_ID, SECRET)
}

fn proven(p: &StoreProof) -> &BucketFacts {
    match &p.outcome {
        ProofOutcome::Proven(f) => f,
        other => panic!("not proven: {other:?}"),
    }
}

fn codes(p: StoreProof) -> Vec<assess::Finding> {
    let facts = Facts {
        stores: vec![p],
        ..Default::default()
    };
    assess::bucket::rules(&facts, Utc::now(), &Thresholds::default()).findings
}

#[test]
fn the_healthy_archive_is_restorable_from_the_oldest_backup_to_the_newest_wal() {
    let a = archives();
    let p = read("healthy");
    let f = proven(&p);
    assert_eq!(f.backups.len(), 2, "{:?}", f.backups);
    assert!(f.backups.iter().all(|b| b.done() && b.systemid.is_some()));
    let w = f.window.as_ref().expect("a window");
    assert_eq!(w.backup, a.backups[0]);
    assert_eq!(w.from, f.backups[0].end_time);
    assert_eq!(Some(&w.last_wal), f.newest_wal.as_ref());
    assert_eq!(w.to, f.newest_wal_at);
    assert!(f.gaps.is_empty(), "{:?}", f.gaps);
    assert_eq!(f.end_wal.as_ref().and_then(|e| e.archived), Some(true));
    assert_eq!(f.timelines.len(), 1);
    assert_eq!(f.system_ids.len(), 1);
    assert!(f.truncated.is_none());
    assert!(
        f.requests >= 3,
        "base listing, two backup.info, the WAL listing: {}",
        f.requests
    );
    assert!(codes(p).is_empty());
}

#[test]
fn a_deleted_segment_after_the_newest_backup_is_a_fatal_gap() {
    let a = archives();
    let p = read("gap");
    let f = proven(&p);
    assert_eq!(f.gaps.len(), 1, "{:?}", f.gaps);
    let g = &f.gaps[0];
    assert_eq!(g.missing, 1);
    assert!(g.fatal);
    assert!(
        g.after < a.deleted && a.deleted < g.before,
        "{g:?} around {}",
        a.deleted
    );
    let findings = codes(p.clone());
    let x = findings
        .iter()
        .find(|x| x.code == "BKT004")
        .expect("BKT004");
    assert!(
        x.evidence
            .iter()
            .any(|e| e.contains(&format!("missing after {}", g.after))),
        "{:?}",
        x.evidence
    );
}

#[test]
fn the_newest_backups_missing_end_wal_is_found() {
    let a = archives();
    let p = read("endwal");
    let f = proven(&p);
    let e = f.end_wal.as_ref().expect("checked");
    assert_eq!(
        (e.end_wal.as_str(), e.archived),
        (a.end_wal.as_str(), Some(false))
    );
    assert_eq!(
        f.window.as_ref().map(|w| w.backup.as_str()),
        Some(a.backups[0].as_str())
    );
    let x = codes(p)
        .into_iter()
        .find(|x| x.code == "BKT006")
        .expect("BKT006");
    assert!(x.summary.contains(&a.end_wal), "{}", x.summary);
}

#[test]
fn two_servers_in_one_prefix_are_found() {
    let p = read("two");
    assert_eq!(proven(&p).system_ids.len(), 2);
    assert!(codes(p).iter().any(|x| x.code == "BKT010"));
}

#[test]
fn the_window_follows_the_promotion_onto_timeline_2() {
    let p = read("tl2");
    let f = proven(&p);
    assert_eq!(f.history, vec![2], "{f:?}");
    assert_eq!(
        f.timelines.iter().map(|t| t.timeline).collect::<Vec<_>>(),
        vec![1, 2]
    );
    let w = f.window.as_ref().expect("a window");
    assert!(w.last_wal.starts_with("00000002"), "{w:?}");
    assert!(f.gaps.is_empty(), "{:?}", f.gaps);
    assert!(codes(p).is_empty());
}

#[test]
fn wrong_credentials_give_the_servers_error_and_never_the_secret() {
    let strict = Moto::start(true);
    let wrong_secret = "wrong-Secret-Value-9kQ2";
    let p = read_with(
        &strict.endpoint(),
        "healthy",
        "AKIAWRONGKEYEXAMPLE1",
        wrong_secret,
    );
    let ProofOutcome::Failed(why) = &p.outcome else {
        panic!("{:?}", p.outcome)
    };
    assert!(why.contains("InvalidAccessKeyId"), "{why}");
    let x = codes(p.clone())
        .into_iter()
        .find(|x| x.code == "BKT001")
        .expect("BKT001");
    let all = format!("{x:?} {p:?}");
    assert!(!all.contains(wrong_secret), "{all}");
    assert!(format!("{:?}", secrets("a", wrong_secret)).contains("<redacted>"));
    assert!(!format!("{:?}", secrets("a", wrong_secret)).contains(wrong_secret));
}

#[test]
fn a_missing_bucket_and_an_unreachable_endpoint_give_the_real_errors() {
    let a = archives();
    let access = access(&a.moto.endpoint(), "s3://no-such-bucket/pg");
    let outcome = rt().block_on(bucket::read(
        &access,
        SERVER,
        &secrets(KEY_ID, SECRET),
        Limits::default(),
    ));
    let ProofOutcome::Failed(why) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(why.contains("NoSuchBucket"), "{why}");

    let closed = real::free_port();
    let p = read_with(
        &format!("http://127.0.0.1:{closed}"),
        "healthy",
        KEY_ID,
        SECRET,
    );
    let ProofOutcome::Failed(why) = &p.outcome else {
        panic!("{:?}", p.outcome)
    };
    assert!(why.to_lowercase().contains("connect"), "{why}");
}

#[test]
fn backstop_check_reports_the_proven_window_and_the_defects_from_a_dump() {
    let a = archives();
    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/bucket-real.yaml"
    ))
    .expect("the fixture");
    let dir = tempfile::tempdir().expect("a temp dir");
    let dump = dir.path().join("dump.yaml");
    std::fs::write(&dump, template.replace("@ENDPOINT@", &a.moto.endpoint()))
        .expect("writing the dump");
    let run = |format: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_backstop"))
            .args(["check", "--dump"])
            .arg(&dump)
            .args(["--format", format])
            .env("BACKSTOP_LOG_FILE", dir.path().join("log"))
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .output()
            .expect("backstop runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let json: serde_json::Value = serde_json::from_str(&run("json")).expect("JSON");
    let found: BTreeSet<String> = json["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["code"].as_str().map(str::to_string))
        .collect();
    assert!(found.contains("BKT004"), "{found:?}");
    assert!(found.contains("BKT011"), "{found:?}");
    let stores = json["stores"].as_array().expect("the stores read");
    assert_eq!(stores.len(), 2, "{json}");
    let legacy = stores
        .iter()
        .find(|s| s["object"]["kind"] == "Cluster")
        .expect("the in-tree store");
    assert_eq!(
        (
            legacy["object"]["name"].as_str(),
            legacy["outcome"].as_str()
        ),
        (Some("legacy"), Some("proven"))
    );
    assert!(
        legacy["disagreements"]
            .as_array()
            .is_some_and(|d| d.is_empty()),
        "{legacy}"
    );
    let store = stores
        .iter()
        .find(|s| s["object"]["kind"] == "ObjectStore")
        .expect("the ObjectStore");
    assert_eq!(store["outcome"], "proven", "{json}");
    assert_eq!(store["claimed_from"], "2026-01-01T00:00:00Z", "{json}");
    assert!(
        store["proven_from"]
            .as_str()
            .is_some_and(|t| t.starts_with("20")),
        "{json}"
    );
    let text = run("text");
    assert!(text.contains("recoverable from"), "{text}");
    assert!(text.contains("proven from the bucket"), "{text}");
    assert!(text.contains("(DISAGREES with the bucket)"), "{text}");
    let markdown = run("markdown");
    assert!(markdown.contains("## Recovery windows"), "{markdown}");
    let log = std::fs::read_to_string(dir.path().join("log")).unwrap_or_default();
    assert!(!log.contains(SECRET) && !text.contains(SECRET));
}

/// The healthy scenario with orders/pg-orders-s3 pointed at `prefix` of the real bucket.
fn real_bucket_scenario(dir: &std::path::Path, a: &Archives, prefix: &str) -> std::path::PathBuf {
    let scenario = dir.join("real-bucket.yaml");
    std::fs::write(
        &scenario,
        format!(
            "apiVersion: sim.backstop.dev/v1\nkind: Scenario\nmetadata: {{name: real-bucket}}\nspec:\n  base: healthy\n  objectStore:\n    endpointURL: {}\n    destinationPath: s3://{BUCKET}/{prefix}/\n    accessKeyId: {KEY_ID}\n    secretAccessKey: {SECRET}\n    region: us-east-1\n    stores: [orders/pg-orders-s3]\n",
            a.moto.endpoint()
        ),
    )
    .expect("writing the scenario");
    scenario
}

/// The dashboard on a simulated cluster whose ObjectStore points at the real bucket (the
/// scenario's `spec.objectStore`): it reads the bucket as on a real cluster, shows the
/// window it proves beside the status' claim, and the rules judge the same proof. The
/// healthy scenario's status claims a month of recovery window; the bucket holds minutes.
#[test]
fn the_dashboard_shows_the_window_proven_from_the_real_bucket_beside_the_status_claim() {
    use backstop::ui::msg::Cmd;
    let a = archives();
    let rt = rt();
    // The healthy archive under the server name the scenario's Cluster writes as.
    rt.block_on(copy_prefix(
        &s3(&a.moto),
        "healthy/pg",
        "dash/pg-orders",
        |_| false,
    ));
    let dir = tempfile::tempdir().expect("a temp dir");
    let scenario = real_bucket_scenario(dir.path(), a, "dash");
    rt.block_on(async {
        let mut w = common::world::World::start(scenario.to_str().expect("a UTF-8 path")).await;
        w.perform(vec![Cmd::Prove]).await;
        w.until("the bucket read", |app| {
            app.board
                .proofs
                .iter()
                .any(|p| p.store == "pg-orders-s3" && p.facts().is_some())
        })
        .await;
        // The scenario's clock is frozen at its anchor; the bucket was written just now.
        w.ui.app
            .update(backstop::ui::msg::Msg::Tick(chrono::Utc::now()));
        let view = &w.ui.app.board.views[1];
        let at = view
            .columns
            .iter()
            .position(|c| c.title == "PROVEN")
            .expect("a PROVEN column");
        let cell = view
            .rows
            .iter()
            .find_map(|r| match &r.cells {
                backstop::ui::panes::Cells::Text(t) if t[0] == "orders/pg-orders-s3" => {
                    Some(t[at].clone())
                }
                _ => None,
            })
            .expect("the store's row");
        // The status claims 40 days (30 before the scenario's anchor); the bucket proves
        // seconds: marked as a disagreement.
        assert!(cell.starts_with("≠ "), "{cell}");
        assert!(cell.contains(" → ") && cell.ends_with(" ago"), "{cell}");
        assert!(!cell.contains("gap"), "{cell}");
        // The same proof reaches the rules: BKT011 on the store, no gap, no missing end WAL.
        w.gather().await;
        w.until("the verdict on the proof", |app| {
            app.board.findings.iter().any(|f| f.code == "BKT011")
        })
        .await;
        let codes: Vec<&str> =
            w.ui.app
                .board
                .findings
                .iter()
                .filter(|f| f.object.name == "pg-orders-s3")
                .map(|f| f.code)
                .collect();
        assert!(
            !codes.contains(&"BKT004") && !codes.contains(&"BKT006"),
            "{codes:?}"
        );
    });
}

/// `backstop restore plan` on a simulated cluster whose ObjectStore points at the real
/// bucket: the target is judged against the window the bucket proves, not the status'
/// claim (a month, where the bucket holds minutes).
#[test]
fn a_restore_plan_is_judged_against_the_window_the_real_bucket_proves() {
    let a = archives();
    let rt = rt();
    rt.block_on(copy_prefix(
        &s3(&a.moto),
        "healthy/pg",
        "plan/pg-orders",
        |_| false,
    ));
    let dir = tempfile::tempdir().expect("a temp dir");
    let scenario = real_bucket_scenario(dir.path(), a, "plan");
    let window = read("healthy");
    let w = proven(&window).window.clone().expect("a window");
    let to = w.to.expect("the newest WAL's time");
    let served = common::Served::start(scenario.to_str().expect("a UTF-8 path"));
    let plan = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_backstop"))
            .arg("--kubeconfig")
            .arg(&served.kubeconfig)
            .args(["restore", "plan", "orders/pg-orders"])
            .args(args)
            .env("BACKSTOP_LOG_FILE", dir.path().join("log"))
            .output()
            .expect("backstop runs");
        (
            out.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (code, said) = plan(&[]);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("proven by listing the bucket"), "{said}");
    assert!(said.contains("2 base backup(s)"), "{said}");
    assert!(
        said.contains(&format!("continuous WAL up to {}", w.last_wal)),
        "{said}"
    );
    // Ten minutes past the newest WAL, judged an hour later: the bucket says it cannot be
    // reached, whatever the status claims.
    let target = (to + chrono::Duration::minutes(10)).to_rfc3339();
    let now = (to + chrono::Duration::hours(1)).to_rfc3339();
    let (code, said) = plan(&["--to", &target, "--now", &now]);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("after the newest continuous WAL"), "{said}");
    assert!(said.contains(&w.last_wal), "{said}");
    let first = &a.backups[0];
    let (code, said) = plan(&["--backup", first, "--yaml"]);
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains(&format!("backupID: '{first}'"))
            || said.contains(&format!("backupID: {first}")),
        "{said}"
    );
    assert!(said.contains("targetImmediate: true"), "{said}");
    let (code, said) = plan(&["--backup", "20200101T000000"]);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("as the bucket holds them"), "{said}");
    assert!(!said.contains(SECRET));
}
