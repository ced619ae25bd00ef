//! Users: adding, changing role, disabling, resetting secrets, and signing in with lockout.
//! Every change writes its audit row in the same savepoint as the change itself.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::audit::{AuditEntry, append};
use super::time::{now_utc, parse_utc, to_text};
use super::{Store, StoreError, StoreReader};
use crate::auth::{hash_secret, verify_secret};
use crate::domain::{Actor, LockoutPolicy, Permission, Role, SecretKind, UserName, check_secret};

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
    pub fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        list(&self.conn)
    }
}

impl Store {
    pub fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        list(&self.conn)
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
        secret: &str,
    ) -> Result<UserRecord, StoreError> {
        let bootstrap = self.user_count()? == 0;
        if bootstrap && role != Role::Admin {
            return Err(StoreError::Invalid(
                "the first user of a station must be an admin".to_owned(),
            ));
        }
        if !bootstrap {
            self.require(actor, Permission::ManageUsers, "add a user", "user", name)?;
        }
        let name = UserName::parse(name)?;
        let kind = check_secret(role, secret)?;
        let hash = hash_secret(secret)?;
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
                kind.as_str(),
                hash,
                to_text(now_utc())
            ],
        )?;
        let user_id = savepoint.last_insert_rowid();
        append(
            &savepoint,
            &AuditEntry::new(&actor.name, "user.add", "user", name.as_str())
                .change(None, Some(format!("role={role}, secret={}", kind.as_str())))
                .reason(if bootstrap {
                    "first admin of a new station".to_owned()
                } else {
                    format!("added by {}", actor.name)
                }),
        )?;
        let record = by_id(&savepoint, user_id)?;
        savepoint.commit()?;
        Ok(record)
    }

    /// Creates the first admin of an empty station (the GUI's first start) and returns them
    /// as an actor. Refused once any user exists.
    pub fn create_first_admin(&mut self, name: &str, secret: &str) -> Result<Actor, StoreError> {
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

    pub fn set_role(
        &mut self,
        actor: &Actor,
        user_id: i64,
        role: Role,
        reason: &str,
    ) -> Result<(), StoreError> {
        let user = by_id(&self.conn, user_id)?;
        self.require(
            actor,
            Permission::ManageUsers,
            "change a role",
            "user",
            &user.name,
        )?;
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
        savepoint.commit()?;
        Ok(())
    }

    pub fn set_disabled(
        &mut self,
        actor: &Actor,
        user_id: i64,
        disabled: bool,
        reason: &str,
    ) -> Result<(), StoreError> {
        let user = by_id(&self.conn, user_id)?;
        let action = if disabled {
            "disable a user"
        } else {
            "enable a user"
        };
        self.require(actor, Permission::ManageUsers, action, "user", &user.name)?;
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
        savepoint.commit()?;
        Ok(())
    }

    /// Sets a new PIN or password; also clears a lockout.
    pub fn reset_secret(
        &mut self,
        actor: &Actor,
        user_id: i64,
        secret: &str,
        reason: &str,
    ) -> Result<SecretKind, StoreError> {
        let user = by_id(&self.conn, user_id)?;
        let own = actor.user_id == Some(user_id);
        if !own {
            self.require(
                actor,
                Permission::ManageUsers,
                "reset a PIN or password",
                "user",
                &user.name,
            )?;
        }
        let kind = check_secret(user.role, secret)?;
        let hash = hash_secret(secret)?;
        let savepoint = self.conn.savepoint()?;
        savepoint.execute(
            "UPDATE users SET secret_kind = ?1, secret_hash = ?2, failed_attempts = 0,
                              locked_until_utc = NULL
             WHERE id = ?3",
            params![kind.as_str(), hash, user_id],
        )?;
        append(
            &savepoint,
            &AuditEntry::new(&actor.name, "user.reset_secret", "user", &user.name)
                .change(None, Some(kind.as_str().to_owned()))
                .reason(reason),
        )?;
        savepoint.commit()?;
        Ok(kind)
    }

    /// Checks a user's secret. Failures count towards a lockout; every attempt, failure and
    /// lock is in the audit trail. Refusals are committed like successes.
    pub fn sign_in(
        &mut self,
        name: &str,
        secret: &str,
        policy: LockoutPolicy,
        now: DateTime<Utc>,
    ) -> Result<SignInOutcome, StoreError> {
        let folded = name.trim().to_lowercase();
        let savepoint = self.conn.savepoint()?;
        let Some(user) = find(&savepoint, &folded)? else {
            append(
                &savepoint,
                &AuditEntry::new(&folded, "sign_in.failed", "user", &folded).reason("unknown user"),
            )?;
            savepoint.commit()?;
            return Ok(SignInOutcome::Refused(SignInRefusal::UnknownUser));
        };
        let refuse = |savepoint: rusqlite::Savepoint<'_>, refusal: SignInRefusal, why: &str| {
            append(
                &savepoint,
                &AuditEntry::new(&user.name, "sign_in.refused", "user", &user.name).reason(why),
            )?;
            savepoint.commit()?;
            Ok::<_, StoreError>(SignInOutcome::Refused(refusal))
        };
        if user.disabled {
            return refuse(savepoint, SignInRefusal::Disabled, "account disabled");
        }
        if user.is_locked_at(now) {
            let until_utc = user.locked_until_utc.clone().unwrap_or_default();
            return refuse(
                savepoint,
                SignInRefusal::Locked { until_utc },
                "account locked",
            );
        }
        let hash: String = savepoint.query_row(
            "SELECT secret_hash FROM users WHERE id = ?1",
            [user.id],
            |row| row.get(0),
        )?;
        if verify_secret(&hash, secret)? {
            savepoint.execute(
                "UPDATE users SET failed_attempts = 0, locked_until_utc = NULL, last_sign_in_utc = ?1
                 WHERE id = ?2",
                params![to_text(now), user.id],
            )?;
            append(
                &savepoint,
                &AuditEntry::new(&user.name, "sign_in", "user", &user.name),
            )?;
            savepoint.commit()?;
            return Ok(SignInOutcome::SignedIn(Actor {
                user_id: Some(user.id),
                name: user.name,
                role: user.role,
            }));
        }
        // A lock that has expired starts a fresh count.
        let previous = if user.locked_until_utc.is_some() {
            0
        } else {
            user.failed_attempts
        };
        let failures = previous + 1;
        append(
            &savepoint,
            &AuditEntry::new(&user.name, "sign_in.failed", "user", &user.name)
                .reason(format!("wrong secret, failure {failures}")),
        )?;
        let outcome = if failures >= policy.max_failed_attempts {
            let until = to_text(now + Duration::seconds(i64::from(policy.lockout_secs)));
            savepoint.execute(
                "UPDATE users SET failed_attempts = 0, locked_until_utc = ?1 WHERE id = ?2",
                params![until, user.id],
            )?;
            append(
                &savepoint,
                &AuditEntry::new(&user.name, "user.lock", "user", &user.name)
                    .change(None, Some(until.clone()))
                    .reason(format!("{failures} failed sign-in attempts")),
            )?;
            SignInRefusal::Locked { until_utc: until }
        } else {
            savepoint.execute(
                "UPDATE users SET failed_attempts = ?1, locked_until_utc = NULL WHERE id = ?2",
                params![failures, user.id],
            )?;
            SignInRefusal::WrongSecret {
                attempts_left: policy.max_failed_attempts - failures,
            }
        };
        savepoint.commit()?;
        Ok(SignInOutcome::Refused(outcome))
    }

    /// Records a sign-out (explicit or idle).
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

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("station.sqlite")).unwrap();
        (dir, store)
    }

    fn admin_and_operator(store: &mut Store) -> (Actor, UserRecord) {
        let console = Actor::console("test");
        store
            .add_user(&console, "ada", Role::Admin, "Admin-pass-2026")
            .unwrap();
        let olga = store
            .add_user(&console, "olga", Role::Operator, "1234")
            .unwrap();
        (console, olga)
    }

    #[test]
    fn first_user_must_be_admin() {
        let (_dir, mut store) = store();
        let err = store
            .add_user(&Actor::console("test"), "olga", Role::Operator, "1234")
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
        let outcome = store.sign_in("OLGA", "1234", policy, now).unwrap();
        assert!(matches!(outcome, SignInOutcome::SignedIn(ref a) if a.role == Role::Operator));
        assert_eq!(
            store.sign_in("olga", "0000", policy, now).unwrap(),
            SignInOutcome::Refused(SignInRefusal::WrongSecret { attempts_left: 2 })
        );
        store.sign_in("olga", "0000", policy, now).unwrap();
        let locked = store.sign_in("olga", "0000", policy, now).unwrap();
        assert!(matches!(
            locked,
            SignInOutcome::Refused(SignInRefusal::Locked { .. })
        ));
        // Even the right PIN is refused while locked...
        let refused = store.sign_in("olga", "1234", policy, now).unwrap();
        assert!(matches!(
            refused,
            SignInOutcome::Refused(SignInRefusal::Locked { .. })
        ));
        // ...and accepted once the lock has expired.
        let later = now + Duration::seconds(61);
        assert!(matches!(
            store.sign_in("olga", "1234", policy, later).unwrap(),
            SignInOutcome::SignedIn(_)
        ));
        let reader = store.reader().unwrap();
        let rows = reader
            .audit(&super::super::AuditFilter {
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
    fn operator_cannot_manage_users_and_the_refusal_is_recorded() {
        let (_dir, mut store) = store();
        let (_console, olga) = admin_and_operator(&mut store);
        let operator = Actor {
            user_id: Some(olga.id),
            name: olga.name.clone(),
            role: Role::Operator,
        };
        let err = store
            .add_user(&operator, "mallory", Role::Admin, "Mallory-pass-1")
            .unwrap_err();
        assert!(matches!(err, StoreError::Forbidden { .. }), "{err}");
        assert!(store.users().unwrap().iter().all(|u| u.name != "mallory"));
        let denied = store
            .reader()
            .unwrap()
            .audit(&super::super::AuditFilter {
                action_prefix: "denied".into(),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(denied.len(), 1);
        assert_eq!(denied[0].entry.user_name, "olga");
    }

    #[test]
    fn last_admin_is_protected() {
        let (_dir, mut store) = store();
        let console = Actor::console("test");
        let ada = store
            .add_user(&console, "ada", Role::Admin, "Admin-pass-2026")
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
        store
            .reset_secret(&console, olga.id, "Olga-password-1", "promotion")
            .unwrap();
        store
            .set_role(&console, olga.id, Role::Engineer, "promotion")
            .unwrap();
        let olga = store
            .users()
            .unwrap()
            .into_iter()
            .find(|u| u.name == "olga")
            .unwrap();
        assert_eq!(olga.role, Role::Engineer);
        assert_eq!(olga.secret_kind, SecretKind::Password);
    }
}
