//! Routings: the ordered stage names a product goes through, and how a work order's planned
//! window is shared among its stages.
//!
//! Planning rule: the window `[planned start, planned end)` is split into equal consecutive
//! slots, one per stage in routing order, at millisecond resolution (the precision the store
//! keeps). The remainder of the division goes to the last stage, so the last stage always ends
//! exactly at the order's planned end and the slots never overlap or leave gaps.

use chrono::{DateTime, Duration, Utc};

/// The routing of a product that has none of its own.
pub const DEFAULT_ROUTING: [&str; 5] =
    ["kitting", "assembly", "inspection", "engraving", "packing"];

/// A stage as planned, before anything happened to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedStage {
    pub name: String,
    /// 1-based position in the routing.
    pub sequence: u32,
    pub planned_start_utc: DateTime<Utc>,
    pub planned_end_utc: DateTime<Utc>,
}

/// The stages of `routing` with the window split evenly (see the module doc). An empty routing
/// plans no stage; the caller refuses it.
pub fn plan_stages(
    routing: &[String],
    planned_start_utc: DateTime<Utc>,
    planned_end_utc: DateTime<Utc>,
) -> Vec<PlannedStage> {
    let count = i64::try_from(routing.len()).unwrap_or(i64::MAX).max(1);
    let window_ms = (planned_end_utc - planned_start_utc)
        .num_milliseconds()
        .max(0);
    let slot = Duration::milliseconds(window_ms / count);
    let mut start = planned_start_utc;
    routing
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let last = index + 1 == routing.len();
            let end = if last { planned_end_utc } else { start + slot };
            let stage = PlannedStage {
                name: name.clone(),
                sequence: u32::try_from(index + 1).unwrap_or(u32::MAX),
                planned_start_utc: start,
                planned_end_utc: end,
            };
            start = end;
            stage
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn the_window_is_split_evenly_and_the_last_stage_takes_the_remainder() {
        let start = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
        let end = start + Duration::milliseconds(10 * 3_600_000 + 3);
        let routing: Vec<String> = DEFAULT_ROUTING.iter().map(|s| s.to_string()).collect();
        let stages = plan_stages(&routing, start, end);
        assert_eq!(stages.len(), 5);
        assert_eq!(stages[0].name, "kitting");
        assert_eq!(stages[0].sequence, 1);
        assert_eq!(stages[0].planned_start_utc, start);
        assert_eq!(
            stages[0].planned_end_utc,
            start + Duration::hours(2),
            "10 h over 5 stages"
        );
        for pair in stages.windows(2) {
            assert_eq!(
                pair[0].planned_end_utc, pair[1].planned_start_utc,
                "no gaps"
            );
        }
        assert_eq!(stages[4].name, "packing");
        assert_eq!(
            stages[4].planned_end_utc, end,
            "the last stage ends at the order's end"
        );
        assert_eq!(
            stages[4].planned_end_utc - stages[4].planned_start_utc,
            Duration::milliseconds(2 * 3_600_000 + 3)
        );
    }
}
