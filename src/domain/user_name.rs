//! User names: short, typed on a touch keyboard, shown on big buttons, stable in the audit trail.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserName(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UserNameError {
    #[error("user name is empty")]
    Empty,
    #[error("user name {0:?} is longer than 32 characters")]
    TooLong(String),
    #[error(
        "user name {name:?} has {bad:?}: use lower-case letters, digits, '.', '-' or '_', starting with a letter"
    )]
    BadCharacter { name: String, bad: char },
}

impl UserName {
    pub const MAX_CHARS: usize = 32;

    /// Accepts names like `olga`, `j.smith`, `line-2_op`; folds to lower case so that sign-in is
    /// not case sensitive.
    pub fn parse(text: &str) -> Result<Self, UserNameError> {
        let name = text.trim().to_lowercase();
        if name.is_empty() {
            return Err(UserNameError::Empty);
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(UserNameError::TooLong(name));
        }
        for (index, ch) in name.chars().enumerate() {
            let ok = ch.is_ascii_lowercase()
                || (index > 0 && (ch.is_ascii_digit() || matches!(ch, '.' | '-' | '_')));
            if !ok {
                return Err(UserNameError::BadCharacter { name, bad: ch });
            }
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_folds_case() {
        assert_eq!(UserName::parse(" Olga ").unwrap().as_str(), "olga");
        assert!(UserName::parse("line-2_op.a").is_ok());
    }

    #[test]
    fn rejects_bad_names() {
        assert_eq!(UserName::parse("  "), Err(UserNameError::Empty));
        assert!(matches!(
            UserName::parse("2fast"),
            Err(UserNameError::BadCharacter { bad: '2', .. })
        ));
        assert!(matches!(
            UserName::parse("a b"),
            Err(UserNameError::BadCharacter { bad: ' ', .. })
        ));
        assert!(matches!(
            UserName::parse(&"a".repeat(33)),
            Err(UserNameError::TooLong(_))
        ));
    }
}
