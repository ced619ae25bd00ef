//! The store-writer thread: owns the one write connection and the session. It groups whatever
//! commands are queued into one transaction (one fsync for a burst), reports each outcome only
//! after the commit, and signs an idle user out.

use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};

use super::context::Shared;
use super::worker::{WorkerCtx, WorkerExit};
use super::{Command, Event, SignOutReason};
use crate::domain::{Actor, Permission};
use crate::store::{LockoutPolicy, SignInOutcome, Store, StoreError, now_utc};

/// Work for the writer: a command, or a refusal another worker wants recorded.
pub(super) enum WriteJob {
    Command(Command),
    RecordDenial {
        actor: Actor,
        permission: Permission,
        action: &'static str,
    },
}

/// Sign-in rules the writer enforces.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub lockout: LockoutPolicy,
    /// `None` never signs out an idle user.
    pub idle_signout: Option<Duration>,
}

/// Most commands one transaction takes; the rest wait for the next.
const MAX_BATCH: usize = 64;
/// How often the idle sign-out is checked when no command arrives.
const IDLE_CHECK: Duration = Duration::from_millis(500);

/// What executing a job leads to, applied once the batch has committed.
enum Outcome {
    Event(Event),
    /// Several events, in order (a change and the state it produced).
    Events(Vec<Event>),
    SignedIn(Actor),
    SignedOut(Actor),
    Nothing,
}

/// The writer's body: serves jobs until its queue closes or its phase stops it and the queue
/// is empty, then records the sign-out of whoever is still signed in.
pub(super) fn run(
    store: &mut Store,
    jobs: &Receiver<WriteJob>,
    policy: SessionPolicy,
    context: &Shared,
    worker: &WorkerCtx,
) -> WorkerExit {
    loop {
        worker.beat();
        let first = match jobs.recv_timeout(IDLE_CHECK) {
            Ok(job) => job,
            Err(RecvTimeoutError::Timeout) if worker.is_stopped() => break,
            Err(RecvTimeoutError::Timeout) => {
                sign_out_if_idle(store, policy, context);
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let mut batch = vec![first];
        batch.extend(jobs.try_iter().take(MAX_BATCH - 1));
        run_batch(store, batch, policy, context);
        sign_out_if_idle(store, policy, context);
    }
    if let Some(actor) = context.session.actor() {
        if let Err(err) = store.sign_out(&actor, "station shut down") {
            tracing::error!("recording the sign-out at shutdown failed: {err:#}");
        }
        context.session.set(None);
    }
    tracing::info!("store-writer stopped");
    WorkerExit::Finished
}

fn run_batch(store: &mut Store, batch: Vec<WriteJob>, policy: SessionPolicy, context: &Shared) {
    if let Err(err) = store.begin_batch() {
        context.emit(Event::Failed {
            what: "save",
            error: format!("the database cannot start a transaction: {err:#}"),
        });
        return;
    }
    let outcomes: Vec<Outcome> = batch
        .into_iter()
        .map(|job| execute(store, job, policy, context))
        .collect();
    match store.commit_batch() {
        Ok(()) => {
            for outcome in outcomes {
                match outcome {
                    Outcome::Event(event) => context.emit(event),
                    Outcome::Events(events) => events.into_iter().for_each(|e| context.emit(e)),
                    Outcome::SignedIn(actor) => {
                        context.session.set(Some(actor.clone()));
                        context.emit(Event::SignedIn(actor));
                    }
                    Outcome::Nothing => {}
                    Outcome::SignedOut(actor) => {
                        context.session.set(None);
                        context.emit(Event::SignedOut {
                            name: actor.name,
                            reason: SignOutReason::Requested,
                        });
                    }
                }
            }
        }
        Err(err) => {
            tracing::error!(
                "commit failed, {} command(s) not saved: {err:#}",
                outcomes.len()
            );
            context.emit(Event::Failed {
                what: "save",
                error: format!(
                    "nothing of the last {} command(s) was saved: {err:#}. Check the disk and try again",
                    outcomes.len()
                ),
            });
        }
    }
}

fn execute(store: &mut Store, job: WriteJob, policy: SessionPolicy, context: &Shared) -> Outcome {
    let command = match job {
        WriteJob::Command(command) => command,
        WriteJob::RecordDenial {
            actor,
            permission,
            action,
        } => {
            return match store.require(&actor, permission, action, "station", "") {
                Err(err) => Outcome::Event(Event::Refused(format!("{err:#}"))),
                // The role changed since the check: nothing to record.
                Ok(()) => Outcome::Nothing,
            };
        }
    };
    let what = command.name();
    if let Command::SignIn { name, secret } = &command {
        return match store.sign_in(name, secret, policy.lockout, now_utc()) {
            Ok(SignInOutcome::SignedIn(actor)) => Outcome::SignedIn(actor),
            Ok(SignInOutcome::Refused(refusal)) => {
                Outcome::Event(Event::SignInRefused(refusal.to_string()))
            }
            Err(err) => failed(what, &err),
        };
    }
    if let Command::CreateFirstAdmin { name, secret } = &command {
        return match store.create_first_admin(name, secret) {
            Ok(actor) => Outcome::SignedIn(actor),
            Err(err) => failed(what, &err),
        };
    }
    let Some(actor) = context.session.actor() else {
        return Outcome::Event(Event::Refused(format!(
            "Sign in first: nobody is signed in to {what}."
        )));
    };
    let actor = (*actor).clone();
    let result = match command {
        Command::SignOut => {
            return match store.sign_out(&actor, "signed out") {
                Ok(()) => Outcome::SignedOut(actor),
                Err(err) => failed(what, &err),
            };
        }
        Command::AddUser { name, role, secret } => store
            .add_user(&actor, &name, role, &secret)
            .map(|user| format!("Added {} as {}.", user.name, user.role)),
        Command::SetRole {
            user_id,
            role,
            reason,
        } => store
            .set_role(&actor, user_id, role, &reason)
            .map(|()| format!("Role changed to {role}.")),
        Command::SetDisabled {
            user_id,
            disabled,
            reason,
        } => store
            .set_disabled(&actor, user_id, disabled, &reason)
            .map(|()| {
                if disabled {
                    "User disabled."
                } else {
                    "User enabled."
                }
                .to_owned()
            }),
        Command::ResetSecret {
            user_id,
            secret,
            reason,
        } => store
            .reset_secret(&actor, user_id, &secret, &reason)
            .map(|kind| format!("New {} set; any lockout is cleared.", kind.as_str())),
        Command::RenameStation { name } => {
            return match store
                .set_station_name(&actor, &name)
                .and_then(|()| store.settings())
            {
                Ok(settings) => Outcome::Events(vec![
                    Event::Settings(settings),
                    Event::Done(format!("Station renamed to {name}.")),
                ]),
                Err(err) => failed(what, &err),
            };
        }
        Command::SignIn { .. }
        | Command::CreateFirstAdmin { .. }
        | Command::ListSignIn
        | Command::ListUsers
        | Command::QueryAudit(_)
        | Command::VerifyAudit => {
            return Outcome::Event(Event::Failed {
                what,
                error: "sent to the wrong worker (a bug): report it".to_owned(),
            });
        }
    };
    match result {
        Ok(message) => Outcome::Event(Event::Done(message)),
        Err(err) => failed(what, &err),
    }
}

fn failed(what: &'static str, err: &StoreError) -> Outcome {
    match err {
        StoreError::Forbidden { .. } => Outcome::Event(Event::Refused(format!("{err:#}"))),
        _ => {
            tracing::warn!("{what} failed: {err:#}");
            Outcome::Event(Event::Failed {
                what,
                error: format!("{err:#}"),
            })
        }
    }
}

fn sign_out_if_idle(store: &mut Store, policy: SessionPolicy, context: &Shared) {
    let (Some(limit), Some(actor)) = (policy.idle_signout, context.session.actor()) else {
        return;
    };
    if context.session.idle_for() < limit {
        return;
    }
    let reason = format!("idle for {} s", limit.as_secs());
    if let Err(err) = store.sign_out(&actor, &reason) {
        tracing::error!("recording the idle sign-out failed: {err:#}");
    }
    context.session.set(None);
    context.emit(Event::SignedOut {
        name: actor.name.clone(),
        reason: SignOutReason::Idle,
    });
}
