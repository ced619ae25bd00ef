//! The sign-in lockout rule: how many wrong secrets in a row lock an account, and for how long.
//! Configuration sets it, the store enforces it.

/// How many wrong secrets lock an account, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failed_attempts: u32,
    pub lockout_secs: u32,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            max_failed_attempts: 5,
            lockout_secs: 300,
        }
    }
}
