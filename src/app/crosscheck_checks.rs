//! The checks of an open cross-check session as a table: number, priority, status in its
//! colour, the check's name and message, the values compared (canonical value, the raw text
//! read, confidence, whether it was corrected or normalised, the file and the place in it) and
//! a Show button. Tapping a value or Show chooses what the evidence view shows; the table only
//! reports the tap.

use egui::text::LayoutJob;
use egui::{Color32, FontId, RichText, TextFormat};
use egui_extras::{Column, TableBuilder};

use super::theme;
use crate::domain::crosscheck::{CheckResult, CheckStatus, FieldValue, Priority};

/// What the evidence view shows: a check's values, one of them in front.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    /// The check's number (1–9).
    pub check: u8,
    /// The value tapped (its index in the check's values); `None` for the whole check.
    pub value: Option<usize>,
}

/// A status's colour (the word is always shown with it).
pub fn status_colour(status: CheckStatus) -> Color32 {
    match status {
        CheckStatus::Pass => theme::OK,
        CheckStatus::Warning => theme::WARN,
        CheckStatus::Fail => theme::FAULT,
        CheckStatus::Skipped => theme::TEXT_DIM,
    }
}

fn priority_text(priority: Priority) -> RichText {
    let text = RichText::new(format!("{} priority", priority.as_str())).font(theme::small());
    match priority {
        Priority::High => text.strong(),
        Priority::Medium => text,
        Priority::Low => text.color(theme::TEXT_DIM),
    }
}

const MESSAGE_FONT_PX: f32 = 17.0;

/// How a value was taken from its text, in words: empty when taken as read.
pub fn value_marks(value: &FieldValue) -> Vec<String> {
    let mut marks = Vec::new();
    if !value.value.corrections.is_empty() {
        let fixes: Vec<String> = value
            .value
            .corrections
            .iter()
            .map(|fix| format!("{}→{}", fix.from, fix.to))
            .collect();
        marks.push(format!("corrected {}", fixes.join(" ")));
    }
    if value.value.prefix_added {
        marks.push("prefix added".to_owned());
    } else if value.value.normalised {
        marks.push("normalised".to_owned());
    }
    marks
}

/// A value's first line: the canonical value, the confidence and how it was taken.
pub fn value_headline(value: &FieldValue, on_accent: bool) -> LayoutJob {
    let format = |font: FontId, color: Color32| TextFormat {
        font_id: font,
        color,
        ..Default::default()
    };
    let (text, dim) = if on_accent {
        (theme::ACCENT_TEXT, theme::ACCENT_TEXT)
    } else {
        (theme::TEXT, theme::TEXT_DIM)
    };
    let mut job = LayoutJob::default();
    job.append(
        &value.value.value,
        0.0,
        format(FontId::monospace(17.0), text),
    );
    let confidence = value.value.confidence;
    job.append(
        &format!("  {:.0} %", confidence * 100.0),
        0.0,
        format(
            theme::small(),
            if confidence < 0.8 && !on_accent {
                theme::WARN
            } else {
                dim
            },
        ),
    );
    for mark in value_marks(value) {
        let colour = if on_accent {
            theme::ACCENT_TEXT
        } else if mark.starts_with("corrected") {
            theme::WARN
        } else {
            theme::TEXT_DIM
        };
        job.append(&format!("  {mark}"), 0.0, format(theme::small(), colour));
    }
    job
}

/// Where a value was read, and its raw text when that differs from the value.
pub fn value_source(value: &FieldValue) -> String {
    let raw = value.value.raw.trim();
    let source = crate::report::source_words(value);
    if raw == value.value.value {
        source
    } else {
        format!("read “{raw}” · {source}")
    }
}

/// A value as two lines: `value_headline`, then `value_source`.
pub fn value_job(value: &FieldValue, on_accent: bool) -> LayoutJob {
    let mut job = value_headline(value, on_accent);
    let colour = if on_accent {
        theme::ACCENT_TEXT
    } else {
        theme::TEXT_DIM
    };
    job.append(
        &format!("\n{}", value_source(value)),
        0.0,
        TextFormat {
            font_id: theme::small(),
            color: colour,
            ..Default::default()
        },
    );
    job
}

/// Padding inside a value's button: small, the column is narrow.
const VALUE_PADDING: egui::Vec2 = egui::vec2(6.0, 4.0);
const VALUES_WIDTH: f32 = 300.0;

/// A row's height: its check's name and message wrapped at `check_px`, or its values wrapped
/// at `values_px`, whichever is taller.
fn row_height(ctx: &egui::Context, check: &CheckResult, check_px: f32, values_px: f32) -> f32 {
    ctx.fonts_mut(|fonts| {
        let name = fonts
            .layout(
                check.name.to_owned(),
                FontId::proportional(18.0),
                theme::TEXT,
                check_px,
            )
            .size()
            .y;
        let message = fonts
            .layout(
                check.message.clone(),
                FontId::proportional(MESSAGE_FONT_PX),
                theme::TEXT,
                check_px,
            )
            .size()
            .y;
        let values: f32 = check
            .values
            .iter()
            .map(|value| {
                let mut job = value_job(value, false);
                job.wrap.max_width = values_px - 2.0 * VALUE_PADDING.x;
                fonts.layout_job(job).size().y + 2.0 * VALUE_PADDING.y + 2.0
            })
            .sum();
        (name + message + 2.0).max(values) + 12.0
    })
}

/// The table, at most `max_height_px` high, row `scroll_to` brought into view; returns what
/// was tapped.
pub fn checks_table_ui(
    ui: &mut egui::Ui,
    session_id: i64,
    checks: &[CheckResult],
    selection: Option<Selection>,
    max_height_px: f32,
    scroll_to: Option<usize>,
) -> Option<Selection> {
    let mut tapped = None;
    let mut table = TableBuilder::new(ui)
        // One per session, so another session opens at its first check.
        .id_salt(("crosscheck_checks", session_id))
        .striped(true)
        // Not the builder's 200 px minimum: beside the evidence the table keeps less.
        .min_scrolled_height(max_height_px)
        .max_scroll_height(max_height_px);
    if let Some(row) = scroll_to {
        table = table.scroll_to_row(row, Some(egui::Align::TOP));
    }
    table
        .auto_shrink([false, true])
        .column(Column::exact(28.0))
        .column(Column::exact(112.0))
        .column(Column::remainder().at_least(160.0).clip(true))
        .column(Column::exact(VALUES_WIDTH).clip(true))
        .column(Column::exact(84.0))
        .header(30.0, |mut header| {
            for title in ["#", "Status", "Check", "Values", "Evidence"] {
                header.col(|ui| {
                    ui.label(RichText::new(title).strong());
                });
            }
        })
        .body(|mut body| {
            let widths = body.widths().to_vec();
            let check_px = widths.get(2).copied().unwrap_or(200.0) - 4.0;
            let values_px = widths.get(3).copied().unwrap_or(VALUES_WIDTH) - 4.0;
            for check in checks {
                let height = row_height(body.ui_mut().ctx(), check, check_px, values_px)
                    .max(theme::TOUCH_PX * 1.1);
                let shown = selection.filter(|s| s.check == check.number);
                body.row(height, |mut row| {
                    row.col(|ui| {
                        ui.label(RichText::new(check.number.to_string()).strong());
                    });
                    row.col(|ui| {
                        ui.vertical(|ui| {
                            ui.spacing_mut().item_spacing.y = 2.0;
                            ui.label(
                                RichText::new(check.status.as_str())
                                    .color(status_colour(check.status))
                                    .strong(),
                            );
                            ui.add(egui::Label::new(priority_text(check.priority)).wrap());
                        });
                    });
                    row.col(|ui| {
                        ui.vertical(|ui| {
                            ui.spacing_mut().item_spacing.y = 2.0;
                            ui.add(
                                egui::Label::new(RichText::new(check.name).size(18.0).strong())
                                    .wrap(),
                            );
                            ui.add(
                                egui::Label::new(
                                    RichText::new(&check.message)
                                        .size(MESSAGE_FONT_PX)
                                        .color(theme::TEXT_DIM),
                                )
                                .wrap(),
                            );
                        });
                    });
                    row.col(|ui| {
                        ui.vertical(|ui| {
                            ui.spacing_mut().item_spacing.y = 2.0;
                            ui.spacing_mut().button_padding = VALUE_PADDING;
                            for (index, value) in check.values.iter().enumerate() {
                                let on = shown.is_some_and(|s| s.value == Some(index));
                                let button = egui::Button::selectable(on, value_job(value, on))
                                    .min_size(egui::vec2(values_px, 0.0))
                                    .wrap();
                                if ui.add(button).clicked() {
                                    tapped = Some(Selection {
                                        check: check.number,
                                        value: Some(index),
                                    });
                                }
                            }
                        });
                    });
                    row.col(|ui| {
                        if check.values.is_empty() {
                            ui.label(RichText::new("none").color(theme::TEXT_DIM));
                            return;
                        }
                        let on = shown.is_some_and(|s| s.value.is_none());
                        let button = theme::choice_button(
                            on,
                            if on { "Hide" } else { "Show" },
                            egui::vec2(76.0, theme::TOUCH_PX * 0.8),
                        );
                        if ui.add(button).clicked() {
                            tapped = Some(Selection {
                                check: check.number,
                                value: None,
                            });
                        }
                    });
                });
            }
        });
    tapped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::crosscheck::{
        Correction, EvidenceKind, FieldKind, Location, Normalised, Provenance,
    };

    fn serial(raw: &str, corrections: Vec<Correction>, prefix_added: bool) -> FieldValue {
        FieldValue {
            kind: FieldKind::BoardSerial,
            value: Normalised {
                raw: raw.into(),
                value: "VGN-12345-0001".into(),
                confidence: 0.72,
                normalised: true,
                prefix_added,
                corrections,
            },
            source: EvidenceKind::Photo,
            provenance: Provenance {
                file: "label.png".into(),
                at: Location::ImageBox {
                    page: None,
                    quad_px: [[10.0, 20.0], [90.0, 20.0], [90.0, 40.0], [10.0, 40.0]],
                },
            },
            part_of: None,
        }
    }

    #[test]
    fn a_value_says_how_it_was_taken_and_where() {
        let fixed = serial(
            "VGN-I2345-0O01",
            vec![
                Correction {
                    at: 4,
                    from: 'I',
                    to: '1',
                },
                Correction {
                    at: 11,
                    from: 'O',
                    to: '0',
                },
            ],
            false,
        );
        assert_eq!(value_marks(&fixed), vec!["corrected I→1 O→0", "normalised"]);
        let text = value_job(&fixed, false).text;
        assert!(
            text.starts_with("VGN-12345-0001  72 %  corrected I→1 O→0"),
            "{text}"
        );
        assert!(
            text.contains("“VGN-I2345-0O01” · label.png photo at (10, 20) px"),
            "{text}"
        );
        let bare = serial("12345-0001", Vec::new(), true);
        assert_eq!(value_marks(&bare), vec!["prefix added"]);
    }
}
