//! Commands from the faces (GUI, CLI, tests) to the runtime. Changes go to the store-writer;
//! queries go to the store-reader. Secrets travel only inside commands and are never logged.

use crate::domain::Role;
use crate::store::AuditFilter;

#[derive(Clone, PartialEq)]
pub enum Command {
    /// Check a user's PIN or password and make them the signed-in user.
    SignIn {
        name: String,
        secret: String,
    },
    SignOut,
    /// Create the first admin of a station with no users, and sign them in.
    CreateFirstAdmin {
        name: String,
        secret: String,
    },
    AddUser {
        name: String,
        role: Role,
        secret: String,
    },
    SetRole {
        user_id: i64,
        role: Role,
        reason: String,
    },
    SetDisabled {
        user_id: i64,
        disabled: bool,
        reason: String,
    },
    ResetSecret {
        user_id: i64,
        secret: String,
        reason: String,
    },
    RenameStation {
        name: String,
    },
    /// Names and roles for the sign-in screen (needs nobody signed in).
    ListSignIn,
    /// The full user list for Admin.
    ListUsers,
    QueryAudit(AuditFilter),
    VerifyAudit,
}

impl Command {
    /// Queries are answered by the reader; everything else changes records.
    pub fn is_query(&self) -> bool {
        matches!(
            self,
            Self::ListSignIn | Self::ListUsers | Self::QueryAudit(_) | Self::VerifyAudit
        )
    }

    /// A short name for logs and error messages.
    pub fn name(&self) -> &'static str {
        match self {
            Self::SignIn { .. } => "sign in",
            Self::SignOut => "sign out",
            Self::CreateFirstAdmin { .. } => "create the first admin",
            Self::AddUser { .. } => "add user",
            Self::SetRole { .. } => "change role",
            Self::SetDisabled { .. } => "enable or disable user",
            Self::ResetSecret { .. } => "reset PIN or password",
            Self::RenameStation { .. } => "rename station",
            Self::ListSignIn => "list sign-in users",
            Self::ListUsers => "list users",
            Self::QueryAudit(_) => "browse audit trail",
            Self::VerifyAudit => "verify audit trail",
        }
    }
}

/// Debug without secrets, so a command can be logged.
impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SignIn { name, .. } => write!(f, "SignIn {{ name: {name:?}, secret: *** }}"),
            Self::CreateFirstAdmin { name, .. } => {
                write!(f, "CreateFirstAdmin {{ name: {name:?}, secret: *** }}")
            }
            Self::AddUser { name, role, .. } => {
                write!(f, "AddUser {{ name: {name:?}, role: {role}, secret: *** }}")
            }
            Self::ResetSecret {
                user_id, reason, ..
            } => write!(
                f,
                "ResetSecret {{ user_id: {user_id}, secret: ***, reason: {reason:?} }}"
            ),
            other => f.write_str(other.name()),
        }
    }
}
