//! The Inspect panel's right-hand column: the last part's verdict in large colour with its
//! reasons, the trigger button (glove-sized), where triggers come from (button, part sensor,
//! continuous, a folder replay), the serial of the next parts, the active recipe, and the live
//! counters and cycle times.

use egui::{Color32, RichText, vec2};

use super::inspect::verdict_colour;
use super::state::AppState;
use super::theme;
use crate::domain::Permission;
use crate::runtime::stats::nearest_rank;
use crate::runtime::{InspectorCommand, InspectorView, TriggerMode};

pub const COLUMN_WIDTH: f32 = 380.0;

/// What the operator is typing in the column.
pub struct ColumnForm {
    serial: String,
    period_s: f32,
    folder: String,
    part_number: String,
}

impl Default for ColumnForm {
    fn default() -> Self {
        Self {
            serial: String::new(),
            period_s: 2.0,
            folder: String::new(),
            part_number: String::new(),
        }
    }
}

fn banner_ui(ui: &mut egui::Ui, view: &InspectorView) {
    let (text, colour, detail) = match &view.last_part {
        Some(part) => (
            part.verdict.as_str().to_owned(),
            verdict_colour(part.verdict),
            format!(
                "part #{} · {} · {:.0} ms{}",
                part.part_seq,
                part.source,
                part.cycle_ms,
                part.serial
                    .as_deref()
                    .map(|s| format!(" · {s}"))
                    .unwrap_or_default()
            ),
        ),
        None => (
            "NO PART YET".to_owned(),
            theme::PANEL_RAISED,
            "trigger to inspect".to_owned(),
        ),
    };
    let text_colour = if view.last_part.is_some() {
        theme::ACCENT_TEXT
    } else {
        theme::TEXT
    };
    egui::Frame::new()
        .fill(colour)
        .corner_radius(6.0)
        .inner_margin(12.0)
        .show(ui, |ui| {
            ui.set_min_width(ui.available_width());
            ui.vertical_centered(|ui| {
                ui.label(
                    RichText::new(text)
                        .font(egui::FontId::proportional(44.0))
                        .strong()
                        .color(text_colour),
                );
                ui.label(RichText::new(detail).color(text_colour));
            });
        });
    if view.parts_in_flight > 0 {
        ui.label(
            RichText::new(format!("Inspecting {} part(s)…", view.parts_in_flight))
                .color(theme::ACCENT),
        );
    }
    if let Some(part) = &view.last_part {
        let mut reasons: Vec<(String, Color32)> = part
            .errors
            .iter()
            .map(|error| (format!("not inspected: {error}"), theme::FAULT))
            .collect();
        for camera in &part.cameras {
            if let Ok(result) = &camera.result {
                for finding in &result.inspection.findings {
                    reasons.push((
                        format!("{}: {finding}", camera.camera),
                        verdict_colour(finding.verdict),
                    ));
                }
                for note in &result.notes {
                    reasons.push((format!("{}: {note}", camera.camera), theme::TEXT_DIM));
                }
            }
        }
        if !reasons.is_empty() {
            egui::ScrollArea::vertical()
                .id_salt("reasons")
                .max_height(150.0)
                .show(ui, |ui| {
                    for (reason, colour) in reasons {
                        ui.label(RichText::new(reason).color(colour));
                    }
                });
        }
    }
}

fn mode_ui(
    ui: &mut egui::Ui,
    form: &mut ColumnForm,
    view: &InspectorView,
    may_operate: bool,
    commands: &mut Vec<InspectorCommand>,
) {
    ui.label(RichText::new("Triggers from").color(theme::TEXT_DIM));
    ui.horizontal_wrapped(|ui| {
        let size = vec2(84.0, 44.0);
        let current = view.mode.label();
        let choices = [
            ("Button", TriggerMode::Button),
            ("Sensor", TriggerMode::Gpio),
            (
                "Continuous",
                TriggerMode::Continuous {
                    period: std::time::Duration::from_secs_f32(form.period_s.max(0.2)),
                },
            ),
        ];
        for (label, mode) in choices {
            let button = theme::choice_button(current == mode.label(), label, size);
            if ui.add_enabled(may_operate, button).clicked() {
                commands.push(InspectorCommand::SetMode(mode));
            }
        }
    });
    if let TriggerMode::Continuous { period } = &view.mode {
        ui.label(format!("A part every {:.1} s", period.as_secs_f32()));
    } else {
        ui.horizontal(|ui| {
            ui.label("Continuous every");
            ui.add(
                egui::DragValue::new(&mut form.period_s)
                    .range(0.2..=60.0)
                    .speed(0.1)
                    .suffix(" s"),
            );
        });
    }
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(&mut form.folder)
                .hint_text("folder of images to replay")
                .desired_width(COLUMN_WIDTH - 120.0),
        );
        let button = egui::Button::new("Replay").min_size(vec2(0.0, 36.0));
        if ui
            .add_enabled(may_operate && !form.folder.trim().is_empty(), button)
            .clicked()
        {
            commands.push(InspectorCommand::SetMode(TriggerMode::Replay {
                folder: form.folder.trim().into(),
                period: std::time::Duration::from_secs_f32(form.period_s.max(0.2)),
            }));
        }
    });
    if let Some((next, total)) = view.replay {
        ui.label(format!("Replay: image {next} of {total}"));
    }
}

/// The column; commands for the inspection worker go to `commands`. Returns true when the
/// operator asked to see the inspections waiting for a disposition.
pub fn verdict_column_ui(
    ui: &mut egui::Ui,
    form: &mut ColumnForm,
    view: &InspectorView,
    simulated_board: Option<&crate::gpio::SimBoard>,
    state: &AppState,
    hold_results: &mut bool,
    commands: &mut Vec<InspectorCommand>,
) -> bool {
    let may_operate = state.may(Permission::Operate);
    let mut open_pending = false;
    egui::ScrollArea::vertical().show(ui, |ui| {
        banner_ui(ui, view);
        ui.add_space(theme::GAP);
        let trigger = egui::Button::new(
            RichText::new("TRIGGER")
                .font(egui::FontId::proportional(30.0))
                .strong()
                .color(theme::ACCENT_TEXT),
        )
        .fill(theme::ACCENT)
        .min_size(vec2(ui.available_width(), 76.0));
        if ui
            .add_enabled(may_operate, trigger)
            .on_disabled_hover_text("Operators and above trigger inspections")
            .clicked()
        {
            commands.push(InspectorCommand::Trigger);
        }
        ui.checkbox(hold_results, "Hold each camera's last result on screen");
        ui.separator();
        mode_ui(ui, form, view, may_operate, commands);
        if let (TriggerMode::Gpio, Some(board)) = (&view.mode, simulated_board) {
            // The demo's board: a part passing the sensor (the contact bounces, as a real one).
            let pass = egui::Button::new("A part passes the sensor (simulated)")
                .min_size(vec2(ui.available_width(), 44.0));
            if ui.add_enabled(may_operate, pass).clicked() {
                board.pulse(
                    crate::gpio::InputLine::Trigger,
                    std::time::Duration::from_millis(120),
                );
            }
        }
        ui.separator();
        ui.horizontal(|ui| {
            ui.add(
                egui::TextEdit::singleline(&mut form.serial)
                    .hint_text(view.serial.as_deref().unwrap_or("serial of the next parts"))
                    .desired_width(COLUMN_WIDTH - 120.0),
            );
            if ui
                .add_enabled(
                    may_operate,
                    egui::Button::new("Set").min_size(vec2(0.0, 36.0)),
                )
                .clicked()
            {
                let serial = std::mem::take(&mut form.serial);
                commands.push(InspectorCommand::SetSerial(Some(serial)));
            }
        });
        if let Some(serial) = &view.serial {
            ui.label(format!("Serial: {serial}"));
        }
        ui.separator();
        let recipe = &view.recipe;
        ui.label(
            RichText::new(format!(
                "Recipe {} v{} · {} · threshold {:.2}",
                recipe.part_number,
                recipe.version,
                recipe.detector.as_str(),
                recipe.threshold
            ))
            .strong(),
        );
        if !view.part_numbers.is_empty() {
            egui::ComboBox::from_id_salt("recipe_choice")
                .selected_text(if form.part_number.is_empty() {
                    "Change part number…"
                } else {
                    form.part_number.as_str()
                })
                .show_ui(ui, |ui| {
                    for part in &view.part_numbers {
                        if ui
                            .selectable_label(form.part_number == *part, part)
                            .clicked()
                        {
                            form.part_number.clone_from(part);
                            commands.push(InspectorCommand::SelectRecipe {
                                part_number: part.clone(),
                            });
                        }
                    }
                });
        }
        ui.separator();
        let c = view.counters;
        ui.label(RichText::new("Since start").color(theme::TEXT_DIM));
        egui::Grid::new("counters").num_columns(2).show(ui, |ui| {
            ui.label("Triggers");
            ui.label(c.triggers.to_string());
            ui.end_row();
            for (label, count, colour) in [
                ("ACCEPT", c.verdicts[0], theme::OK),
                ("WARN", c.verdicts[1], theme::WARN),
                ("REJECT", c.verdicts[2], theme::FAULT),
            ] {
                ui.label(RichText::new(label).color(colour));
                ui.label(count.to_string());
                ui.end_row();
            }
            ui.label("Camera errors");
            ui.label(c.errors.to_string());
            ui.end_row();
            if c.unsaved > 0 {
                ui.label(RichText::new("Not saved").color(theme::FAULT));
                ui.label(c.unsaved.to_string());
                ui.end_row();
            }
            let cycles = &view.recent_cycles_ms;
            if let (Some(last), Some(p95)) = (cycles.last(), nearest_rank(cycles, 0.95)) {
                ui.label("Cycle last / p95");
                ui.label(format!("{last:.0} / {p95:.0} ms"));
                ui.end_row();
            }
        });
        if view.pending_dispositions > 0 {
            let text = format!(
                "{} inspection(s) wait for a disposition",
                view.pending_dispositions
            );
            if ui
                .add(
                    egui::Button::new(RichText::new(text).color(theme::WARN))
                        .min_size(vec2(0.0, 44.0)),
                )
                .clicked()
            {
                open_pending = true;
            }
        }
    });
    open_pending
}
