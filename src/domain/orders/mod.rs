//! Work orders, their stages and the issues raised on stages (`specs/operations.md`): the plain
//! types, their validation and their state machines as data. A work order is planned with its
//! stages from a routing (`routing`), each stage moves `planned → in_progress → done` with a
//! side trip to `blocked` (`stage`), and an issue moves `open → acknowledged → resolved`
//! (`issue`).
//!
//! Nothing here does I/O or knows who may do what: the store checks roles and records changes.

mod issue;
mod routing;
mod stage;
mod work_order;

pub use issue::{
    IssueAction, IssueParseError, IssueStatus, IssueTransitionError, IssueType, StageIssue,
};
pub use routing::{DEFAULT_ROUTING, PlannedStage, plan_stages};
pub use stage::{Stage, StageAction, StageParseError, StageStatus, StageTransitionError};
pub use work_order::{WorkOrder, WorkOrderError, WorkOrderStatus, WorkOrderStatusParseError};

/// `start, block`, or `none`: the actions a refusal offers instead.
fn allowed_words<A: std::fmt::Display>(allowed: &[A]) -> String {
    if allowed.is_empty() {
        "none".to_owned()
    } else {
        allowed
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}
