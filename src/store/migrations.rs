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

/// Version 5: item identity and inventory. Sequences are counted per lot in `uid_sequences`
/// (never from `MAX(seq)`, so a scrapped or deleted item's number is never handed out again);
/// a batch is a contiguous range of one lot; items carry the lifecycle status, and every move
/// is kept in the append-only `item_transitions`. `engrave_job_id` has no foreign key: the
/// engraving jobs table comes in version 6. Low-stock thresholds are per component type.
const V5_ITEMS_INVENTORY: &str = "
CREATE TABLE uid_sequences (
    component TEXT NOT NULL,
    vendor TEXT NOT NULL,
    lot TEXT NOT NULL,
    next_seq INTEGER NOT NULL CHECK (next_seq BETWEEN 1 AND 100000),
    PRIMARY KEY (component, vendor, lot)
) STRICT;

CREATE TABLE item_batches (
    id INTEGER PRIMARY KEY,
    component TEXT NOT NULL,
    vendor TEXT NOT NULL,
    lot TEXT NOT NULL,
    first_seq INTEGER NOT NULL CHECK (first_seq BETWEEN 1 AND 99999),
    count INTEGER NOT NULL CHECK (count >= 1 AND first_seq + count - 1 <= 99999),
    manufactured_on TEXT NOT NULL,
    warranty_years INTEGER NOT NULL CHECK (warranty_years BETWEEN 0 AND 50),
    created_by TEXT NOT NULL,
    created_at_utc TEXT NOT NULL
) STRICT;
CREATE INDEX item_batches_by_lot ON item_batches (component, vendor, lot, first_seq);

CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    component TEXT NOT NULL,
    vendor TEXT NOT NULL,
    lot TEXT NOT NULL,
    seq INTEGER NOT NULL CHECK (seq BETWEEN 1 AND 99999),
    batch_id INTEGER NOT NULL REFERENCES item_batches (id),
    manufactured_on TEXT NOT NULL,
    warranty_years INTEGER NOT NULL CHECK (warranty_years BETWEEN 0 AND 50),
    status TEXT NOT NULL CHECK (status IN ('allocated', 'engraved', 'verified', 'in_stock',
                                           'consumed', 'scrapped', 'engrave_failed')),
    created_at_utc TEXT NOT NULL,
    updated_at_utc TEXT NOT NULL,
    created_by TEXT NOT NULL,
    engrave_job_id INTEGER,
    verification TEXT,
    UNIQUE (component, vendor, lot, seq)
) STRICT;
CREATE INDEX items_by_batch ON items (batch_id, seq);
CREATE INDEX items_by_component_status ON items (component, status);
CREATE INDEX items_by_status ON items (status);

CREATE TABLE item_transitions (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items (id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    at_utc TEXT NOT NULL,
    user_name TEXT NOT NULL,
    reason TEXT
) STRICT;
CREATE INDEX item_transitions_by_item ON item_transitions (item_id, id);

CREATE TRIGGER item_transitions_are_append_only_update BEFORE UPDATE ON item_transitions
BEGIN SELECT RAISE(ABORT, 'item transitions are append-only'); END;
CREATE TRIGGER item_transitions_are_append_only_delete BEFORE DELETE ON item_transitions
BEGIN SELECT RAISE(ABORT, 'item transitions are append-only'); END;

CREATE TABLE stock_thresholds (
    component TEXT PRIMARY KEY NOT NULL,
    min_in_stock INTEGER NOT NULL CHECK (min_in_stock >= 0),
    updated_by TEXT NOT NULL,
    updated_at_utc TEXT NOT NULL
) STRICT;
";

/// Version 6: the engraving job queue. A job engraves one payload (an item's UID) with laser
/// settings fixed when it was queued (TOML); progress is kept as lines acknowledged, so a job cut
/// short can be resumed from a known line.
const V6_ENGRAVE_JOBS: &str = "
CREATE TABLE engrave_jobs (
    id INTEGER PRIMARY KEY,
    payload TEXT NOT NULL,
    item_id INTEGER REFERENCES items (id),
    batch_id INTEGER REFERENCES item_batches (id),
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'paused', 'done', 'failed',
                                           'interrupted', 'cancelled')),
    settings_toml TEXT NOT NULL,
    lines_total INTEGER NOT NULL CHECK (lines_total >= 0),
    lines_acked INTEGER NOT NULL DEFAULT 0 CHECK (lines_acked >= 0),
    estimate_s REAL NOT NULL,
    elapsed_s REAL NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    outcome TEXT,
    created_by TEXT NOT NULL,
    created_at_utc TEXT NOT NULL,
    started_at_utc TEXT,
    finished_at_utc TEXT
) STRICT;
CREATE INDEX engrave_jobs_by_status ON engrave_jobs (status, id);
CREATE INDEX engrave_jobs_by_batch ON engrave_jobs (batch_id, id);
";

/// Version 7: porosity. Recipes are versioned per part number (a save adds a version, never
/// edits one). An inspection is one camera's image of one part (`part_seq` groups the cameras of
/// one trigger) with the recipe version it used, its verdict, reasons and the rules that failed;
/// its pores are rows of their own. A non-ACCEPT inspection waits (`pending`) for a signed
/// disposition. Image paths are relative to the station's image folder.
const V7_POROSITY: &str = "
CREATE TABLE recipes (
    id INTEGER PRIMARY KEY,
    part_number TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    body_toml TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at_utc TEXT NOT NULL,
    UNIQUE (part_number, version)
) STRICT;

CREATE TABLE inspections (
    id INTEGER PRIMARY KEY,
    at_utc TEXT NOT NULL,
    part_seq INTEGER NOT NULL,
    source TEXT NOT NULL,
    camera TEXT NOT NULL,
    part_number TEXT NOT NULL,
    recipe_version INTEGER NOT NULL,
    serial TEXT,
    verdict TEXT NOT NULL CHECK (verdict IN ('ACCEPT', 'WARN', 'REJECT')),
    reasons_json TEXT NOT NULL,
    failed_rules_json TEXT NOT NULL,
    pore_count INTEGER NOT NULL CHECK (pore_count >= 0),
    detector TEXT NOT NULL,
    mm_per_px REAL NOT NULL,
    width_px INTEGER NOT NULL,
    height_px INTEGER NOT NULL,
    inspect_ms REAL NOT NULL,
    cycle_ms REAL NOT NULL,
    raw_image TEXT,
    overlay_image TEXT,
    disposition TEXT NOT NULL CHECK (disposition IN ('none', 'pending', 'accept_as_is',
                                                     'rework', 'scrap')),
    disposition_reason TEXT,
    disposition_by TEXT,
    disposition_at_utc TEXT
) STRICT;
CREATE INDEX inspections_by_time ON inspections (at_utc);
CREATE INDEX inspections_pending ON inspections (disposition) WHERE disposition = 'pending';

CREATE TABLE pores (
    inspection_id INTEGER NOT NULL REFERENCES inspections (id),
    n INTEGER NOT NULL,
    zone TEXT,
    x_px REAL NOT NULL,
    y_px REAL NOT NULL,
    diameter_mm REAL NOT NULL,
    feret_mm REAL NOT NULL,
    area_mm2 REAL NOT NULL,
    circularity REAL NOT NULL,
    score REAL NOT NULL,
    verdict TEXT,
    PRIMARY KEY (inspection_id, n)
) STRICT;
";

/// Version 8: a camera's calibration, `mm_per_px` (set from a known target or typed in; none
/// until an engineer sets it).
const V8_CAMERA_CALIBRATION: &str = "
ALTER TABLE cameras ADD COLUMN mm_per_px REAL CHECK (mm_per_px IS NULL OR mm_per_px > 0);
";

/// Version 9: mark verification. After each engraving job the bench camera's image of the mark
/// is decoded and graded; one row per verification (an item may be verified again after a
/// retry), the item moving to `verified` or `engrave_failed` in the same transaction. The grade
/// is kept whole as JSON beside its overall grade (0 F … 4 A); the image path is relative to the
/// station's image folder.
const V9_MARK_VERIFICATIONS: &str = "
CREATE TABLE mark_verifications (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items (id),
    job_id INTEGER REFERENCES engrave_jobs (id),
    decoded INTEGER NOT NULL CHECK (decoded IN (0, 1)),
    matched INTEGER NOT NULL CHECK (matched IN (0, 1)),
    payload_read TEXT,
    attempts INTEGER NOT NULL CHECK (attempts >= 1),
    overall_grade INTEGER CHECK (overall_grade IS NULL OR overall_grade BETWEEN 0 AND 4),
    grade_json TEXT,
    module_px REAL,
    image_path TEXT,
    reason TEXT,
    verified_by TEXT NOT NULL,
    at_utc TEXT NOT NULL
) STRICT;
CREATE INDEX mark_verifications_by_item ON mark_verifications (item_id, id);
CREATE INDEX mark_verifications_by_job ON mark_verifications (job_id, id);
";

/// Version 10: scan sessions. An operator scans parts, optionally against an expected set (a
/// batch, a lot or a list of UIDs, copied into `scan_expected` when the session starts so later
/// inventory changes do not rewrite it); each decoded code is a row with its result, judged when
/// it was scanned. A session is closed once; its summary is computed from the rows.
const V10_SCAN_SESSIONS: &str = "
CREATE TABLE scan_sessions (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    expected_kind TEXT NOT NULL CHECK (expected_kind IN ('none', 'batch', 'lot', 'list')),
    expected_ref TEXT,
    started_by TEXT NOT NULL,
    started_at_utc TEXT NOT NULL,
    closed_by TEXT,
    closed_at_utc TEXT
) STRICT;

CREATE TABLE scan_expected (
    session_id INTEGER NOT NULL REFERENCES scan_sessions (id),
    uid TEXT NOT NULL,
    PRIMARY KEY (session_id, uid)
) STRICT;

CREATE TABLE scans (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES scan_sessions (id),
    code_text TEXT NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('known', 'unknown', 'duplicate', 'wrong_lot',
                                           'wrong_status')),
    item_status TEXT,
    detail TEXT,
    image_path TEXT,
    scanned_by TEXT NOT NULL,
    at_utc TEXT NOT NULL
) STRICT;
CREATE INDEX scans_by_session ON scans (session_id, id);
CREATE INDEX scans_by_code ON scans (session_id, code_text);
";

const V11_CROSSCHECK: &str = "
CREATE TABLE crosscheck_sessions (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at_utc TEXT NOT NULL,
    verdict TEXT CHECK (verdict IN ('PASS', 'WARNING', 'FAIL')),
    checked_at_utc TEXT,
    checks_json TEXT,
    rules_json TEXT
) STRICT;
CREATE INDEX crosscheck_sessions_by_time ON crosscheck_sessions (created_at_utc);

CREATE TABLE crosscheck_files (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES crosscheck_sessions (id) ON DELETE CASCADE,
    original_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    stored_path TEXT NOT NULL,
    kind TEXT CHECK (kind IN ('traveler', 'bom', 'photo')),
    status TEXT NOT NULL CHECK (status IN ('queued', 'extracting', 'done', 'failed')),
    reason TEXT,
    fields_json TEXT
) STRICT;
CREATE INDEX crosscheck_files_by_session ON crosscheck_files (session_id, id);
CREATE INDEX crosscheck_files_by_hash ON crosscheck_files (sha256);
";

/// Version 12: work orders, their stages and the issues raised on stages, and per-product
/// routings (a product without one gets `domain::orders::DEFAULT_ROUTING`). A stage's
/// `blocked_from` is set exactly when it is blocked (the state `unblock` returns to); stages
/// and issues name users by their (unique, never reused) user name, like `created_by`
/// elsewhere. An order's status follows its stages and is kept here for filtering.
const V12_WORK_ORDERS: &str = "
CREATE TABLE routings (
    product_code TEXT NOT NULL,
    sequence INTEGER NOT NULL CHECK (sequence >= 1),
    stage_name TEXT NOT NULL CHECK (stage_name <> ''),
    PRIMARY KEY (product_code, sequence)
) STRICT;

CREATE TABLE work_orders (
    id INTEGER PRIMARY KEY,
    product_code TEXT NOT NULL CHECK (product_code <> ''),
    lot TEXT NOT NULL CHECK (lot <> ''),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    planned_start_utc TEXT NOT NULL,
    planned_end_utc TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('planned', 'in_progress', 'done')),
    created_by TEXT NOT NULL,
    created_at_utc TEXT NOT NULL,
    CHECK (planned_start_utc < planned_end_utc)
) STRICT;
CREATE INDEX work_orders_by_start ON work_orders (planned_start_utc);
CREATE INDEX work_orders_by_product ON work_orders (product_code, planned_start_utc);
CREATE INDEX work_orders_by_status ON work_orders (status, planned_start_utc);

CREATE TABLE work_order_stages (
    id INTEGER PRIMARY KEY,
    work_order_id INTEGER NOT NULL REFERENCES work_orders (id),
    sequence INTEGER NOT NULL CHECK (sequence >= 1),
    name TEXT NOT NULL,
    planned_start_utc TEXT NOT NULL,
    planned_end_utc TEXT NOT NULL,
    actual_start_utc TEXT,
    actual_end_utc TEXT,
    status TEXT NOT NULL CHECK (status IN ('planned', 'in_progress', 'done', 'blocked')),
    blocked_from TEXT CHECK (blocked_from IN ('planned', 'in_progress')),
    assigned_to TEXT,
    CHECK ((status = 'blocked') = (blocked_from IS NOT NULL)),
    UNIQUE (work_order_id, sequence)
) STRICT;
CREATE INDEX work_order_stages_by_assignee ON work_order_stages (assigned_to, status);

CREATE TABLE stage_issues (
    id INTEGER PRIMARY KEY,
    stage_id INTEGER NOT NULL REFERENCES work_order_stages (id),
    issue_type TEXT NOT NULL CHECK (issue_type IN ('material', 'machine', 'quality', 'safety',
                                                   'other')),
    description TEXT NOT NULL CHECK (description <> ''),
    raised_by TEXT NOT NULL,
    raised_at_utc TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
    acknowledged_by TEXT,
    acknowledged_at_utc TEXT,
    resolved_by TEXT,
    resolved_at_utc TEXT,
    resolution TEXT
) STRICT;
CREATE INDEX stage_issues_by_stage ON stage_issues (stage_id, id);
CREATE INDEX stage_issues_by_status ON stage_issues (status, raised_at_utc);
";

static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::new(vec![
        M::up(V1_STATION_USERS_AUDIT),
        M::up(V2_CAMERAS),
        M::up(V3_LOCKOUT_AUDIT_ANCHOR),
        M::up(V4_AUDIT_HASH_SCHEME_AND_SEAL),
        M::up(V5_ITEMS_INVENTORY),
        M::up(V6_ENGRAVE_JOBS),
        M::up(V7_POROSITY),
        M::up(V8_CAMERA_CALIBRATION),
        M::up(V9_MARK_VERIFICATIONS),
        M::up(V10_SCAN_SESSIONS),
        M::up(V11_CROSSCHECK),
        M::up(V12_WORK_ORDERS),
    ])
});

/// The schema version this build writes.
pub const LATEST_VERSION: i64 = 12;

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
