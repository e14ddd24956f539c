//! The checkout as git sees it, asked through the git command line so that git's own
//! ignore semantics (nested `.gitignore`s, `info/exclude`, `core.excludesFile`, negations)
//! decide, never a matcher of ours. Paths go to git in one batch on stdin: a repository of
//! thousands of files costs one process, not thousands.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::GitopsError;

/// A git working tree on disk.
#[derive(Debug, Clone)]
pub struct Checkout {
    /// The top of the working tree.
    pub root: PathBuf,
}

/// Which pattern ignores a path, as `git check-ignore -v` names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ignore {
    /// The file holding the pattern (`.gitignore`, `sub/.gitignore`, `.git/info/exclude`,
    /// or the global excludes file), as git prints it.
    pub source: String,
    /// Its 1-based line.
    pub line: usize,
    pub pattern: String,
}

impl Ignore {
    /// `source:line:pattern`, as `git check-ignore -v` prints it.
    pub fn display(&self) -> String {
        format!("{}:{}:{}", self.source, self.line, self.pattern)
    }
}

impl Checkout {
    /// The checkout holding `path`: its top level, as git finds it. An error names the
    /// path and what git said.
    pub fn discover(path: &Path) -> Result<Checkout, GitopsError> {
        let out = Command::new("git")
            .arg("-C")
            .arg(path)
            .args(["rev-parse", "--show-toplevel"])
            .output()
            .map_err(|e| GitopsError::Git {
                what: format!("running git in {}", path.display()),
                detail: e.to_string(),
            })?;
        if !out.status.success() {
            return Err(GitopsError::NotACheckout {
                path: path.to_path_buf(),
                detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        let top = String::from_utf8_lossy(&out.stdout).trim().to_string();
        Ok(Checkout {
            root: PathBuf::from(top),
        })
    }

    fn git(
        &self,
        args: &[&str],
        stdin: Option<&[u8]>,
    ) -> Result<std::process::Output, GitopsError> {
        let what = || format!("git {} in {}", args.join(" "), self.root.display());
        let mut child = Command::new("git")
            .arg("-C")
            .arg(&self.root)
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| GitopsError::Git {
                what: what(),
                detail: e.to_string(),
            })?;
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            // Written from a thread: git may fill its stdout before it has read all of
            // stdin, and both sides would wait for ever.
            let input = input.to_vec();
            let writer = std::thread::spawn(move || pipe.write_all(&input));
            let out = child.wait_with_output().map_err(|e| GitopsError::Git {
                what: what(),
                detail: e.to_string(),
            })?;
            match writer.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    return Err(GitopsError::Git {
                        what: what(),
                        detail: format!("writing the paths: {e}"),
                    });
                }
                Err(_) => {
                    return Err(GitopsError::Git {
                        what: what(),
                        detail: "the writer thread panicked".into(),
                    });
                }
            }
            return Ok(out);
        }
        child.wait_with_output().map_err(|e| GitopsError::Git {
            what: what(),
            detail: e.to_string(),
        })
    }

    /// Which of `paths` (relative to the root; they need not exist) git ignores, each with
    /// the pattern that does: `git check-ignore -v --no-index`, so a path already tracked
    /// is judged by the patterns too (the next file of that name would be left out).
    pub fn ignored_many<'a>(
        &self,
        paths: impl IntoIterator<Item = &'a Path>,
    ) -> Result<BTreeMap<PathBuf, Ignore>, GitopsError> {
        let mut input = Vec::new();
        for p in paths {
            input.extend_from_slice(p.to_string_lossy().as_bytes());
            input.push(0);
        }
        if input.is_empty() {
            return Ok(BTreeMap::new());
        }
        let out = self.git(
            &["check-ignore", "-v", "-z", "--no-index", "--stdin"],
            Some(&input),
        )?;
        // 0: some path matched, 1: none did; anything else is git failing.
        if !matches!(out.status.code(), Some(0 | 1)) {
            return Err(GitopsError::Git {
                what: format!("git check-ignore in {}", self.root.display()),
                detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(parse_check_ignore(&out.stdout))
    }

    /// The pattern that ignores `path`, if one does.
    pub fn ignored(&self, path: &Path) -> Result<Option<Ignore>, GitopsError> {
        Ok(self.ignored_many([path])?.into_values().next())
    }

    /// Every path in git's index (`git ls-files`), relative to the root.
    pub fn tracked_all(&self) -> Result<BTreeSet<PathBuf>, GitopsError> {
        let out = self.git(&["ls-files", "-z", "--full-name"], None)?;
        if !out.status.success() {
            return Err(GitopsError::Git {
                what: format!("git ls-files in {}", self.root.display()),
                detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(out
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
            .collect())
    }

    /// Whether `path` is in git's index.
    pub fn tracked(&self, path: &Path) -> Result<bool, GitopsError> {
        let p = path.to_string_lossy();
        let out = self.git(&["ls-files", "--error-unmatch", "--", &p], None)?;
        Ok(out.status.success())
    }
}

/// `git check-ignore -v -z` prints `source NUL line NUL pattern NUL path NUL` per match.
/// A negated pattern (`!keep.yaml`) is printed too, and means the path is NOT ignored.
fn parse_check_ignore(stdout: &[u8]) -> BTreeMap<PathBuf, Ignore> {
    let fields: Vec<String> = stdout
        .split(|b| *b == 0)
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    let mut out = BTreeMap::new();
    for chunk in fields.chunks(4) {
        let [source, line, pattern, path] = chunk else {
            continue;
        };
        if source.is_empty() || pattern.starts_with('!') {
            continue;
        }
        out.insert(
            PathBuf::from(path),
            Ignore {
                source: source.clone(),
                line: line.parse().unwrap_or(0),
                pattern: pattern.clone(),
            },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negated_patterns_do_not_ignore_and_the_source_is_kept() {
        let raw = b".gitignore\x003\x00*backup*.yaml\x00apps/a-backup.yaml\x00.gitignore\x004\x00!keep-backup.yaml\x00keep-backup.yaml\x00";
        let got = parse_check_ignore(raw);
        assert_eq!(got.len(), 1);
        let i = &got[Path::new("apps/a-backup.yaml")];
        assert_eq!(i.display(), ".gitignore:3:*backup*.yaml");
    }
}
