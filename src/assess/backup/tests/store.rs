//! BKP013: the store the Cluster archives to now holds no base backup of it.

use super::*;

/// pg-orders moved to a new ObjectStore pg-orders-s3-v2 two hours ago:
/// archiving there is green, its status has no window yet, and the completed Backups
/// went to the old store.
fn moved() -> Facts {
    let mut f = healthy();
    let mut c = cluster();
    if let Some(p) = c.plugin.as_mut() {
        p.object_store = Some("pg-orders-s3-v2".into());
    }
    f.snapshot.clusters = live(vec![c]);
    let new_store = ObjectStoreRow {
        name: "pg-orders-s3-v2".into(),
        servers: vec![],
        created: Some(ago(2, 0)),
        ..store(None)
    };
    f.snapshot.object_stores = live(vec![store(Some(ago(3, 55))), new_store]);
    f
}

#[test]
fn bkp013_wal_archived_to_a_store_with_no_base_backup() {
    let out = run(&moved());
    let x = one(&out, "BKP013");
    assert_eq!(
        (x.severity, subject(x)),
        (Severity::Critical, ("Cluster", "orders", "pg-orders"))
    );
    assert!(x.summary.contains(
        "archives WAL to ObjectStore orders/pg-orders-s3-v2, which holds no base backup of it"
    ));
    assert_eq!(
        x.evidence[0],
        "ObjectStore orders/pg-orders-s3-v2 status.serverRecoveryWindow: no entry for server pg-orders"
    );
    assert!(
        x.evidence[1]
            .starts_with("Cluster orders/pg-orders condition ContinuousArchiving: True since")
    );
    assert!(x.evidence[2].starts_with("Backup orders/pg-orders-daily-20261124020000: completed"));
    assert!(x.evidence[2].contains("not recorded in pg-orders-s3-v2: it went to another store"));
    assert!(x.evidence[3].contains("was created") && x.evidence[3].ends_with("after that backup"));
    assert!(x.remedy.starts_with(
        "Take a base backup into the new store now: kubectl cnpg backup pg-orders -n orders"
    ));
    // BKP002 reads the completed Backup and stays quiet: this is the finding that speaks.
    assert!(!codes(&out).contains(&"BKP002"));
}

#[test]
fn bkp013_near_misses() {
    // The window records a backup in the current store.
    assert!(!codes(&run(&healthy())).contains(&"BKP013"));
    // Archiving is failing: BKP005 speaks, not this.
    let mut f = moved();
    let mut c = f.snapshot.clusters.rows[0].as_ref().clone();
    c.conditions[0].status = "False".into();
    f.snapshot.clusters = live(vec![c]);
    assert!(!codes(&run(&f)).contains(&"BKP013"));
    // The backup completed 10 minutes ago: the plugin may not have written the window yet.
    let mut f = moved();
    f.snapshot.backups = live(vec![backup(
        "pg-orders-manual",
        "completed",
        ago(0, 14),
        Some(4),
    )]);
    assert!(!codes(&run(&f)).contains(&"BKP013"));
    // Never backed up at all: BKP002's "no successful backup", not a move.
    let mut f = moved();
    f.snapshot.backups = live(vec![]);
    assert!(!codes(&run(&f)).contains(&"BKP013"));
    // The stores cannot be read: nothing is proven.
    let mut f = moved();
    f.snapshot.object_stores = state(SyncState::Error("connection refused".into()));
    assert!(!codes(&run(&f)).contains(&"BKP013"));
}
