//! The History panel: stored inspections filtered by date, verdict, camera, recipe version,
//! part number and serial; one opened with its overlay, reasons and pores; an engineer reruns
//! its raw image through the current recipe, and signs a disposition (accept as is, rework,
//! scrap, with a reason and the PIN or password typed again) for one that waits.

use chrono::{Duration as Days, Utc};
use egui::{RichText, TextureHandle, vec2};
use egui_extras::{Column, TableBuilder};

use super::inspect::verdict_colour;
use super::result_textures::upload;
use super::state::AppState;
use super::theme;
use crate::domain::{Disposition, DispositionState, Permission, Verdict};
use crate::runtime::{InspectionQuery, InspectorCommand, InspectorEvent, OpenedInspection, Rerun};
use crate::store::{InspectionFilter, InspectionRecord, to_text};

/// How far back the list goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Since {
    Today,
    Week,
    Month,
    All,
}

impl Since {
    const ALL: [Since; 4] = [Self::Today, Self::Week, Self::Month, Self::All];

    fn label(self) -> &'static str {
        match self {
            Self::Today => "24 h",
            Self::Week => "7 days",
            Self::Month => "30 days",
            Self::All => "all",
        }
    }

    fn start_utc(self) -> Option<String> {
        let days = match self {
            Self::Today => 1,
            Self::Week => 7,
            Self::Month => 30,
            Self::All => return None,
        };
        Some(to_text(Utc::now() - Days::days(days)))
    }
}

/// The filter fields as typed, shared with Statistics.
pub struct FilterForm {
    since: Since,
    verdict: Option<Verdict>,
    camera: String,
    part_number: String,
    recipe_version: String,
    serial: String,
    pub pending_only: bool,
}

impl Default for FilterForm {
    fn default() -> Self {
        Self {
            since: Since::Week,
            verdict: None,
            camera: String::new(),
            part_number: String::new(),
            recipe_version: String::new(),
            serial: String::new(),
            pending_only: false,
        }
    }
}

fn text(value: &str) -> Option<String> {
    Some(value.trim().to_owned()).filter(|v| !v.is_empty())
}

impl FilterForm {
    pub fn filter(&self, limit: usize) -> InspectionFilter {
        InspectionFilter {
            from_utc: self.since.start_utc(),
            to_utc: None,
            verdict: self.verdict,
            camera: text(&self.camera),
            part_number: text(&self.part_number),
            recipe_version: self.recipe_version.trim().parse().ok(),
            serial: text(&self.serial),
            pending_only: self.pending_only,
            limit,
        }
    }

    /// The filter row; true when it changed (the caller asks again).
    pub fn ui(&mut self, ui: &mut egui::Ui, cameras: &[String]) -> bool {
        let mut changed = false;
        ui.horizontal_wrapped(|ui| {
            for since in Since::ALL {
                if ui
                    .add(theme::choice_button(
                        self.since == since,
                        since.label(),
                        vec2(72.0, 40.0),
                    ))
                    .clicked()
                {
                    self.since = since;
                    changed = true;
                }
            }
            ui.separator();
            egui::ComboBox::from_id_salt("filter_verdict")
                .selected_text(self.verdict.map_or("any verdict", Verdict::as_str))
                .show_ui(ui, |ui| {
                    changed |= ui
                        .selectable_value(&mut self.verdict, None, "any verdict")
                        .changed();
                    for verdict in Verdict::ALL {
                        changed |= ui
                            .selectable_value(&mut self.verdict, Some(verdict), verdict.as_str())
                            .changed();
                    }
                });
            egui::ComboBox::from_id_salt("filter_camera")
                .selected_text(if self.camera.is_empty() {
                    "any camera"
                } else {
                    self.camera.as_str()
                })
                .show_ui(ui, |ui| {
                    changed |= ui
                        .selectable_value(&mut self.camera, String::new(), "any camera")
                        .changed();
                    for camera in cameras
                        .iter()
                        .map(String::as_str)
                        .chain([crate::runtime::REPLAY_CAMERA])
                    {
                        changed |= ui
                            .selectable_value(&mut self.camera, camera.to_owned(), camera)
                            .changed();
                    }
                });
            for (value, hint, width) in [
                (&mut self.part_number, "part number", 110.0),
                (&mut self.recipe_version, "v#", 44.0),
                (&mut self.serial, "serial contains", 130.0),
            ] {
                let edit = ui.add(
                    egui::TextEdit::singleline(value)
                        .hint_text(hint)
                        .desired_width(width),
                );
                changed |= edit.lost_focus();
            }
            changed |= ui
                .checkbox(&mut self.pending_only, "waiting for disposition")
                .changed();
            changed |= ui.button("Refresh").clicked();
        });
        changed
    }
}

#[derive(Default)]
struct DispositionForm {
    decision: Option<Disposition>,
    reason: String,
    secret: String,
}

#[derive(Default)]
pub struct HistoryView {
    pub form: FilterForm,
    rows: Vec<InspectionRecord>,
    loaded: bool,
    opened: Option<(Box<OpenedInspection>, Option<TextureHandle>)>,
    rerun: Option<(Box<Rerun>, TextureHandle)>,
    disposition: DispositionForm,
    message: Option<(String, egui::Color32)>,
}

impl HistoryView {
    pub fn query(&self) -> InspectorCommand {
        InspectorCommand::Query(InspectionQuery::History(self.form.filter(0)))
    }

    /// Shows only the inspections waiting for a disposition.
    pub fn show_pending(&mut self) {
        self.form.pending_only = true;
        self.loaded = false;
    }

    /// Takes an inspection worker's answer; returns true when the list should be asked again.
    pub fn apply(&mut self, ctx: &egui::Context, event: InspectorEvent) -> bool {
        match event {
            InspectorEvent::History(rows) => {
                self.rows = rows;
                self.loaded = true;
            }
            InspectorEvent::Opened(opened) => {
                let texture = opened
                    .overlay
                    .as_ref()
                    .map(|image| upload(ctx, "history-overlay", image));
                self.rerun = None;
                self.disposition.decision = None;
                self.message = None;
                self.opened = Some((opened, texture));
            }
            InspectorEvent::Rerun(rerun) => {
                let texture = upload(ctx, "history-rerun", &rerun.now.overlay);
                self.rerun = Some((rerun, texture));
            }
            InspectorEvent::Disposed(record) => {
                self.disposition = DispositionForm::default();
                self.message = Some((
                    format!("Inspection {} dispositioned and signed", record.id),
                    theme::OK,
                ));
                if let Some((opened, _)) = &mut self.opened
                    && opened.record.id == record.id
                {
                    opened.record = *record;
                }
                return true;
            }
            InspectorEvent::SignatureRefused(text) => {
                self.disposition.secret.clear();
                self.message = Some((text, theme::FAULT));
            }
            _ => {}
        }
        false
    }
}

fn table_ui(ui: &mut egui::Ui, view: &HistoryView, opened: Option<i64>) -> Option<i64> {
    let mut clicked = None;
    TableBuilder::new(ui)
        .id_salt("history_table")
        .striped(true)
        .sense(egui::Sense::click())
        .column(Column::exact(48.0))
        .column(Column::exact(134.0))
        .column(Column::exact(96.0))
        .column(Column::exact(112.0))
        .column(Column::exact(76.0))
        .column(Column::exact(48.0))
        .column(Column::remainder().at_least(100.0))
        .header(30.0, |mut header| {
            for title in [
                "#",
                "UTC",
                "camera",
                "part · recipe",
                "verdict",
                "pores",
                "disposition",
            ] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(36.0, view.rows.len(), |mut row| {
                let record = &view.rows[row.index()];
                row.set_selected(opened == Some(record.id));
                row.col(|ui| {
                    ui.label(record.id.to_string());
                });
                row.col(|ui| {
                    // MM-DD HH:MM:SS
                    ui.label(
                        record
                            .at_utc
                            .get(5..19)
                            .unwrap_or(&record.at_utc)
                            .replace('T', " "),
                    );
                });
                row.col(|ui| {
                    ui.label(&record.camera);
                });
                row.col(|ui| {
                    ui.label(format!("{} v{}", record.part_number, record.recipe_version));
                });
                row.col(|ui| {
                    ui.label(
                        RichText::new(record.verdict.as_str())
                            .strong()
                            .color(verdict_colour(record.verdict)),
                    );
                });
                row.col(|ui| {
                    ui.label(record.pore_count.to_string());
                });
                row.col(|ui| {
                    ui.label(disposition_text(record));
                });
                if row.response().clicked() {
                    clicked = Some(record.id);
                }
            });
        });
    clicked
}

fn disposition_text(record: &InspectionRecord) -> RichText {
    match record.disposition {
        DispositionState::NotNeeded => RichText::new("—").color(theme::TEXT_DIM),
        DispositionState::Pending => RichText::new("waiting").color(theme::WARN),
        DispositionState::Done(done) => RichText::new(format!(
            "{} by {}",
            done.label(),
            record.disposition_by.as_deref().unwrap_or("?")
        )),
    }
}

fn image_ui(ui: &mut egui::Ui, texture: &TextureHandle, max_height: f32) {
    let size = texture.size_vec2();
    let scale = (ui.available_width() / size.x).min(max_height / size.y);
    ui.image((texture.id(), size * scale));
}

fn disposition_ui(
    ui: &mut egui::Ui,
    form: &mut DispositionForm,
    record: &InspectionRecord,
    state: &AppState,
    commands: &mut Vec<InspectorCommand>,
) {
    ui.label(RichText::new("Disposition").font(theme::big()));
    if !state.may(Permission::Engineer) {
        ui.label(
            RichText::new("Waiting for an engineer to sign a disposition.").color(theme::WARN),
        );
        return;
    }
    ui.horizontal(|ui| {
        for decision in Disposition::ALL {
            if ui
                .add(theme::choice_button(
                    form.decision == Some(decision),
                    decision.label(),
                    vec2(130.0, theme::TOUCH_PX),
                ))
                .clicked()
            {
                form.decision = Some(decision);
            }
        }
    });
    ui.add(
        egui::TextEdit::multiline(&mut form.reason)
            .hint_text("reason (required): what was seen, who decided, where the part goes")
            .desired_rows(2)
            .desired_width(f32::INFINITY),
    );
    ui.label("Sign with your PIN or password");
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(&mut form.secret)
                .password(true)
                .desired_width(220.0),
        );
        let ready =
            form.decision.is_some() && !form.reason.trim().is_empty() && !form.secret.is_empty();
        let sign = egui::Button::new(RichText::new("Sign").strong())
            .min_size(vec2(120.0, theme::TOUCH_PX));
        if ui.add_enabled(ready, sign).clicked()
            && let (Some(decision), Some(actor)) = (form.decision, state.actor.clone())
        {
            commands.push(InspectorCommand::Dispose {
                actor,
                inspection_id: record.id,
                decision,
                reason: form.reason.trim().to_owned(),
                secret: std::mem::take(&mut form.secret),
            });
        }
    });
}

fn detail_ui(
    ui: &mut egui::Ui,
    view: &mut HistoryView,
    state: &AppState,
    commands: &mut Vec<InspectorCommand>,
) {
    let Some((opened, texture)) = &view.opened else {
        ui.label(RichText::new("Tap an inspection to open it.").color(theme::TEXT_DIM));
        return;
    };
    let record = &opened.record;
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(format!("Inspection {} · {}", record.id, record.verdict))
                .font(theme::heading())
                .color(verdict_colour(record.verdict)),
        );
    });
    ui.label(format!(
        "{} · part #{} ({}) · {} {} v{} · {} · {:.3} mm/px · {:.0} ms inspect, {:.0} ms cycle",
        record.camera,
        record.part_seq,
        record.source,
        record.part_number,
        record.serial.as_deref().unwrap_or("no serial"),
        record.recipe_version,
        record.detector,
        record.mm_per_px,
        record.inspect_ms,
        record.cycle_ms
    ));
    match texture {
        Some(texture) => image_ui(ui, texture, 330.0),
        None => {
            ui.label(
                RichText::new(opened.image_note.as_deref().unwrap_or("no image"))
                    .color(theme::TEXT_DIM),
            );
        }
    }
    for reason in &record.reasons {
        ui.label(RichText::new(reason).color(verdict_colour(record.verdict)));
    }
    if !opened.pores.is_empty() {
        egui::CollapsingHeader::new(format!("{} pore(s)", opened.pores.len()))
            .id_salt("pores")
            .show(ui, |ui| {
                egui::Grid::new("pore_grid").striped(true).show(ui, |ui| {
                    for title in ["#", "zone", "Ø mm", "Feret mm", "area mm²", "score"] {
                        ui.strong(title);
                    }
                    ui.end_row();
                    for pore in &opened.pores {
                        let colour = pore.verdict.map_or(theme::TEXT_DIM, verdict_colour);
                        ui.label(RichText::new(pore.n.to_string()).color(colour));
                        ui.label(pore.zone.as_deref().unwrap_or("outside"));
                        ui.label(format!("{:.2}", pore.diameter_mm));
                        ui.label(format!("{:.2}", pore.feret_mm));
                        ui.label(format!("{:.3}", pore.area_mm2));
                        ui.label(format!("{:.2}", pore.score));
                        ui.end_row();
                    }
                });
            });
    }
    if let Some(reason) = &record.disposition_reason {
        ui.label(format!(
            "Disposition: {} — {reason} (signed by {} at {})",
            match record.disposition {
                DispositionState::Done(done) => done.label(),
                _ => "?",
            },
            record.disposition_by.as_deref().unwrap_or("?"),
            record.disposition_at_utc.as_deref().unwrap_or("?")
        ));
    }
    if state.may(Permission::Engineer) && record.raw_image.is_some() {
        let id = record.id;
        if ui
            .add(egui::Button::new("Rerun through the current recipe").min_size(vec2(0.0, 44.0)))
            .clicked()
        {
            commands.push(InspectorCommand::Query(InspectionQuery::Rerun(id)));
        }
    }
    if let Some((rerun, texture)) = &view.rerun
        && rerun.inspection_id == record.id
    {
        let now = rerun.now.inspection.verdict;
        ui.label(
            RichText::new(format!(
                "With recipe v{}: {now} (stored: {}) · {} pore(s)",
                rerun.recipe_version,
                rerun.stored_verdict,
                rerun.now.inspection.pores.len()
            ))
            .strong()
            .color(verdict_colour(now)),
        );
        for finding in &rerun.now.inspection.findings {
            ui.label(RichText::new(finding.to_string()).color(verdict_colour(finding.verdict)));
        }
        image_ui(ui, texture, 240.0);
    }
    if let Some((message, colour)) = &view.message {
        ui.label(RichText::new(message).color(*colour));
    }
    if record.disposition == DispositionState::Pending {
        ui.separator();
        let record = record.clone();
        disposition_ui(ui, &mut view.disposition, &record, state, commands);
    }
}

/// The panel; commands for the inspection worker go to `commands`.
pub fn history_ui(
    ui: &mut egui::Ui,
    view: &mut HistoryView,
    state: &AppState,
    cameras: &[String],
    commands: &mut Vec<InspectorCommand>,
) {
    if view.form.ui(ui, cameras) || !view.loaded {
        view.loaded = true;
        commands.push(view.query());
    }
    ui.separator();
    let opened_id = view.opened.as_ref().map(|(o, _)| o.record.id);
    let full = ui.available_rect_before_wrap();
    let split = full.max.x - DETAIL_WIDTH;
    let table_rect = egui::Rect::from_min_max(full.min, egui::pos2(split - theme::GAP, full.max.y));
    let detail_rect = egui::Rect::from_min_max(egui::pos2(split, full.min.y), full.max);
    ui.scope_builder(egui::UiBuilder::new().max_rect(table_rect), |ui| {
        ui.label(format!("{} inspection(s), newest first", view.rows.len()));
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
        if let Some(id) = table_ui(ui, view, opened_id) {
            commands.push(InspectorCommand::Query(InspectionQuery::Open(id)));
        }
    });
    ui.scope_builder(egui::UiBuilder::new().max_rect(detail_rect), |ui| {
        egui::ScrollArea::vertical()
            .id_salt("history_detail")
            .show(ui, |ui| detail_ui(ui, view, state, commands));
    });
    ui.allocate_rect(full, egui::Sense::hover());
}

/// Width of the opened inspection beside the list.
const DETAIL_WIDTH: f32 = 500.0;
