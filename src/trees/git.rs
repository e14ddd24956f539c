//! A GitOps checkout on disk, asked through the git command line (as the seed does).

use std::path::PathBuf;
use std::process::Command;

use super::eval::GitRepo;

pub struct Checkout {
    pub root: PathBuf,
}

impl Checkout {
    fn git(&self, args: &[&str]) -> Result<std::process::Output, String> {
        Command::new("git")
            .arg("-C")
            .arg(&self.root)
            .args(args)
            .output()
            .map_err(|e| format!("running git in {}: {e}", self.root.display()))
    }
}

impl GitRepo for Checkout {
    /// `git check-ignore -v --no-index`: 0 ignored, 1 not, 128 an error.
    fn ignored(&self, path: &str) -> Result<bool, String> {
        let out = self.git(&["check-ignore", "-v", "--no-index", "--", path])?;
        match out.status.code() {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => Err(format!(
                "git check-ignore {path}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )),
        }
    }

    fn tracked(&self, path: &str) -> Result<bool, String> {
        let out = self.git(&["ls-files", "--error-unmatch", "--", path])?;
        Ok(out.status.success())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gitignore_trap_is_seen_in_a_real_checkout() {
        let dir = std::env::temp_dir().join(format!("backstop-git-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("infrastructure")).expect("mkdir");
        let run = |args: &[&str]| {
            Command::new("git")
                .arg("-C")
                .arg(&dir)
                .args(args)
                .output()
                .expect("git runs")
        };
        run(&["init", "-q"]);
        std::fs::write(dir.join(".gitignore"), "*backup*.yaml\n").expect("write");
        std::fs::write(
            dir.join("infrastructure/postgresql-backup-plugin.yaml"),
            "kind: ObjectStore\n",
        )
        .expect("write");
        std::fs::write(dir.join("infrastructure/cluster.yaml"), "kind: Cluster\n").expect("write");
        run(&["add", "."]);
        let c = Checkout { root: dir.clone() };
        assert_eq!(
            c.ignored("infrastructure/postgresql-backup-plugin.yaml"),
            Ok(true)
        );
        assert_eq!(
            c.tracked("infrastructure/postgresql-backup-plugin.yaml"),
            Ok(false)
        );
        assert_eq!(c.ignored("infrastructure/cluster.yaml"), Ok(false));
        assert_eq!(c.tracked("infrastructure/cluster.yaml"), Ok(true));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
