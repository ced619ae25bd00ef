//! Events from the runtime to the faces. The UI drains them each frame within a time budget
//! and updates its state; nothing else crosses from workers to the UI.

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

#[derive(Debug, Clone)]
pub enum Event {
    SignedIn(Actor),
    SignInRefused(String),
    SignedOut {
        name: String,
        reason: SignOutReason,
    },
    /// The station has no users yet: the GUI asks for the first admin.
    NeedsFirstAdmin,
    SignInList(Vec<SignInEntry>),
    Users(Vec<UserRecord>),
    Audit {
        filter: AuditFilter,
        rows: Vec<AuditRow>,
    },
    AuditVerified(ChainReport),
    Settings(StationSettings),
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
