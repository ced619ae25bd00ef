//! Role checks where actions are executed, against the database: the role an actor holds is
//! re-read from `users` at the moment the action runs, so demoting or disabling a signed-in user
//! takes effect on their next action, not at their next sign-in. A refusal is itself a record:
//! it is written to the audit trail and committed before the caller gets the error.

use rusqlite::{Connection, OptionalExtension};

use super::audit::{AuditEntry, append};
use super::{Store, StoreError, StoreReader};
use crate::domain::{Actor, Permission, Role};

/// A signed-in actor as the database has them now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActorNow {
    /// Unchanged (always so for the console, which has no user row).
    Same(Actor),
    /// Still enabled, with another role than the one captured at sign-in.
    RoleChanged {
        actor: Actor,
        was: Role,
    },
    Disabled,
    Removed,
}

impl ActorNow {
    /// What to tell the user whose account changed under them; `None` when nothing changed.
    pub fn message(&self) -> Option<String> {
        match self {
            Self::Same(_) => None,
            Self::RoleChanged { actor, .. } => Some(format!(
                "Your role is now {} (changed by an administrator).",
                actor.role
            )),
            Self::Disabled => Some("Your account was disabled by an administrator.".to_owned()),
            Self::Removed => Some("Your account was removed by an administrator.".to_owned()),
        }
    }
}

pub(super) fn actor_now(conn: &Connection, actor: &Actor) -> Result<ActorNow, StoreError> {
    let Some(user_id) = actor.user_id else {
        return Ok(ActorNow::Same(actor.clone()));
    };
    let row: Option<(String, String, i64)> = conn
        .query_row(
            "SELECT name, role, disabled FROM users WHERE id = ?1",
            [user_id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    Ok(match row {
        None => ActorNow::Removed,
        Some((_, _, disabled)) if disabled != 0 => ActorNow::Disabled,
        Some((name, role, _)) => {
            // The CHECK constraint keeps roles valid; a hand-edited value gets least privilege.
            let role = role.parse().unwrap_or(Role::Viewer);
            let now = Actor {
                user_id: Some(user_id),
                name,
                role,
            };
            if role == actor.role {
                ActorNow::Same(now)
            } else {
                ActorNow::RoleChanged {
                    actor: now,
                    was: actor.role,
                }
            }
        }
    })
}

impl StoreReader {
    /// Re-reads a signed-in actor's role and state.
    pub fn current_actor(&self, actor: &Actor) -> Result<ActorNow, StoreError> {
        actor_now(&self.conn, actor)
    }
}

impl Store {
    /// Re-reads a signed-in actor's role and state.
    pub fn current_actor(&self, actor: &Actor) -> Result<ActorNow, StoreError> {
        actor_now(&self.conn, actor)
    }

    /// Returns the actor as the database has them now when they hold `permission` there;
    /// otherwise records the refusal and returns `Forbidden` (or `AccountInactive` for a
    /// disabled or removed account). The role passed in is not trusted: only the user's id is.
    /// `action` is what was attempted, for the record and the message.
    pub fn require(
        &mut self,
        actor: &Actor,
        permission: Permission,
        action: &str,
        entity: &str,
        entity_id: &str,
    ) -> Result<Actor, StoreError> {
        let (refused, why) = match actor_now(&self.conn, actor)? {
            ActorNow::Same(now) | ActorNow::RoleChanged { actor: now, .. } => {
                if now.may(permission) {
                    return Ok(now);
                }
                let why = format!("role {} lacks '{}'", now.role, permission.as_str());
                (
                    StoreError::Forbidden {
                        actor: now.name,
                        role: now.role,
                        action: action.to_owned(),
                        needed: permission,
                    },
                    why,
                )
            }
            state @ (ActorNow::Disabled | ActorNow::Removed) => {
                let state = if state == ActorNow::Disabled {
                    "disabled"
                } else {
                    "removed"
                };
                (
                    StoreError::AccountInactive {
                        actor: actor.name.clone(),
                        state,
                        action: action.to_owned(),
                    },
                    format!("account {state}"),
                )
            }
        };
        self.record_denial(actor, action, entity, entity_id, why)?;
        Err(refused)
    }

    /// A refused action in the audit trail: who, what, on what, and why.
    pub(super) fn record_denial(
        &mut self,
        actor: &Actor,
        action: &str,
        entity: &str,
        entity_id: &str,
        why: String,
    ) -> Result<(), StoreError> {
        let savepoint = self.conn.savepoint()?;
        append(
            &savepoint,
            &AuditEntry::new(&actor.name, "denied", entity, entity_id)
                .change(None, Some(action.to_owned()))
                .reason(why),
        )?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(())
    }
}
