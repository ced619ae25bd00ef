//! Commands from the faces (GUI, CLI, tests) to the station's record workers, one type per
//! capability: users and the session, the audit trail, the station's settings. `Command` only
//! routes them (changes go to the store-writer, queries to the store-reader, a chain check to
//! the audit verifier). Capabilities with workers of their own (cameras, vision, later the
//! engraver) have typed handles instead (`Runtime::start_capability`) and never appear here.
//! Secrets travel only inside commands and are never logged.

use crate::domain::Role;
use crate::store::AuditFilter;

/// Users and the session.
#[derive(Clone, PartialEq)]
pub enum UsersCommand {
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
    Add {
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
    /// Names and roles for the sign-in screen (needs nobody signed in).
    ListSignIn,
    /// The full user list for Admin.
    List,
}

impl UsersCommand {
    /// Lists are answered by the reader; everything else changes records.
    pub fn is_query(&self) -> bool {
        matches!(self, Self::ListSignIn | Self::List)
    }

    /// A short name for logs and error messages.
    pub fn name(&self) -> &'static str {
        match self {
            Self::SignIn { .. } => "sign in",
            Self::SignOut => "sign out",
            Self::CreateFirstAdmin { .. } => "create the first admin",
            Self::Add { .. } => "add user",
            Self::SetRole { .. } => "change role",
            Self::SetDisabled { .. } => "enable or disable user",
            Self::ResetSecret { .. } => "reset PIN or password",
            Self::ListSignIn => "list sign-in users",
            Self::List => "list users",
        }
    }
}

/// Debug without secrets, so a command can be logged.
impl std::fmt::Debug for UsersCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SignIn { name, .. } => write!(f, "SignIn {{ name: {name:?}, secret: *** }}"),
            Self::CreateFirstAdmin { name, .. } => {
                write!(f, "CreateFirstAdmin {{ name: {name:?}, secret: *** }}")
            }
            Self::Add { name, role, .. } => {
                write!(f, "Add {{ name: {name:?}, role: {role}, secret: *** }}")
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

/// The audit trail: browse it, or check its chain.
#[derive(Debug, Clone, PartialEq)]
pub enum AuditQuery {
    Rows(AuditFilter),
    /// Walk the whole chain (on its own worker, with progress).
    Verify,
}

impl AuditQuery {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Rows(_) => "browse audit trail",
            Self::Verify => "verify audit trail",
        }
    }
}

/// The station's own settings.
#[derive(Debug, Clone, PartialEq)]
pub enum StationCommand {
    Rename { name: String },
}

impl StationCommand {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Rename { .. } => "rename station",
        }
    }
}

/// A command for one of the record capabilities; `Runtime::send` routes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Users(UsersCommand),
    Audit(AuditQuery),
    Station(StationCommand),
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Users(command) => command.name(),
            Self::Audit(query) => query.name(),
            Self::Station(command) => command.name(),
        }
    }
}

impl From<UsersCommand> for Command {
    fn from(command: UsersCommand) -> Self {
        Self::Users(command)
    }
}

impl From<AuditQuery> for Command {
    fn from(query: AuditQuery) -> Self {
        Self::Audit(query)
    }
}

impl From<StationCommand> for Command {
    fn from(command: StationCommand) -> Self {
        Self::Station(command)
    }
}
