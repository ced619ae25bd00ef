//! Users: adding, changing role, disabling, resetting secrets, and signing in with lockout.
//! Every change writes its audit row in the same savepoint as the change itself.
//!
//! Secrets arrive already checked and hashed (`SecretHash`), and sign-in is split into a read
//! (`stored_secret`), a verification the caller does with `auth` outside any transaction, and a
//! decision recorded here (`record_sign_in`), so argon2 never runs while a write transaction is
//! open. This module must not import `auth`.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::audit::{AuditEntry, append};
use super::time::{now_utc, parse_utc, to_text};
use super::{Store, StoreError, StoreReader};
use crate::domain::{Actor, LockoutPolicy, Permission, Role, SecretHash, SecretKind, UserName};

/// A user as listed (never the secret hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub secret_kind: SecretKind,
    pub disabled: bool,
    pub failed_attempts: u32,
    pub locked_until_utc: Option<String>,
    pub last_sign_in_utc: Option<String>,
    pub created_at_utc: String,
}

impl UserRecord {
    pub fn is_locked_at(&self, now: DateTime<Utc>) -> bool {
        self.locked_until_utc
            .as_deref()
            .and_then(parse_utc)
            .is_some_and(|until| until > now)
    }
}

/// Why a sign-in was refused. The refusal is recorded, so it is an outcome, not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInRefusal {
    UnknownUser,
    Disabled,
    Locked { until_utc: String },
    WrongSecret { attempts_left: u32 },
}

impl std::fmt::Display for SignInRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnknownUser => f.write_str("No such user. Choose your name from the list."),
            Self::Disabled => f.write_str("This account is disabled. Ask an administrator."),
            Self::Locked { until_utc } => write!(
                f,
                "Too many wrong attempts: the account is locked until {} UTC. Ask an administrator to unlock it sooner.",
                until_utc.get(11..19).unwrap_or(until_utc)
            ),
            Self::WrongSecret { attempts_left } => write!(
                f,
                "Wrong PIN or password. {attempts_left} attempt{} left before the account locks.",
                if *attempts_left == 1 { "" } else { "s" }
            ),
        }
    }
}

/// Sign-in's read step: the user's id and stored hash, to verify outside any transaction.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSecret {
    pub user_id: i64,
    pub phc: String,
}

/// Debug without the hash.
impl std::fmt::Debug for StoredSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StoredSecret {{ user_id: {}, phc: *** }}", self.user_id)
    }
}

/// Sign-in's verification step: whether the secret typed matches `stored`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretCheck {
    pub stored: StoredSecret,
    pub matches: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInOutcome {
    SignedIn(Actor),
    Refused(SignInRefusal),
}

const USER_COLUMNS: &str = "id, name, role, secret_kind, disabled, failed_attempts, locked_until_utc, last_sign_in_utc, created_at_utc";

fn read_user(row: &rusqlite::Row<'_>) -> rusqlite::Result<UserRecord> {
    let role: String = row.get(2)?;
    let kind: String = row.get(3)?;
    Ok(UserRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        // The CHECK constraint keeps roles valid; a hand-edited value falls back to the least
        // privilege rather than failing the whole list.
        role: role.parse().unwrap_or(Role::Viewer),
        secret_kind: SecretKind::from_db(&kind),
        disabled: row.get::<_, i64>(4)? != 0,
        failed_attempts: row.get(5)?,
        locked_until_utc: row.get(6)?,
        last_sign_in_utc: row.get(7)?,
        created_at_utc: row.get(8)?,
    })
}

pub(super) fn list(conn: &Connection) -> Result<Vec<UserRecord>, StoreError> {
    let mut statement =
        conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))?;
    let rows = statement.query_map([], read_user)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn find(conn: &Connection, name: &str) -> Result<Option<UserRecord>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?1"),
            [name],
            read_user,
        )
        .optional()?)
}

fn by_id(conn: &Connection, user_id: i64) -> Result<UserRecord, StoreError> {
    conn.query_row(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
        [user_id],
        read_user,
    )
    .optional()?
    .ok_or_else(|| StoreError::UnknownUser(format!("#{user_id}")))
}

fn account_state(disabled: bool) -> &'static str {
    if disabled { "disabled" } else { "enabled" }
}

fn enabled_admins(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0",
        [],
        |row| row.get(0),
    )?)
}

impl StoreReader {
    /// The stored hash for `name`, to check a signature (a disposition) outside any
    /// transaction; the writer re-checks that it is still current when it records.
    pub fn stored_secret(&self, name: &str) -> Result<Option<StoredSecret>, StoreError> {
        stored_secret_of(&self.conn, name)
    }

    pub fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        list(&self.conn)
    }
}

/// A reason the store insists on (the forms ask for one too), trimmed.
fn required_reason<'a>(reason: &'a str, action: &'static str) -> Result<&'a str, StoreError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(StoreError::ReasonRequired { action });
    }
    Ok(reason)
}

/// What a sign-in attempt leads to, decided from the user's state as read inside the
/// transaction that records it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decision {
    UnknownUser,
    Refuse(SignInRefusal, &'static str),
    Accept,
    WrongSecret {
        failures: u32,
        lock_until: Option<DateTime<Utc>>,
    },
}

fn decide(
    user: Option<&UserRecord>,
    current_phc: Option<&str>,
    check: Option<&SecretCheck>,
    policy: LockoutPolicy,
    now: DateTime<Utc>,
) -> Decision {
    let Some(user) = user else {
        return Decision::UnknownUser;
    };
    if user.disabled {
        return Decision::Refuse(SignInRefusal::Disabled, "account disabled");
    }
    if user.is_locked_at(now) {
        let until_utc = user.locked_until_utc.clone().unwrap_or_default();
        return Decision::Refuse(SignInRefusal::Locked { until_utc }, "account locked");
    }
    // The secret was verified against the hash read before this transaction; if the secret
    // was reset in between, that verification is stale and counts as a wrong secret.
    let matches = check.is_some_and(|check| {
        check.matches
            && check.stored.user_id == user.id
            && Some(check.stored.phc.as_str()) == current_phc
    });
    if matches {
        return Decision::Accept;
    }
    // A lock that has expired starts a fresh count.
    let previous = if user.locked_until_utc.is_some() {
        0
    } else {
        user.failed_attempts
    };
    let failures = previous + 1;
    Decision::WrongSecret {
        failures,
        lock_until: (failures >= policy.max_failed_attempts)
            .then(|| now + Duration::seconds(i64::from(policy.lockout_secs))),
    }
}

fn stored_secret_of(conn: &Connection, name: &str) -> Result<Option<StoredSecret>, StoreError> {
    let folded = name.trim().to_lowercase();
    let Some(user) = find(conn, &folded)? else {
        return Ok(None);
    };
    Ok(stored_phc(conn, user.id)?.map(|phc| StoredSecret {
        user_id: user.id,
        phc,
    }))
}

pub(super) fn stored_phc(conn: &Connection, user_id: i64) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT secret_hash FROM users WHERE id = ?1",
            [user_id],
            |row| row.get(0),
        )
        .optional()?)
}

impl Store {
    pub fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        list(&self.conn)
    }

    /// One user by id, for a caller preparing a change (the writer checks a new secret against
    /// the user's role before it opens the transaction). Changes re-check inside it.
    pub fn user(&self, user_id: i64) -> Result<Option<UserRecord>, StoreError> {
        match by_id(&self.conn, user_id) {
            Ok(user) => Ok(Some(user)),
            Err(StoreError::UnknownUser(_)) => Ok(None),
            Err(err) => Err(err),
        }
    }

    pub fn user_count(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM users", [], |row| row.get(0))?)
    }

    /// Adds a user. Needs `ManageUsers`, except for the very first user of an empty database,
    /// who must be an admin (the station's bootstrap).
    pub fn add_user(
        &mut self,
        actor: &Actor,
        name: &str,
        role: Role,
        secret: &SecretHash,
    ) -> Result<UserRecord, StoreError> {
        let bootstrap = self.user_count()? == 0;
        if bootstrap && role != Role::Admin {
            return Err(StoreError::Invalid(
                "the first user of a station must be an admin".to_owned(),
            ));
        }
        let actor = if bootstrap {
            actor.clone()
        } else {
            self.require(actor, Permission::ManageUsers, "add a user", "user", name)?
        };
        let name = UserName::parse(name)?;
        secret.fits(role)?;
        let savepoint = self.conn.savepoint()?;
        if find(&savepoint, name.as_str())?.is_some() {
            return Err(StoreError::DuplicateUser(name.to_string()));
        }
        savepoint.execute(
            "INSERT INTO users (name, role, secret_kind, secret_hash, created_at_utc)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                name.as_str(),
                role.as_str(),
                secret.kind.as_str(),
                secret.phc,
                to_text(now_utc())
            ],
        )?;
        let user_id = savepoint.last_insert_rowid();
        append(
            &savepoint,
            &AuditEntry::new(&actor.name, "user.add", "user", name.as_str())
                .change(
                    None,
                    Some(format!("role={role}, secret={}", secret.kind.as_str())),
                )
                .reason(if bootstrap {
                    "first admin of a new station".to_owned()
                } else {
                    format!("added by {}", actor.name)
                }),
        )?;
        let record = by_id(&savepoint, user_id)?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(record)
    }

    /// Creates the first admin of an empty station (the GUI's first start) and returns them
    /// as an actor. Refused once any user exists.
    pub fn create_first_admin(
        &mut self,
        name: &str,
        secret: &SecretHash,
    ) -> Result<Actor, StoreError> {
        if self.user_count()? > 0 {
            return Err(StoreError::Invalid(
                "this station already has users: sign in as an admin to add more".to_owned(),
            ));
        }
        let first_start = Actor {
            user_id: None,
            name: "first-start".to_owned(),
            role: Role::Admin,
        };
        let user = self.add_user(&first_start, name, Role::Admin, secret)?;
        Ok(Actor {
            user_id: Some(user.id),
            name: user.name,
            role: user.role,
        })
    }

    /// Changes a user's role. The permission is checked before the user is looked up, so a
    /// refused actor learns nothing about which users exist.
    pub fn set_role(
        &mut self,
        actor: &Actor,
        user_id: i64,
        role: Role,
        reason: &str,
    ) -> Result<(), StoreError> {
        let (actor, reason, user) =
            self.admin_change_on(actor, user_id, "change a role", reason)?;
        if user.role == role {
            return Ok(());
        }
        if user.role == Role::Admin && !user.disabled && enabled_admins(&self.conn)? <= 1 {
            return Err(StoreError::Invalid(format!(
                "{} is the last enabled admin: make another admin first",
                user.name
            )));
        }
        if role.requires_password() && user.secret_kind == SecretKind::Pin {
            return Err(StoreError::Invalid(format!(
                "a {role} must sign in with a password: reset {}'s PIN to a password first",
                user.name
            )));
        }
        let savepoint = self.conn.savepoint()?;
        savepoint.execute(
            "UPDATE users SET role = ?1 WHERE id = ?2",
            params![role.as_str(), user_id],
        )?;
        append(
            &savepoint,
            &AuditEntry::new(&actor.name, "user.role", "user", &user.name)
                .change(Some(user.role.to_string()), Some(role.to_string()))
                .reason(reason),
        )?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(())
    }

    /// An administrator's change to a user, in the order that leaks nothing: permission first
    /// (a refusal is audited), then the required reason, then the lookup.
    fn admin_change_on<'r>(
        &mut self,
        actor: &Actor,
        user_id: i64,
        action: &'static str,
        reason: &'r str,
    ) -> Result<(Actor, &'r str, UserRecord), StoreError> {
        let actor = self.require(
            actor,
            Permission::ManageUsers,
            action,
            "user",
            &format!("#{user_id}"),
        )?;
        let reason = required_reason(reason, action)?;
        let user = by_id(&self.conn, user_id)?;
        Ok((actor, reason, user))
    }

    /// Disables or enables an account; permission first, then the reason, then the lookup.
    pub fn set_disabled(
        &mut self,
        actor: &Actor,
        user_id: i64,
        disabled: bool,
        reason: &str,
    ) -> Result<(), StoreError> {
        let action = if disabled {
            "disable a user"
        } else {
            "enable a user"
        };
        let (actor, reason, user) = self.admin_change_on(actor, user_id, action, reason)?;
        if user.disabled == disabled {
            return Ok(());
        }
        if disabled && user.role == Role::Admin && enabled_admins(&self.conn)? <= 1 {
            return Err(StoreError::Invalid(format!(
                "{} is the last enabled admin and cannot be disabled",
                user.name
            )));
        }
        let savepoint = self.conn.savepoint()?;
        savepoint.execute(
            "UPDATE users SET disabled = ?1 WHERE id = ?2",
            params![i64::from(disabled), user_id],
        )?;
        append(
            &savepoint,
            &AuditEntry::new(
                &actor.name,
                if disabled {
                    "user.disable"
                } else {
                    "user.enable"
                },
                "user",
                &user.name,
            )
            .change(
                Some(account_state(user.disabled).to_owned()),
                Some(account_state(disabled).to_owned()),
            )
            .reason(reason),
        )?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(())
    }

    /// Sets a new PIN or password (already checked and hashed); also clears a lockout. Anyone
    /// may change their own (no reason needed); changing another user's needs `ManageUsers`
    /// and a reason.
    pub fn reset_secret(
        &mut self,
        actor: &Actor,
        user_id: i64,
        secret: &SecretHash,
        reason: &str,
    ) -> Result<SecretKind, StoreError> {
        let own = actor.user_id == Some(user_id);
        let entity_id = format!("#{user_id}");
        let (actor, reason) = if own {
            let action = "change your own PIN or password";
            let actor = self.require(actor, Permission::ViewLive, action, "user", &entity_id)?;
            let reason = match reason.trim() {
                "" => "changed by the user",
                given => given,
            };
            (actor, reason)
        } else {
            let action = "reset a PIN or password";
            let actor = self.require(actor, Permission::ManageUsers, action, "user", &entity_id)?;
            (actor, required_reason(reason, action)?)
        };
        let user = by_id(&self.conn, user_id)?;
        secret.fits(user.role)?;
        let savepoint = self.conn.savepoint()?;
        savepoint.execute(
            "UPDATE users SET secret_kind = ?1, secret_hash = ?2, failed_attempts = 0,
                              locked_until_utc = NULL
             WHERE id = ?3",
            params![secret.kind.as_str(), secret.phc, user_id],
        )?;
        append(
            &savepoint,
            &AuditEntry::new(&actor.name, "user.reset_secret", "user", &user.name)
                .change(None, Some(secret.kind.as_str().to_owned()))
                .reason(reason),
        )?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(secret.kind)
    }

    /// Sign-in, step 1 (read, outside any transaction): the stored hash for `name`, which the
    /// caller verifies with `auth::verify_secret` before `record_sign_in`.
    pub fn stored_secret(&self, name: &str) -> Result<Option<StoredSecret>, StoreError> {
        stored_secret_of(&self.conn, name)
    }

    /// Sign-in, step 3 (decide and record, in one savepoint): re-reads the user's state
    /// (disabled, lockout, the hash still current) and records the attempt. `check` is `None`
    /// when step 1 found no such user. Failures count towards a lockout; every attempt, failure
    /// and lock is in the audit trail, and refusals are committed like successes.
    pub fn record_sign_in(
        &mut self,
        name: &str,
        check: Option<&SecretCheck>,
        policy: LockoutPolicy,
        now: DateTime<Utc>,
    ) -> Result<SignInOutcome, StoreError> {
        let folded = name.trim().to_lowercase();
        let savepoint = self.conn.savepoint()?;
        let user = find(&savepoint, &folded)?;
        let current_phc = match &user {
            Some(user) => stored_phc(&savepoint, user.id)?,
            None => None,
        };
        let decision = decide(user.as_ref(), current_phc.as_deref(), check, policy, now);
        let outcome = match (decision, user) {
            (Decision::UnknownUser, _) | (_, None) => {
                append(
                    &savepoint,
                    &AuditEntry::new(&folded, "sign_in.failed", "user", &folded)
                        .reason("unknown user"),
                )?;
                SignInOutcome::Refused(SignInRefusal::UnknownUser)
            }
            (Decision::Refuse(refusal, why), Some(user)) => {
                append(
                    &savepoint,
                    &AuditEntry::new(&user.name, "sign_in.refused", "user", &user.name).reason(why),
                )?;
                SignInOutcome::Refused(refusal)
            }
            (Decision::Accept, Some(user)) => {
                savepoint.execute(
                    "UPDATE users SET failed_attempts = 0, locked_until_utc = NULL,
                                      last_sign_in_utc = ?1
                     WHERE id = ?2",
                    params![to_text(now), user.id],
                )?;
                append(
                    &savepoint,
                    &AuditEntry::new(&user.name, "sign_in", "user", &user.name),
                )?;
                SignInOutcome::SignedIn(Actor {
                    user_id: Some(user.id),
                    name: user.name,
                    role: user.role,
                })
            }
            (
                Decision::WrongSecret {
                    failures,
                    lock_until,
                },
                Some(user),
            ) => {
                append(
                    &savepoint,
                    &AuditEntry::new(&user.name, "sign_in.failed", "user", &user.name)
                        .reason(format!("wrong secret, failure {failures}")),
                )?;
                match lock_until {
                    Some(until) => {
                        let until = to_text(until);
                        savepoint.execute(
                            "UPDATE users SET failed_attempts = 0, locked_until_utc = ?1
                             WHERE id = ?2",
                            params![until, user.id],
                        )?;
                        append(
                            &savepoint,
                            &AuditEntry::new(&user.name, "user.lock", "user", &user.name)
                                .change(None, Some(until.clone()))
                                .reason(format!("{failures} failed sign-in attempts")),
                        )?;
                        SignInOutcome::Refused(SignInRefusal::Locked { until_utc: until })
                    }
                    None => {
                        savepoint.execute(
                            "UPDATE users SET failed_attempts = ?1, locked_until_utc = NULL
                             WHERE id = ?2",
                            params![failures, user.id],
                        )?;
                        SignInOutcome::Refused(SignInRefusal::WrongSecret {
                            attempts_left: policy.max_failed_attempts.saturating_sub(failures),
                        })
                    }
                }
            }
        };
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(outcome)
    }

    /// Records a sign-out (explicit, idle, or because the account changed).
    pub fn sign_out(&mut self, actor: &Actor, reason: &str) -> Result<(), StoreError> {
        self.append_audit(
            &AuditEntry::new(&actor.name, "sign_out", "user", &actor.name).reason(reason),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ActorNow, AuditFilter};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("station.sqlite")).unwrap();
        (dir, store)
    }

    /// A stand-in hash: the store stores it and never verifies it (that is `auth`'s job).
    fn secret(kind: SecretKind) -> SecretHash {
        SecretHash {
            kind,
            phc: format!("$test${}", kind.as_str()),
        }
    }

    /// Sign-in as the writer runs it, with the verification's answer given.
    fn sign_in(
        store: &mut Store,
        name: &str,
        matches: bool,
        policy: LockoutPolicy,
        now: DateTime<Utc>,
    ) -> SignInOutcome {
        let check = store
            .stored_secret(name)
            .unwrap()
            .map(|stored| SecretCheck { stored, matches });
        store
            .record_sign_in(name, check.as_ref(), policy, now)
            .unwrap()
    }

    fn admin_and_operator(store: &mut Store) -> (Actor, UserRecord) {
        let console = Actor::console("test");
        store
            .add_user(&console, "ada", Role::Admin, &secret(SecretKind::Password))
            .unwrap();
        let olga = store
            .add_user(&console, "olga", Role::Operator, &secret(SecretKind::Pin))
            .unwrap();
        (console, olga)
    }

    fn as_actor(user: &UserRecord) -> Actor {
        Actor {
            user_id: Some(user.id),
            name: user.name.clone(),
            role: user.role,
        }
    }

    fn rows(store: &Store, action_prefix: &str) -> Vec<super::super::AuditRow> {
        store
            .reader()
            .unwrap()
            .audit(&AuditFilter {
                action_prefix: action_prefix.into(),
                ..Default::default()
            })
            .unwrap()
    }

    #[test]
    fn first_user_must_be_admin() {
        let (_dir, mut store) = store();
        let err = store
            .add_user(
                &Actor::console("test"),
                "olga",
                Role::Operator,
                &secret(SecretKind::Pin),
            )
            .unwrap_err();
        assert!(err.to_string().contains("first user"), "{err}");
    }

    #[test]
    fn sign_in_succeeds_and_locks_after_failures() {
        let (_dir, mut store) = store();
        admin_and_operator(&mut store);
        let policy = LockoutPolicy {
            max_failed_attempts: 3,
            lockout_secs: 60,
        };
        let now = now_utc();
        let outcome = sign_in(&mut store, "OLGA", true, policy, now);
        assert!(matches!(outcome, SignInOutcome::SignedIn(ref a) if a.role == Role::Operator));
        assert_eq!(
            sign_in(&mut store, "olga", false, policy, now),
            SignInOutcome::Refused(SignInRefusal::WrongSecret { attempts_left: 2 })
        );
        sign_in(&mut store, "olga", false, policy, now);
        let locked = sign_in(&mut store, "olga", false, policy, now);
        assert!(matches!(
            locked,
            SignInOutcome::Refused(SignInRefusal::Locked { .. })
        ));
        // Even the right PIN is refused while locked...
        let refused = sign_in(&mut store, "olga", true, policy, now);
        assert!(matches!(
            refused,
            SignInOutcome::Refused(SignInRefusal::Locked { .. })
        ));
        // ...and accepted once the lock has expired.
        let later = now + Duration::seconds(61);
        assert!(matches!(
            sign_in(&mut store, "olga", true, policy, later),
            SignInOutcome::SignedIn(_)
        ));
        let reader = store.reader().unwrap();
        let rows = reader
            .audit(&AuditFilter {
                user_name: "olga".into(),
                ..Default::default()
            })
            .unwrap();
        let actions: Vec<&str> = rows.iter().map(|r| r.entry.action.as_str()).collect();
        assert!(actions.contains(&"user.lock"), "{actions:?}");
        assert_eq!(
            actions.iter().filter(|a| **a == "sign_in.failed").count(),
            3
        );
        assert!(reader.verify_audit().unwrap().is_intact());
    }

    #[test]
    fn a_verification_made_stale_by_a_reset_is_not_accepted() {
        let (_dir, mut store) = store();
        let (console, olga) = admin_and_operator(&mut store);
        let policy = LockoutPolicy::default();
        let stored = store.stored_secret("olga").unwrap().unwrap();
        // Between the read and the record, an admin resets the PIN.
        let new_pin = SecretHash {
            kind: SecretKind::Pin,
            phc: "$test$new".into(),
        };
        store
            .reset_secret(&console, olga.id, &new_pin, "forgotten")
            .unwrap();
        let check = SecretCheck {
            stored,
            matches: true,
        };
        let outcome = store
            .record_sign_in("olga", Some(&check), policy, now_utc())
            .unwrap();
        assert!(
            matches!(
                outcome,
                SignInOutcome::Refused(SignInRefusal::WrongSecret { .. })
            ),
            "{outcome:?}"
        );
        // Unknown names are refused and recorded without a check.
        assert_eq!(
            store
                .record_sign_in("nobody", None, policy, now_utc())
                .unwrap(),
            SignInOutcome::Refused(SignInRefusal::UnknownUser)
        );
    }

    #[test]
    fn operator_cannot_manage_users_and_the_refusal_is_recorded() {
        let (_dir, mut store) = store();
        let (_console, olga) = admin_and_operator(&mut store);
        let err = store
            .add_user(
                &as_actor(&olga),
                "mallory",
                Role::Admin,
                &secret(SecretKind::Password),
            )
            .unwrap_err();
        assert!(matches!(err, StoreError::Forbidden { .. }), "{err}");
        assert!(store.users().unwrap().iter().all(|u| u.name != "mallory"));
        let denied = rows(&store, "denied");
        assert_eq!(denied.len(), 1);
        assert_eq!(denied[0].entry.user_name, "olga");
    }

    #[test]
    fn the_role_is_read_from_the_database_not_from_the_actor() {
        let (_dir, mut store) = store();
        let (console, olga) = admin_and_operator(&mut store);
        // An actor claiming to be an admin is still only what the database says.
        let forged = Actor {
            role: Role::Admin,
            ..as_actor(&olga)
        };
        let err = store
            .set_station_name(&forged, "Mine now")
            .expect_err("the database says operator");
        assert!(err.to_string().contains("olga (operator)"), "{err}");
        assert_eq!(
            store.current_actor(&forged).unwrap(),
            ActorNow::RoleChanged {
                actor: as_actor(&olga),
                was: Role::Admin
            }
        );
        // A disabled account may do nothing, and the refusal is recorded.
        store.set_disabled(&console, olga.id, true, "left").unwrap();
        assert_eq!(
            store.current_actor(&as_actor(&olga)).unwrap(),
            ActorNow::Disabled
        );
        let err = store
            .reset_secret(&as_actor(&olga), olga.id, &secret(SecretKind::Pin), "")
            .unwrap_err();
        assert!(matches!(err, StoreError::AccountInactive { .. }), "{err}");
        let denied = rows(&store, "denied");
        assert_eq!(denied.len(), 2, "{denied:?}");
        assert_eq!(denied[0].entry.reason.as_deref(), Some("account disabled"));
        // The console has no user row and is always itself.
        assert_eq!(
            store.current_actor(&console).unwrap(),
            ActorNow::Same(console)
        );
    }

    #[test]
    fn permission_is_checked_before_the_target_is_looked_up_and_refusals_are_audited() {
        let (_dir, mut store) = store();
        let (_console, olga) = admin_and_operator(&mut store);
        let operator = as_actor(&olga);
        // The same refusal for a user that exists and one that does not: nothing leaks.
        let existing = store
            .set_role(&operator, 1, Role::Viewer, "because")
            .unwrap_err();
        let missing = store
            .set_role(&operator, 999, Role::Viewer, "because")
            .unwrap_err();
        assert!(
            matches!(existing, StoreError::Forbidden { .. }),
            "{existing}"
        );
        assert!(matches!(missing, StoreError::Forbidden { .. }), "{missing}");
        assert_eq!(existing.to_string(), missing.to_string());
        for err in [
            store.set_disabled(&operator, 999, true, "x").unwrap_err(),
            store
                .reset_secret(&operator, 999, &secret(SecretKind::Pin), "x")
                .unwrap_err(),
        ] {
            assert!(matches!(err, StoreError::Forbidden { .. }), "{err}");
        }
        let denied = rows(&store, "denied");
        assert_eq!(denied.len(), 4, "{denied:?}");
        assert!(denied.iter().all(|row| row.entry.user_name == "olga"));
        assert_eq!(denied[3].entry.entity_id, "#1");
        assert_eq!(denied[2].entry.entity_id, "#999");
    }

    #[test]
    fn a_reason_is_required_by_the_store() {
        let (_dir, mut store) = store();
        let (console, olga) = admin_and_operator(&mut store);
        for err in [
            store
                .set_role(&console, olga.id, Role::Viewer, "  ")
                .unwrap_err(),
            store.set_disabled(&console, olga.id, true, "").unwrap_err(),
            store
                .reset_secret(&console, olga.id, &secret(SecretKind::Pin), "\t")
                .unwrap_err(),
        ] {
            assert!(matches!(err, StoreError::ReasonRequired { .. }), "{err}");
            assert!(err.to_string().contains("field 'reason'"), "{err}");
        }
        let olga_now = store.user(olga.id).unwrap().unwrap();
        assert_eq!(olga_now, olga, "nothing changed");
        // A user changing their own PIN needs no reason.
        store
            .reset_secret(&as_actor(&olga), olga.id, &secret(SecretKind::Pin), "")
            .unwrap();
    }

    #[test]
    fn last_admin_is_protected() {
        let (_dir, mut store) = store();
        let console = Actor::console("test");
        let ada = store
            .add_user(&console, "ada", Role::Admin, &secret(SecretKind::Password))
            .unwrap();
        assert!(store.set_disabled(&console, ada.id, true, "test").is_err());
        assert!(
            store
                .set_role(&console, ada.id, Role::Viewer, "test")
                .is_err()
        );
    }

    #[test]
    fn role_change_and_reset_are_audited() {
        let (_dir, mut store) = store();
        let (console, olga) = admin_and_operator(&mut store);
        assert!(
            store
                .set_role(&console, olga.id, Role::Engineer, "promotion")
                .is_err(),
            "an engineer cannot keep a PIN"
        );
        assert!(
            store
                .add_user(&console, "pat", Role::Engineer, &secret(SecretKind::Pin))
                .is_err(),
            "nor be added with one"
        );
        store
            .reset_secret(
                &console,
                olga.id,
                &secret(SecretKind::Password),
                "promotion",
            )
            .unwrap();
        store
            .set_role(&console, olga.id, Role::Engineer, "promotion")
            .unwrap();
        let olga = store.user(olga.id).unwrap().unwrap();
        assert_eq!(olga.role, Role::Engineer);
        assert_eq!(olga.secret_kind, SecretKind::Password);
        let changes = rows(&store, "user");
        assert!(changes.iter().any(|row| row.entry.action == "user.role"
            && row.entry.reason.as_deref() == Some("promotion")));
    }
}
