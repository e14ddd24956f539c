//! What proving a bucket costs: a moto S3 server on loopback holding N barman-cloud WAL
//! segments (default 100,000, gzip names, timeline 1) and two base backups, read by
//! `ground::bucket::read` as `check` reads it. Prints one JSON line: objects, requests, wall
//! time, the peak resident memory the read added, for a listing capped at N/4 objects and for
//! the whole listing (with a time limit long enough for it).
//!
//! `cargo bench --bench bucket [-- 100000]`. Needs `moto_server` and python3 with boto3
//! (`pip3 install 'moto[server]'`).

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use backstop::ground::bucket::{self, Limits, SecretValues};
use backstop::ground::layout::{DEFAULT_SEGMENT_SIZE, segment_name};
use backstop::model::bucket::{Credentials, ProofOutcome, SecretKeyRef, StoreAccess};

/// The allocator the binary runs with (src/main.rs): the figures are the app's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const KEY: &str = "AKIABENCHEXAMPLEKEY1";
const SECRET: &str = "bench-secret";

struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Peak resident set (VmHWM) in KiB; writing 5 to clear_refs resets it (Linux).
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn start_moto() -> Result<(Moto, String)> {
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting moto_server (pip3 install 'moto[server]')")?;
    let moto = Moto(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
        if Instant::now() > deadline {
            bail!("moto_server did not listen within 30s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let endpoint = format!("http://127.0.0.1:{port}");
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys, boto3; boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='k', aws_secret_access_key='s').create_bucket(Bucket='bench')",
            &endpoint,
        ])
        .output()
        .context("creating the bucket with boto3")?;
    if !out.status.success() {
        bail!(
            "creating the bucket: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok((moto, endpoint))
}

fn info(id: &str, begin: u64, end: u64) -> String {
    let w = |n| segment_name(1, n, DEFAULT_SEGMENT_SIZE);
    format!(
        "backup_name=None\nbegin_time=2026-11-24 02:00:00+00:00\nbegin_wal={}\nend_time=2026-11-24 02:05:00+00:00\nend_wal={}\nstatus=DONE\nsystemid=7442300000000000001\ntimeline=1\nxlog_segment_size=16777216\nbackup_id={id}\n",
        w(begin),
        w(end)
    )
}

async fn populate(store: Arc<dyn ObjectStore>, n: u64) -> Result<()> {
    let body = PutPayload::from_static(b"wal");
    let results: Vec<object_store::Result<_>> = futures::stream::iter(2..n + 2)
        .map(|seg| {
            let store = store.clone();
            let body = body.clone();
            async move {
                let name = segment_name(1, seg, DEFAULT_SEGMENT_SIZE);
                let key = Path::from(format!("bench/pg/wals/{}/{name}.gz", &name[..16]));
                store.put(&key, body).await
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    if let Some(Err(e)) = results.into_iter().find(|r| r.is_err()) {
        bail!("putting a WAL object: {e}");
    }
    for (id, begin, end) in [
        ("20261123T020000", 2, 3),
        ("20261124T020000", n / 2, n / 2 + 1),
    ] {
        store
            .put(
                &Path::from(format!("bench/pg/base/{id}/backup.info")),
                PutPayload::from(info(id, begin, end)),
            )
            .await?;
    }
    Ok(())
}

async fn measure(
    access: &StoreAccess,
    secrets: &SecretValues,
    limits: Limits,
) -> serde_json::Value {
    reset_peak();
    let before = peak_kib();
    let t = Instant::now();
    let outcome = bucket::read(access, "pg", secrets, limits).await;
    let wall = t.elapsed();
    let peak = peak_kib();
    match outcome {
        ProofOutcome::Proven(f) => serde_json::json!({
            "max_objects": limits.max_objects,
            "objects": f.objects,
            "requests": f.requests,
            "wall_ms": wall.as_millis(),
            "peak_rss_delta_kib": peak.saturating_sub(before),
            "truncated": f.truncated,
            "window_last_wal": f.window.map(|w| w.last_wal),
            "gaps": f.gaps.len(),
        }),
        other => serde_json::json!({"error": format!("{other:?}")}),
    }
}

fn main() -> Result<()> {
    let n: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Runtime::new()?;
    let (_moto, endpoint) = start_moto()?;
    let store: Arc<dyn ObjectStore> = Arc::new(
        object_store::aws::AmazonS3Builder::new()
            .with_bucket_name("bench")
            .with_endpoint(&endpoint)
            .with_access_key_id(KEY)
            .with_secret_access_key(SECRET)
            .with_region("us-east-1")
            .with_allow_http(true)
            .with_virtual_hosted_style_request(false)
            .build()?,
    );
    let t = Instant::now();
    rt.block_on(populate(store, n))?;
    eprintln!("put {n} WAL objects in {:.1}s", t.elapsed().as_secs_f64());

    let r = |key: &str| {
        Some(SecretKeyRef {
            name: "creds".into(),
            key: key.into(),
        })
    };
    let access = StoreAccess {
        destination: "s3://bench/bench".into(),
        endpoint: Some(endpoint),
        endpoint_ca: None,
        server_name: None,
        credentials: Credentials::S3 {
            access_key_id: r("id"),
            secret_access_key: r("secret"),
            session_token: None,
            region: None,
            inherit_from_iam_role: false,
        },
    };
    let mut secrets = SecretValues::default();
    secrets.insert("creds", "id", Ok(KEY.into()));
    secrets.insert("creds", "secret", Ok(SECRET.into()));
    // The capped read first: resident memory a read takes is kept by the allocator, so the
    // smaller one measured after the larger would show nothing.
    let capped = rt.block_on(measure(
        &access,
        &secrets,
        Limits {
            max_objects: n / 4,
            ..Limits::default()
        },
    ));
    // check's own 60 s limit stops a slow server's listing early (and says so); here the
    // whole listing is timed.
    let full = rt.block_on(measure(
        &access,
        &secrets,
        Limits {
            timeout: Duration::from_secs(900),
            ..Limits::default()
        },
    ));
    println!(
        "{}",
        serde_json::json!({"bench": "bucket", "wal_objects": n, "full": full, "capped": capped})
    );
    Ok(())
}
