//! What one recovery attempt writes, line by line: the instance manager's restore command,
//! the plugin's restore sidecar (or barman-cloud run by the instance manager itself for an
//! in-tree source), and the PostgreSQL that replays the WAL. It stops where the plan's
//! failure stops the real restore.

use chrono::{Duration as Span, Utc};
use serde_json::{Value, json};

use super::ctx::{Ctx, PodView, failure, restore_failed};
use super::lines::{Line, Postgres, barman, lsn_in, next_wal, pg_timestamp};
use super::objects::{PGDATA, SIDECAR_IMAGE, container};
use super::plan::{Failure, Provider, Target, Via};
use crate::sim::logs::LogKey;

/// The process id barman-cloud's commands print in their stderr lines.
const BARMAN_PID: u32 = 812;

fn cloud_provider(p: Provider) -> &'static str {
    match p {
        Provider::S3 => "aws-s3",
        Provider::Azure => "azure-blob-storage",
        Provider::Google => "google-cloud-storage",
    }
}

/// What the object store answers barman-cloud-backup-list when it refuses the credentials.
fn refusal(p: Provider) -> &'static str {
    match p {
        Provider::S3 => {
            "An error occurred (InvalidAccessKeyId) when calling the ListObjectsV2 operation: The AWS Access Key Id you provided does not exist in our records."
        }
        Provider::Azure => {
            "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature. ErrorCode:AuthenticationFailed"
        }
        Provider::Google => {
            "403 GET https://storage.googleapis.com/storage/v1/b?projection=noAcl&prefix=&prettyPrint=false: Permission 'storage.objects.list' denied on resource (or it may not exist)."
        }
    }
}

/// A plugin error as the instance manager receives it over gRPC.
fn grpc(e: &str) -> String {
    format!("rpc error: code = Unknown desc = {e}")
}

/// One attempt of the restore; true when PostgreSQL came out of recovery.
pub async fn attempt(
    ctx: &Ctx,
    pod: &str,
    main: &LogKey,
    side: &LogKey,
    pg: &mut Postgres,
    view: &mut PodView,
) -> bool {
    let p = &ctx.p;
    let now = Utc::now;
    let info = |msg: &str| Line::info(now(), msg).s("logging_pod", pod);
    let plugin = p.via == Via::Plugin;
    // barman-cloud runs in the plugin's sidecar, or in the restore container itself.
    let tool = if plugin { side } else { main };
    ctx.log(
        main,
        info("Starting webserver")
            .s("address", "localhost:8010")
            .v("hasTLS", json!(false))
            .done(),
    );
    ctx.pause(0.5).await;
    if plugin {
        ctx.log(
            main,
            info("Restore through plugin detected, proceeding...").done(),
        );
    }
    let wrap = |e: &str| if plugin { grpc(e) } else { e.to_string() };
    match failure(ctx) {
        Some(Failure::Config(e)) => return restore_failed(ctx, main, pod, &wrap(e)),
        Some(Failure::EmptyArchive { server }) => {
            ctx.pause(0.5).await;
            ctx.log(
                tool,
                info("Checking backup destination with barman-cloud-wal-archive")
                    .s("serverName", server)
                    .done(),
            );
            ctx.log(
                tool,
                info("barman-cloud-check-wal-archive checking the first wal").done(),
            );
            ctx.pause(0.5).await;
            ctx.log(
                tool,
                barman(
                    now(),
                    "barman-cloud-check-wal-archive",
                    pod,
                    &format!("[{BARMAN_PID}] ERROR: WAL archive check failed for server {server}: Expected empty archive"),
                ),
            );
            ctx.log(
                tool,
                Line::error(now(), "Error invoking barman-cloud-check-wal-archive")
                    .s("logging_pod", pod)
                    .v("exitCode", json!(1))
                    .s("error", "exit status 1")
                    .done(),
            );
            return restore_failed(
                ctx,
                main,
                pod,
                &wrap("unexpected failure invoking barman-cloud-wal-archive: exit status 1"),
            );
        }
        _ => {}
    }
    ctx.pause(0.5).await;
    let recovering = if plugin {
        info("Recovering from external cluster")
            .s("serverName", &p.server)
            .v("objectStore", json!({"destinationPath": p.destination}))
    } else {
        info("Recovering from external cluster").s("sourceName", &p.server)
    };
    ctx.log(tool, recovering.done());
    if let Some(Failure::Secret(e)) = failure(ctx) {
        return restore_failed(ctx, main, pod, &wrap(e));
    }
    ctx.log(tool, info("Downloading backup catalog").done());
    ctx.pause(1.0).await;
    if let Some(Failure::Rejected) = failure(ctx) {
        let stderr = format!(
            "[{BARMAN_PID}] ERROR: Barman cloud backup list exception: {}",
            refusal(p.provider)
        );
        ctx.log(
            tool,
            barman(now(), "barman-cloud-backup-list", pod, &stderr),
        );
        ctx.log(
            tool,
            Line::error(now(), "Can't extract backup id")
                .s("logging_pod", pod)
                .s("logger", "barman")
                .s("command", "barman-cloud-backup-list")
                .v(
                    "options",
                    json!([
                        "--format",
                        "json",
                        "--cloud-provider",
                        cloud_provider(p.provider),
                        p.destination,
                        p.server
                    ]),
                )
                .s("stdout", "")
                .s("stderr", &format!("{stderr}\n"))
                .s("error", "exit status 4")
                .done(),
        );
        return restore_failed(ctx, main, pod, &wrap("exit status 4"));
    }
    let short: Vec<Value> = p
        .catalog
        .iter()
        .map(|b| {
            json!({"backupID": b.name.clone().unwrap_or_else(|| b.id.clone()),
                        "startTime": b.started, "endTime": b.stopped})
        })
        .collect();
    ctx.log(
        tool,
        info("Downloaded backup catalog")
            .v("backupCatalog", Value::Array(short))
            .done(),
    );
    if let Some(Failure::NoBackup(e)) = failure(ctx) {
        return restore_failed(ctx, main, pod, &wrap(e));
    }
    let Some(b) = p.backup.clone() else {
        return restore_failed(ctx, main, pod, &wrap("no target backup found"));
    };
    ctx.log(
        tool,
        info("Target backup found")
            .v("backup", json!({"backup_name": b.name, "backup_id": b.id, "begin_time": b.started,
                                 "end_time": b.stopped, "begin_wal": b.begin_wal, "end_wal": b.end_wal,
                                 "timeline": b.timeline, "status": "DONE"}))
            .done(),
    );
    ctx.log(
        tool,
        info("Starting barman-cloud-restore")
            .v(
                "options",
                json!([
                    "--cloud-provider",
                    cloud_provider(p.provider),
                    p.destination,
                    p.server,
                    b.id,
                    PGDATA
                ]),
            )
            .done(),
    );
    ctx.log(
        tool,
        barman(
            now(),
            "barman-cloud-restore",
            pod,
            &format!("[{BARMAN_PID}] INFO: Restoring from backup_id: {}", b.id),
        ),
    );
    ctx.pause(2.0).await;
    if let Some(Failure::OomKilled) = failure(ctx) {
        // The kernel kills the sidecar mid-download; the kubelet restarts it (a native
        // sidecar) and the restore call the instance manager was waiting on breaks.
        view.restarted("plugin-barman-cloud", "OOMKilled", 137);
        view.set(container(
            "plugin-barman-cloud",
            SIDECAR_IMAGE,
            "running",
            Utc::now(),
            0,
        ));
        ctx.r.logs.restart(side);
        ctx.pod_status(view);
        return restore_failed(
            ctx,
            main,
            pod,
            "rpc error: code = Unavailable desc = error reading from server: EOF",
        );
    }
    ctx.log(tool, info("Restore completed").done());
    if plugin {
        ctx.log(
            side,
            info("sending restore response")
                .s("config", "recovery_target_action = promote\nrestore_command = '/controller/manager wal-restore --log-destination /controller/log/postgres.json %f %p'\n")
                .done(),
        );
    }
    ctx.pause(0.5).await;
    ctx.log(
        main,
        info("Starting up instance").s("pgdata", PGDATA).done(),
    );
    replay(ctx, pod, main, side, pg, &b).await
}

/// PostgreSQL replays the WAL from the base backup to the target.
async fn replay(
    ctx: &Ctx,
    pod: &str,
    main: &LogKey,
    side: &LogKey,
    pg: &mut Postgres,
    b: &super::plan::BackupEntry,
) -> bool {
    let p = &ctx.p;
    let now = Utc::now;
    let plugin = p.via == Via::Plugin;
    let restore_wal = |pg: &mut Postgres, wal: &str| {
        if plugin {
            ctx.log(
                side,
                Line::info(now(), "Restoring WAL file")
                    .s("logging_pod", pod)
                    .s("objectStore", p.store_name.as_deref().unwrap_or(""))
                    .s("serverName", &p.server)
                    .s("walName", wal)
                    .s("mode", "MODE_UNSPECIFIED")
                    .done(),
            );
        }
        ctx.log(
            main,
            pg.log(now(), &format!("restored log file \"{wal}\" from archive")),
        );
    };
    let begin_lsn = b
        .begin_lsn
        .clone()
        .unwrap_or_else(|| lsn_in(&b.begin_wal, 0x28));
    let end_lsn = b
        .end_lsn
        .clone()
        .unwrap_or_else(|| lsn_in(&b.end_wal, 0x60));
    match &p.target {
        Target::Time(_, at) => ctx.log(
            main,
            pg.log(
                now(),
                &format!("starting point-in-time recovery to {}", pg_timestamp(*at)),
            ),
        ),
        _ => ctx.log(main, pg.log(now(), "starting archive recovery")),
    }
    ctx.log(
        main,
        pg.log(
            now(),
            &format!(
                "starting backup recovery with redo LSN {begin_lsn}, checkpoint LSN {}, on timeline ID {}",
                lsn_in(&b.begin_wal, 0x60),
                b.timeline
            ),
        ),
    );
    ctx.pause(0.5).await;
    restore_wal(pg, &b.begin_wal);
    ctx.log(main, pg.log(now(), &format!("redo starts at {begin_lsn}")));
    ctx.pause(0.5).await;
    if let Some(Failure::Corrupt(_)) = failure(ctx) {
        ctx.log(
            main,
            pg.record(
                now(),
                "FATAL",
                "XX000",
                "WAL ends before end of online backup",
                Some("All WAL generated while online backup was taken must be available at recovery."),
            ),
        );
        return postgres_died(ctx, pod, main, pg).await;
    }
    let mut wal = b.begin_wal.clone();
    while wal != b.end_wal && wal < b.end_wal {
        wal = next_wal(&wal, 1);
        restore_wal(pg, &wal);
    }
    ctx.log(
        main,
        pg.log(
            now(),
            &format!("completed backup recovery with redo LSN {begin_lsn} and end LSN {end_lsn}"),
        ),
    );
    ctx.log(
        main,
        pg.log(
            now(),
            &format!("consistent recovery state reached at {end_lsn}"),
        ),
    );
    ctx.pause(0.5).await;
    // The WAL after the backup, up to the target or to the end of the archive.
    let last = p
        .last_wal
        .clone()
        .filter(|l| l.as_str() > wal.as_str() && l.len() == 24);
    let mut replayed = 0;
    let stop_early = matches!(p.target, Target::Immediate);
    while !stop_early && replayed < 12 {
        let next = next_wal(&wal, 1);
        if last.as_ref().is_some_and(|l| next.as_str() > l.as_str())
            || (last.is_none() && replayed >= 4)
        {
            break;
        }
        wal = next;
        restore_wal(pg, &wal);
        replayed += 1;
        if replayed % 3 == 0 {
            ctx.pause(0.5).await;
        }
    }
    let usage = "system usage: CPU: user: 0.04 s, system: 0.02 s, elapsed: 1.84 s";
    let redo_done = lsn_in(&wal, 0x00ff_ff60);
    let last_txn = match &p.target {
        Target::Time(_, at) if failure(ctx).is_none() => {
            ctx.log(
                main,
                pg.log(
                    now(),
                    &format!(
                        "recovery stopping before commit of transaction 58127, time {}",
                        pg_timestamp(*at + Span::milliseconds(813))
                    ),
                ),
            );
            (*at - Span::milliseconds(1_207)).max(b.stopped)
        }
        Target::Immediate => {
            ctx.log(
                main,
                pg.log(now(), "recovery stopping after reaching consistency"),
            );
            b.stopped - Span::milliseconds(2_412)
        }
        _ => {
            if plugin {
                ctx.log(
                    side,
                    Line::info(now(), "Set end-of-wal-stream flag as one of the WAL files to be prefetched was not found")
                        .s("logging_pod", pod)
                        .done(),
                );
            }
            (p.archive_end - Span::milliseconds(1_318)).max(b.stopped)
        }
    };
    ctx.log(
        main,
        pg.log(now(), &format!("redo done at {redo_done} {usage}")),
    );
    ctx.log(
        main,
        pg.log(
            now(),
            &format!(
                "last completed transaction was at log time {}",
                pg_timestamp(last_txn)
            ),
        ),
    );
    if let Some(Failure::TargetBeyond) = failure(ctx) {
        ctx.log(
            main,
            pg.record(
                now(),
                "FATAL",
                "XX000",
                "recovery ended before configured recovery target was reached",
                None,
            ),
        );
        return postgres_died(ctx, pod, main, pg).await;
    }
    ctx.pause(0.5).await;
    ctx.log(
        main,
        pg.log(
            now(),
            &format!("selected new timeline ID: {}", p.new_timeline()),
        ),
    );
    ctx.log(main, pg.log(now(), "archive recovery complete"));
    ctx.log(
        main,
        pg.log(now(), "database system is ready to accept connections"),
    );
    ctx.pause(0.5).await;
    ctx.log(
        main,
        Line::info(now(), "Checking if the server is still in recovery")
            .s("logging_pod", pod)
            .v("recovery", json!(false))
            .done(),
    );
    ctx.log(
        main,
        Line::info(now(), "restore command execution completed without errors")
            .s("logging_pod", pod)
            .done(),
    );
    true
}

/// The startup process failed: PostgreSQL shuts down and the instance manager's wait for
/// the end of recovery fails.
async fn postgres_died(ctx: &Ctx, pod: &str, main: &LogKey, pg: &mut Postgres) -> bool {
    let now = Utc::now;
    let pid = pg.pid;
    ctx.log(
        main,
        pg.log(
            now(),
            &format!("startup process (PID {pid}) exited with exit code 1"),
        ),
    );
    ctx.log(
        main,
        pg.log(now(), "terminating any other active server processes"),
    );
    ctx.log(
        main,
        pg.log(now(), "shutting down due to startup process failure"),
    );
    ctx.log(main, pg.log(now(), "database system is shut down"));
    ctx.pause(0.5).await;
    restore_failed(
        ctx,
        main,
        pod,
        "while waiting for PostgreSQL to stop recovery mode: error while reading results of pg_is_in_recovery: failed to connect to `user=postgres database=postgres`: /controller/run/.s.PGSQL.5432 (/controller/run): dial error: dial unix /controller/run/.s.PGSQL.5432: connect: no such file or directory",
    )
}

/// The instance pod's first lines once PostgreSQL runs on the restored data.
pub fn instance_started(ctx: &Ctx, key: &LogKey, pod: &str) {
    let now = Utc::now;
    let mut pg = Postgres::new(pod, 24, now());
    ctx.log(
        key,
        Line::info(now(), "Starting webserver")
            .s("logging_pod", pod)
            .s("address", ":8000")
            .v("hasTLS", json!(true))
            .done(),
    );
    ctx.log(
        key,
        Line::info(now(), "Starting up instance")
            .s("logging_pod", pod)
            .s("pgdata", PGDATA)
            .done(),
    );
    ctx.log(
        key,
        pg.log(now(), "database system is ready to accept connections"),
    );
}
