//! The audit trail's anchor outside the database. A station key file (32 random bytes, owner
//! read/write only) signs the chain's head with HMAC-SHA256, in the database (`audit_anchor.mac`)
//! and in a head file beside the key that records the last anchored row. Without the key an
//! edited anchor does not verify; with the head file a wiped trail (all rows and the anchor
//! deleted) is found, because the file says rows existed.
//!
//! The caller says where both files live (`AuditSeal`); this module never chooses a directory.
//! Someone holding the database AND the key can still rewrite and re-sign everything: the head
//! hash printed by `qcstation audit verify` and kept elsewhere is what catches that.

use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::StoreError;

/// Where a station keeps its key and the head of one database's audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditSeal {
    pub key_file: PathBuf,
    pub head_file: PathBuf,
}

impl AuditSeal {
    /// `<data_dir>/station.key` (one per station) and `<data_dir>/<database file>.audit-head`
    /// (one per database: the demo and the production database keep separate heads).
    pub fn in_data_dir(data_dir: &Path, database: &Path) -> Self {
        let database_name = database
            .file_name()
            .map_or_else(|| "station.sqlite".into(), |name| name.to_owned());
        let mut head_name = database_name;
        head_name.push(".audit-head");
        Self {
            key_file: data_dir.join("station.key"),
            head_file: data_dir.join(head_name),
        }
    }
}

const KEY_BYTES: usize = 32;

/// The station key. Never printed.
#[derive(Clone)]
pub(super) struct StationKey([u8; KEY_BYTES]);

impl std::fmt::Debug for StationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StationKey(***)")
    }
}

fn io_error(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

impl StationKey {
    /// Reads the key file; `None` when it does not exist.
    pub(super) fn load(path: &Path) -> Result<Option<Self>, StoreError> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let key: [u8; KEY_BYTES] =
                    bytes
                        .try_into()
                        .map_err(|bytes: Vec<u8>| StoreError::BadSeal {
                            path: path.to_owned(),
                            reason: format!(
                                "the station key has {} bytes instead of {KEY_BYTES}",
                                bytes.len()
                            ),
                        })?;
                Ok(Some(Self(key)))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(io_error(path, err)),
        }
    }

    /// Creates a new random key file, readable and writable by its owner only. Never
    /// overwrites an existing one.
    pub(super) fn create(path: &Path) -> Result<Self, StoreError> {
        use rand::RngCore as _;
        let mut key = [0_u8; KEY_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut key);
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|err| io_error(parent, err))?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(|err| io_error(path, err))?;
        file.write_all(&key)
            .and_then(|()| file.sync_all())
            .map_err(|err| io_error(path, err))?;
        Ok(Self(key))
    }

    /// HMAC-SHA256 over the chain's head, hex.
    pub(super) fn mac(&self, last_id: i64, last_hash: &str) -> String {
        let mut message = Vec::with_capacity(64 + last_hash.len());
        message.extend_from_slice(b"qcstation audit head v1\0");
        message.extend_from_slice(&last_id.to_be_bytes());
        message.extend_from_slice(last_hash.as_bytes());
        hex::encode(hmac_sha256(&self.0, &message))
    }
}

/// HMAC (RFC 2104) over SHA-256.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0_u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|k| k ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// The chain's head as anchored: the last row's id and hash, signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Head {
    pub last_id: i64,
    pub last_hash: String,
    pub mac: Option<String>,
}

/// The anchor row in the database, if any.
pub(super) fn read_anchor(conn: &Connection) -> Result<Option<Head>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT last_id, last_hash, mac FROM audit_anchor WHERE id = 1",
            [],
            |row| {
                Ok(Head {
                    last_id: row.get(0)?,
                    last_hash: row.get(1)?,
                    mac: row.get(2)?,
                })
            },
        )
        .optional()?)
}

/// Signs the anchor row as it stands (inside the caller's transaction).
pub(super) fn sign_anchor(conn: &Connection, key: &StationKey) -> Result<(), StoreError> {
    if let Some(anchor) = read_anchor(conn)? {
        let mac = key.mac(anchor.last_id, &anchor.last_hash);
        if anchor.mac.as_deref() != Some(mac.as_str()) {
            conn.execute(
                "UPDATE audit_anchor SET mac = ?1 WHERE id = 1",
                params![mac],
            )?;
        }
    }
    Ok(())
}

/// What the head file holds: `None` when it does not exist.
pub(super) fn read_head(path: &Path) -> Result<Option<Head>, StoreError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(io_error(path, err)),
    };
    let bad = || StoreError::BadSeal {
        path: path.to_owned(),
        reason: "the audit head file is not 'qcstation-audit-head 1 ID HASH MAC'".to_owned(),
    };
    let mut words = text.split_whitespace();
    if (words.next(), words.next()) != (Some("qcstation-audit-head"), Some("1")) {
        return Err(bad());
    }
    let last_id = words
        .next()
        .and_then(|id| id.parse().ok())
        .ok_or_else(bad)?;
    let last_hash = words.next().ok_or_else(bad)?.to_owned();
    let mac = words.next().ok_or_else(bad)?.to_owned();
    Ok(Some(Head {
        last_id,
        last_hash,
        mac: Some(mac),
    }))
}

/// Replaces the head file atomically (write, sync, rename).
pub(super) fn write_head(path: &Path, head: &Head) -> Result<(), StoreError> {
    let mac = head.mac.as_deref().unwrap_or_default();
    let text = format!(
        "qcstation-audit-head 1 {} {} {mac}\n",
        head.last_id, head.last_hash
    );
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    let mut file = std::fs::File::create(&temporary).map_err(|err| io_error(&temporary, err))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|err| io_error(&temporary, err))?;
    std::fs::rename(&temporary, path).map_err(|err| io_error(path, err))
}

/// A sealed connection's state: the key, where the head goes, and the head last written (a
/// head is only ever replaced by one that extends it, so a wipe's evidence is kept).
#[derive(Debug, Clone)]
pub(super) struct Sealed {
    pub seal: AuditSeal,
    pub key: StationKey,
}

impl Sealed {
    /// The head for an empty trail.
    pub(super) fn empty_head(&self) -> Head {
        Head {
            last_id: 0,
            last_hash: super::GENESIS_HASH.to_owned(),
            mac: Some(self.key.mac(0, super::GENESIS_HASH)),
        }
    }

    /// Whether `head` (from the file) carries this key's signature.
    pub(super) fn signed(&self, head: &Head) -> bool {
        head.mac.as_deref() == Some(self.key.mac(head.last_id, &head.last_hash).as_str())
    }

    /// After a commit: records the anchor in the head file if it extends the head recorded
    /// there (the head's row is still in the trail, unchanged). A trail that no longer
    /// contains the recorded head is left for `verify` to report, not papered over.
    pub(super) fn publish_head(&self, conn: &Connection) -> Result<(), StoreError> {
        let Some(anchor) = read_anchor(conn)? else {
            return Ok(());
        };
        if !self.signed(&anchor) {
            return Ok(());
        }
        let previous = read_head(&self.seal.head_file)?;
        if let Some(previous) = &previous {
            if previous.last_id == anchor.last_id && previous.last_hash == anchor.last_hash {
                return Ok(());
            }
            let still_there: Option<String> = conn
                .query_row(
                    "SELECT hash FROM audit WHERE id = ?1",
                    [previous.last_id],
                    |row| row.get(0),
                )
                .optional()?;
            let extends = previous.last_id == 0
                || still_there.as_deref() == Some(previous.last_hash.as_str());
            if !extends || previous.last_id > anchor.last_id || !self.signed(previous) {
                return Err(StoreError::BadSeal {
                    path: self.seal.head_file.clone(),
                    reason: format!(
                        "the audit trail no longer contains the head recorded there (row {}): not overwriting it; run `qcstation audit verify`",
                        previous.last_id
                    ),
                });
            }
        }
        write_head(&self.seal.head_file, &anchor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block.
        let mac = hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            hex::encode(mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_private_and_never_overwritten() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("station.key");
        let key = StationKey::create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(StationKey::create(&path).is_err());
        assert_eq!(StationKey::load(&path).unwrap().unwrap().0, key.0);
    }

    #[test]
    fn head_files_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.audit-head");
        assert_eq!(read_head(&path).unwrap(), None);
        let head = Head {
            last_id: 42,
            last_hash: "ab".repeat(32),
            mac: Some("cd".repeat(32)),
        };
        write_head(&path, &head).unwrap();
        assert_eq!(read_head(&path).unwrap(), Some(head));
        std::fs::write(&path, "garbage").unwrap();
        assert!(read_head(&path).is_err());
    }
}
