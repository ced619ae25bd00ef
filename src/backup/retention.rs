//! Which backups to keep: the newest backup of each of the last `keep_daily` days that have
//! backups, and the newest of each of the last `keep_weekly` ISO weeks that have backups (a
//! backup kept by either rule stays). Days and weeks are UTC, like the folder names. Pure
//! functions over timestamps; deleting the folders is the caller's job.
//!
//! Backup folders are named by the UTC time their database copy began, `YYYYMMDDTHHMMSSZ`, so
//! they sort by age and the schedule can tell from the name alone when the last one was made.

use std::collections::HashSet;

use chrono::{DateTime, Datelike as _, NaiveDateTime, Utc};

/// How many backups to keep (the config's `[backup]` keep_daily and keep_weekly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub keep_daily: u32,
    pub keep_weekly: u32,
}

const FOLDER_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// The folder name of a backup made at `at`.
pub fn folder_name(at: DateTime<Utc>) -> String {
    at.format(FOLDER_FORMAT).to_string()
}

/// The time in a backup folder's name; `None` for any other name (an unfinished backup, a
/// folder someone put there).
pub fn parse_folder_name(name: &str) -> Option<NaiveDateTime> {
    if name.len() != 16 {
        return None;
    }
    NaiveDateTime::parse_from_str(name, FOLDER_FORMAT).ok()
}

/// The backups (by time) that `retention` does not keep, oldest first. Duplicates count once.
pub fn expired(backups: &[NaiveDateTime], retention: Retention) -> Vec<NaiveDateTime> {
    let mut newest_first = backups.to_vec();
    newest_first.sort_unstable_by(|a, b| b.cmp(a));
    newest_first.dedup();
    let mut kept = HashSet::new();
    keep_newest_per(&newest_first, retention.keep_daily, &mut kept, |at| {
        (at.year(), at.ordinal())
    });
    keep_newest_per(&newest_first, retention.keep_weekly, &mut kept, |at| {
        let week = at.iso_week();
        (week.year(), week.week())
    });
    let mut expired: Vec<NaiveDateTime> = newest_first
        .into_iter()
        .filter(|at| !kept.contains(at))
        .collect();
    expired.reverse();
    expired
}

/// Walking newest first, keeps the first backup of each new period until `count` periods.
fn keep_newest_per(
    newest_first: &[NaiveDateTime],
    count: u32,
    kept: &mut HashSet<NaiveDateTime>,
    period: impl Fn(&NaiveDateTime) -> (i32, u32),
) {
    let mut last = None;
    let mut periods = 0;
    for at in newest_first {
        if periods >= count {
            break;
        }
        let this = period(at);
        if last != Some(this) {
            last = Some(this);
            periods += 1;
            kept.insert(*at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(day: u32, hour: u32) -> NaiveDateTime {
        // March 2026: the 2nd is a Monday (ISO week 10).
        NaiveDate::from_ymd_opt(2026, 3, day)
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap()
    }

    #[test]
    fn folder_names_round_trip_and_others_are_ignored() {
        let made = DateTime::<Utc>::from_naive_utc_and_offset(at(2, 3), Utc);
        assert_eq!(folder_name(made), "20260302T030000Z");
        assert_eq!(parse_folder_name("20260302T030000Z"), Some(at(2, 3)));
        for other in [
            "20260302T030000Z.partial",
            "2026-03-02",
            "20261302T030000Z",
            "notes",
        ] {
            assert_eq!(parse_folder_name(other), None, "{other}");
        }
    }

    #[test]
    fn daily_keeps_the_newest_of_each_of_the_last_days_with_backups() {
        // Every 6 hours from the 1st to the 5th, and nothing on the 3rd.
        let backups: Vec<NaiveDateTime> = [1, 2, 4, 5]
            .into_iter()
            .flat_map(|day| [0, 6, 12, 18].map(|hour| at(day, hour)))
            .collect();
        let gone = expired(
            &backups,
            Retention {
                keep_daily: 3,
                keep_weekly: 0,
            },
        );
        let kept: Vec<NaiveDateTime> = backups
            .iter()
            .copied()
            .filter(|b| !gone.contains(b))
            .collect();
        // Days with backups, newest first: 5th, 4th, 2nd (the empty 3rd does not count).
        assert_eq!(kept, [at(2, 18), at(4, 18), at(5, 18)]);
        assert_eq!(gone.len(), 13);
        assert!(
            gone.windows(2).all(|pair| pair[0] < pair[1]),
            "oldest first"
        );
    }

    #[test]
    fn weekly_keeps_the_newest_of_each_iso_week_beyond_the_daily_ones() {
        // One backup a day at 02:00 from Sunday 1 March to Tuesday 31 March 2026.
        let backups: Vec<NaiveDateTime> = (1..=31).map(|day| at(day, 2)).collect();
        let gone = expired(
            &backups,
            Retention {
                keep_daily: 2,
                keep_weekly: 3,
            },
        );
        let kept: Vec<NaiveDateTime> = backups
            .iter()
            .copied()
            .filter(|b| !gone.contains(b))
            .collect();
        // Daily: the 31st and 30th. Weekly, newest first: week 14 (30th-31st: the 31st, kept
        // already), week 13 (23rd-29th: the 29th), week 12 (16th-22nd: the 22nd).
        assert_eq!(kept, [at(22, 2), at(29, 2), at(30, 2), at(31, 2)]);
    }

    #[test]
    fn iso_weeks_cross_the_year_and_duplicates_count_once() {
        // Thursday 1 January 2026 is in ISO week 1 of 2026; Sunday 28 December 2025 in week 52.
        let new_year = NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(1, 0, 0)
            .unwrap();
        let monday = NaiveDate::from_ymd_opt(2025, 12, 29)
            .unwrap()
            .and_hms_opt(1, 0, 0)
            .unwrap();
        let sunday = NaiveDate::from_ymd_opt(2025, 12, 28)
            .unwrap()
            .and_hms_opt(1, 0, 0)
            .unwrap();
        let gone = expired(
            &[sunday, monday, new_year, new_year],
            Retention {
                keep_daily: 1,
                keep_weekly: 2,
            },
        );
        // Monday 29 December is in the same ISO week as 1 January: only Sunday's week is the
        // second week.
        assert_eq!(gone, [monday]);
    }

    #[test]
    fn nothing_kept_means_everything_expires_and_no_backups_nothing() {
        let none = Retention {
            keep_daily: 0,
            keep_weekly: 0,
        };
        assert_eq!(expired(&[at(1, 0), at(2, 0)], none), [at(1, 0), at(2, 0)]);
        assert!(
            expired(
                &[],
                Retention {
                    keep_daily: 7,
                    keep_weekly: 4
                }
            )
            .is_empty()
        );
    }
}
