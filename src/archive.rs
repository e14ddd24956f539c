//! .tar.gz files: an incident bundle written entry by entry (so a large cluster is never
//! held whole in memory) and published whole or not at all, and one read back with every
//! limit enforced while reading: a bundle is a file from outside, and a small gzip can
//! inflate to gigabytes.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

const MIB: u64 = 1024 * 1024;

/// The most one bundle may inflate to, and one entry of it.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub total: u64,
    pub entry: u64,
}

/// What reading a bundle allows: a 50k-object cluster's bundle inflates to ~150 MB.
pub const READ_LIMITS: Limits = Limits {
    total: 2048 * MIB,
    entry: 512 * MIB,
};

/// Whether `path` names a .tar.gz (by its name, as users name them).
pub fn is_tar_gz(path: &Path) -> bool {
    let name = path.to_string_lossy().to_ascii_lowercase();
    name.ends_with(".tar.gz") || name.ends_with(".tgz")
}

/// Every regular file of a .tar.gz, in its order: (path inside, bytes). Links, devices and
/// paths that climb out (`..`) are refused, not followed.
pub fn read_tar_gz(path: &Path, limits: Limits) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let file = crate::files::open_regular(path)
        .with_context(|| format!("opening the bundle {}", path.display()))?;
    let mut archive = tar::Archive::new(GzDecoder::new(std::io::BufReader::new(file)));
    let mut out = Vec::new();
    let mut total: u64 = 0;
    let entries = archive
        .entries()
        .with_context(|| format!("reading {} as a .tar.gz", path.display()))?;
    for entry in entries {
        let mut entry =
            entry.with_context(|| format!("reading {} as a .tar.gz", path.display()))?;
        let name = entry
            .path()
            .with_context(|| format!("{}: an entry's path", path.display()))?
            .to_string_lossy()
            .into_owned();
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            anyhow::bail!(
                "{}: {name} is not a regular file (a link or a device): a bundle holds files only",
                path.display()
            );
        }
        if name.split('/').any(|part| part == "..") || name.starts_with('/') {
            anyhow::bail!(
                "{}: {name} points outside the bundle: refused",
                path.display()
            );
        }
        let mut bytes = Vec::new();
        let read = (&mut entry)
            .take(limits.entry + 1)
            .read_to_end(&mut bytes)
            .with_context(|| format!("{}: reading {name}", path.display()))?;
        total += read as u64;
        if read as u64 > limits.entry {
            anyhow::bail!(
                "{}: {name} inflates past {} MiB: this is not a bundle backstop wrote, or it was cut with a higher limit",
                path.display(),
                limits.entry / MIB
            );
        }
        if total > limits.total {
            anyhow::bail!(
                "{}: the bundle inflates past {} MiB: refused (a gzip bomb, or a cluster larger than backstop reads back)",
                path.display(),
                limits.total / MIB
            );
        }
        out.push((name, bytes));
    }
    Ok(out)
}

/// A .tar.gz being written: entries go to a temporary file beside the target, renamed into
/// place by [`TarGzWriter::finish`]; dropped unfinished (an error, Ctrl-C), the temporary
/// file is removed and nothing half-written is left where the bundle was to be.
pub struct TarGzWriter {
    builder: Option<tar::Builder<GzEncoder<std::io::BufWriter<std::fs::File>>>>,
    tmp: PathBuf,
    target: PathBuf,
    mtime: u64,
    /// Uncompressed bytes written so far.
    pub written: u64,
}

impl TarGzWriter {
    /// Starts `target`; every entry gets `mtime` (seconds since the epoch).
    pub fn create(target: &Path, mtime: u64) -> anyhow::Result<TarGzWriter> {
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("bundle.tar.gz");
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let file =
            std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let encoder = GzEncoder::new(std::io::BufWriter::new(file), Compression::default());
        Ok(TarGzWriter {
            builder: Some(tar::Builder::new(encoder)),
            tmp,
            target: target.to_path_buf(),
            mtime,
            written: 0,
        })
    }

    /// Adds one file.
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let builder = self
            .builder
            .as_mut()
            .context("the bundle was already finished")?;
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(self.mtime);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, name, bytes)
            .with_context(|| format!("writing {name} into {}", self.tmp.display()))?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Ends the archive, flushes it to the disk and moves it into place.
    pub fn finish(mut self) -> anyhow::Result<PathBuf> {
        let builder = self
            .builder
            .take()
            .context("the bundle was already finished")?;
        let encoder = builder
            .into_inner()
            .with_context(|| format!("ending the archive {}", self.tmp.display()))?;
        let buffered = encoder
            .finish()
            .with_context(|| format!("ending the compression of {}", self.tmp.display()))?;
        let mut file = buffered
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("flushing {}", self.tmp.display()))?;
        file.flush()
            .and_then(|_| file.sync_all())
            .with_context(|| format!("flushing {} to the disk", self.tmp.display()))?;
        std::fs::rename(&self.tmp, &self.target).with_context(|| {
            format!(
                "moving {} into place at {}",
                self.tmp.display(),
                self.target.display()
            )
        })?;
        Ok(self.target.clone())
    }
}

impl Drop for TarGzWriter {
    fn drop(&mut self) {
        if self.builder.is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_is_read_back_as_written_and_an_unfinished_one_leaves_nothing() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let target = dir.path().join("b.tar.gz");
        let mut w = TarGzWriter::create(&target, 1_764_000_000).expect("created");
        w.add("manifest.json", b"{}").expect("added");
        w.add("logs/ns/pod/c.log", b"line\n").expect("added");
        assert!(!target.exists(), "not published before finish");
        w.finish().expect("finished");
        let entries = read_tar_gz(&target, READ_LIMITS).expect("read back");
        assert_eq!(
            entries,
            vec![
                ("manifest.json".to_string(), b"{}".to_vec()),
                ("logs/ns/pod/c.log".to_string(), b"line\n".to_vec())
            ]
        );

        let other = dir.path().join("c.tar.gz");
        let mut w = TarGzWriter::create(&other, 0).expect("created");
        w.add("a", b"x").expect("added");
        drop(w);
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("listed")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, vec!["b.tar.gz".to_string()], "no temporary file left");
    }

    #[test]
    fn an_entry_past_the_limit_is_refused_with_its_name() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let target = dir.path().join("big.tar.gz");
        let mut w = TarGzWriter::create(&target, 0).expect("created");
        w.add("objects/pods/0001.yaml", &vec![b'a'; 4096])
            .expect("added");
        w.finish().expect("finished");
        let e = read_tar_gz(
            &target,
            Limits {
                total: 1 << 20,
                entry: 1024,
            },
        )
        .expect_err("too large");
        assert!(
            format!("{e:#}").contains("objects/pods/0001.yaml inflates past"),
            "{e:#}"
        );
        let e = read_tar_gz(dir.path(), READ_LIMITS).expect_err("a folder");
        assert!(format!("{e:#}").contains("opening the bundle"), "{e:#}");
    }
}
