//! The store-reader thread: answers queries on its own read-only connection, so the UI never
//! runs SQL and the writer is never held up by a long browse. Role checks happen here too; a
//! refusal is passed to the writer to be recorded. The signed-in user's role is re-read from the
//! database before each check; if the account changed, the writer is asked to update or end the
//! session (it owns the session and records the change).

use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::context::Shared;
use super::worker::{WorkerCtx, WorkerExit};
use super::writer::WriteJob;
use super::{AuditEvent, AuditQuery, Command, Event, SignInEntry, UsersCommand, UsersEvent};
use crate::domain::{Actor, Permission, SecretKind};
use crate::store::{ActorNow, StoreError, StoreReader, now_utc};

/// How long the reader waits for a query before it beats its heartbeat again.
const POLL: Duration = Duration::from_millis(500);

/// The reader's body: answers queries until its queue closes or its phase stops it.
pub(super) fn run(
    reader: &StoreReader,
    queries: &Receiver<Command>,
    writer: &Sender<WriteJob>,
    context: &Shared,
    worker: &WorkerCtx,
) -> WorkerExit {
    loop {
        worker.beat();
        let query = match queries.recv_timeout(POLL) {
            Ok(query) => query,
            Err(RecvTimeoutError::Timeout) if worker.is_stopped() => break,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let what = query.name();
        let needed = match &query {
            Command::Users(UsersCommand::ListSignIn) => None,
            Command::Users(UsersCommand::List) => Some(Permission::ManageUsers),
            _ => Some(Permission::ViewAudit),
        };
        if let Some(permission) = needed {
            let Some(actor) = current_actor(reader, writer, context, what) else {
                continue;
            };
            match actor {
                Some(actor) if actor.may(permission) => {}
                Some(actor) => {
                    let denial = WriteJob::RecordDenial {
                        actor,
                        permission,
                        action: what,
                    };
                    if writer.send_timeout(denial, Duration::from_secs(2)).is_err() {
                        tracing::error!(
                            "could not record a refused {what}: the writer is gone or stuck"
                        );
                    }
                    continue;
                }
                None => {
                    context.emit(Event::Refused(format!("Sign in first to {what}.")));
                    continue;
                }
            }
        }
        let result = if query == Command::Audit(AuditQuery::Verify) {
            verify_chain(reader, context, worker)
        } else {
            answer(reader, query)
        };
        match result {
            Ok(event) => context.emit(event),
            Err(err) => context.emit(Event::Failed {
                what,
                error: format!("{err:#}"),
            }),
        }
    }
    tracing::info!("store-reader stopped");
    WorkerExit::Finished
}

/// The signed-in actor as the database has them now: `Some(None)` when nobody is signed in,
/// `None` when the query must be dropped (the account was disabled or removed: the writer ends
/// the session and tells the user; or the account could not be read: reported here).
fn current_actor(
    reader: &StoreReader,
    writer: &Sender<WriteJob>,
    context: &Shared,
    what: &'static str,
) -> Option<Option<Actor>> {
    let Some(actor) = context.session.actor() else {
        return Some(None);
    };
    let now = match reader.current_actor(&actor) {
        Ok(now) => now,
        Err(err) => {
            context.emit(Event::Failed {
                what,
                error: format!("cannot check your account: {err:#}"),
            });
            return None;
        }
    };
    if !matches!(now, ActorNow::Same(_))
        && writer
            .send_timeout(WriteJob::RefreshSession, Duration::from_secs(2))
            .is_err()
    {
        tracing::error!("could not ask the writer to refresh the session: it is gone or stuck");
    }
    match now {
        ActorNow::Same(now) | ActorNow::RoleChanged { actor: now, .. } => Some(Some(now)),
        ActorNow::Disabled | ActorNow::Removed => None,
    }
}

/// How often a chain check reports its progress.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

/// Walks the whole chain, telling the UI how far it got a few times a second and beating the
/// worker's heartbeat as it goes (a long trail is slow, not stalled).
fn verify_chain(
    reader: &StoreReader,
    context: &Shared,
    worker: &WorkerCtx,
) -> Result<Event, StoreError> {
    let mut last = std::time::Instant::now();
    context.emit(Event::Audit(AuditEvent::VerifyProgress {
        checked: 0,
        total: 0,
    }));
    let report = reader.verify_audit_with_progress(&mut |checked, total| {
        if last.elapsed() >= PROGRESS_EVERY {
            last = std::time::Instant::now();
            worker.beat();
            context.emit(Event::Audit(AuditEvent::VerifyProgress { checked, total }));
        }
    })?;
    Ok(Event::Audit(AuditEvent::Verified(report)))
}

fn answer(reader: &StoreReader, query: Command) -> Result<Event, StoreError> {
    Ok(match query {
        Command::Users(UsersCommand::ListSignIn) => {
            let users = reader.users()?;
            if users.is_empty() {
                Event::Users(UsersEvent::NeedsFirstAdmin)
            } else {
                let now = now_utc();
                Event::Users(UsersEvent::SignInList(
                    users
                        .into_iter()
                        .filter(|user| !user.disabled)
                        .map(|user| SignInEntry {
                            locked: user.is_locked_at(now),
                            uses_pin: user.secret_kind == SecretKind::Pin,
                            name: user.name,
                            role: user.role,
                        })
                        .collect(),
                ))
            }
        }
        Command::Users(UsersCommand::List) => Event::Users(UsersEvent::List(reader.users()?)),
        Command::Audit(AuditQuery::Rows(filter)) => {
            let rows = reader.audit(&filter)?;
            Event::Audit(AuditEvent::Rows { filter, rows })
        }
        other => Event::Failed {
            what: other.name(),
            error: "sent to the reader, which only answers queries (a bug): report it".to_owned(),
        },
    })
}
