//! Roles and the permissions each one grants (`specs/operations.md`). The table here is the only
//! place that decides who may do what; the runtime and the store ask it before acting.

use std::fmt;
use std::str::FromStr;

/// A user's role, from least to most privileged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Viewer,
    Operator,
    Engineer,
    Admin,
}

/// Something a user may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See live camera views, history and statistics.
    ViewLive,
    /// Run inspections, scan, engrave queued jobs, start and finish stages, raise issues.
    Operate,
    /// Edit recipes, zones, rules and cameras; sign dispositions; plan work orders.
    Engineer,
    /// Add users, change roles, reset secrets, disable accounts.
    ManageUsers,
    /// Change station settings, back up and restore.
    ManageStation,
    /// Browse and verify the audit trail.
    ViewAudit,
}

impl Permission {
    /// The least privileged role holding this permission.
    pub fn minimum_role(self) -> Role {
        match self {
            Self::ViewLive => Role::Viewer,
            Self::Operate => Role::Operator,
            Self::Engineer | Self::ViewAudit => Role::Engineer,
            Self::ManageUsers | Self::ManageStation => Role::Admin,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ViewLive => "view live",
            Self::Operate => "operate",
            Self::Engineer => "engineer",
            Self::ManageUsers => "manage users",
            Self::ManageStation => "manage station",
            Self::ViewAudit => "view audit",
        }
    }
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Operator, Role::Engineer, Role::Admin];

    /// Roles are ordered: each one may do everything the ones below it may.
    pub fn permits(self, permission: Permission) -> bool {
        self >= permission.minimum_role()
    }

    /// Engineers and admins must use a password; the others may use a PIN.
    pub fn requires_password(self) -> bool {
        self >= Role::Engineer
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Operator => "operator",
            Self::Engineer => "engineer",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown role {0:?}: expected one of viewer, operator, engineer, admin")]
pub struct RoleParseError(pub String);

impl FromStr for Role {
    type Err = RoleParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| RoleParseError(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_cumulative() {
        assert!(Role::Admin.permits(Permission::ManageUsers));
        assert!(Role::Admin.permits(Permission::Operate));
        assert!(Role::Engineer.permits(Permission::Engineer));
        assert!(Role::Engineer.permits(Permission::ViewAudit));
        assert!(!Role::Engineer.permits(Permission::ManageUsers));
        assert!(Role::Operator.permits(Permission::Operate));
        assert!(!Role::Operator.permits(Permission::ViewAudit));
        assert!(!Role::Viewer.permits(Permission::Operate));
        assert!(Role::Viewer.permits(Permission::ViewLive));
    }

    #[test]
    fn parses_round_trip_and_rejects_unknown() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!(" Admin ".parse::<Role>(), Ok(Role::Admin));
        assert!("root".parse::<Role>().is_err());
    }
}
