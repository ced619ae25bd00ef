//! Plain types and rules shared by every layer: roles and what they permit, user names, the
//! secret (PIN or password) policy, the sign-in lockout, and who performs an action.
//!
//! Nothing here does I/O, reads the environment, spawns threads or knows about the UI.

mod actor;
mod lockout;
mod role;
mod secret_policy;
mod user_name;

pub use actor::Actor;
pub use lockout::LockoutPolicy;
pub use role::{Permission, Role, RoleParseError};
pub use secret_policy::{SecretHash, SecretKind, SecretPolicyError, check_secret};
pub use user_name::{UserName, UserNameError};
