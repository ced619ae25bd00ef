//! The Scan panel: scan sessions on the station's reader. Before a session: a name and what to
//! scan against (nothing, a batch, a lot, a list of UIDs). During it: the live view with the
//! codes outlined, the last result large and in its colour (green OK, amber already scanned,
//! red unknown code, violet another set, pink wrong status), the running counts and the last
//! results; no tap is needed between parts. After it: the summary — expected against seen,
//! missing, extra — and a CSV export. The demo's simulated reader is shown parts from here.

use egui::{Color32, RichText};

use super::state::{AppState, NoticeKind};
use super::theme;
use crate::domain::Permission;
use crate::runtime::{ScannerCommand, ScannerEvent, ScannerHandle, ScannerView};
use crate::store::{Expected, ScanRecord, ScanResult, ScanSessionRecord, ScanSummary};

/// What the session is scanned against, as picked in the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Against {
    #[default]
    Nothing,
    Batch,
    Lot,
    List,
}

/// The panel's own state.
#[derive(Default)]
pub struct ScanView {
    name: String,
    against: Against,
    batch: Option<i64>,
    lot: String,
    list: String,
    form_error: Option<String>,
    /// The last closed session's summary, shown until the next session starts.
    closed: Option<(ScanSessionRecord, ScanSummary)>,
    frame: Option<(u64, egui::TextureHandle)>,
    /// What to hand the demo reader after drawing (`Some(None)`: take the part away).
    pending_present: Option<Option<String>>,
}

impl ScanView {
    /// Takes the scanner's events: notices, and the summary of a closed session.
    pub fn apply(&mut self, state: &mut AppState, event: ScannerEvent) {
        match event {
            ScannerEvent::Scanned(_) => {}
            ScannerEvent::Closed(session, summary) => {
                state.notify(
                    NoticeKind::Info,
                    format!(
                        "Scan session {} closed: {} of {} expected seen, {} missing, {} extra",
                        session.name,
                        summary.seen_expected,
                        summary.expected,
                        summary.missing.len(),
                        summary.extra.len()
                    ),
                );
                self.closed = Some((session, summary));
            }
            ScannerEvent::Exported(path) => state.notify(
                NoticeKind::Info,
                format!("Scan session report written to {}", path.display()),
            ),
            ScannerEvent::Failed(text) => state.notify(NoticeKind::Error, text),
        }
    }
}

/// A part of another set: violet, so it is not taken for an unknown code at a glance.
const WRONG_LOT: Color32 = Color32::from_rgb(0xb0, 0x7c, 0xff);
/// A part in a status it must not be found in: pink.
const WRONG_STATUS: Color32 = Color32::from_rgb(0xff, 0x5c, 0xb0);

/// A result's colour, one per result (the words differ too, for colour-blind eyes).
pub fn result_colour(result: ScanResult) -> Color32 {
    match result {
        ScanResult::Known => theme::OK,
        ScanResult::Duplicate => theme::WARN,
        ScanResult::Unknown => theme::FAULT,
        ScanResult::WrongLot => WRONG_LOT,
        ScanResult::WrongStatus => WRONG_STATUS,
    }
}

fn send(scanner: &ScannerHandle, state: &mut AppState, command: ScannerCommand) {
    if let Err(err) = scanner.send(command) {
        state.notify(
            NoticeKind::Error,
            format!("The scanner did not take it: {err}"),
        );
    }
}

pub fn scan_ui(
    ui: &mut egui::Ui,
    view: &mut ScanView,
    state: &mut AppState,
    scanner: Option<&ScannerHandle>,
) {
    let Some(scanner) = scanner else {
        ui.label(RichText::new("This station runs no scan sessions").font(theme::big()));
        ui.label(
            "Set [scan] camera in the config file to the name of the camera that reads the \
             parts, and restart the station.",
        );
        return;
    };
    let live = scanner.view();
    ui.columns(2, |columns| {
        live_ui(&mut columns[0], view, &live);
        if let Some(part) = view.pending_present.take() {
            send(scanner, state, ScannerCommand::Present(part));
        }
        egui::ScrollArea::vertical()
            .id_salt("scan_side")
            .show(&mut columns[1], |ui| match &live.session {
                Some(session) => session_ui(ui, state, scanner, &live, session),
                None => {
                    if let Some((session, summary)) = view.closed.clone() {
                        summary_ui(ui, state, scanner, &session, &summary);
                        ui.separator();
                    }
                    start_ui(ui, view, state, scanner, &live);
                    ui.separator();
                    sessions_ui(ui, state, scanner, &live);
                }
            });
    });
    // The view is a snapshot the worker keeps current: look again soon.
    ui.ctx()
        .request_repaint_after(std::time::Duration::from_millis(66));
}

/// The reader's view with the codes outlined, the last result large, and the demo controls.
fn live_ui(ui: &mut egui::Ui, view: &mut ScanView, live: &ScannerView) {
    if let Some(shown) = &live.frame {
        // `frame_seq` moves only when the image does: a repeated still is not uploaded again.
        let frame = shown.image();
        let texture = match &mut view.frame {
            Some((seq, texture)) if *seq == live.frame_seq => texture.clone(),
            Some((seq, texture)) => {
                let size = [frame.width() as usize, frame.height() as usize];
                texture.set(
                    egui::ColorImage::from_rgba_unmultiplied(size, frame.as_raw()),
                    egui::TextureOptions::LINEAR,
                );
                *seq = live.frame_seq;
                texture.clone()
            }
            None => {
                let texture = super::result_textures::upload(ui.ctx(), "scan_frame", frame);
                view.frame = Some((live.frame_seq, texture.clone()));
                texture
            }
        };
        // Leave room below for the result banner and the demo reader's buttons.
        let room_px = (ui.available_height() - BANNER_PX - 200.0).max(120.0);
        let aspect = frame.width().max(1) as f32 / frame.height().max(1) as f32;
        let width = ui.available_width().min(room_px * aspect);
        let scale = width / frame.width().max(1) as f32;
        let response = ui.add(
            egui::Image::new(&texture)
                .fit_to_exact_size(egui::vec2(width, frame.height() as f32 * scale)),
        );
        let origin = response.rect.min;
        let painter = ui.painter_at(response.rect);
        for (text, corners) in &live.codes_in_view {
            let colour = live
                .last
                .iter()
                .rev()
                .find(|scan| &scan.code_text == text)
                .map_or(theme::ACCENT, |scan| result_colour(scan.result));
            let points: Vec<egui::Pos2> = corners
                .iter()
                .map(|&(x, y)| origin + egui::vec2(x * scale, y * scale))
                .collect();
            painter.add(egui::Shape::closed_line(
                points,
                egui::Stroke::new(3.0, colour),
            ));
        }
    }
    ui.label(
        RichText::new(format!(
            "{} · {:.0} ms a frame · {} frames read{}",
            live.source,
            live.decode_ms,
            live.frames,
            if live.decoder_failures > 0 {
                format!(" · {} decoder failures", live.decoder_failures)
            } else {
                String::new()
            }
        ))
        .font(theme::small())
        .color(theme::TEXT_DIM),
    );
    if live.session.is_some() {
        // Once the part has left the view, its result steps back: the banner asks for the next
        // part, so a glance never takes an old green for the part in hand.
        let gone = live
            .view_empty_for_ms
            .is_some_and(|ms| ms >= crate::runtime::LEFT_VIEW_AFTER.as_millis() as u64);
        last_result_ui(ui, live.last.last(), gone);
    } else {
        ui.add_space(BANNER_PX);
    }
    if live.simulated {
        demo_reader_ui(ui, view, live);
    }
}

/// Height of the last-result banner: fixed, so the controls below never move under a finger.
const BANNER_PX: f32 = 140.0;

/// The newest result, large: what an operator glances at between parts. Once the part has
/// `gone` from view, the banner asks for the next one and names the last result small.
fn last_result_ui(ui: &mut egui::Ui, last: Option<&ScanRecord>, gone: bool) {
    let current = last.filter(|_| !gone);
    let colour = current.map_or(theme::PANEL_RAISED, |last| result_colour(last.result));
    egui::Frame::new()
        .fill(colour)
        .corner_radius(8.0)
        .inner_margin(egui::Margin::same(12))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.set_height(BANNER_PX - 24.0);
            let Some(last) = current else {
                ui.label(
                    RichText::new("Show the next part to the reader")
                        .font(theme::big())
                        .color(theme::TEXT_DIM),
                );
                if let Some(previous) = last {
                    ui.label(
                        RichText::new(format!(
                            "Last: {} {}",
                            previous.result.words(),
                            previous.code_text
                        ))
                        .color(result_colour(previous.result)),
                    );
                }
                return;
            };
            ui.label(
                RichText::new(last.result.words().to_uppercase())
                    .font(egui::FontId::proportional(40.0))
                    .color(theme::ACCENT_TEXT)
                    .strong(),
            );
            ui.label(
                RichText::new(&last.code_text)
                    .font(theme::big())
                    .color(theme::ACCENT_TEXT),
            );
            if let Some(detail) = &last.detail {
                ui.label(RichText::new(detail).color(theme::ACCENT_TEXT));
            }
        });
}

/// The demo's simulated reader: one button per part to hold in front of it.
fn demo_reader_ui(ui: &mut egui::Ui, view: &mut ScanView, live: &ScannerView) {
    ui.add_space(theme::GAP / 2.0);
    ui.label(RichText::new("Demo reader (simulated): hold a part in front of it").strong());
    ui.horizontal_wrapped(|ui| {
        for part in &live.demo_parts {
            // The sequence number is what tells a batch's parts apart.
            let short = part.rsplit('-').next().unwrap_or(part);
            let label = if part == crate::runtime::DEMO_STRANGER {
                "another station's part".to_owned()
            } else {
                short.to_owned()
            };
            let held = live.presented.as_deref() == Some(part.as_str());
            let button = egui::Button::new(RichText::new(label).strong())
                .selected(held)
                .min_size(egui::vec2(88.0, theme::TOUCH_PX * 0.8));
            if ui.add(button).on_hover_text(part).clicked() {
                view.pending_present = Some(Some(part.clone()));
            }
        }
        if ui
            .add_enabled(
                live.presented.is_some(),
                egui::Button::new("Take away").min_size(egui::vec2(88.0, theme::TOUCH_PX * 0.8)),
            )
            .clicked()
        {
            view.pending_present = Some(None);
        }
    });
    if live.demo_parts.len() <= 1 {
        ui.label(
            RichText::new("Engrave a batch to have parts to show.")
                .font(theme::small())
                .color(theme::TEXT_DIM),
        );
    }
}

/// The open session: counts, the last results, close.
fn session_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    scanner: &ScannerHandle,
    live: &ScannerView,
    session: &ScanSessionRecord,
) {
    ui.label(RichText::new(&session.name).font(theme::big()));
    ui.label(format!(
        "Against {} · started {} by {}",
        session.expected_words(),
        session.started_at_utc,
        session.started_by
    ));
    let total: u64 = live.counts.values().sum();
    ui.label(
        RichText::new(format!("{total} scanned"))
            .font(egui::FontId::proportional(34.0))
            .strong(),
    );
    if session.expected_count > 0 {
        let seen = live
            .summary
            .as_ref()
            .map_or(0, |summary| summary.seen_expected);
        ui.label(format!(
            "{seen} of {} expected parts seen",
            session.expected_count
        ));
    }
    ui.horizontal_wrapped(|ui| {
        for result in ScanResult::ALL {
            let count = live.counts.get(&result).copied().unwrap_or(0);
            ui.label(
                RichText::new(format!("{} {count}", result.words()))
                    .color(result_colour(result))
                    .strong(),
            );
            ui.add_space(theme::GAP);
        }
    });
    ui.add_space(theme::GAP / 2.0);
    for scan in live.last.iter().rev() {
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(scan.result.words())
                    .color(result_colour(scan.result))
                    .strong(),
            );
            ui.label(RichText::new(&scan.code_text).font(theme::small()));
            if let Some(time) = scan.at_utc.get(11..19) {
                ui.label(
                    RichText::new(time)
                        .font(theme::small())
                        .color(theme::TEXT_DIM),
                );
            }
        });
    }
    ui.add_space(theme::GAP);
    let may = state.may(Permission::Operate);
    if ui
        .add_enabled(
            may,
            egui::Button::new(RichText::new("Close session").font(theme::big()))
                .min_size(egui::vec2(220.0, theme::TOUCH_PX)),
        )
        .clicked()
        && let Some(actor) = state.actor.clone()
    {
        send(scanner, state, ScannerCommand::Close { actor });
    }
}

/// A closed session's summary: expected against seen, missing, extra; the CSV export.
fn summary_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    scanner: &ScannerHandle,
    session: &ScanSessionRecord,
    summary: &ScanSummary,
) {
    ui.label(RichText::new(format!("{}: summary", session.name)).font(theme::big()));
    if summary.expected > 0 {
        let all = summary.missing.is_empty() && summary.extra.is_empty();
        ui.label(
            RichText::new(format!(
                "{} of {} expected seen",
                summary.seen_expected, summary.expected
            ))
            .font(theme::big())
            .color(if all { theme::OK } else { theme::FAULT }),
        );
    } else {
        ui.label(format!("{} distinct codes seen", summary.seen));
    }
    let list = |ui: &mut egui::Ui, title: &str, codes: &[String], colour: Color32| {
        if codes.is_empty() {
            ui.label(RichText::new(format!("{title}: none")).color(theme::TEXT_DIM));
            return;
        }
        ui.label(
            RichText::new(format!("{title}: {}", codes.len()))
                .color(colour)
                .strong(),
        );
        for code in codes {
            ui.label(RichText::new(format!("  {code}")).font(theme::small()));
        }
    };
    list(ui, "Missing", &summary.missing, theme::FAULT);
    list(ui, "Extra", &summary.extra, theme::FAULT);
    if ui.button("Export CSV").clicked() {
        send(
            scanner,
            state,
            ScannerCommand::Export {
                session_id: session.id,
            },
        );
    }
}

/// A new session: its name and what it is scanned against.
fn start_ui(
    ui: &mut egui::Ui,
    view: &mut ScanView,
    state: &mut AppState,
    scanner: &ScannerHandle,
    live: &ScannerView,
) {
    ui.label(RichText::new("New scan session").font(theme::big()));
    super::fields::labelled_edit_ui(
        ui,
        "Name",
        egui::TextEdit::singleline(&mut view.name)
            .hint_text("work order, delivery, shelf")
            .desired_width(280.0),
    );
    ui.horizontal(|ui| {
        ui.label("Against");
        for (against, words) in [
            (Against::Nothing, "nothing"),
            (Against::Batch, "a batch"),
            (Against::Lot, "a lot"),
            (Against::List, "a list"),
        ] {
            ui.selectable_value(&mut view.against, against, words);
        }
    });
    match view.against {
        Against::Nothing => {}
        Against::Batch => {
            let chosen = view.batch.or_else(|| live.batches.first().map(|b| b.id));
            let label = |id: i64| {
                live.batches.iter().find(|b| b.id == id).map_or_else(
                    || format!("batch {id}"),
                    |batch| {
                        format!(
                            "batch {}: {}..{:05} ({} items)",
                            batch.id,
                            batch.uid_text(batch.first_seq),
                            batch.last_seq(),
                            batch.count
                        )
                    },
                )
            };
            egui::ComboBox::from_id_salt("scan_batch")
                .width(420.0)
                .selected_text(chosen.map_or_else(|| "no batches yet".into(), label))
                .show_ui(ui, |ui| {
                    for batch in &live.batches {
                        ui.selectable_value(&mut view.batch, Some(batch.id), label(batch.id));
                    }
                });
            view.batch = chosen;
        }
        Against::Lot => {
            super::fields::labelled_edit_ui(
                ui,
                "Lot",
                egui::TextEdit::singleline(&mut view.lot)
                    .hint_text("PAD-V0100-L2025-09")
                    .desired_width(280.0),
            );
        }
        Against::List => {
            ui.label("UIDs, one per line");
            ui.add(
                egui::TextEdit::multiline(&mut view.list)
                    .desired_rows(5)
                    .desired_width(f32::INFINITY),
            );
        }
    }
    if let Some(error) = &view.form_error {
        ui.label(RichText::new(error).color(theme::FAULT));
    }
    let may = state.may(Permission::Operate);
    if ui
        .add_enabled(
            may,
            egui::Button::new(RichText::new("Start scanning").font(theme::big()))
                .min_size(egui::vec2(220.0, theme::TOUCH_PX)),
        )
        .clicked()
    {
        match expected(view) {
            Ok(expected) => {
                view.form_error = None;
                view.closed = None;
                if let Some(actor) = state.actor.clone() {
                    send(
                        scanner,
                        state,
                        ScannerCommand::Start {
                            actor,
                            name: view.name.trim().to_owned(),
                            expected,
                        },
                    );
                }
            }
            Err(error) => view.form_error = Some(error),
        }
    }
    if !may {
        ui.label(
            RichText::new("Scanning needs an operator, engineer or admin.").color(theme::TEXT_DIM),
        );
    }
}

/// The form's expected set, or what is wrong with it.
fn expected(view: &ScanView) -> Result<Expected, String> {
    if view.name.trim().is_empty() {
        return Err("Give the session a name (a work order, a delivery, a shelf).".into());
    }
    match view.against {
        Against::Nothing => Ok(Expected::Nothing),
        Against::Batch => view
            .batch
            .map(Expected::Batch)
            .ok_or_else(|| "Pick a batch (engrave one first).".to_owned()),
        Against::Lot => {
            let parts: Vec<&str> = view.lot.trim().splitn(3, '-').collect();
            match parts.as_slice() {
                [component, vendor, lot] if !lot.is_empty() => Ok(Expected::Lot {
                    component: (*component).to_owned(),
                    vendor: (*vendor).to_owned(),
                    lot: (*lot).to_owned(),
                }),
                _ => Err(format!(
                    "{:?} is not COMPONENT-VENDOR-LOT, e.g. PAD-V0100-L2025-09",
                    view.lot.trim()
                )),
            }
        }
        Against::List => {
            let uids: Vec<String> = view
                .list
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(str::to_owned)
                .collect();
            if uids.is_empty() {
                Err("Write the expected UIDs, one per line.".into())
            } else {
                Ok(Expected::List(uids))
            }
        }
    }
}

/// The recent sessions: resume an open one, export any.
fn sessions_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    scanner: &ScannerHandle,
    live: &ScannerView,
) {
    ui.label(RichText::new("Recent sessions").strong());
    if live.sessions.is_empty() {
        ui.label(RichText::new("None yet.").color(theme::TEXT_DIM));
    }
    for session in live.sessions.iter().take(15) {
        ui.horizontal(|ui| {
            ui.label(format!(
                "#{} {} · {} · {}",
                session.id,
                session.name,
                session.expected_words(),
                super::audit_view::minutes(&session.started_at_utc)
            ));
            if session.is_open() {
                if ui.button("Resume").clicked()
                    && let Some(actor) = state.actor.clone()
                {
                    send(
                        scanner,
                        state,
                        ScannerCommand::Resume {
                            actor,
                            session_id: session.id,
                        },
                    );
                }
            } else if ui.button("CSV").clicked() {
                send(
                    scanner,
                    state,
                    ScannerCommand::Export {
                        session_id: session.id,
                    },
                );
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_says_what_is_missing() {
        let mut view = ScanView::default();
        assert!(expected(&view).unwrap_err().contains("name"));
        view.name = "Line 2".into();
        assert_eq!(expected(&view), Ok(Expected::Nothing));
        view.against = Against::Lot;
        view.lot = "PAD-V0100".into();
        assert!(
            expected(&view)
                .unwrap_err()
                .contains("COMPONENT-VENDOR-LOT")
        );
        view.lot = "PAD-V0100-L2025-09".into();
        assert_eq!(
            expected(&view),
            Ok(Expected::Lot {
                component: "PAD".into(),
                vendor: "V0100".into(),
                lot: "L2025-09".into()
            })
        );
        view.against = Against::List;
        view.list = " A \n\nB\n".into();
        assert_eq!(
            expected(&view),
            Ok(Expected::List(vec!["A".into(), "B".into()]))
        );
        view.against = Against::Batch;
        assert!(expected(&view).unwrap_err().contains("batch"));
    }
}
