//! The real things a bucket test runs against: moto's S3 server, PostgreSQL 15 and
//! barman's cloud tools, each started on loopback in a temporary directory and stopped when
//! dropped. A missing tool fails the test (CI installs them: `.ci/run`); nothing is skipped.

#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
/// The credentials barman-cloud and backstop use against moto (which accepts any unless
/// told to authenticate).
pub const KEY_ID: &str = "AKIAMOTOEXAMPLEKEY01";
pub const SECRET: &str = "moto-secret-Zq8vX1rT5pL0";

/// A tool on PATH (or a full path), or a failure naming how CI installs it.
pub fn tool(name: &str) -> PathBuf {
    let p = Path::new(name);
    if p.is_absolute() {
        assert!(
            p.exists(),
            "{name} is missing: `.ci/run` installs it (apt-get install postgresql-15)"
        );
        return p.to_path_buf();
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join(name))
        .find(|c| c.is_file())
        .unwrap_or_else(|| panic!("{name} is not on PATH: `.ci/run` installs it (pip3 install 'barman[cloud]' 'moto[server]')"))
}

pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Polls `ready` until it holds or `limit` passes.
pub fn wait_for(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let end = Instant::now() + limit;
    while !ready() {
        assert!(
            Instant::now() < end,
            "{what} did not happen within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A moto S3 server on a loopback port. It runs under a shell that kills it when its stdin
/// closes: a server a static holds is never dropped, but the test process's exit closes the
/// pipe.
pub struct Moto {
    child: Child,
    stdin: Option<std::process::ChildStdin>,
    pub port: u16,
}

impl Moto {
    /// `authenticate`: moto checks every request's credentials against its (empty) IAM, so
    /// any key gets the real InvalidAccessKeyId.
    pub fn start(authenticate: bool) -> Moto {
        let port = free_port();
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            "\"$0\" \"$@\" & m=$!; cat >/dev/null; kill $m; wait $m",
        ])
        .arg(tool("moto_server"))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        if authenticate {
            cmd.env("INITIAL_NO_AUTH_ACTION_COUNT", "0");
        }
        let mut child = cmd.spawn().expect("moto_server starts");
        let stdin = child.stdin.take();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        wait_for("moto_server listening", Duration::from_secs(30), || {
            TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
        });
        Moto { child, stdin, port }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Creates a bucket through boto3, as any S3 client would.
    pub fn create_bucket(&self, bucket: &str) {
        run(Command::new(tool("python3"))
            .args([
                "-c",
                "import sys, boto3; boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1').create_bucket(Bucket=sys.argv[2])",
                &self.endpoint(),
                bucket,
            ])
            .envs(aws_env()));
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

pub fn aws_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("AWS_ACCESS_KEY_ID", KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ]
}

/// A PostgreSQL 15 server in a temporary directory, archiving each finished segment into
/// `spool` (`cp %p spool/%f`). PostgreSQL refuses to run as root, and the server user
/// cannot reach root's Python, so barman-cloud-wal-archive runs from the spool (see
/// [`Pg::archive`]): the same program with the same arguments archive_command would give it.
pub struct Pg {
    pub dir: PathBuf,
    pub data: PathBuf,
    pub spool: PathBuf,
    pub port: u16,
    running: bool,
}

fn as_server_user(program: &Path) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn give_to_server_user(p: &Path) {
    let _ = Command::new("chown")
        .args(["-R", "postgres:postgres"])
        .arg(p)
        .output();
}

impl Pg {
    /// initdb into `dir/data`, configured to archive into `dir/spool`.
    pub fn init(dir: &Path) -> Pg {
        let data = dir.join("data");
        let spool = dir.join("spool");
        std::fs::create_dir_all(&spool).expect("spool dir");
        give_to_server_user(dir);
        run(as_server_user(&Path::new(PG_BIN).join("initdb"))
            .args(["-A", "trust", "-U", "postgres", "-D"])
            .arg(&data)
            .stdout(Stdio::null()));
        let pg = Pg {
            dir: dir.to_path_buf(),
            data,
            spool,
            port: free_port(),
            running: false,
        };
        pg.configure();
        pg
    }

    /// Port, socket, archiving: written after initdb and after a base backup copy.
    pub fn configure(&self) {
        let conf = format!(
            "\nport = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nwal_level = replica\narchive_mode = on\narchive_command = 'cp %p {}/%f'\nhot_standby = on\n",
            self.port,
            self.dir.display(),
            self.spool.display()
        );
        let path = self.data.join("postgresql.auto.conf");
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        text.push_str(&conf);
        std::fs::write(&path, text).expect("writing postgresql.auto.conf");
        give_to_server_user(&self.dir);
    }

    pub fn start(&mut self) {
        run(as_server_user(&Path::new(PG_BIN).join("pg_ctl"))
            .args(["-w", "-t", "60", "-D"])
            .arg(&self.data)
            .arg("-l")
            .arg(self.dir.join("log"))
            .arg("start")
            .stdout(Stdio::null()));
        self.running = true;
    }

    pub fn stop(&mut self) {
        if self.running {
            let _ = as_server_user(&Path::new(PG_BIN).join("pg_ctl"))
                .args(["-w", "-m", "fast", "-D"])
                .arg(&self.data)
                .arg("stop")
                .stdout(Stdio::null())
                .output();
            self.running = false;
        }
    }

    pub fn promote(&self) {
        run(as_server_user(&Path::new(PG_BIN).join("pg_ctl"))
            .args(["-w", "-D"])
            .arg(&self.data)
            .arg("promote")
            .stdout(Stdio::null()));
    }

    /// One SQL statement's single value.
    pub fn sql(&self, sql: &str) -> String {
        let out = run(Command::new(Path::new(PG_BIN).join("psql"))
            .args([
                "-X",
                "-A",
                "-t",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres",
            ])
            .args(["-p", &self.port.to_string(), "-c", sql]));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Writes some WAL and switches to a new segment, `n` times, then waits until every
    /// switched segment is in the spool.
    pub fn churn(&self, n: usize) {
        for _ in 0..n {
            self.sql("CREATE TABLE IF NOT EXISTS churn (i int); INSERT INTO churn SELECT generate_series(1, 2000)");
            let seg = self.sql("SELECT pg_walfile_name(pg_current_wal_lsn())");
            self.sql("SELECT pg_switch_wal()");
            let file = self.spool.join(&seg);
            wait_for(&format!("{seg} archived"), Duration::from_secs(60), || {
                file.exists()
            });
        }
    }

    /// A standby of this server by pg_basebackup (`-R`), in `dir`, not yet started.
    pub fn standby(&self, dir: &Path) -> Pg {
        let data = dir.join("data");
        let spool = dir.join("spool");
        std::fs::create_dir_all(&spool).expect("spool dir");
        give_to_server_user(dir);
        run(as_server_user(&Path::new(PG_BIN).join("pg_basebackup"))
            .args([
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
            ])
            .args(["-p", &self.port.to_string(), "-D"])
            .arg(&data));
        let pg = Pg {
            dir: dir.to_path_buf(),
            data,
            spool,
            port: free_port(),
            running: false,
        };
        pg.configure();
        pg
    }

    /// barman-cloud-backup of this server into `dest` as `server`; returns the backup id.
    pub fn backup(&self, endpoint: &str, dest: &str, server: &str) {
        run(Command::new(tool("barman-cloud-backup"))
            .args(["--endpoint-url", endpoint, "--immediate-checkpoint"])
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-p",
                &self.port.to_string(),
            ])
            .args([dest, server])
            .envs(aws_env()));
    }

    /// Every file in the spool, sorted.
    pub fn spooled(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&self.spool)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    /// barman-cloud-wal-archive (gzip) of each spooled file `keep` accepts, eight at once.
    pub fn archive(&self, endpoint: &str, dest: &str, server: &str, keep: impl Fn(&str) -> bool) {
        let files: Vec<PathBuf> = self
            .spooled()
            .into_iter()
            .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(&keep))
            .collect();
        for chunk in files.chunks(8) {
            let children: Vec<(PathBuf, Child)> = chunk
                .iter()
                .map(|f| {
                    let c = Command::new(tool("barman-cloud-wal-archive"))
                        .args(["--endpoint-url", endpoint, "--gzip", dest, server])
                        .arg(f)
                        .envs(aws_env())
                        .stdout(Stdio::null())
                        .stderr(Stdio::piped())
                        .spawn()
                        .expect("barman-cloud-wal-archive starts");
                    (f.clone(), c)
                })
                .collect();
            for (f, c) in children {
                let out = c.wait_with_output().expect("barman-cloud-wal-archive ends");
                assert!(
                    out.status.success(),
                    "archiving {}: {}",
                    f.display(),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        self.stop();
    }
}
