//! Plain types and rules shared by every layer: roles and what they permit, user names, the
//! secret (PIN or password) policy, the sign-in lockout, who performs an action, item UIDs, the
//! item lifecycle, engraving job states, QR error-correction levels, inspection verdicts and
//! dispositions, the cross-check's fields, normalisation and checks (`crosscheck`), and work
//! orders with their stages and issues (`orders`).
//!
//! Nothing here does I/O, reads the environment, spawns threads or knows about the UI.

mod actor;
pub mod crosscheck;
mod disposition;
mod ec_level;
mod item_status;
mod job_status;
mod lockout;
pub mod orders;
mod role;
mod secret_policy;
mod uid;
mod user_name;
mod verdict;

pub use actor::Actor;
pub use disposition::{Disposition, DispositionParseError, DispositionState};
pub use ec_level::EcLevel;
pub use item_status::{ItemStatus, ItemStatusParseError, TransitionError};
pub use job_status::{JobStatus, JobStatusParseError};
pub use lockout::LockoutPolicy;
pub use role::{Permission, Role, RoleParseError};
pub use secret_policy::{SecretHash, SecretKind, SecretPolicyError, check_secret};
pub use uid::{
    LotKey, LotRule, MAX_SEQ, Uid, UidError, UidPart, check_component, check_seq, check_vendor,
};
pub use user_name::{UserName, UserNameError};
pub use verdict::{Verdict, VerdictParseError};
