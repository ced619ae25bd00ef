//! The Cross-check panel (the QC desk): the sessions on the left, filtered by name, verdict and
//! date; on the right either a new session (`crosscheck_new`) or the open session
//! (`crosscheck_open`: verdict, files, the checks table of `crosscheck_checks` and the evidence
//! of `crosscheck_evidence`). This module owns the panel's state, takes the worker's events,
//! sends the commands queued while drawing, and draws the session list.
//!
//! Draws from the worker's published view and sends commands after drawing; it reads no
//! database. Files dropped on the window go to the new session's list.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui::{Color32, RichText, vec2};

use super::audit_view::minutes;
use super::crosscheck_checks::Selection;
use super::crosscheck_evidence::EvidenceCache;
use super::crosscheck_new::{NewSession, new_session_ui};
use super::crosscheck_open::open_ui;
use super::fields::labelled_edit_ui;
use super::state::{AppState, NoticeKind};
use super::theme;
use crate::domain::crosscheck::Verdict;
use crate::runtime::{CrosscheckCommand, CrosscheckEvent, CrosscheckHandle, CrosscheckView};
use crate::store::{CrosscheckFilter, CrosscheckSessionRecord};

/// Sessions listed at most (the filter narrows them).
const LIST_LIMIT: usize = 200;
/// Width of the session list beside the open session.
const SESSIONS_WIDTH: f32 = 300.0;
/// How long after a command the panel keeps looking at the worker's view for its answer.
const ANSWER_WAIT: Duration = Duration::from_secs(3);

/// The verdict filter's choices: `None` is any verdict.
const VERDICT_CHOICES: [(Option<&str>, &str); 5] = [
    (None, "any"),
    (Some("PASS"), "PASS"),
    (Some("WARNING"), "WARNING"),
    (Some("FAIL"), "FAIL"),
    (Some("unchecked"), "unchecked"),
];

/// The filter as typed.
#[derive(Debug, Default)]
struct FilterForm {
    name: String,
    verdict: Option<&'static str>,
    from: String,
    to: String,
}

impl FilterForm {
    /// The store's filter, or what is wrong with a date.
    fn filter(&self) -> Result<CrosscheckFilter, String> {
        let date = |text: &str, which: &str| -> Result<Option<String>, String> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|date| Some(date.format("%Y-%m-%d").to_string()))
                .map_err(|_| format!("{which} date {text:?}: write it as YYYY-MM-DD"))
        };
        let name = self.name.trim();
        Ok(CrosscheckFilter {
            name_contains: (!name.is_empty()).then(|| name.to_owned()),
            verdict: self.verdict.map(str::to_owned),
            from_date: date(&self.from, "From")?,
            to_date: date(&self.to, "To")?,
            limit: LIST_LIMIT,
        })
    }
}

/// The panel's own state.
#[derive(Default)]
pub struct CrosscheckDesk {
    filter: FilterForm,
    filter_error: Option<String>,
    /// The filter last sent, so a change is sent once.
    sent_filter: Option<CrosscheckFilter>,
    pub(super) new: NewSession,
    /// The name of a session asked to be created and not yet seen started.
    pub(super) starting: Option<String>,
    /// The session shown on the right; `None` shows the new-session form.
    pub(super) wanted: Option<i64>,
    /// The check (and value) whose evidence is shown, in the session `wanted`.
    pub(super) selection: Option<Selection>,
    /// The session whose report was written last, and where.
    pub(super) exported: Option<(i64, Vec<PathBuf>)>,
    /// The worker's last failure, until dismissed or the next command.
    failure: Option<String>,
    /// Delete was tapped once: the confirmation is shown.
    pub(super) confirm_delete: Option<i64>,
    /// A row of the checks table to bring into view once (the table shrank).
    pub(super) table_scroll: Option<usize>,
    pub(super) evidence: EvidenceCache,
    outbox: Vec<CrosscheckCommand>,
    last_sent: Option<Instant>,
}

impl CrosscheckDesk {
    /// Takes the worker's events: notices, the export's paths, failures.
    pub fn apply(&mut self, state: &mut AppState, event: CrosscheckEvent) {
        match event {
            CrosscheckEvent::Checked {
                session_id,
                verdict,
            } => {
                if self.starting.is_some() {
                    self.started(session_id);
                }
                state.notify(
                    NoticeKind::Info,
                    format!("Cross-check session {session_id} checked: {verdict}"),
                );
            }
            CrosscheckEvent::Deleted(session_id) => {
                if self.wanted == Some(session_id) {
                    self.wanted = None;
                    self.selection = None;
                    self.exported = None;
                }
                state.notify(
                    NoticeKind::Info,
                    format!("Cross-check session {session_id} deleted"),
                );
            }
            CrosscheckEvent::Exported { session_id, paths } => {
                let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                state.notify(
                    NoticeKind::Info,
                    format!("Cross-check report written: {}", names.join(", ")),
                );
                self.exported = Some((session_id, paths));
            }
            CrosscheckEvent::Evidence { path, document } => self.evidence.arrive(&path, document),
            CrosscheckEvent::Failed(text) => {
                // A failed create leaves the form as it was, to correct and start again.
                self.starting = None;
                state.notify(NoticeKind::Error, text.clone());
                self.failure = Some(text);
            }
        }
    }

    pub(super) fn send(&mut self, command: CrosscheckCommand) {
        self.failure = None;
        self.outbox.push(command);
    }

    /// The session asked for exists: show it, and empty the form it was made from.
    fn started(&mut self, session_id: i64) {
        self.starting = None;
        self.wanted = Some(session_id);
        self.selection = None;
        self.new.clear();
    }

    fn open(&mut self, session_id: i64) {
        if self.wanted != Some(session_id) {
            self.selection = None;
            self.exported = None;
            self.confirm_delete = None;
        }
        self.wanted = Some(session_id);
        self.starting = None;
        self.send(CrosscheckCommand::Open(session_id));
    }

    /// Sends the filter when it changed; a bad date is shown and nothing is sent.
    fn sync_filter(&mut self) {
        match self.filter.filter() {
            Ok(filter) => {
                self.filter_error = None;
                if self.sent_filter.as_ref() != Some(&filter) {
                    self.sent_filter = Some(filter.clone());
                    self.outbox.push(CrosscheckCommand::List(filter));
                }
            }
            Err(error) => self.filter_error = Some(error),
        }
    }

    /// Asks the worker to list the sessions and the demo packs again: when the panel is opened
    /// (sessions may have come from the CLI meanwhile, demo packs written since) or a person
    /// asks to look again.
    pub fn relist(&mut self) {
        self.sent_filter = None;
    }

    /// Files dropped on the window join the new session's files.
    fn take_dropped(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|input| {
            input
                .raw
                .dropped_files
                .iter()
                .map(|file| file.path().to_path_buf())
                .collect()
        });
        if dropped.is_empty() {
            return;
        }
        for path in dropped {
            self.new.add_or_say_why(&path);
        }
        // The form is where dropped files are seen.
        self.wanted = None;
    }
}

/// A verdict's colour (the word is always shown beside it).
pub fn verdict_colour(verdict: Option<&str>) -> Color32 {
    match verdict.and_then(|text| text.parse::<Verdict>().ok()) {
        Some(Verdict::Pass) => theme::OK,
        Some(Verdict::Warning) => theme::WARN,
        Some(Verdict::Fail) => theme::FAULT,
        None => theme::TEXT_DIM,
    }
}

pub fn crosscheck_ui(
    ui: &mut egui::Ui,
    desk: &mut CrosscheckDesk,
    state: &mut AppState,
    handle: Option<&CrosscheckHandle>,
) {
    let Some(handle) = handle else {
        ui.label(RichText::new("This station runs no cross-check sessions").font(theme::big()));
        ui.label(
            "The [crosscheck] field patterns in the config file did not compile: run \
             `qcstation config check` to see why, correct them and restart the station.",
        );
        return;
    };
    let view = handle.view();
    desk.evidence.begin_frame();
    desk.take_dropped(ui.ctx());
    desk.sync_filter();
    if desk.starting.is_some()
        && let Some(progress) = &view.progress
    {
        // The worker has made the session and opened it: show it as it is read.
        desk.started(progress.session_id);
    }
    egui::Panel::left("crosscheck_sessions")
        .exact_size(SESSIONS_WIDTH)
        .resizable(false)
        .show(ui, |ui| sessions_ui(ui, desk, &view));
    egui::CentralPanel::default().show(ui, |ui| {
        failure_ui(ui, desk);
        if let Some(name) = desk.starting.clone() {
            waiting_ui(
                ui,
                &format!("Copying the files of {name} into the station…"),
            );
        } else if let Some(id) = desk.wanted {
            match &view.open {
                Some(open) if open.session.id == id => open_ui(ui, desk, state, &view, open),
                _ => waiting_ui(
                    ui,
                    &if view.progress.is_some() {
                        format!("Opening session {id} once the check under way is done…")
                    } else {
                        format!("Opening session {id}…")
                    },
                ),
            }
        } else {
            new_session_ui(ui, desk, state, &view);
        }
    });
    hovered_files_ui(ui);
    let busy = view.progress.is_some() || desk.starting.is_some();
    let asks = desk.evidence.take_asks();
    desk.outbox.extend(
        asks.into_iter()
            .map(|(path, name)| CrosscheckCommand::Evidence { path, name }),
    );
    for command in std::mem::take(&mut desk.outbox) {
        match handle.send(command) {
            Ok(()) => desk.last_sent = Some(Instant::now()),
            Err(err) => state.notify(
                NoticeKind::Error,
                format!("The cross-check worker did not take it: {err}"),
            ),
        }
    }
    // The worker publishes its view without waking the UI: look while an answer is due.
    let answer_due = desk
        .last_sent
        .is_some_and(|sent| sent.elapsed() < ANSWER_WAIT);
    if busy || answer_due {
        ui.ctx().request_repaint_after(Duration::from_millis(100));
    }
}

/// While files are dragged over the window: where they go.
fn hovered_files_ui(ui: &mut egui::Ui) {
    let hovering = ui.ctx().input(|input| !input.raw.hovered_files.is_empty());
    if !hovering {
        return;
    }
    let rect = ui.ctx().content_rect();
    let painter = ui.ctx().layer_painter(egui::LayerId::new(
        egui::Order::Foreground,
        egui::Id::unique("crosscheck_drop"),
    ));
    painter.rect_filled(rect, 0.0, theme::OVERLAY);
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        "Drop the files to add them to a new cross-check session",
        theme::heading(),
        theme::TEXT,
    );
}

fn waiting_ui(ui: &mut egui::Ui, text: &str) {
    ui.add_space(theme::GAP * 2.0);
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label(RichText::new(text).font(theme::big()));
    });
}

/// The worker's last failure, with a way to put it away.
fn failure_ui(ui: &mut egui::Ui, desk: &mut CrosscheckDesk) {
    let Some(failure) = desk.failure.clone() else {
        return;
    };
    egui::Frame::new()
        .stroke(egui::Stroke::new(2.0, theme::FAULT))
        .corner_radius(6.0)
        .inner_margin(egui::Margin::same(8))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                if ui
                    .add(egui::Button::new("Dismiss").min_size(vec2(96.0, theme::TOUCH_PX * 0.7)))
                    .clicked()
                {
                    desk.failure = None;
                }
                ui.label(RichText::new(failure).color(theme::FAULT));
            });
        });
    ui.add_space(theme::GAP / 2.0);
}

/// The filters and the sessions; a tap opens one.
fn sessions_ui(ui: &mut egui::Ui, desk: &mut CrosscheckDesk, view: &CrosscheckView) {
    ui.add_space(theme::GAP / 2.0);
    let new_selected = desk.wanted.is_none() && desk.starting.is_none();
    if ui
        .add(theme::choice_button(
            new_selected,
            RichText::new("New session").font(theme::big()),
            vec2(SESSIONS_WIDTH - 24.0, theme::TOUCH_PX),
        ))
        .clicked()
    {
        desk.wanted = None;
        desk.selection = None;
    }
    ui.add_space(theme::GAP / 2.0);
    ui.label(RichText::new("Sessions").strong());
    labelled_edit_ui(
        ui,
        "Name contains",
        egui::TextEdit::singleline(&mut desk.filter.name)
            .hint_text("build, job, work order")
            .desired_width(SESSIONS_WIDTH - 32.0),
    );
    // Two fixed rows: chips that re-flow when one is chosen would move under the finger.
    for row in VERDICT_CHOICES.chunks(3) {
        ui.horizontal(|ui| {
            ui.spacing_mut().item_spacing.x = 6.0;
            ui.spacing_mut().button_padding.x = 12.0;
            for &(value, words) in row {
                let colour = match value {
                    Some("unchecked") | None => theme::TEXT,
                    other => verdict_colour(other),
                };
                let selected = desk.filter.verdict == value;
                let text = if selected {
                    RichText::new(words).strong()
                } else {
                    RichText::new(words).color(colour).strong()
                };
                if ui
                    .add(theme::choice_button(selected, text, vec2(64.0, 44.0)))
                    .clicked()
                {
                    desk.filter.verdict = value;
                }
            }
        });
    }
    egui::Grid::new("crosscheck_dates")
        .num_columns(2)
        .show(ui, |ui| {
            for (label, text) in [("From", &mut desk.filter.from), ("To", &mut desk.filter.to)] {
                labelled_edit_ui(
                    ui,
                    label,
                    egui::TextEdit::singleline(text)
                        .hint_text("YYYY-MM-DD")
                        .desired_width(170.0),
                );
                ui.end_row();
            }
        });
    if let Some(error) = &desk.filter_error {
        ui.label(RichText::new(error).color(theme::FAULT));
    }
    ui.separator();
    if view.sessions.is_empty() {
        let unfiltered = view.filter
            == CrosscheckFilter {
                limit: view.filter.limit,
                ..CrosscheckFilter::default()
            };
        let none = if unfiltered {
            "No sessions yet: start one with New session."
        } else {
            "No session matches the filter."
        };
        ui.label(RichText::new(none).color(theme::TEXT_DIM));
    }
    let mut chosen = None;
    egui::ScrollArea::vertical()
        .id_salt("crosscheck_session_list")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for session in &view.sessions {
                if session_row_ui(ui, session, desk.wanted == Some(session.id)) {
                    chosen = Some(session.id);
                }
            }
        });
    if let Some(id) = chosen {
        desk.open(id);
    }
}

/// One session in the list: its name, verdict, when it was made and how many files; true when
/// tapped.
fn session_row_ui(ui: &mut egui::Ui, session: &CrosscheckSessionRecord, open: bool) -> bool {
    let verdict = session.verdict.as_deref().unwrap_or("unchecked");
    let mut job = egui::text::LayoutJob::default();
    let format = |font: egui::FontId, color: Color32| egui::TextFormat {
        font_id: font,
        color,
        ..Default::default()
    };
    let text_colour = if open {
        theme::ACCENT_TEXT
    } else {
        theme::TEXT
    };
    let dim = if open {
        theme::ACCENT_TEXT
    } else {
        theme::TEXT_DIM
    };
    job.append(
        &session.name,
        0.0,
        format(egui::FontId::proportional(20.0), text_colour),
    );
    job.append("\n", 0.0, format(theme::small(), dim));
    job.append(
        verdict,
        0.0,
        format(
            theme::small(),
            if open {
                theme::ACCENT_TEXT
            } else {
                verdict_colour(session.verdict.as_deref())
            },
        ),
    );
    job.append(
        &format!(
            " · {} · {} file{}",
            minutes(&session.created_at_utc),
            session.file_count,
            if session.file_count == 1 { "" } else { "s" }
        ),
        0.0,
        format(theme::small(), dim),
    );
    ui.add(
        theme::choice_button(open, job, vec2(SESSIONS_WIDTH - 24.0, theme::TOUCH_PX))
            .wrap_mode(egui::TextWrapMode::Wrap),
    )
    .on_hover_text(format!("session {} by {}", session.id, session.created_by))
    .clicked()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_form_gives_the_store_filter_or_names_the_bad_date() {
        let mut form = FilterForm {
            name: "  Build 7 ".into(),
            verdict: Some("FAIL"),
            from: "2026-12-01".into(),
            to: String::new(),
        };
        assert_eq!(
            form.filter(),
            Ok(CrosscheckFilter {
                name_contains: Some("Build 7".into()),
                verdict: Some("FAIL".into()),
                from_date: Some("2026-12-01".into()),
                to_date: None,
                limit: LIST_LIMIT,
            })
        );
        form.to = "5.12.2026".into();
        let error = form.filter().unwrap_err();
        assert!(
            error.contains("To date") && error.contains("YYYY-MM-DD"),
            "{error}"
        );
    }

    #[test]
    fn a_failed_create_leaves_the_form_and_a_checked_one_opens_the_session() {
        let mut desk = CrosscheckDesk {
            starting: Some("Build 7".into()),
            ..CrosscheckDesk::default()
        };
        desk.new.fill_for_test("Build 7", "/data/traveler.pdf");
        let mut state = AppState::default();
        desk.apply(
            &mut state,
            CrosscheckEvent::Failed("x.pdf: cannot read".into()),
        );
        assert_eq!((desk.starting.as_deref(), desk.wanted), (None, None));
        assert_eq!(desk.failure.as_deref(), Some("x.pdf: cannot read"));
        assert!(
            !desk.new.is_empty(),
            "the form stays, to correct and start again"
        );
        desk.starting = Some("Build 8".into());
        desk.apply(
            &mut state,
            CrosscheckEvent::Checked {
                session_id: 4,
                verdict: Verdict::Warning,
            },
        );
        assert_eq!((desk.starting.as_deref(), desk.wanted), (None, Some(4)));
        assert!(desk.new.is_empty(), "the form it was made from is emptied");
        desk.apply(&mut state, CrosscheckEvent::Deleted(4));
        assert_eq!(desk.wanted, None);
        assert_eq!(state.notices.len(), 3);
    }
}
