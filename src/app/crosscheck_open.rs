//! The Cross-check panel's open session: the verdict large and in its colour, who made it and
//! when, Re-run / Export report / Delete (with a confirmation; the store refuses a role that may
//! not), the export's paths, each file's progress and status, then the checks table and, for
//! the chosen check, the evidence. Sends commands only through the desk's outbox.

use egui::{Color32, RichText, vec2};

use super::audit_view::minutes;
use super::crosscheck::{CrosscheckDesk, verdict_colour};
use super::crosscheck_checks::checks_table_ui;
use super::crosscheck_evidence::evidence_ui;
use super::state::AppState;
use super::theme;
use crate::domain::Permission;
use crate::runtime::{CrosscheckCommand, CrosscheckProgress, CrosscheckView, OpenCrosscheck};
use crate::store::FileStatus;

fn file_status_colour(status: FileStatus) -> Color32 {
    match status {
        FileStatus::Queued => theme::TEXT_DIM,
        FileStatus::Extracting => theme::ACCENT,
        FileStatus::Done => theme::OK,
        FileStatus::Failed => theme::FAULT,
    }
}

/// The open session: verdict, actions, files, checks and evidence.
pub(super) fn open_ui(
    ui: &mut egui::Ui,
    desk: &mut CrosscheckDesk,
    state: &mut AppState,
    view: &CrosscheckView,
    open: &OpenCrosscheck,
) {
    let running = view
        .progress
        .as_ref()
        .filter(|progress| progress.session_id == open.session.id);
    header_ui(
        ui,
        desk,
        state,
        open,
        running.is_some(),
        view.progress.is_some(),
    );
    if let Some((_, paths)) = desk
        .exported
        .as_ref()
        .filter(|(id, _)| *id == open.session.id)
    {
        ui.label(
            RichText::new(written_words(paths))
                .font(theme::small())
                .color(theme::OK),
        );
    }
    if let Some(reason) = &view.ocr_refused {
        ui.label(
            RichText::new(format!(
                "The OCR is disabled ({reason}): photos and scanned pages cannot be read."
            ))
            .color(theme::WARN),
        );
    }
    files_ui(ui, open, running);
    ui.add_space(theme::GAP / 2.0);
    if open.checks.is_empty() {
        let text = if running.is_some() {
            "The checks run once every file is read."
        } else {
            "Not checked yet: Re-run reads the files and checks them."
        };
        ui.label(RichText::new(text).color(theme::TEXT_DIM));
        return;
    }
    // With evidence shown, the table keeps a few rows and the evidence takes the rest.
    let table_px = if desk.selection.is_some() {
        (ui.available_height() * 0.3).max(140.0)
    } else {
        ui.available_height()
    };
    let scroll_to = desk.table_scroll.take();
    if let Some(selection) = checks_table_ui(
        ui,
        open.session.id,
        &open.checks,
        desk.selection,
        table_px,
        scroll_to,
    ) {
        desk.selection = if desk.selection == Some(selection) {
            None
        } else {
            // The table is about to shrink: keep the chosen check's row in view.
            desk.table_scroll = open
                .checks
                .iter()
                .position(|check| check.number == selection.check);
            Some(selection)
        };
    }
    if let Some(selection) = desk.selection
        && let Some(check) = open
            .checks
            .iter()
            .find(|check| check.number == selection.check)
    {
        ui.separator();
        evidence_ui(ui, &mut desk.evidence, view, open, check, selection.value);
    }
}

/// The verdict large beside the actions, then the session's name, who made it and when.
fn header_ui(
    ui: &mut egui::Ui,
    desk: &mut CrosscheckDesk,
    state: &mut AppState,
    open: &OpenCrosscheck,
    running: bool,
    worker_busy: bool,
) {
    let session = &open.session;
    let may_operate = state.may(Permission::Operate);
    let may_delete = state.may(Permission::Engineer);
    let button = |text: &str| {
        egui::Button::new(RichText::new(text).font(theme::big()))
            .min_size(vec2(150.0, theme::TOUCH_PX))
    };
    ui.horizontal(|ui| {
        verdict_badge_ui(ui, session.verdict.as_deref(), running);
        ui.add_space(theme::GAP);
        if ui
            .add_enabled(may_operate && !worker_busy, button("Re-run"))
            .on_hover_text("Read the files again with the station's current patterns")
            .clicked()
            && let Some(actor) = state.actor.clone()
        {
            desk.exported = None;
            desk.send(CrosscheckCommand::Rerun {
                actor,
                session_id: session.id,
            });
        }
        if ui
            .add_enabled(
                session.verdict.is_some() && !running,
                button("Export report"),
            )
            .on_hover_text(
                "The report as PDF and the checks as CSV, in the station's export folder",
            )
            .clicked()
        {
            desk.send(CrosscheckCommand::Export {
                session_id: session.id,
            });
        }
        if ui
            .add_enabled(
                may_delete && !running && desk.confirm_delete.is_none(),
                button("Delete"),
            )
            .clicked()
        {
            desk.confirm_delete = Some(session.id);
        }
    });
    if desk.confirm_delete == Some(session.id) {
        ui.horizontal(|ui| {
            ui.label(
                RichText::new("Delete this session and the files only it uses?")
                    .color(theme::FAULT),
            );
            if ui
                .add(
                    egui::Button::new(RichText::new("Yes, delete").color(theme::FAULT).strong())
                        .min_size(vec2(140.0, theme::TOUCH_PX)),
                )
                .clicked()
                && let Some(actor) = state.actor.clone()
            {
                desk.confirm_delete = None;
                desk.send(CrosscheckCommand::Delete {
                    actor,
                    session_id: session.id,
                });
            }
            if ui
                .add(egui::Button::new("Keep").min_size(vec2(100.0, theme::TOUCH_PX)))
                .clicked()
            {
                desk.confirm_delete = None;
            }
        });
    }
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(&session.name).font(theme::heading()));
        let checked = session.checked_at_utc.as_deref().map_or_else(
            || "not checked".to_owned(),
            |at| format!("checked {}", minutes(at)),
        );
        ui.label(
            RichText::new(format!(
                "session {} · made {} by {} · {checked}",
                session.id,
                minutes(&session.created_at_utc),
                session.created_by,
            ))
            .color(theme::TEXT_DIM),
        );
    });
    if !may_delete {
        ui.label(
            RichText::new("Deleting a session needs an engineer or admin.")
                .font(theme::small())
                .color(theme::TEXT_DIM),
        );
    }
}

/// The verdict as a word on its colour; grey while checking or before the first check.
fn verdict_badge_ui(ui: &mut egui::Ui, verdict: Option<&str>, running: bool) {
    let (word, fill) = match (verdict, running) {
        (_, true) => ("CHECKING", theme::PANEL_RAISED),
        (Some(verdict), false) => (verdict, verdict_colour(Some(verdict))),
        (None, false) => ("NOT CHECKED", theme::PANEL_RAISED),
    };
    let text_colour = if fill == theme::PANEL_RAISED {
        theme::TEXT
    } else {
        theme::ACCENT_TEXT
    };
    egui::Frame::new()
        .fill(fill)
        .corner_radius(8.0)
        .inner_margin(egui::Margin::symmetric(18, 4))
        .show(ui, |ui| {
            ui.set_min_width(200.0);
            ui.label(
                RichText::new(word)
                    .font(egui::FontId::proportional(40.0))
                    .color(text_colour)
                    .strong(),
            );
        });
}

/// Each file: its status (queued, extracting, done, failed with the reason), kind and fields.
fn files_ui(ui: &mut egui::Ui, open: &OpenCrosscheck, running: Option<&CrosscheckProgress>) {
    if let Some(progress) = running {
        // The words beside the bar, not on it: on a short fill they would be cut off.
        ui.label(format!(
            "Reading {} ({} of {})",
            progress.current,
            progress.done + 1,
            progress.total
        ));
        ui.add(
            egui::ProgressBar::new(progress.done as f32 / progress.total.max(1) as f32)
                .desired_height(16.0)
                .corner_radius(4.0),
        );
    }
    let failed = open
        .files
        .iter()
        .filter(|file| file.status == FileStatus::Failed)
        .count();
    let done = open
        .files
        .iter()
        .filter(|file| file.status == FileStatus::Done)
        .count();
    let mut title = format!("Files: {done} of {} read", open.files.len());
    if failed > 0 {
        title.push_str(&format!(", {failed} failed"));
    }
    // Open while the files are read or when one failed; a glance at the title says the rest.
    egui::CollapsingHeader::new(RichText::new(title).strong().color(if failed > 0 {
        theme::FAULT
    } else {
        theme::TEXT
    }))
    .id_salt(("crosscheck_files", open.session.id, running.is_some()))
    .default_open(running.is_some() || failed > 0)
    .show(ui, |ui| files_grid_ui(ui, open));
}

/// One line per file: status, name, kind, and the values read or why it failed.
fn files_grid_ui(ui: &mut egui::Ui, open: &OpenCrosscheck) {
    egui::Grid::new("crosscheck_files")
        .num_columns(4)
        .min_row_height(26.0)
        .spacing(vec2(theme::GAP, 4.0))
        .show(ui, |ui| {
            for (index, file) in open.files.iter().enumerate() {
                ui.label(
                    RichText::new(file.status.as_str())
                        .color(file_status_colour(file.status))
                        .strong(),
                );
                ui.label(&file.original_name);
                ui.label(RichText::new(file.kind.as_deref().unwrap_or("-")).color(theme::TEXT_DIM));
                match (&file.reason, open.fields.get(index)) {
                    (Some(reason), _) => {
                        ui.label(RichText::new(reason).color(theme::FAULT));
                    }
                    (None, Some(fields)) if file.status == FileStatus::Done => {
                        ui.label(
                            RichText::new(format!(
                                "{} value{} read",
                                fields.len(),
                                if fields.len() == 1 { "" } else { "s" }
                            ))
                            .color(theme::TEXT_DIM),
                        );
                    }
                    _ => {
                        ui.label("");
                    }
                }
                ui.end_row();
            }
        });
}

/// The export's files in one line: `Written: a.pdf, a.csv in /data/exports`, or each path in
/// full when they are in different folders.
fn written_words(paths: &[std::path::PathBuf]) -> String {
    let folder = paths.first().and_then(|path| path.parent());
    let same_folder = paths.iter().all(|path| path.parent() == folder);
    match folder {
        Some(folder) if same_folder => {
            let names: Vec<String> = paths
                .iter()
                .filter_map(|path| path.file_name())
                .map(|name| name.to_string_lossy().into_owned())
                .collect();
            format!("Written: {} in {}", names.join(", "), folder.display())
        }
        _ => {
            let all: Vec<String> = paths
                .iter()
                .map(|path| path.display().to_string())
                .collect();
            format!("Written: {}", all.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn the_written_files_are_named_in_one_line() {
        let folder = PathBuf::from("/data/exports");
        let paths = [
            folder.join("crosscheck-5.pdf"),
            folder.join("crosscheck-5.csv"),
        ];
        assert_eq!(
            written_words(&paths),
            "Written: crosscheck-5.pdf, crosscheck-5.csv in /data/exports"
        );
        let apart = [PathBuf::from("/a/x.pdf"), PathBuf::from("/b/x.csv")];
        assert_eq!(written_words(&apart), "Written: /a/x.pdf, /b/x.csv");
    }
}
