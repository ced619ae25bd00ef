//! Role checks where actions are executed. A refusal is itself a record: it is written to the
//! audit trail and committed before the caller gets `Forbidden`.

use super::audit::{AuditEntry, append};
use super::{Store, StoreError};
use crate::domain::{Actor, Permission};

impl Store {
    /// Ok when `actor` holds `permission`; otherwise records the refusal and returns
    /// `Forbidden`. `action` is what was attempted, for the record and the message.
    pub fn require(
        &mut self,
        actor: &Actor,
        permission: Permission,
        action: &str,
        entity: &str,
        entity_id: &str,
    ) -> Result<(), StoreError> {
        if actor.may(permission) {
            return Ok(());
        }
        let savepoint = self.conn.savepoint()?;
        append(
            &savepoint,
            &AuditEntry::new(&actor.name, "denied", entity, entity_id)
                .change(None, Some(action.to_owned()))
                .reason(format!(
                    "role {} lacks '{}'",
                    actor.role,
                    permission.as_str()
                )),
        )?;
        savepoint.commit()?;
        Err(StoreError::Forbidden {
            actor: actor.name.clone(),
            role: actor.role,
            action: action.to_owned(),
            needed: permission,
        })
    }
}
