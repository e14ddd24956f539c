//! tmux on a private socket: the measured dashboards run in it at a fixed size, and their
//! screens are read back from it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::cleanup::{TMUX_SOCKETS, kill_tmux_server};
use crate::procfs::proc_alive;

pub struct Tmux {
    socket: String,
    conf: PathBuf,
}

impl Tmux {
    pub fn new(dir: &Path) -> Result<Tmux> {
        let socket = format!("backstop-bench-{}", std::process::id());
        let conf = dir.join("tmux.conf");
        // No user config; the pane keeps its text when the program ends (for error messages);
        // no status line: the program gets all 40 rows.
        std::fs::write(
            &conf,
            "set -g remain-on-exit on\nset -g status off\nset -g default-terminal xterm-256color\nset -g history-limit 50\nset -sg escape-time 0\n",
        )
        .with_context(|| format!("writing {}", conf.display()))?;
        if let Ok(mut s) = TMUX_SOCKETS.lock()
            && !s.contains(&socket)
        {
            s.push(socket.clone());
        }
        Ok(Tmux { socket, conf })
    }

    /// A tmux command with a clean environment: the server (started by the first command)
    /// passes its environment to the programs in its panes, and the caller's BACKSTOP_*,
    /// NO_COLOR, KUBECONFIG or TMUX must not leak into the measured programs.
    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.env_clear();
        for key in [
            "PATH",
            "HOME",
            "USER",
            "LOGNAME",
            "SHELL",
            "LANG",
            "LC_ALL",
            "LC_CTYPE",
            "TMUX_TMPDIR",
        ] {
            if let Some(v) = std::env::var_os(key) {
                c.env(key, v);
            }
        }
        c.arg("-L")
            .arg(&self.socket)
            .arg("-f")
            .arg(&self.conf)
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Result<String> {
        let out = self
            .cmd()
            .args(args)
            .output()
            .with_context(|| format!("running tmux {}", args.join(" ")))?;
        if !out.status.success() {
            bail!(
                "tmux {} failed ({}): {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// A detached session `name` of `w`x`h` running `command` (through `sh -c`).
    pub fn start(
        &self,
        name: &str,
        w: u16,
        h: u16,
        env: &[(&str, String)],
        command: &str,
    ) -> Result<()> {
        let (w, h) = (w.to_string(), h.to_string());
        let mut args: Vec<String> = ["new-session", "-d", "-s", name, "-x", &w, "-y", &h]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for (k, v) in env {
            args.push("-e".into());
            args.push(format!("{k}={v}"));
        }
        args.push(command.into());
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run(&refs).map(|_| ())
    }

    pub fn capture(&self, name: &str) -> Result<String> {
        self.run(&["capture-pane", "-p", "-t", name])
    }

    pub fn keys(&self, name: &str, keys: &[&str]) -> Result<()> {
        let mut args = vec!["send-keys", "-t", name];
        args.extend_from_slice(keys);
        self.run(&args).map(|_| ())
    }

    pub fn pane_pid(&self, name: &str) -> Result<u32> {
        let out = self.run(&["display-message", "-p", "-t", name, "#{pane_pid}"])?;
        out.trim()
            .parse()
            .with_context(|| format!("tmux pane_pid: {out:?}"))
    }

    /// Some(exit status) when the program in the pane has ended.
    fn pane_dead(&self, name: &str) -> Result<Option<String>> {
        let out = self.run(&[
            "display-message",
            "-p",
            "-t",
            name,
            "#{pane_dead} #{pane_dead_status}",
        ])?;
        let mut it = out.split_whitespace();
        Ok(match it.next() {
            Some("1") => Some(it.next().unwrap_or("?").to_string()),
            _ => None,
        })
    }

    /// An error naming what the pane shows, for when its program ended too soon.
    pub fn ended_error(&self, name: &str, what: &str) -> Result<()> {
        if let Some(status) = self.pane_dead(name)? {
            let screen = self.capture(name).unwrap_or_default();
            bail!(
                "{what} ended (status {status}) before it was measured; its screen:\n{}",
                screen.trim_end()
            );
        }
        Ok(())
    }

    /// Ok while `pid` runs; else an error with what the pane shows. Cheap (reads /proc):
    /// fit for tight polling loops, unlike a tmux call.
    pub fn check_alive(&self, name: &str, what: &str, pid: u32) -> Result<()> {
        if proc_alive(pid) {
            return Ok(());
        }
        self.ended_error(name, what)?;
        bail!("{what} (pid {pid}) is gone")
    }

    fn kill_session(&self, name: &str) {
        let _ = self
            .cmd()
            .args(["kill-session", "-t", name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        kill_tmux_server(&self.socket);
        if let Ok(mut s) = TMUX_SOCKETS.lock() {
            s.retain(|x| x != &self.socket);
        }
    }
}

/// Kills a tmux session when dropped.
pub struct Session<'a> {
    pub tmux: &'a Tmux,
    pub name: &'a str,
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        self.tmux.kill_session(self.name);
    }
}
