//! What the UI knows, built from runtime events (the session, users, audit rows, messages for
//! the operator) and from the runtime's health snapshots, copied in once per frame. Drawing code reads it; only `apply` changes it.

use std::time::{Duration, Instant};

use crate::domain::{Actor, Permission};
use crate::runtime::{AuditEvent, AuditQuery, StationEvent, UsersEvent};
use crate::runtime::{Event, HealthReport, SignInEntry, SignOutReason, WorkerStatus};
use crate::store::{AuditFilter, AuditRow, ChainReport, UserRecord};

/// How long a notice stays on screen.
const NOTICE_SECS: u64 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Info,
    Refused,
    Error,
}

#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: NoticeKind,
    pub text: String,
    pub at: Instant,
}

#[derive(Default)]
pub struct AppState {
    pub station_name: String,
    pub actor: Option<Actor>,
    pub sign_in_list: Vec<SignInEntry>,
    pub needs_first_admin: bool,
    /// The last sign-in refusal, shown under the keypad.
    pub sign_in_error: Option<String>,
    /// Why the last session ended, when the runtime ended it.
    pub signed_out_idle: Option<String>,
    pub users: Vec<UserRecord>,
    pub audit_rows: Vec<AuditRow>,
    pub audit_filter: AuditFilter,
    pub audit_report: Option<ChainReport>,
    /// A chain check under way: rows checked and the total.
    pub audit_progress: Option<(u64, u64)>,
    /// Disk and database health, copied from the runtime's snapshot each frame.
    pub health: Option<HealthReport>,
    /// Every worker's status, copied from the runtime's snapshot each frame.
    pub workers: Vec<WorkerStatus>,
    /// The engraving bench, copied (a pointer) from the engraver's snapshot each frame.
    pub laser: Option<std::sync::Arc<crate::runtime::EngraverView>>,
    /// The station runs on the demo database with simulated devices.
    pub demo: bool,
    pub notices: Vec<Notice>,
    /// Set when a change was committed, so open lists are refreshed.
    pub stale: bool,
}

impl AppState {
    pub fn new(station_name: &str) -> Self {
        Self {
            station_name: station_name.to_owned(),
            audit_filter: AuditFilter {
                limit: 200,
                ..AuditFilter::default()
            },
            ..Self::default()
        }
    }

    pub fn may(&self, permission: Permission) -> bool {
        self.actor
            .as_ref()
            .is_some_and(|actor| actor.may(permission))
    }

    /// A notice from a capability's own events (the engraver's).
    pub fn notify(&mut self, kind: NoticeKind, text: String) {
        self.notice(kind, text);
    }

    fn notice(&mut self, kind: NoticeKind, text: String) {
        if !text.is_empty() {
            self.notices.push(Notice {
                kind,
                text,
                at: Instant::now(),
            });
        }
    }

    /// Drops notices older than their display time.
    pub fn expire_notices(&mut self) {
        self.notices
            .retain(|notice| notice.at.elapsed() < Duration::from_secs(NOTICE_SECS));
    }

    pub fn apply(&mut self, event: Event) {
        match event {
            Event::Users(UsersEvent::SignedIn(actor)) => {
                self.sign_in_error = None;
                self.signed_out_idle = None;
                self.actor = Some(actor);
                self.stale = true;
            }
            Event::Users(UsersEvent::SignInRefused(reason)) => {
                self.sign_in_error = Some(reason);
                // The account may be locked now: the tiles say so.
                self.stale = true;
            }
            Event::Users(UsersEvent::SignedOut { name, reason }) => {
                self.actor = None;
                self.users.clear();
                self.audit_rows.clear();
                self.audit_report = None;
                self.stale = true;
                match reason {
                    SignOutReason::Idle => {
                        self.signed_out_idle =
                            Some(format!("{name} was signed out after a time without input."));
                    }
                    SignOutReason::AccountChanged(message) => {
                        self.signed_out_idle = Some(format!("{name} was signed out. {message}"));
                    }
                    SignOutReason::Requested => {}
                }
            }
            Event::Users(UsersEvent::NeedsFirstAdmin) => {
                self.needs_first_admin = true;
                self.sign_in_list.clear();
            }
            Event::Users(UsersEvent::SignInList(list)) => {
                self.needs_first_admin = false;
                self.sign_in_list = list;
            }
            Event::Users(UsersEvent::List(users)) => self.users = users,
            Event::Audit(AuditEvent::Rows { filter, rows }) => {
                // A page of older rows (before_id set) extends the list shown for that filter.
                let base = AuditFilter {
                    before_id: None,
                    ..filter.clone()
                };
                if filter.before_id.is_some() && base == self.audit_filter {
                    self.audit_rows.extend(rows);
                } else {
                    self.audit_rows = rows;
                }
                self.audit_filter = base;
            }
            Event::Audit(AuditEvent::VerifyProgress { checked, total }) => {
                self.audit_progress = Some((checked, total));
            }
            Event::Audit(AuditEvent::Verified(report)) => {
                self.audit_progress = None;
                self.audit_report = Some(report);
            }
            Event::Station(StationEvent::Settings(settings)) => {
                self.station_name = settings.station_name
            }
            Event::Done(text) => {
                self.stale = true;
                self.notice(NoticeKind::Info, text);
            }
            Event::Refused(text) => self.notice(NoticeKind::Refused, text),
            Event::Failed { what, error } => {
                if what == AuditQuery::Verify.name() {
                    self.audit_progress = None;
                }
                self.notice(NoticeKind::Error, format!("Could not {what}: {error}"));
            }
        }
    }
}
