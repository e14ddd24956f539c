//! The walker's git checks (`git_ignored`, `git_tracked`) asked of a GitOps checkout through
//! the same code `backstop gitops lint` uses.

use std::path::Path;

use super::eval::GitRepo;
use crate::assess::Finding;
pub use crate::gitops::Checkout;

impl GitRepo for Checkout {
    /// `git check-ignore -v --no-index`: git's own ignore rules, negations included.
    fn ignored(&self, path: &str) -> Result<bool, String> {
        Checkout::ignored(self, Path::new(path))
            .map(|i| i.is_some())
            .map_err(|e| e.to_string())
    }

    fn tracked(&self, path: &str) -> Result<bool, String> {
        Checkout::tracked(self, Path::new(path)).map_err(|e| e.to_string())
    }

    /// The rules of `backstop gitops lint`, on a fresh read of the checkout.
    fn lint(&self) -> Result<Vec<Finding>, String> {
        let repo = crate::gitops::Repo::open(&self.root).map_err(|e| e.to_string())?;
        Ok(repo.lint().findings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn the_gitignore_trap_is_seen_in_a_real_checkout() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dir = dir.path();
        std::fs::create_dir_all(dir.join("infrastructure")).expect("mkdir");
        let run = |args: &[&str]| {
            Command::new("git")
                .arg("-C")
                .arg(dir)
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
        let c = Checkout {
            root: dir.to_path_buf(),
        };
        let git: &dyn GitRepo = &c;
        assert_eq!(
            git.ignored("infrastructure/postgresql-backup-plugin.yaml"),
            Ok(true)
        );
        assert_eq!(
            git.tracked("infrastructure/postgresql-backup-plugin.yaml"),
            Ok(false)
        );
        assert_eq!(git.ignored("infrastructure/cluster.yaml"), Ok(false));
        assert_eq!(git.tracked("infrastructure/cluster.yaml"), Ok(true));
        // The same checkout through the lint the walker's gitops_lint_clean asks.
        let codes: Vec<&str> = git.lint().expect("lints").iter().map(|f| f.code).collect();
        assert!(codes.contains(&"GIT003"), "{codes:?}");
    }
}
