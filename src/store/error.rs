//! Errors of the store, each saying what failed and what to do about it.

use std::path::PathBuf;

use crate::domain::{Permission, Role, SecretPolicyError, UserNameError};

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
    #[error("{0}")]
    Invalid(String),
}
