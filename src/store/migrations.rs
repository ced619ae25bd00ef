//! Numbered schema migrations, applied in order at start and recorded in `PRAGMA user_version`.
//!
//! Later capabilities add tables by appending a migration here; an applied migration is never
//! edited. Each one runs in a transaction, so a failed upgrade leaves the file as it was.

use std::path::Path;
use std::sync::LazyLock;

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use super::StoreError;

/// Version 1: station settings, users, the append-only audit trail.
const V1_STATION_USERS_AUDIT: &str = "
CREATE TABLE station_settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at_utc TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'engineer', 'admin')),
    secret_kind TEXT NOT NULL CHECK (secret_kind IN ('pin', 'password')),
    secret_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at_utc TEXT NOT NULL
) STRICT;

CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_utc TEXT NOT NULL,
    user_name TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    reason TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
) STRICT;
CREATE INDEX audit_by_time ON audit (at_utc);

CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
";

/// Version 2: the cameras the station shows, in grid order.
const V2_CAMERAS: &str = "
CREATE TABLE cameras (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    source_spec TEXT NOT NULL,
    position INTEGER NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at_utc TEXT NOT NULL
) STRICT;
";

/// Version 3: sign-in lockout, and an anchor on the audit chain's head so that removing the
/// newest rows is detected too.
const V3_LOCKOUT_AUDIT_ANCHOR: &str = "
ALTER TABLE users ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until_utc TEXT;
ALTER TABLE users ADD COLUMN last_sign_in_utc TEXT;

CREATE TABLE audit_anchor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_id INTEGER NOT NULL,
    last_hash TEXT NOT NULL
) STRICT;
INSERT INTO audit_anchor (id, last_id, last_hash)
    SELECT 1, id, hash FROM audit ORDER BY id DESC LIMIT 1;
";

/// Version 4: a versioned row hash (scheme 2 length-prefixes every field; older rows keep
/// scheme 1 and keep verifying), and the anchor's signature with the station key.
const V4_AUDIT_HASH_SCHEME_AND_SEAL: &str = "
ALTER TABLE audit ADD COLUMN hash_scheme INTEGER NOT NULL DEFAULT 1 CHECK (hash_scheme IN (1, 2));
ALTER TABLE audit_anchor ADD COLUMN mac TEXT;
";

static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::new(vec![
        M::up(V1_STATION_USERS_AUDIT),
        M::up(V2_CAMERAS),
        M::up(V3_LOCKOUT_AUDIT_ANCHOR),
        M::up(V4_AUDIT_HASH_SCHEME_AND_SEAL),
    ])
});

/// The schema version this build writes.
pub const LATEST_VERSION: i64 = 4;

pub(super) fn apply(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > LATEST_VERSION {
        return Err(StoreError::Migration {
            path: path.to_owned(),
            latest: LATEST_VERSION,
            reason: format!("the file is at version {found}, written by a newer qcstation"),
        });
    }
    MIGRATIONS
        .to_latest(conn)
        .map_err(|err| StoreError::Migration {
            path: path.to_owned(),
            latest: LATEST_VERSION,
            reason: err.to_string(),
        })
}

/// Migrates to an exact version; tests use it to build databases as older releases left them.
#[doc(hidden)]
pub fn migrate_to_version(conn: &mut Connection, version: i64) -> Result<(), StoreError> {
    let target = usize::try_from(version)
        .map_err(|_| StoreError::Invalid(format!("bad schema version {version}")))?;
    MIGRATIONS
        .to_version(conn, target)
        .map_err(|err| StoreError::Invalid(err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid_and_latest_matches() {
        MIGRATIONS.validate().unwrap();
        let mut conn = Connection::open_in_memory().unwrap();
        MIGRATIONS.to_latest(&mut conn).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap();
        assert_eq!(version, LATEST_VERSION);
    }
}
