//! Admin › GPIO: the digital I/O's diagnostics. Live input levels with their edge counts, each
//! output's level with a toggle to force it on or off (and give it back to the verdicts), the
//! output timings, and on the demo's simulated board buttons that press its inputs (with
//! contact bounce, as a real sensor).

use egui::{RichText, vec2};

use super::theme;
use crate::gpio::{InputLine, OutputLine};
use crate::runtime::{GpioCommand, GpioHandle};

fn lamp(ui: &mut egui::Ui, on: bool, colour: egui::Color32) {
    let (rect, _) = ui.allocate_exact_size(vec2(28.0, 28.0), egui::Sense::hover());
    let fill = if on { colour } else { theme::PANEL_RAISED };
    ui.painter().circle_filled(rect.center(), 12.0, fill);
    ui.painter()
        .circle_stroke(rect.center(), 12.0, egui::Stroke::new(1.5, theme::TEXT_DIM));
}

fn output_colour(line: OutputLine) -> egui::Color32 {
    match line {
        OutputLine::Green => theme::OK,
        OutputLine::Amber => theme::WARN,
        OutputLine::Red | OutputLine::Reject => theme::FAULT,
        OutputLine::Horn => theme::ACCENT,
    }
}

/// The page; `may_force` is whether the user may force outputs (engineers).
pub fn gpio_ui(ui: &mut egui::Ui, gpio: Option<&GpioHandle>, may_force: bool) {
    let Some(gpio) = gpio else {
        ui.label(
            "This station has no GPIO board: set [inspection] gpio in the config file \
             (\"raspberry-pi\" on a kiosk built with the kiosk feature, \"simulated\" to try it).",
        );
        return;
    };
    let view = gpio.view();
    ui.label(RichText::new(&view.board).font(theme::big()));
    if let Some(error) = &view.error {
        ui.label(RichText::new(error).color(theme::FAULT));
    }
    ui.add_space(theme::GAP);
    ui.label(RichText::new("Inputs (debounced)").strong());
    egui::Grid::new("gpio_inputs")
        .num_columns(4)
        .show(ui, |ui| {
            for line in InputLine::ALL {
                lamp(ui, view.inputs[line.index()], theme::OK);
                ui.label(line.label());
                ui.label(format!("{} edge(s)", view.edges[line.index()]));
                match &view.simulated {
                    Some(board) => {
                        let press =
                            egui::Button::new("Press (simulated)").min_size(vec2(0.0, 44.0));
                        if ui.add(press).clicked() {
                            board.pulse(line, std::time::Duration::from_millis(150));
                        }
                    }
                    None => {
                        ui.label("");
                    }
                }
                ui.end_row();
            }
        });
    ui.add_space(theme::GAP);
    ui.label(RichText::new("Outputs").strong());
    let send = |command| {
        if let Err(err) = gpio.send(command) {
            tracing::warn!("gpio command not sent: {err}");
        }
    };
    egui::Grid::new("gpio_outputs")
        .num_columns(5)
        .show(ui, |ui| {
            for line in OutputLine::ALL {
                let index = line.index();
                lamp(ui, view.outputs[index], output_colour(line));
                ui.label(line.label());
                let forced = view.forced[index];
                ui.label(match forced {
                    Some(true) => RichText::new("forced ON").color(theme::WARN),
                    Some(false) => RichText::new("forced OFF").color(theme::WARN),
                    None => RichText::new("by verdicts").color(theme::TEXT_DIM),
                });
                let toggle = egui::Button::new(if view.outputs[index] {
                    "Force off"
                } else {
                    "Force on"
                })
                .min_size(vec2(110.0, 44.0));
                if ui.add_enabled(may_force, toggle).clicked() {
                    send(GpioCommand::Force {
                        line,
                        level: Some(!view.outputs[index]),
                    });
                }
                let release = egui::Button::new("Release").min_size(vec2(0.0, 44.0));
                if ui
                    .add_enabled(may_force && forced.is_some(), release)
                    .clicked()
                {
                    send(GpioCommand::Force { line, level: None });
                }
                ui.end_row();
            }
        });
    if ui
        .add(egui::Button::new("Silence horn").min_size(vec2(0.0, 44.0)))
        .clicked()
    {
        send(GpioCommand::Acknowledge);
    }
    if let Some(timing) = view.timing {
        ui.label(
            RichText::new(format!(
                "Reject pulse {} ms · horn {}",
                timing.reject_pulse.as_millis(),
                match timing.horn {
                    None => "until acknowledged".to_owned(),
                    Some(d) if d.is_zero() => "off".to_owned(),
                    Some(d) => format!("{} s", d.as_secs()),
                }
            ))
            .color(theme::TEXT_DIM),
        );
    }
    // Input levels change without events: look again.
    ui.ctx()
        .request_repaint_after(std::time::Duration::from_millis(100));
}
