//! Who performs an action: a signed-in user, or the station's console (the CLI, run by someone
//! who already has the machine's shell and therefore the database file).

use super::{Permission, Role};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user's row id; `None` for the console.
    pub user_id: Option<i64>,
    pub name: String,
    pub role: Role,
}

impl Actor {
    /// The command line on the station itself. Whoever runs it can already read and write the
    /// database file, so it acts as an administrator; the audit trail names it and the OS user
    /// (which the caller reads from its environment: the domain reads none).
    pub fn console(os_user: &str) -> Self {
        Self {
            user_id: None,
            name: format!("console:{os_user}"),
            role: Role::Admin,
        }
    }

    /// The station itself, recording what its own workers observed (a job cut short when the
    /// station stopped, a mark verified by the bench camera). It may operate, nothing more.
    pub fn station(worker: &str) -> Self {
        Self {
            user_id: None,
            name: format!("station:{worker}"),
            role: Role::Operator,
        }
    }

    pub fn may(&self, permission: Permission) -> bool {
        self.role.permits(permission)
    }
}
