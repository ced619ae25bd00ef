//! Secret hashing for sign-in: argon2id with a per-user random salt, stored as a PHC string.
//!
//! Hashing is deliberately slow (tens of milliseconds); it runs on the store-writer thread before
//! it opens a transaction, or in the CLI, never on the UI thread and never inside a write
//! transaction. The store receives only finished hashes (`domain::SecretHash`).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::domain::{Role, SecretHash, SecretPolicyError, check_secret};
use crate::store::{SecretCheck, StoredSecret};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("could not hash the secret: {0}")]
    Hash(String),
    #[error("the stored secret hash is damaged ({0}): reset this user's PIN or password")]
    BadStoredHash(String),
    #[error(transparent)]
    Policy(#[from] SecretPolicyError),
}

/// argon2id, OWASP's baseline parameters (19 MiB, 2 passes, 1 lane).
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a PIN or password into a PHC string (`$argon2id$v=19$...`).
pub fn hash_secret(secret: &str) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(secret.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| AuthError::Hash(err.to_string()))
}

/// Checks a new secret against the policy for `role` and hashes it, ready for the store.
pub fn new_secret_hash(role: Role, secret: &str) -> Result<SecretHash, AuthError> {
    let kind = check_secret(role, secret)?;
    Ok(SecretHash {
        kind,
        phc: hash_secret(secret)?,
    })
}

/// True when `secret` matches the stored PHC string.
pub fn verify_secret(stored_phc: &str, secret: &str) -> Result<bool, AuthError> {
    let parsed =
        PasswordHash::new(stored_phc).map_err(|err| AuthError::BadStoredHash(err.to_string()))?;
    Ok(hasher().verify_password(secret.as_bytes(), &parsed).is_ok())
}

/// Sign-in's slow step, before the store records the attempt: whether `secret` matches the
/// user's stored hash (`None` when there is no such user). Runs outside any transaction; the
/// store checks the hash is still the user's when it records.
pub fn check_stored_secret(
    stored: Option<StoredSecret>,
    secret: &str,
) -> Result<Option<SecretCheck>, AuthError> {
    stored
        .map(|stored| {
            let matches = verify_secret(&stored.phc, secret)?;
            Ok(SecretCheck { stored, matches })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_salted() {
        let first = hash_secret("1234").unwrap();
        let second = hash_secret("1234").unwrap();
        assert!(first.starts_with("$argon2id$"));
        assert_ne!(first, second, "each hash has its own salt");
        assert!(verify_secret(&first, "1234").unwrap());
        assert!(!verify_secret(&first, "1235").unwrap());
    }

    #[test]
    fn new_hashes_follow_the_policy() {
        let hash = new_secret_hash(Role::Operator, "1234").unwrap();
        assert_eq!(hash.kind, crate::domain::SecretKind::Pin);
        assert!(verify_secret(&hash.phc, "1234").unwrap());
        assert!(matches!(
            new_secret_hash(Role::Admin, "1234"),
            Err(AuthError::Policy(_))
        ));
    }

    #[test]
    fn damaged_hash_is_an_error_not_a_match() {
        assert!(verify_secret("not a phc string", "1234").is_err());
    }
}
