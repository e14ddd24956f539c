//! What the simulator's exec lets psql do: the arguments it keeps (the connection is the
//! scenario's), the SQL it refuses (meta-commands and COPY that reach programs or files),
//! and the run itself, bounded in time and output.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::sim::scenario::PostgresSpec;

/// What psql may print back.
const MAX_OUTPUT: usize = 4 * 1024 * 1024;
/// A verification query that runs longer is stopped.
pub const PSQL_TIMEOUT: Duration = Duration::from_secs(60);

/// psql options that change what it reads, writes or runs beyond the SQL it is given.
const REFUSED_OPTIONS: &[&str] = &[
    "-o",
    "--output",
    "-L",
    "--log-file",
    "-f",
    "--file",
    "-w",
    "--no-password",
    "-W",
    "--password",
    "-l",
    "--list",
];
/// The connection options: the scenario's PostgreSQL replaces them.
const CONNECTION_OPTIONS: &[&str] = &[
    "-h",
    "--host",
    "-p",
    "--port",
    "-U",
    "--username",
    "-d",
    "--dbname",
];
/// Meta-commands that run programs, read or write files, or change the environment.
const REFUSED_META: &[&str] = &[
    "!",
    "o",
    "out",
    "g",
    "gx",
    "w",
    "write",
    "copy",
    "i",
    "include",
    "ir",
    "include_relative",
    "cd",
    "setenv",
    "getenv",
    "e",
    "edit",
    "ef",
    "ev",
    "s",
    "lo_import",
    "lo_export",
    "password",
];

/// The psql arguments to run: the connection options dropped (the scenario's replace
/// them), every other option checked. Errors say what is refused.
pub fn psql_args(command: &[String]) -> Result<Vec<String>, String> {
    let Some(program) = command.first() else {
        return Err("you must specify at least one command for the container".into());
    };
    if program.rsplit('/').next() != Some("psql") {
        return Err(format!(
            "the simulator runs only psql through pods/exec, not {program:?}"
        ));
    }
    let takes_value = |name: &str| {
        CONNECTION_OPTIONS.contains(&name)
            || matches!(
                name,
                "-c" | "--command"
                    | "-v"
                    | "--set"
                    | "--variable"
                    | "-P"
                    | "--pset"
                    | "-F"
                    | "--field-separator"
                    | "-R"
                    | "--record-separator"
            )
    };
    let refused = |name: &str| {
        if REFUSED_OPTIONS.contains(&name) {
            Err(format!(
                "psql {name} is not allowed through the simulator's pods/exec"
            ))
        } else {
            Ok(())
        }
    };
    let mut out: Vec<String> = Vec::new();
    let keep = |out: &mut Vec<String>, name: &str, value: Option<String>| -> Result<(), String> {
        if CONNECTION_OPTIONS.contains(&name) {
            return Ok(());
        }
        if matches!(name, "-c" | "--command") {
            check_sql(value.as_deref().unwrap_or(""))?;
        }
        out.push(name.to_string());
        out.extend(value);
        Ok(())
    };
    let mut args = command[1..].iter();
    while let Some(a) = args.next() {
        if let Some(long) = a.strip_prefix("--") {
            let (n, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            let name = format!("--{n}");
            refused(&name)?;
            let value = match (takes_value(&name), inline) {
                (true, Some(v)) => Some(v),
                (true, None) => Some(
                    args.next()
                        .cloned()
                        .ok_or_else(|| format!("psql {name} needs a value"))?,
                ),
                (false, _) => None,
            };
            keep(&mut out, &name, value)?;
        } else if let Some(flags) = a.strip_prefix('-').filter(|f| !f.is_empty()) {
            // A cluster of short options (`-At`); one taking a value ends it (`-cSQL`).
            let chars: Vec<char> = flags.chars().collect();
            let mut plain = String::from("-");
            for (i, c) in chars.iter().enumerate() {
                let name = format!("-{c}");
                refused(&name)?;
                if !takes_value(&name) {
                    plain.push(*c);
                    continue;
                }
                let inline: String = chars[i + 1..].iter().collect();
                let value = if inline.is_empty() {
                    args.next()
                        .cloned()
                        .ok_or_else(|| format!("psql {name} needs a value"))?
                } else {
                    inline
                };
                if plain.len() > 1 {
                    out.push(std::mem::replace(&mut plain, String::from("-")));
                }
                keep(&mut out, &name, Some(value))?;
                break;
            }
            if plain.len() > 1 {
                out.push(plain);
            }
        }
        // A positional database or user name: the scenario's replace them.
    }
    Ok(out)
}

/// Refuses SQL holding a meta-command that leaves the database (`\!`, `\o`, `\copy`, ...)
/// and server-side `COPY ... PROGRAM`.
pub fn check_sql(sql: &str) -> Result<(), String> {
    let mut rest = sql;
    while let Some(i) = rest.find('\\') {
        let after = &rest[i + 1..];
        let word: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '!')
            .collect();
        let word = if word.starts_with('!') {
            "!".to_string()
        } else {
            word
        };
        if REFUSED_META.contains(&word.to_ascii_lowercase().as_str()) {
            return Err(format!(
                "the meta-command \\{word} is not allowed through the simulator's pods/exec"
            ));
        }
        rest = after;
    }
    let lower = sql.to_ascii_lowercase();
    if lower.contains("program") && lower.contains("copy") {
        return Err("COPY ... PROGRAM is not allowed through the simulator's pods/exec".into());
    }
    Ok(())
}

/// Runs psql against the scenario's PostgreSQL: (stdout, stderr, exit code). Stopped after
/// `PSQL_TIMEOUT`.
pub fn run_psql(
    args: &[String],
    pg: &PostgresSpec,
    input: Option<Vec<u8>>,
) -> Result<(Vec<u8>, Vec<u8>, i32), String> {
    let mut cmd = Command::new("psql");
    cmd.arg("-X").args(args).env_clear();
    if let Ok(path) = std::env::var("PATH") {
        cmd.env("PATH", path);
    }
    cmd.env("PGHOST", &pg.host)
        .env("PGPORT", &pg.port)
        .env("PGCONNECT_TIMEOUT", "10");
    cmd.env("PGUSER", pg.user.as_deref().unwrap_or("postgres"));
    cmd.env("PGDATABASE", pg.database.as_deref().unwrap_or("postgres"));
    if let Some(p) = &pg.password {
        cmd.env("PGPASSWORD", p);
    }
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("cannot start psql: {e}"))?;
    if let (Some(text), Some(mut pipe)) = (input, child.stdin.take()) {
        use std::io::Write;
        std::thread::spawn(move || {
            let _ = pipe.write_all(&text);
        });
    }
    let (mut out, mut err) = (child.stdout.take(), child.stderr.take());
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(p) = pipe {
                let _ = p.take(MAX_OUTPUT as u64).read_to_end(&mut buf);
            }
            buf
        })
    };
    let out_t = reader(out.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let err_t = reader(err.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let deadline = std::time::Instant::now() + PSQL_TIMEOUT;
    let code = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status.code().unwrap_or(1),
            Ok(None) if std::time::Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("psql ran over 60 seconds and was stopped".into());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("waiting for psql: {e}")),
        }
    };
    let out = out_t.join().unwrap_or_default();
    let err = err_t.join().unwrap_or_default();
    Ok((out, err, code))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Result<Vec<String>, String> {
        psql_args(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn only_psql_runs_and_its_connection_is_the_scenarios() {
        assert_eq!(
            args(&[
                "psql",
                "-h",
                "/controller/run",
                "-U",
                "postgres",
                "-d",
                "app",
                "-v",
                "ON_ERROR_STOP=1",
                "-At",
                "-c",
                "select 1"
            ]),
            Ok(vec![
                "-v".into(),
                "ON_ERROR_STOP=1".into(),
                "-At".into(),
                "-c".into(),
                "select 1".into()
            ])
        );
        assert_eq!(args(&["psql", "--dbname=app", "app"]), Ok(vec![]));
        assert!(
            args(&["sh", "-c", "psql"])
                .unwrap_err()
                .contains("only psql")
        );
        assert!(
            args(&["psql", "-f", "/etc/passwd"])
                .unwrap_err()
                .contains("-f")
        );
        assert!(args(&["psql", "-o/tmp/x"]).unwrap_err().contains("-o"));
        assert!(args(&["psql", "-Ao", "x"]).unwrap_err().contains("-o"));
        assert_eq!(
            args(&["psql", "-Atc", "select 2", "--set=a=b"]),
            Ok(vec![
                "-At".into(),
                "-c".into(),
                "select 2".into(),
                "--set".into(),
                "a=b".into()
            ])
        );
        assert!(args(&["psql", "-c", "\\! id"]).unwrap_err().contains("\\!"));
    }

    #[test]
    fn sql_that_leaves_the_database_is_refused() {
        assert!(check_sql("select count(*) from orders;\nselect now();").is_ok());
        assert!(check_sql("select E'a\\nb';").is_ok());
        for bad in [
            "\\! rm -rf /",
            "select 1 \\g |cat",
            "\\o /tmp/x",
            "\\copy t to '/tmp/x'",
            "COPY t TO PROGRAM 'id'",
            "\\i /etc/passwd",
        ] {
            assert!(check_sql(bad).is_err(), "{bad}");
        }
    }
}
