//! The person's own verification: their SQL run by psql inside the restored primary,
//! through the pods/exec subresource (`kubectl exec -i POD -c postgres -- psql …`).

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, AttachParams};
use tokio::io::AsyncReadExt;

/// The most output kept from a verification query.
const MAX_OUTPUT: usize = 64 * 1024;

/// The command: the SQL goes as psql's `-c`, not on stdin, since the end of stdin does not
/// reliably reach the API server through kube's exec; psql 15 and later print every
/// statement's result, and an error ends it with a non-zero exit.
pub fn command(database: &str, sql: &str) -> Vec<String> {
    [
        "psql",
        "-v",
        "ON_ERROR_STOP=1",
        "--no-psqlrc",
        "--no-align",
        "--tuples-only",
        "-d",
        database,
        "-c",
        sql,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

pub fn kubectl(namespace: &str, pod: &str, database: &str, file: &str) -> String {
    format!(
        "kubectl exec -n {namespace} {pod} -c postgres -- psql -v ON_ERROR_STOP=1 --no-psqlrc --no-align --tuples-only -d {database} -c \"$(cat {file})\""
    )
}

async fn read_bounded(mut r: impl tokio::io::AsyncRead + Unpin) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match r.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if buf.len() < MAX_OUTPUT {
                    buf.extend_from_slice(&chunk[..n.min(MAX_OUTPUT - buf.len())]);
                }
            }
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// Runs `sql` in `pod`'s postgres container against `database`; its output, or why it
/// failed (psql's own error lines included).
pub async fn run(
    client: &kube::Client,
    namespace: &str,
    pod: &str,
    database: &str,
    sql: &str,
    limit: Duration,
) -> Result<String, String> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let params = AttachParams::default()
        .container("postgres")
        .stdin(false)
        .stdout(true)
        .stderr(true);
    let work = async {
        let mut proc = api
            .exec(pod, command(database, sql), &params)
            .await
            .map_err(|e| format!("running psql in {namespace}/{pod}: {e}"))?;
        let status = proc.take_status();
        let (stdout, stderr) = (proc.stdout(), proc.stderr());
        let (out, err) = tokio::join!(
            async {
                match stdout {
                    Some(s) => read_bounded(s).await,
                    None => String::new(),
                }
            },
            async {
                match stderr {
                    Some(s) => read_bounded(s).await,
                    None => String::new(),
                }
            }
        );
        let status = match status {
            Some(s) => s.await,
            None => None,
        };
        let _ = proc.join().await;
        let failed = status
            .as_ref()
            .is_some_and(|s| s.status.as_deref() == Some("Failure"));
        if failed {
            let why = status
                .and_then(|s| s.message)
                .unwrap_or_else(|| "psql failed".into());
            Err(format!("{why}\n{}", err.trim_end()).trim_end().to_string())
        } else {
            Ok(format!("{out}{err}"))
        }
    };
    tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
        Err(format!(
            "psql in {namespace}/{pod} did not finish within {}s",
            limit.as_secs()
        ))
    })
}
