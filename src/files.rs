//! Reading the files a user points backstop at (dumps, scenarios, themes, trees, the config,
//! the kubeconfig) without trusting them: only regular files, never a FIFO that blocks for
//! ever or a device that never ends, and at most a stated size, enforced while reading since
//! some files lie about their size.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The most a dump or a scenario file may hold.
pub const DUMP_LIMIT: u64 = 512 * 1024 * 1024;
/// The most a theme, a tree, the config or a kubeconfig may hold.
pub const SMALL_LIMIT: u64 = 1024 * 1024;

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

fn size_name(limit: u64) -> String {
    if limit >= 1024 * 1024 {
        format!("{} MiB", limit / (1024 * 1024))
    } else {
        format!("{limit} bytes")
    }
}

fn too_large(limit: u64) -> std::io::Error {
    refused(format!(
        "it is larger than {}, the most backstop reads from such a file",
        size_name(limit)
    ))
}

/// Whether `path` is a regular file of at most `limit` bytes, by its metadata alone: for
/// a reader that must open the file itself (kube's kubeconfig reader).
pub fn check_file(path: &Path, limit: u64) -> std::io::Result<std::fs::Metadata> {
    // The type is checked before opening: opening a FIFO would block until a writer came.
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(refused(format!(
            "it is {}, not a regular file: give the path of a file",
            kind_of(&meta)
        )));
    }
    if meta.len() > limit {
        return Err(too_large(limit));
    }
    Ok(meta)
}

/// The text of `path`, a regular file of at most `limit` bytes. The errors say what the
/// file is instead, or how large it may be; the caller names the file.
pub fn read_text(path: &Path, limit: u64) -> std::io::Result<String> {
    let meta = check_file(path, limit)?;
    let mut bytes = Vec::with_capacity(meta.len().min(limit) as usize);
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(limit));
    }
    String::from_utf8(bytes).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

/// The files below `dir` whose names end in one of `extensions`, in name order. A folder
/// reached twice (a symlink back up the tree) is an error naming it, not an endless walk.
pub fn files_below(dir: &Path, extensions: &[&str]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    walk(dir, extensions, &mut seen, &mut out)?;
    Ok(out)
}

fn walk(
    dir: &Path,
    extensions: &[&str],
    seen: &mut BTreeSet<PathBuf>,
    out: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    let real =
        std::fs::canonicalize(dir).map_err(|e| refused(format!("{}: {e}", dir.display())))?;
    if !seen.insert(real.clone()) {
        return Err(refused(format!(
            "{} leads back to {}, a folder already read (a symlink loop)",
            dir.display(),
            real.display()
        )));
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| refused(format!("{}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            // A link to this folder or one above it would walk up and around for ever.
            if let Ok(target) = std::fs::canonicalize(&p)
                && real.starts_with(&target)
            {
                return Err(refused(format!(
                    "{} leads back to {}, a folder already read (a symlink loop)",
                    p.display(),
                    target.display()
                )));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_files_are_refused_before_they_are_opened() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fifo = dir.path().join("b.yaml");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
        // SAFETY: a valid NUL-terminated path and a mode.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read_text(&fifo, SMALL_LIMIT).expect_err("a FIFO");
        assert!(e.to_string().contains("a FIFO"), "{e}");
        let e = read_text(Path::new("/dev/zero"), SMALL_LIMIT).expect_err("a device");
        assert!(e.to_string().contains("a character device"), "{e}");
        let e = read_text(dir.path(), SMALL_LIMIT).expect_err("a folder");
        assert!(e.to_string().contains("a folder"), "{e}");
    }

    #[test]
    fn files_past_the_limit_are_refused_saying_the_limit() {
        let dir = tempfile::tempdir().expect("temp dir");
        let big = dir.path().join("big.yaml");
        std::fs::File::create(&big)
            .and_then(|f| f.set_len(SMALL_LIMIT + 1))
            .expect("a sparse file");
        let e = read_text(&big, SMALL_LIMIT).expect_err("too large");
        assert!(e.to_string().contains("larger than 1 MiB"), "{e}");
        std::fs::write(&big, "kind: List\n").expect("small");
        assert_eq!(read_text(&big, SMALL_LIMIT).expect("reads"), "kind: List\n");
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
    }
}
