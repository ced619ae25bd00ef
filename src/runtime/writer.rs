//! The store-writer thread: owns the one write connection and the session. It groups whatever
//! commands are queued into one transaction (one fsync for a burst), reports each outcome only
//! after the commit, and signs an idle user out.
//!
//! The slow part of a command (argon2 hashing and verification) is done for the whole batch
//! before the transaction opens, so it never holds up the records queued behind it. Before
//! acting for the signed-in user, the writer re-reads their account: a demotion takes effect at
//! once, a disabled or removed account ends the session. A batch the database refuses (a failed
//! BEGIN or COMMIT, or SQLite rolling back on its own) is rolled back and reported record by
//! record, and the writer goes on serving.

use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};

use super::context::Shared;
use super::records::StoreRecord;
use super::worker::{WorkerCtx, WorkerExit};
use super::{
    AuditQuery, Command, Event, SignOutReason, StationCommand, StationEvent, UsersCommand,
    UsersEvent,
};
use crate::auth::{check_stored_secret, new_secret_hash};
use crate::domain::{Actor, Permission, Role, SecretHash};
use crate::store::{
    ActorNow, LockoutPolicy, SecretCheck, SignInOutcome, Store, StoreError, now_utc,
};

/// Work for the writer: a command, or a refusal another worker wants recorded.
pub(super) enum WriteJob {
    Command(Command),
    RecordDenial {
        actor: Actor,
        permission: Permission,
        action: &'static str,
    },
    /// Another worker saw that the signed-in user's account changed: re-read it, and end or
    /// update the session (recorded here, where the session is owned).
    RefreshSession,
    /// A capability's record (an inspection, an engraving job).
    Record(Box<dyn StoreRecord>),
}

impl WriteJob {
    fn name(&self) -> &'static str {
        match self {
            Self::Command(command) => command.name(),
            Self::RecordDenial { .. } => "record a refusal",
            Self::RefreshSession => "check the signed-in account",
            Self::Record(record) => record.name(),
        }
    }
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
    /// A capability's record and how its write went; acknowledged after the commit.
    Record(Box<dyn StoreRecord>, Result<(), String>),
    Nothing,
}

/// What a job needs that is slow to compute, done before the transaction opens.
enum Prepared {
    Nothing,
    /// Sign-in: the stored hash read and verified (`None`: no such user).
    SignIn(Result<Option<SecretCheck>, String>),
    /// A new secret checked against the policy and hashed.
    Secret(Result<SecretHash, String>),
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
    if store.batch_is_open() {
        // A panic ended the last run mid-batch: nothing of it was acknowledged; undo it.
        tracing::warn!("store-writer restarted inside a batch: rolling it back");
        if let Err(err) = store.rollback_batch() {
            tracing::error!("rolling back the interrupted batch failed: {err:#}");
        }
    }
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

/// Reports every job of a batch the database did not save, one event each, naming it, and
/// tells each capability record it was not saved.
fn report_unsaved(
    context: &Shared,
    names: &[&'static str],
    why: &str,
    records: impl Iterator<Item = Box<dyn StoreRecord>>,
) {
    tracing::error!("{} command(s) not saved: {why}", names.len());
    for what in names {
        context.emit(Event::Failed {
            what,
            error: format!("not saved: {why}. Check the disk and try again"),
        });
    }
    for record in records {
        record.acknowledge(Err(format!("not saved: {why}")));
    }
}

/// The capability records among executed outcomes and jobs not yet run.
fn records_of(
    outcomes: Vec<Outcome>,
    pending: impl Iterator<Item = WriteJob>,
) -> impl Iterator<Item = Box<dyn StoreRecord>> {
    let executed = outcomes.into_iter().filter_map(|outcome| match outcome {
        Outcome::Record(record, _) => Some(record),
        _ => None,
    });
    let waiting = pending.filter_map(|job| match job {
        WriteJob::Record(record) => Some(record),
        _ => None,
    });
    executed.chain(waiting).collect::<Vec<_>>().into_iter()
}

fn run_batch(store: &mut Store, batch: Vec<WriteJob>, policy: SessionPolicy, context: &Shared) {
    let names: Vec<&'static str> = batch.iter().map(WriteJob::name).collect();
    // Hashing and verifying first: argon2 takes tens of milliseconds per job.
    let prepared: Vec<(WriteJob, Prepared)> = batch
        .into_iter()
        .map(|job| {
            let prep = prepare(store, &job);
            (job, prep)
        })
        .collect();
    if let Err(err) = store.begin_batch() {
        let jobs = prepared.into_iter().map(|(job, _)| job);
        report_unsaved(
            context,
            &names,
            &format!("the database cannot start a transaction: {err:#}"),
            records_of(Vec::new(), jobs),
        );
        return;
    }
    let mut outcomes = Vec::with_capacity(prepared.len());
    let mut pending = prepared.into_iter();
    while let Some((job, prep)) = pending.next() {
        outcomes.push(execute(store, job, prep, policy, context));
        if !store.batch_is_open() {
            // SQLite rolled the whole transaction back itself (disk full, I/O error): what
            // ran so far is gone, and what follows must not run outside a transaction.
            report_unsaved(
                context,
                &names,
                "the database rolled the transaction back (disk full or I/O error)",
                records_of(outcomes, pending.map(|(job, _)| job)),
            );
            return;
        }
    }
    if let Err(err) = store.commit_batch() {
        report_unsaved(
            context,
            &names,
            &format!("the commit failed: {err:#}"),
            records_of(outcomes, std::iter::empty()),
        );
        return;
    }
    for outcome in outcomes {
        match outcome {
            Outcome::Event(event) => context.emit(event),
            Outcome::Events(events) => events.into_iter().for_each(|e| context.emit(e)),
            Outcome::SignedIn(actor) => {
                context.session.set(Some(actor.clone()));
                context.emit(Event::Users(UsersEvent::SignedIn(actor)));
            }
            Outcome::Record(record, result) => record.acknowledge(result),
            Outcome::Nothing => {}
            Outcome::SignedOut(actor) => {
                context.session.set(None);
                context.emit(Event::Users(UsersEvent::SignedOut {
                    name: actor.name,
                    reason: SignOutReason::Requested,
                }));
            }
        }
    }
}

/// The slow, read-only part of a job: outside any transaction.
fn prepare(store: &Store, job: &WriteJob) -> Prepared {
    let WriteJob::Command(command) = job else {
        return Prepared::Nothing;
    };
    match command {
        Command::Users(UsersCommand::SignIn { name, secret }) => Prepared::SignIn(
            store
                .stored_secret(name)
                .map_err(|err| format!("{err:#}"))
                .and_then(|stored| {
                    check_stored_secret(stored, secret).map_err(|err| format!("{err:#}"))
                }),
        ),
        Command::Users(UsersCommand::CreateFirstAdmin { secret, .. }) => {
            Prepared::Secret(new_secret_hash(Role::Admin, secret).map_err(|err| format!("{err:#}")))
        }
        Command::Users(UsersCommand::Add { role, secret, .. }) => {
            Prepared::Secret(new_secret_hash(*role, secret).map_err(|err| format!("{err:#}")))
        }
        Command::Users(UsersCommand::ResetSecret {
            user_id, secret, ..
        }) => Prepared::Secret(match store.user(*user_id) {
            // The policy depends on the user's role; the store checks it again inside.
            Ok(Some(user)) => new_secret_hash(user.role, secret).map_err(|err| format!("{err:#}")),
            Ok(None) => Err(StoreError::UnknownUser(format!("#{user_id}")).to_string()),
            Err(err) => Err(format!("{err:#}")),
        }),
        _ => Prepared::Nothing,
    }
}

/// Re-reads the signed-in actor before acting for them. A changed role updates the session and
/// tells the user; a disabled or removed account ends the session (the sign-out is recorded in
/// this batch) and the command is refused with the reason.
fn refresh_session(store: &mut Store, actor: &Actor, context: &Shared) -> Result<Actor, String> {
    let now = store
        .current_actor(actor)
        .map_err(|err| format!("cannot check your account: {err:#}"))?;
    let message = now.message().unwrap_or_default();
    match now {
        ActorNow::Same(now) => Ok(now),
        ActorNow::RoleChanged { actor: now, .. } => {
            tracing::info!(
                "{}'s role changed to {} while signed in",
                now.name,
                now.role
            );
            context.session.set(Some(now.clone()));
            context.emit(Event::Users(UsersEvent::SignedIn(now.clone())));
            context.emit(Event::Done(message));
            Ok(now)
        }
        ended @ (ActorNow::Disabled | ActorNow::Removed) => {
            let why = if ended == ActorNow::Disabled {
                "account disabled by an administrator"
            } else {
                "account removed by an administrator"
            };
            if let Err(err) = store.sign_out(actor, why) {
                tracing::error!("recording {}'s sign-out failed: {err:#}", actor.name);
            }
            context.session.set(None);
            context.emit(Event::Users(UsersEvent::SignedOut {
                name: actor.name.clone(),
                reason: SignOutReason::AccountChanged(message.clone()),
            }));
            Err(message)
        }
    }
}

fn execute(
    store: &mut Store,
    job: WriteJob,
    prep: Prepared,
    policy: SessionPolicy,
    context: &Shared,
) -> Outcome {
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
                Ok(_) => Outcome::Nothing,
            };
        }
        WriteJob::RefreshSession => {
            if let Some(actor) = context.session.actor() {
                // Any message has been sent to the user already.
                let _ended = refresh_session(store, &actor, context);
            }
            return Outcome::Nothing;
        }
        WriteJob::Record(mut record) => {
            let actor = context.session.actor();
            let result = record
                .write(store, actor.as_deref())
                .map_err(|err| format!("{err:#}"));
            if let Err(error) = &result {
                tracing::warn!("{} failed: {error}", record.name());
            }
            return Outcome::Record(record, result);
        }
    };
    let what = command.name();
    if let Command::Users(UsersCommand::SignIn { name, .. }) = &command {
        let check = match prep {
            Prepared::SignIn(Ok(check)) => check,
            Prepared::SignIn(Err(error)) => return Outcome::Event(Event::Failed { what, error }),
            _ => return wrong_preparation(what),
        };
        return match store.record_sign_in(name, check.as_ref(), policy.lockout, now_utc()) {
            Ok(SignInOutcome::SignedIn(actor)) => Outcome::SignedIn(actor),
            Ok(SignInOutcome::Refused(refusal)) => {
                Outcome::Event(Event::Users(UsersEvent::SignInRefused(refusal.to_string())))
            }
            Err(err) => failed(what, &err),
        };
    }
    if let Command::Users(UsersCommand::CreateFirstAdmin { name, .. }) = &command {
        return match prep {
            Prepared::Secret(Ok(secret)) => match store.create_first_admin(name, &secret) {
                Ok(actor) => Outcome::SignedIn(actor),
                Err(err) => failed(what, &err),
            },
            Prepared::Secret(Err(error)) => Outcome::Event(Event::Failed { what, error }),
            _ => wrong_preparation(what),
        };
    }
    let Some(actor) = context.session.actor() else {
        return Outcome::Event(Event::Refused(format!(
            "Sign in first: nobody is signed in to {what}."
        )));
    };
    let actor = match refresh_session(store, &actor, context) {
        Ok(actor) => actor,
        Err(message) => return Outcome::Event(Event::Refused(format!("Not done: {message}"))),
    };
    // A secret that could not be prepared: the permission is still checked (and a refusal
    // recorded) before the reason is told, so nothing leaks to someone who may not ask.
    let secret = match prep {
        Prepared::Secret(Ok(secret)) => Some(secret),
        Prepared::Secret(Err(error)) => {
            let own = matches!(&command, Command::Users(UsersCommand::ResetSecret { user_id, .. }) if actor.user_id == Some(*user_id));
            if !own
                && let Err(err) = store.require(&actor, Permission::ManageUsers, what, "user", "")
            {
                return failed(what, &err);
            }
            return Outcome::Event(Event::Failed { what, error });
        }
        _ => None,
    };
    let result = match command {
        Command::Users(UsersCommand::SignOut) => {
            return match store.sign_out(&actor, "signed out") {
                Ok(()) => Outcome::SignedOut(actor),
                Err(err) => failed(what, &err),
            };
        }
        Command::Users(UsersCommand::Add { name, role, .. }) => match &secret {
            Some(secret) => store
                .add_user(&actor, &name, role, secret)
                .map(|user| format!("Added {} as {}.", user.name, user.role)),
            None => return wrong_preparation(what),
        },
        Command::Users(UsersCommand::SetRole {
            user_id,
            role,
            reason,
        }) => store
            .set_role(&actor, user_id, role, &reason)
            .map(|()| format!("Role changed to {role}.")),
        Command::Users(UsersCommand::SetDisabled {
            user_id,
            disabled,
            reason,
        }) => store
            .set_disabled(&actor, user_id, disabled, &reason)
            .map(|()| {
                if disabled {
                    "User disabled."
                } else {
                    "User enabled."
                }
                .to_owned()
            }),
        Command::Users(UsersCommand::ResetSecret {
            user_id, reason, ..
        }) => match &secret {
            Some(secret) => store
                .reset_secret(&actor, user_id, secret, &reason)
                .map(|kind| format!("New {} set; any lockout is cleared.", kind.as_str())),
            None => return wrong_preparation(what),
        },
        Command::Station(StationCommand::Rename { name }) => {
            return match store
                .set_station_name(&actor, &name)
                .and_then(|()| store.settings())
            {
                Ok(settings) => Outcome::Events(vec![
                    Event::Station(StationEvent::Settings(settings)),
                    Event::Done(format!("Station renamed to {name}.")),
                ]),
                Err(err) => failed(what, &err),
            };
        }
        Command::Users(UsersCommand::SignIn { .. })
        | Command::Users(UsersCommand::CreateFirstAdmin { .. })
        | Command::Users(UsersCommand::ListSignIn)
        | Command::Users(UsersCommand::List)
        | Command::Audit(AuditQuery::Rows(_))
        | Command::Audit(AuditQuery::Verify) => {
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

fn wrong_preparation(what: &'static str) -> Outcome {
    Outcome::Event(Event::Failed {
        what,
        error: "the command was not prepared as it needs (a bug): report it".to_owned(),
    })
}

fn failed(what: &'static str, err: &StoreError) -> Outcome {
    match err {
        StoreError::Forbidden { .. } | StoreError::AccountInactive { .. } => {
            Outcome::Event(Event::Refused(format!("{err:#}")))
        }
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
    context.emit(Event::Users(UsersEvent::SignedOut {
        name: actor.name.clone(),
        reason: SignOutReason::Idle,
    }));
}
