//! Events from the record workers to the faces, one type per capability. The UI drains them
//! each frame within a time budget; device and worker health are snapshots, not events.

use crate::domain::{Actor, Role};
use crate::store::{AuditFilter, AuditRow, ChainReport, StationSettings, UserRecord};

/// A user as offered on the sign-in screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInEntry {
    pub name: String,
    pub role: Role,
    pub uses_pin: bool,
    pub locked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignOutReason {
    Requested,
    Idle,
    /// An administrator disabled or removed the account while it was signed in; the text is
    /// for the user ("Your account was disabled by an administrator.").
    AccountChanged(String),
}

/// What became of users and the session.
#[derive(Debug, Clone)]
pub enum UsersEvent {
    SignedIn(Actor),
    SignInRefused(String),
    SignedOut {
        name: String,
        reason: SignOutReason,
    },
    /// The station has no users yet: the GUI asks for the first admin.
    NeedsFirstAdmin,
    SignInList(Vec<SignInEntry>),
    List(Vec<UserRecord>),
}

/// Answers from the audit trail.
#[derive(Debug, Clone)]
pub enum AuditEvent {
    Rows {
        filter: AuditFilter,
        rows: Vec<AuditRow>,
    },
    /// A chain check under way: rows checked so far of the total when it began.
    VerifyProgress {
        checked: u64,
        total: u64,
    },
    Verified(ChainReport),
}

/// The station's settings as committed.
#[derive(Debug, Clone)]
pub enum StationEvent {
    Settings(StationSettings),
}

/// What the record workers tell the faces, by capability, plus the outcome of a change.
#[derive(Debug, Clone)]
pub enum Event {
    Users(UsersEvent),
    Audit(AuditEvent),
    Station(StationEvent),
    /// A change was committed; the text says what, for the operator.
    Done(String),
    /// The signed-in user's role does not allow the command. Already in the audit trail.
    Refused(String),
    /// A command failed; the text says what happened and what to do.
    Failed {
        what: &'static str,
        error: String,
    },
}
