//! The secret policy: viewers and operators may sign in with a 4–8 digit PIN (fast with gloves
//! on a touch screen); engineers and admins must use a password meeting a complexity rule.

use super::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    Pin,
    Password,
}

impl SecretKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pin => "pin",
            Self::Password => "password",
        }
    }

    pub fn from_db(text: &str) -> Self {
        if text == "pin" {
            Self::Pin
        } else {
            Self::Password
        }
    }
}

/// A new secret after the policy check and hashing (argon2 PHC string), ready to be stored. The
/// store only ever receives this, so slow hashing happens before any write transaction opens.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretHash {
    pub kind: SecretKind,
    pub phc: String,
}

/// Debug without the hash, so a job holding one can be logged.
impl std::fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretHash {{ kind: {}, phc: *** }}", self.kind.as_str())
    }
}

impl SecretHash {
    /// Whether a user of `role` may sign in with this secret (the role may have changed since
    /// the secret was checked).
    pub fn fits(&self, role: Role) -> Result<(), SecretPolicyError> {
        if self.kind == SecretKind::Pin && role.requires_password() {
            return Err(SecretPolicyError::PasswordRequired { role });
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretPolicyError {
    #[error("a PIN has 4 to 8 digits; this one has {0}")]
    PinLength(usize),
    #[error("a {role} must use a password, not a PIN")]
    PasswordRequired { role: Role },
    #[error(
        "the password is too weak: use at least {min} characters with at least three of lower case, upper case, digits and symbols"
    )]
    WeakPassword { min: usize },
}

/// Minimum password length for any role.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Checks a new secret for a user of `role` and says whether it is a PIN or a password.
pub fn check_secret(role: Role, secret: &str) -> Result<SecretKind, SecretPolicyError> {
    if !secret.is_empty() && secret.chars().all(|c| c.is_ascii_digit()) {
        if role.requires_password() {
            return Err(SecretPolicyError::PasswordRequired { role });
        }
        let digits = secret.chars().count();
        if !(4..=8).contains(&digits) {
            return Err(SecretPolicyError::PinLength(digits));
        }
        return Ok(SecretKind::Pin);
    }
    let classes = [
        secret.chars().any(|c| c.is_lowercase()),
        secret.chars().any(|c| c.is_uppercase()),
        secret.chars().any(|c| c.is_ascii_digit()),
        secret.chars().any(|c| !c.is_alphanumeric()),
    ];
    let class_count = classes.iter().filter(|present| **present).count();
    if secret.chars().count() < MIN_PASSWORD_CHARS || class_count < 3 {
        return Err(SecretPolicyError::WeakPassword {
            min: MIN_PASSWORD_CHARS,
        });
    }
    Ok(SecretKind::Password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_for_operators_only() {
        assert_eq!(check_secret(Role::Operator, "1234"), Ok(SecretKind::Pin));
        assert_eq!(check_secret(Role::Viewer, "12345678"), Ok(SecretKind::Pin));
        assert_eq!(
            check_secret(Role::Operator, "123"),
            Err(SecretPolicyError::PinLength(3))
        );
        assert_eq!(
            check_secret(Role::Operator, "123456789"),
            Err(SecretPolicyError::PinLength(9))
        );
        assert_eq!(
            check_secret(Role::Admin, "123456"),
            Err(SecretPolicyError::PasswordRequired { role: Role::Admin })
        );
    }

    #[test]
    fn passwords_need_length_and_variety() {
        assert_eq!(
            check_secret(Role::Admin, "Demo-admin-2026"),
            Ok(SecretKind::Password)
        );
        assert!(check_secret(Role::Engineer, "short-A1").is_err());
        assert!(check_secret(Role::Engineer, "alllowercaseletters").is_err());
        assert_eq!(
            check_secret(Role::Operator, "Operator-pass-1"),
            Ok(SecretKind::Password)
        );
    }
}
