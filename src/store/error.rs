//! Errors of the store, each saying what failed and what to do about it.

use std::path::PathBuf;

use crate::domain::orders::{IssueTransitionError, StageTransitionError, WorkOrderError};
use crate::domain::{
    MAX_SEQ, Permission, Role, SecretPolicyError, TransitionError, UidError, UserNameError,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot create {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot upgrade the database {path} to schema version {latest}: {reason}. Nothing was changed; restore a backup or run a newer qcstation"
    )]
    Migration {
        path: PathBuf,
        latest: i64,
        reason: String,
    },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{actor} ({role}) may not {action}: it needs the '{}' permission ({} or above)", needed.as_str(), needed.minimum_role())]
    Forbidden {
        actor: String,
        role: Role,
        action: String,
        needed: Permission,
    },
    #[error("{actor}'s account is {state}: {action} was refused. Ask an administrator")]
    AccountInactive {
        actor: String,
        state: &'static str,
        action: String,
    },
    #[error("a reason is required to {action} (field 'reason'): it goes to the audit trail")]
    ReasonRequired { action: &'static str },
    #[error(
        "the database rolled the transaction back itself (disk full or I/O error): nothing of the batch was saved"
    )]
    BatchLost,
    #[error("{path}: {reason}")]
    BadSeal { path: PathBuf, reason: String },
    #[error("no user named {0:?}")]
    UnknownUser(String),
    #[error("a user named {0:?} already exists")]
    DuplicateUser(String),
    #[error(transparent)]
    UserName(#[from] UserNameError),
    #[error(transparent)]
    SecretPolicy(#[from] SecretPolicyError),
    #[error("no item with UID {0:?}")]
    UnknownItem(String),
    #[error("{uid}: {refused}")]
    Transition {
        uid: String,
        refused: TransitionError,
    },
    #[error(
        "{lot} cannot take {count} more item(s): its next sequence is {next_seq} and sequences end at {MAX_SEQ}, so {} are left (a sequence is never reused): allocate at most that many, or start a new lot", left_in_lot(*next_seq)
    )]
    SequenceExhausted {
        /// `COMPONENT-VENDOR-LOT`.
        lot: String,
        next_seq: u32,
        count: u32,
    },
    #[error(transparent)]
    Uid(#[from] UidError),
    #[error(transparent)]
    WorkOrder(#[from] WorkOrderError),
    #[error("no work order with id {0}")]
    UnknownWorkOrder(i64),
    #[error("no stage with id {0}")]
    UnknownStage(i64),
    #[error("no issue with id {0}")]
    UnknownIssue(i64),
    #[error(transparent)]
    StageTransition(#[from] StageTransitionError),
    #[error(transparent)]
    IssueTransition(#[from] IssueTransitionError),
    #[error(
        "{actor} may not {action} stage '{stage}': it is assigned to {assignee}. Ask an engineer to reassign it"
    )]
    NotAssigned {
        actor: String,
        action: String,
        stage: String,
        assignee: String,
    },
    #[error("{0}")]
    Invalid(String),
}

fn left_in_lot(next_seq: u32) -> u32 {
    (MAX_SEQ + 1).saturating_sub(next_seq)
}
