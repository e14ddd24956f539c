//! A GitOps checkout made with the real git from tests/fixtures/legacy-fleet-repo/: the
//! repository Flux syncs in the legacy-fleet scenario, with its `.gitignore` trap.

use std::path::{Path, PathBuf};
use std::process::Command;

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("create {}: {e}", to.display()));
    let entries =
        std::fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display()));
    for entry in entries {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("copy {}: {e}", entry.path().display()));
        }
    }
}

fn git(repo: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Copies the fixture into `dir/fleet-gitops`, renames `gitignore` to `.gitignore` (a real
/// one in our repository would hide the fixture's files from our own Git), and commits
/// everything git does not ignore: `apps/databases/inventory/scheduled-backup.yaml` stays on
/// disk, untracked, swallowed by `*backup*.yaml`. Returns the checkout's path.
pub fn legacy_fleet_checkout(dir: &Path) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy-fleet-repo");
    let repo = dir.join("fleet-gitops");
    copy_tree(&fixture, &repo);
    std::fs::rename(repo.join("gitignore"), repo.join(".gitignore")).expect("the trap is armed");
    git(&repo, &["init", "-q"]);
    git(&repo, &["config", "user.name", "Platform Team"]);
    git(&repo, &["config", "user.email", "platform@example.com"]);
    git(&repo, &["add", "-A"]);
    git(
        &repo,
        &[
            "commit",
            "-q",
            "-m",
            "Databases: pg-inventory, pg-ledger and pg-reports archive to S3",
        ],
    );
    repo
}
