//! Admin › Audit trail: browse newest first, filter by text, user and action, page back, and
//! verify the hash chain with the result shown in words.

use egui::{RichText, vec2};
use egui_extras::{Column, TableBuilder};

use super::fields::labelled_edit_ui;
use super::state::AppState;
use super::theme;
use crate::runtime::AuditQuery;
use crate::runtime::Command;
use crate::store::AuditFilter;

const PAGE: usize = 200;

#[derive(Default)]
pub struct AuditForm {
    text: String,
    user: String,
    action: String,
    /// The row whose full entry is shown (long values are clipped in the table).
    selected: Option<i64>,
}

impl AuditForm {
    fn filter(&self) -> AuditFilter {
        AuditFilter {
            text: self.text.trim().to_owned(),
            user_name: self.user.trim().to_owned(),
            action_prefix: self.action.trim().to_owned(),
            before_id: None,
            limit: PAGE,
        }
    }
}

pub fn audit_ui(
    ui: &mut egui::Ui,
    form: &mut AuditForm,
    state: &AppState,
    outbox: &mut Vec<Command>,
) {
    let mut search = false;
    ui.horizontal(|ui| {
        for (label, value, width) in [
            ("Text", &mut form.text, 200.0),
            ("User", &mut form.user, 120.0),
            ("Action", &mut form.action, 140.0),
        ] {
            let edit = labelled_edit_ui(
                ui,
                label,
                egui::TextEdit::singleline(value).desired_width(width),
            );
            search |= edit.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter));
        }
        let button = egui::Button::new("Search").min_size(vec2(0.0, theme::TOUCH_PX));
        search |= ui.add(button).clicked();
        let checking = state.audit_progress.is_some();
        let verify = egui::Button::new("Verify chain").min_size(vec2(0.0, theme::TOUCH_PX));
        if ui.add_enabled(!checking, verify).clicked() {
            outbox.push(Command::Audit(AuditQuery::Verify));
        }
    });
    if let Some((checked, total)) = state.audit_progress {
        let fraction = if total == 0 {
            0.0
        } else {
            checked as f32 / total as f32
        };
        ui.add(
            egui::ProgressBar::new(fraction)
                .text(format!("Checking the chain: {checked} of {total} rows"))
                .desired_height(theme::TOUCH_PX * 0.6),
        );
    }
    if search {
        outbox.push(Command::Audit(AuditQuery::Rows(form.filter())));
    }
    if let Some(report) = &state.audit_report {
        let (text, colour) = match &report.first_break {
            None => (
                format!("Chain intact: all {} rows verified.", report.rows_checked),
                theme::OK,
            ),
            Some(broken) => (
                format!("Chain BROKEN at row {}: {}", broken.row_id, broken.reason),
                theme::FAULT,
            ),
        };
        ui.label(
            RichText::new(text)
                .color(colour)
                .font(theme::big())
                .strong(),
        );
    }
    let rows = &state.audit_rows;
    if let Some(row) = form
        .selected
        .and_then(|id| rows.iter().find(|row| row.id == id))
    {
        entry_detail_ui(ui, row);
    }
    let more = rows.len() >= PAGE && rows.len().is_multiple_of(PAGE);
    let table_height = ui.available_height()
        - if more {
            theme::TOUCH_PX + theme::GAP
        } else {
            0.0
        };
    TableBuilder::new(ui)
        .id_salt("audit")
        .striped(true)
        .sense(egui::Sense::click())
        .max_scroll_height(table_height.max(100.0))
        .column(Column::auto().at_least(56.0))
        .column(Column::auto().at_least(190.0))
        .column(Column::auto().at_least(110.0))
        .column(Column::auto().at_least(150.0))
        .column(Column::auto().at_least(140.0))
        .column(Column::auto().at_least(180.0).clip(true))
        .column(Column::remainder().clip(true))
        .header(32.0, |mut header| {
            for title in [
                "#",
                "Time (UTC)",
                "User",
                "Action",
                "Entity",
                "Change",
                "Reason",
            ] {
                header.col(|ui| {
                    ui.label(RichText::new(title).strong());
                });
            }
        })
        .body(|body| {
            body.rows(30.0, rows.len(), |mut row| {
                let audit = &rows[row.index()];
                let entry = &audit.entry;
                let cells = [
                    audit.id.to_string(),
                    audit
                        .at_utc
                        .replace('T', " ")
                        .trim_end_matches('Z')
                        .to_owned(),
                    entry.user_name.clone(),
                    entry.action.clone(),
                    format!("{} {}", entry.entity, entry.entity_id),
                    match (&entry.old_value, &entry.new_value) {
                        (Some(old), Some(new)) => format!("{old} -> {new}"),
                        (None, Some(new)) => new.clone(),
                        (Some(old), None) => format!("{old} -> (none)"),
                        (None, None) => String::new(),
                    },
                    entry.reason.clone().unwrap_or_default(),
                ];
                row.set_selected(form.selected == Some(audit.id));
                for cell in cells {
                    row.col(|ui| {
                        ui.label(RichText::new(cell).font(theme::small()));
                    });
                }
                if row.response().clicked() {
                    form.selected = (form.selected != Some(audit.id)).then_some(audit.id);
                }
            });
        });
    if more {
        let button = egui::Button::new("Load older rows").min_size(vec2(0.0, theme::TOUCH_PX));
        if ui.add(button).clicked() {
            let mut filter = state.audit_filter.clone();
            filter.before_id = rows.last().map(|row| row.id);
            filter.limit = PAGE;
            outbox.push(Command::Audit(AuditQuery::Rows(filter)));
        }
    }
}

/// `2026-11-22T08:09:00.000Z` as `2026-11-22 08:09:00.000` (the column says UTC).
pub(super) fn display_time(at_utc: &str) -> String {
    at_utc.replace('T', " ").trim_end_matches('Z').to_owned()
}

/// A stored UTC time to the minute, as lists show it: `2026-12-05 17:33`.
pub(super) fn minutes(at_utc: &str) -> String {
    let mut text = display_time(at_utc);
    text.truncate(16);
    text
}

/// Every field of one entry, unclipped, with its place in the chain.
fn entry_detail_ui(ui: &mut egui::Ui, row: &crate::store::AuditRow) {
    let entry = &row.entry;
    egui::Frame::new()
        .fill(theme::PANEL_RAISED)
        .corner_radius(6.0)
        .inner_margin(10.0)
        .show(ui, |ui| {
            ui.label(
                RichText::new(format!(
                    "#{} at {} UTC by {}: {} {} {}",
                    row.id,
                    display_time(&row.at_utc),
                    entry.user_name,
                    entry.action,
                    entry.entity,
                    entry.entity_id
                ))
                .strong(),
            );
            for (name, value) in [
                ("Old value", entry.old_value.as_deref()),
                ("New value", entry.new_value.as_deref()),
                ("Reason", entry.reason.as_deref()),
            ] {
                ui.label(format!("{name}: {}", value.unwrap_or("(none)")));
            }
            ui.label(
                RichText::new(format!("hash {} · previous {}", row.hash, row.prev_hash))
                    .font(theme::mono())
                    .color(theme::TEXT_DIM),
            );
        });
}
