//! Copying and hashing files: one read of each file both copies it and hashes it (SHA-256), the
//! copy is synced to disk before it counts, and the syncs are paced so a backup leaves the disk
//! to the station's own commits: a big file is synced every few MB as it is written, and small
//! files are synced in batches (`SyncBatch`), since every separate fsync of a new file is a
//! journal commit the station's next commit may queue behind. Nothing here decides which files.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::BackupError;
use super::manifest::FileEntry;

/// How file copies are paced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilePacing {
    /// Bytes read and written at a time.
    pub chunk_bytes: usize,
    /// The copy is synced to disk after this many bytes (and at its end), so the page cache
    /// never holds much of it: a commit's fsync then waits for little of the backup's data.
    pub sync_every_bytes: u64,
    /// Pause after each sync.
    pub pause_after_sync: Duration,
}

impl Default for FilePacing {
    fn default() -> Self {
        Self {
            chunk_bytes: 1 << 20,
            sync_every_bytes: 8 << 20,
            pause_after_sync: Duration::from_millis(2),
        }
    }
}

/// A file's size and SHA-256 (lower-case hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digested {
    pub size_bytes: u64,
    pub sha256: String,
}

impl Digested {
    /// The manifest's entry for this file at `path` in the backup.
    pub fn entry(self, path: &str) -> FileEntry {
        FileEntry {
            path: path.to_owned(),
            size_bytes: self.size_bytes,
            sha256: self.sha256,
        }
    }
}

/// Hashes a file, calling `on_bytes(n)` as each chunk is read.
pub fn hash_file(path: &Path, on_bytes: &mut dyn FnMut(u64)) -> std::io::Result<Digested> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0_u8; 1 << 20];
    let mut size_bytes = 0_u64;
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        size_bytes += read as u64;
        on_bytes(read as u64);
    }
    Ok(Digested {
        size_bytes,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// Copies `from` into the new file `to` (never overwriting), hashing what was read, and syncs
/// the copy. `private` makes the copy readable by its owner only (the station key).
pub fn copy_file(
    from: &Path,
    to: &Path,
    pacing: FilePacing,
    private: bool,
    on_bytes: &mut dyn FnMut(u64),
) -> std::io::Result<Digested> {
    let (digested, target) = copy_unsynced(from, to, pacing, private, on_bytes)?;
    target.sync_all()?;
    Ok(digested)
}

/// As `copy_file`, but the end of the copy is not synced: the open file is returned for a
/// `SyncBatch` (a big file's earlier chunks are synced as they are written).
pub fn copy_unsynced(
    from: &Path,
    to: &Path,
    pacing: FilePacing,
    private: bool,
    on_bytes: &mut dyn FnMut(u64),
) -> std::io::Result<(Digested, File)> {
    let mut source = File::open(from)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut target = options.open(to)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0_u8; pacing.chunk_bytes.max(4096)];
    let mut size_bytes = 0_u64;
    let mut unsynced = 0_u64;
    loop {
        let read = source.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        target.write_all(&buffer[..read])?;
        size_bytes += read as u64;
        unsynced += read as u64;
        on_bytes(read as u64);
        if unsynced >= pacing.sync_every_bytes {
            target.sync_data()?;
            unsynced = 0;
            std::thread::sleep(pacing.pause_after_sync);
        }
    }
    Ok((
        Digested {
            size_bytes,
            sha256: hex::encode(hasher.finalize()),
        },
        target,
    ))
}

/// Copies written but not yet synced, synced together once they hold `sync_every_bytes` (or
/// `MAX_OPEN` files, to stay far below the process's open-file limit), then a pause.
pub struct SyncBatch {
    pending: Vec<(PathBuf, File)>,
    unsynced_bytes: u64,
    pacing: FilePacing,
}

impl SyncBatch {
    const MAX_OPEN: usize = 64;

    pub fn new(pacing: FilePacing) -> Self {
        Self {
            pending: Vec::new(),
            unsynced_bytes: 0,
            pacing,
        }
    }

    /// Adds a copy (its bytes since its last sync); syncs the batch when it is full. A failure
    /// names the file that could not be synced.
    pub fn add(
        &mut self,
        path: PathBuf,
        file: File,
        bytes: u64,
    ) -> Result<(), (PathBuf, std::io::Error)> {
        self.pending.push((path, file));
        self.unsynced_bytes += bytes % self.pacing.sync_every_bytes.max(1);
        if self.unsynced_bytes >= self.pacing.sync_every_bytes
            || self.pending.len() >= Self::MAX_OPEN
        {
            self.sync()?;
            std::thread::sleep(self.pacing.pause_after_sync);
        }
        Ok(())
    }

    /// Syncs every pending copy.
    pub fn sync(&mut self) -> Result<(), (PathBuf, std::io::Error)> {
        for (path, file) in self.pending.drain(..) {
            file.sync_all().map_err(|err| (path, err))?;
        }
        self.unsynced_bytes = 0;
        Ok(())
    }
}

/// Syncs every folder under `root`, and `root`, to disk (their new entries), deepest first.
pub fn sync_tree(root: &Path) -> Result<(), BackupError> {
    let entries = std::fs::read_dir(root).map_err(BackupError::io(root, "list the folder"))?;
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            sync_tree(&entry.path())?;
        }
    }
    sync_dir(root).map_err(BackupError::io(root, "sync the folder"))
}

/// Syncs a directory's entries (new names, renames) to disk. Not possible on every platform;
/// there the file systems in use journal metadata themselves.
pub fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        File::open(path)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_has_the_hash_of_its_source_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("a.bin");
        let bytes: Vec<u8> = (0..3_000_000_u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&from, &bytes).unwrap();
        let to = dir.path().join("b.bin");
        let mut counted = 0;
        let pacing = FilePacing {
            chunk_bytes: 100_000,
            sync_every_bytes: 1_000_000,
            pause_after_sync: Duration::ZERO,
        };
        let copied = copy_file(&from, &to, pacing, false, &mut |n| counted += n).unwrap();
        assert_eq!(counted, 3_000_000);
        assert_eq!(copied.size_bytes, 3_000_000);
        assert_eq!(std::fs::read(&to).unwrap(), bytes);
        assert_eq!(copied, hash_file(&to, &mut |_| {}).unwrap());
        assert_eq!(copied.sha256, hex::encode(Sha256::digest(&bytes)));
        assert!(copy_file(&from, &to, pacing, false, &mut |_| {}).is_err());
    }

    #[test]
    fn a_batch_syncs_when_it_holds_enough_bytes_or_files() {
        let dir = tempfile::tempdir().unwrap();
        let pacing = FilePacing {
            chunk_bytes: 4096,
            sync_every_bytes: 10_000,
            pause_after_sync: Duration::ZERO,
        };
        let mut batch = SyncBatch::new(pacing);
        for index in 0..3 {
            let from = dir.path().join(format!("{index}.src"));
            std::fs::write(&from, vec![index as u8; 4000]).unwrap();
            let to = dir.path().join(format!("{index}.copy"));
            let (digested, file) = copy_unsynced(&from, &to, pacing, false, &mut |_| {}).unwrap();
            batch.add(to, file, digested.size_bytes).unwrap();
        }
        assert!(batch.pending.is_empty(), "12 000 bytes: synced");
        for index in 0..SyncBatch::MAX_OPEN {
            let path = dir.path().join(format!("small-{index}"));
            let file = File::create(&path).unwrap();
            batch.add(path, file, 1).unwrap();
        }
        assert!(
            batch.pending.is_empty(),
            "as many files as it keeps open: synced"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_private_copy_is_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("station.key");
        std::fs::write(&from, [7_u8; 32]).unwrap();
        let to = dir.path().join("copy.key");
        copy_file(&from, &to, FilePacing::default(), true, &mut |_| {}).unwrap();
        let mode = std::fs::metadata(&to).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
