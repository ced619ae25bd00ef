//! A work order: how many of which product (its part number) to make in which lot, in which
//! planned window, and where it stands. Validation names the field at fault.
//!
//! The order's status follows its stages rather than being set by hand: `planned` until any
//! stage has started, `done` once every stage is done, `in_progress` in between (a blocked
//! stage keeps its order where the rest of its stages put it).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use super::StageStatus;
use super::stage::Stage;

/// Where a work order stands, derived from its stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkOrderStatus {
    Planned,
    InProgress,
    Done,
}

impl WorkOrderStatus {
    pub const ALL: [Self; 3] = [Self::Planned, Self::InProgress, Self::Done];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::InProgress => "in_progress",
            Self::Done => "done",
        }
    }

    /// The status an order with these stages has (see the module doc).
    pub fn of_stages(stages: &[Stage]) -> Self {
        if !stages.is_empty() && stages.iter().all(|s| s.status == StageStatus::Done) {
            Self::Done
        } else if stages.iter().any(|s| s.actual_start_utc.is_some()) {
            Self::InProgress
        } else {
            Self::Planned
        }
    }
}

impl fmt::Display for WorkOrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown work order status {0:?}: expected one of planned, in_progress, done")]
pub struct WorkOrderStatusParseError(pub String);

impl FromStr for WorkOrderStatus {
    type Err = WorkOrderStatusParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let folded = text.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == folded)
            .ok_or_else(|| WorkOrderStatusParseError(text.to_owned()))
    }
}

/// A work order that does not make sense, naming the field and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("work order field '{field}': {reason}")]
pub struct WorkOrderError {
    pub field: &'static str,
    pub reason: String,
}

/// A work order as planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkOrder {
    /// The product's part number.
    pub product_code: String,
    pub lot: String,
    pub quantity: u32,
    pub planned_start_utc: DateTime<Utc>,
    pub planned_end_utc: DateTime<Utc>,
    pub status: WorkOrderStatus,
}

impl WorkOrder {
    /// A new, `planned` order; codes are trimmed. Refused, naming the field, when the product
    /// or lot is empty, the quantity is 0, or the window does not end after it starts.
    pub fn new(
        product_code: &str,
        lot: &str,
        quantity: u32,
        planned_start_utc: DateTime<Utc>,
        planned_end_utc: DateTime<Utc>,
    ) -> Result<Self, WorkOrderError> {
        let order = Self {
            product_code: product_code.trim().to_owned(),
            lot: lot.trim().to_owned(),
            quantity,
            planned_start_utc,
            planned_end_utc,
            status: WorkOrderStatus::Planned,
        };
        order.validate()?;
        Ok(order)
    }

    /// Checks the planned fields (see `new`).
    pub fn validate(&self) -> Result<(), WorkOrderError> {
        let refuse = |field, reason: String| Err(WorkOrderError { field, reason });
        if self.product_code.trim().is_empty() {
            return refuse(
                "product_code",
                "is empty: give the part number of the product".into(),
            );
        }
        if self.lot.trim().is_empty() {
            return refuse("lot", "is empty: give the lot number".into());
        }
        if self.quantity == 0 {
            return refuse("quantity", "must be more than 0 (got 0)".into());
        }
        if self.planned_start_utc >= self.planned_end_utc {
            return refuse(
                "planned_end",
                format!(
                    "must be after the planned start ({} is not after {})",
                    self.planned_end_utc.to_rfc3339(),
                    self.planned_start_utc.to_rfc3339()
                ),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, hour, 0, 0).unwrap()
    }

    #[test]
    fn a_valid_order_is_planned_and_trimmed() {
        let order = WorkOrder::new(" TC-1 ", "L7", 20, at(8), at(16)).unwrap();
        assert_eq!(order.product_code, "TC-1");
        assert_eq!(order.status, WorkOrderStatus::Planned);
    }

    #[test]
    fn validation_names_the_field() {
        let cases = [
            (WorkOrder::new("", "L7", 20, at(8), at(16)), "product_code"),
            (WorkOrder::new("TC-1", " ", 20, at(8), at(16)), "lot"),
            (WorkOrder::new("TC-1", "L7", 0, at(8), at(16)), "quantity"),
            (
                WorkOrder::new("TC-1", "L7", 1, at(16), at(8)),
                "planned_end",
            ),
            (WorkOrder::new("TC-1", "L7", 1, at(8), at(8)), "planned_end"),
        ];
        for (outcome, field) in cases {
            let err = outcome.unwrap_err();
            assert_eq!(err.field, field);
            assert!(
                err.to_string()
                    .starts_with(&format!("work order field '{field}': ")),
                "{err}"
            );
        }
    }

    #[test]
    fn status_follows_the_stages() {
        let stage = |status, started: bool| Stage {
            name: "s".into(),
            sequence: 1,
            planned_start_utc: at(8),
            planned_end_utc: at(9),
            actual_start_utc: started.then(|| at(8)),
            actual_end_utc: None,
            status,
            blocked_from: None,
        };
        use StageStatus::*;
        assert_eq!(
            WorkOrderStatus::of_stages(&[stage(Planned, false), stage(Blocked, false)]),
            WorkOrderStatus::Planned
        );
        assert_eq!(
            WorkOrderStatus::of_stages(&[stage(Done, true), stage(Planned, false)]),
            WorkOrderStatus::InProgress
        );
        assert_eq!(
            WorkOrderStatus::of_stages(&[stage(Done, true), stage(Done, true)]),
            WorkOrderStatus::Done
        );
        assert_eq!(WorkOrderStatus::of_stages(&[]), WorkOrderStatus::Planned);
    }
}
