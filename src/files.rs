//! Reading the files a user points backstop at (dumps, scenarios, themes, trees, the config,
//! the kubeconfig) without trusting them: only regular files, never a FIFO that blocks for
//! ever or a device that never ends, and at most a stated size, enforced while reading since
//! some files lie about their size (/proc files say 0 bytes).

use std::collections::BTreeSet;

use anyhow::Context;
use std::io::Read;
use std::path::{Path, PathBuf};

const MIB: u64 = 1024 * 1024;

/// The most backstop reads from one kind of file, and what to do about a larger one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub bytes: u64,
    /// The kind of file, as the error names it.
    what: &'static str,
    advice: &'static str,
}

/// Dumps of large clusters run to hundreds of MB (133,048 Backups made 200 MB).
pub const DUMP_LIMIT: Limit = Limit {
    bytes: 512 * MIB,
    what: "a dump or scenario file",
    advice: "check that this is the dump you meant, or split it into several files in a folder (one `kubectl get -o yaml` per namespace or kind)",
};
pub const THEME_LIMIT: Limit = Limit {
    bytes: MIB,
    what: "a theme",
    advice: "a theme is a few KB of YAML: check the path given with --theme",
};
pub const TREE_LIMIT: Limit = Limit {
    bytes: MIB,
    what: "a troubleshooting tree",
    advice: "a tree is a few KB of YAML: check that this is a tree file",
};
pub const CONFIG_LIMIT: Limit = Limit {
    bytes: MIB,
    what: "the config file",
    advice: "the config is a few lines of YAML: check $XDG_CONFIG_HOME/backstop/config.yaml (~/.config/backstop/config.yaml)",
};
pub const SQL_LIMIT: Limit = Limit {
    bytes: 64 * 1024,
    what: "a verification SQL file",
    advice: "a verification is a few queries: check that this is the SQL file you meant",
};
pub const MANIFEST_LIMIT: Limit = Limit {
    bytes: 4 * MIB,
    what: "a manifest in the GitOps checkout",
    advice: "a manifest is a few objects: backstop edits declarations, not dumps; make this change by hand",
};
pub const KUBECONFIG_LIMIT: Limit = Limit {
    bytes: MIB,
    what: "a kubeconfig",
    advice: "check that this is the kubeconfig you meant",
};

/// How much is read at once: small enough that a file that never ends overshoots the limit
/// by little, and a multiple of 8 as /proc/self/pagemap requires.
const CHUNK: usize = 64 * 1024;

fn refused(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, message)
}

fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
    }
    if meta.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

fn size_name(bytes: u64) -> String {
    if bytes >= MIB {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

fn too_large(limit: Limit) -> std::io::Error {
    refused(format!(
        "it is larger than {}, the most backstop reads from {}: {}",
        size_name(limit.bytes),
        limit.what,
        limit.advice
    ))
}

fn only_regular(meta: &std::fs::Metadata) -> std::io::Result<()> {
    if meta.is_file() {
        return Ok(());
    }
    Err(refused(format!(
        "it is {}, not a regular file: give the path of a file",
        kind_of(meta)
    )))
}

/// Opens without waiting: should the path have become a FIFO since its type was checked,
/// the open returns at once instead of blocking until a writer comes.
fn open_without_blocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// Everything `reader` gives, or an error once it gives more than `limit`: at most one
/// chunk past the limit is ever held.
fn read_at_most(mut reader: impl Read, limit: Limit, size_hint: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(size_hint.min(limit.bytes) as usize);
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => return Ok(bytes),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        bytes.extend_from_slice(&chunk[..n]);
        if bytes.len() as u64 > limit.bytes {
            return Err(too_large(limit));
        }
    }
}

/// The bytes of `path`, a regular file of at most `limit`. The errors say what the file is
/// instead, or how large it may be and what to do; the caller names the file.
pub fn read_bytes(path: &Path, limit: Limit) -> std::io::Result<Vec<u8>> {
    // The type is checked before opening: opening a FIFO would block until a writer came.
    let meta = std::fs::metadata(path)?;
    only_regular(&meta)?;
    if meta.len() > limit.bytes {
        return Err(too_large(limit));
    }
    let file = open_without_blocking(path)?;
    // What was opened is what is read, whatever the path named when it was looked at.
    let opened = file.metadata()?;
    only_regular(&opened)?;
    read_at_most(file, limit, opened.len())
}

/// `path` opened for reading, when it is a regular file: for a reader that enforces its own
/// limits as it goes (a compressed archive's size says nothing of what it inflates to).
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    only_regular(&std::fs::metadata(path)?)?;
    let file = open_without_blocking(path)?;
    only_regular(&file.metadata()?)?;
    Ok(file)
}

/// The text of `path`, a regular file of at most `limit`, as UTF-8.
pub fn read_text(path: &Path, limit: Limit) -> std::io::Result<String> {
    String::from_utf8(read_bytes(path, limit)?).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "it is not UTF-8 text: give a YAML or JSON file",
        )
    })
}

/// The files below `dir` whose names end in one of `extensions`, in name order. A folder
/// reached twice (a symlink back up the tree) is an error naming it, not an endless walk.
/// Each error is a sentence that names its own file or folder.
pub fn files_below(dir: &Path, extensions: &[&str]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    walk(dir, extensions, &mut seen, &mut out)?;
    Ok(out)
}

fn cannot_read(dir: &Path, e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("cannot read {}: {e}", dir.display()))
}

fn symlink_loop(link: &Path, target: &Path) -> std::io::Error {
    refused(format!(
        "{} leads back to {}, a folder already read (a symlink loop): remove the link, or give a folder without it",
        link.display(),
        target.display()
    ))
}

fn walk(
    dir: &Path,
    extensions: &[&str],
    seen: &mut BTreeSet<PathBuf>,
    out: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    let real = std::fs::canonicalize(dir).map_err(|e| cannot_read(dir, e))?;
    if !seen.insert(real.clone()) {
        return Err(symlink_loop(dir, &real));
    }
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| cannot_read(dir, e))? {
        entries.push(entry.map_err(|e| cannot_read(dir, e))?.path());
    }
    entries.sort();
    for p in entries {
        if p.is_dir() {
            // A link to this folder or one above it would walk up and around for ever.
            if let Ok(target) = std::fs::canonicalize(&p)
                && real.starts_with(&target)
            {
                return Err(symlink_loop(&p, &target));
            }
            walk(&p, extensions, seen, out)?;
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.contains(&e))
        {
            out.push(p);
        }
    }
    Ok(())
}

/// Writes a file whole or not at all: a temporary file renamed into place.
pub fn write_atomically(path: &Path, contents: &str) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("backstop-output");
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let written = write_synced(&tmp, contents)
        .with_context(|| format!("writing {}", tmp.display()))
        .and_then(|_| {
            std::fs::rename(&tmp, path).with_context(|| {
                format!("moving {} into place at {}", tmp.display(), path.display())
            })
        });
    if written.is_err() {
        // A full disk or a failed rename must not leave half a file behind.
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Writes and flushes to the disk, so that the rename that follows never publishes a
/// file whose content is still only in memory.
fn write_synced(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::create(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mkfifo(path: &Path) {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("path");
        // SAFETY: a valid NUL-terminated path and a mode.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    }

    #[test]
    fn special_files_are_refused_before_they_are_opened() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fifo = dir.path().join("b.yaml");
        mkfifo(&fifo);
        let e = read_text(&fifo, THEME_LIMIT).expect_err("a FIFO");
        assert!(e.to_string().contains("a FIFO"), "{e}");
        let e = read_text(Path::new("/dev/zero"), THEME_LIMIT).expect_err("a device");
        assert!(e.to_string().contains("a character device"), "{e}");
        let e = read_text(dir.path(), THEME_LIMIT).expect_err("a folder");
        assert!(e.to_string().contains("a folder"), "{e}");
    }

    #[test]
    fn files_past_the_limit_are_refused_saying_the_limit_and_what_to_do() {
        let dir = tempfile::tempdir().expect("temp dir");
        let big = dir.path().join("big.yaml");
        std::fs::File::create(&big)
            .and_then(|f| f.set_len(CONFIG_LIMIT.bytes + 1))
            .expect("a sparse file");
        let e = read_text(&big, CONFIG_LIMIT).expect_err("too large");
        assert_eq!(
            e.to_string(),
            "it is larger than 1 MiB, the most backstop reads from the config file: the config is a few lines of YAML: check $XDG_CONFIG_HOME/backstop/config.yaml (~/.config/backstop/config.yaml)"
        );
        std::fs::write(&big, "kind: List\n").expect("small");
        assert_eq!(
            read_text(&big, CONFIG_LIMIT).expect("reads"),
            "kind: List\n"
        );
    }

    #[test]
    fn the_limit_holds_while_reading_whatever_the_size_said() {
        // An endless stream, as a /proc file that says it is empty and never ends.
        let e = read_at_most(std::io::repeat(b'a'), TREE_LIMIT, 0).expect_err("endless");
        assert!(e.to_string().contains("larger than 1 MiB"), "{e}");
        let exact = read_at_most(std::io::repeat(b'a').take(MIB), TREE_LIMIT, 0).expect("fits");
        assert_eq!(exact.len() as u64, MIB);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_proc_file_that_says_it_is_empty_is_still_bounded() {
        // 0 bytes by its metadata; 8 bytes for every page of the address space when read.
        let e = read_bytes(Path::new("/proc/self/pagemap"), KUBECONFIG_LIMIT)
            .expect_err("larger than it says");
        assert!(e.to_string().contains("larger than 1 MiB"), "{e}");
    }

    #[test]
    fn a_symlink_loop_is_named_not_walked_for_ever() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("a.yaml"), "x").expect("file");
        std::os::unix::fs::symlink("..", dir.path().join("loop")).expect("symlink");
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).expect("sub");
        std::os::unix::fs::symlink(dir.path(), sub.join("up")).expect("symlink");
        let e = files_below(dir.path(), &["yaml"]).expect_err("a loop");
        assert!(e.to_string().contains("a folder already read"), "{e}");
        assert!(
            e.to_string()
                .starts_with(&dir.path().join("loop").display().to_string()),
            "names the link: {e}"
        );
    }

    #[test]
    fn a_folder_error_names_the_folder_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let gone = dir.path().join("gone");
        let e = files_below(&gone, &["yaml"]).expect_err("no such folder");
        let shown = e.to_string();
        assert_eq!(
            shown.matches(&gone.display().to_string()).count(),
            1,
            "{shown}"
        );
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    }
}
