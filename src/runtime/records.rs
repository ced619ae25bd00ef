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

/// A store change a worker needs the result of (the job it started, the batch it allocated):
/// the call runs in the writer's next batch, and its result comes back only once that batch
/// committed, or the reason it was not saved.
pub struct StoreCall<T: Send + 'static> {
    name: &'static str,
    #[allow(clippy::type_complexity)]
    call: Option<Box<dyn FnOnce(&mut Store) -> Result<T, StoreError> + Send>>,
    result: Option<T>,
    reply: Sender<Result<T, String>>,
}

impl<T: Send + 'static> StoreRecord for StoreCall<T> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn write(&mut self, store: &mut Store, _actor: Option<&Actor>) -> Result<(), StoreError> {
        let call = self
            .call
            .take()
            .ok_or_else(|| StoreError::Invalid(format!("{}: written twice", self.name)))?;
        self.result = Some(call(store)?);
        Ok(())
    }

    fn acknowledge(self: Box<Self>, outcome: Result<(), String>) {
        let this = *self;
        let answer = outcome.and_then(|()| {
            this.result
                .ok_or_else(|| format!("{}: committed without a result", this.name))
        });
        // The caller may have stopped waiting (shutdown); then nobody needs the answer.
        let _ = this.reply.try_send(answer);
    }
}

impl StoreHandle {
    /// Runs `call` in the writer's next batch and waits (up to `wait`) until it is committed;
    /// returns its result, or why it was not saved.
    pub fn call<T: Send + 'static>(
        &self,
        name: &'static str,
        wait: Duration,
        call: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, String> {
        let (reply, answer) = crossbeam_channel::bounded(1);
        self.submit(Box::new(StoreCall {
            name,
            call: Some(Box::new(call)),
            result: None,
            reply,
        }))
        .map_err(|err| format!("{name}: {err}"))?;
        answer.recv_timeout(wait).map_err(|_| {
            format!(
                "{name}: the store did not answer within {} s",
                wait.as_secs()
            )
        })?
    }
}

impl StoreHandle {
    /// Like `call`, without waiting for the result: for records whose loss is logged, not
    /// acted on (a job's progress, rewritten every few seconds).
    pub fn call_later<T: Send + 'static>(
        &self,
        name: &'static str,
        call: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) {
        let (reply, _unheard) = crossbeam_channel::bounded(1);
        let record = StoreCall {
            name,
            call: Some(Box::new(call)),
            result: None,
            reply,
        };
        if let Err(err) = self.submit(Box::new(record)) {
            tracing::warn!("{name}: not submitted: {err}");
        }
    }
}
