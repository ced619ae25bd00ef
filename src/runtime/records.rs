//! Records from capabilities to the store: an inspection, an engraving job, a scan. A capability
//! defines its record type, implements `StoreRecord`, and submits it through a `StoreHandle`;
//! the store-writer commits it in its next batch and only then acknowledges it, so "done" on
//! screen always means "on disk". Adding a record type edits nothing in the writer.
//!
//! Records are lossless: submitting waits briefly for room and reports a full queue rather than
//! dropping the record.

use std::time::Duration;

use crossbeam_channel::{SendTimeoutError, Sender};

use super::RuntimeError;
use super::writer::WriteJob;
use crate::domain::Actor;
use crate::store::{Store, StoreError};

/// A record a capability wants committed.
pub trait StoreRecord: Send {
    /// What it is, for logs and the operator ("save inspection").
    fn name(&self) -> &'static str;

    /// Writes the record inside the writer's open batch. `actor` is the signed-in user, if
    /// any. An error undoes only this record (the store runs each write in its own savepoint).
    fn write(&mut self, store: &mut Store, actor: Option<&Actor>) -> Result<(), StoreError>;

    /// Called on the writer's thread once the outcome is final: `Ok` after the commit, `Err`
    /// with the reason when the record or its batch was not saved. Must not block: hand the
    /// result to your own worker's queue.
    fn acknowledge(self: Box<Self>, outcome: Result<(), String>);
}

/// How long `submit` waits for room in the writer's queue.
const SUBMIT_WAIT: Duration = Duration::from_secs(2);

/// Submits records to the store-writer. Cheap to clone into capability workers.
#[derive(Clone)]
pub struct StoreHandle {
    pub(super) writer: Sender<WriteJob>,
}

impl StoreHandle {
    /// Queues `record` for the next batch; waits up to two seconds for room.
    pub fn submit(&self, record: Box<dyn StoreRecord>) -> Result<(), RuntimeError> {
        let name = record.name();
        match self
            .writer
            .send_timeout(WriteJob::Record(record), SUBMIT_WAIT)
        {
            Ok(()) => Ok(()),
            Err(SendTimeoutError::Timeout(_)) => {
                tracing::error!(
                    "{name}: the store-writer's queue stayed full for {} s",
                    SUBMIT_WAIT.as_secs()
                );
                Err(RuntimeError::Busy(self.writer.len()))
            }
            Err(SendTimeoutError::Disconnected(_)) => Err(RuntimeError::Stopped),
        }
    }
}
