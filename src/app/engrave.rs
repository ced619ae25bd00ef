//! The Engrave panel: allocate a batch and queue its jobs, run the queue with progress an
//! operator can trust (lines acknowledged, elapsed, remaining, piece counter), pause, resume and
//! abort; the machine pane (connection, state, position, the alarm in words with its recovery,
//! jog pad, home, unlock, frame, overrides, the controller's settings); and the toolpath of the
//! selected job. Everything goes to the engraver worker as commands; what is shown is its
//! published view.

use egui::{Color32, RichText, vec2};
use egui_extras::{Column, TableBuilder};

use super::fields::labelled_edit_ui;
use super::state::{AppState, NoticeKind};
use super::theme;
use super::toolpath::{Toolpath, duration_text, toolpath_ui};
use crate::domain::{JobStatus, LotKey, LotRule, Permission};
use crate::engrave::grbl::RealTime;
use crate::engrave::{EcLevel, FillMode, JobPlan, LaserSettings, MATERIAL_PRESETS};
use crate::runtime::{EngraverCommand, EngraverHandle, EngraverView};
use crate::store::{BatchRequest, JobRecord, VerificationRecord};

/// Jog steps an operator picks from, mm.
const JOG_STEPS_MM: [f64; 3] = [0.1, 1.0, 10.0];
const JOG_FEED_MM_PER_MIN: f64 = 1500.0;

pub struct EngraveView {
    component: String,
    vendor: String,
    lot: String,
    count: u32,
    warranty_years: u32,
    preset: usize,
    ec: EcLevel,
    fill: FillMode,
    jog_step_mm: f64,
    selected: Option<i64>,
    toolpath: Option<Toolpath>,
    form_error: Option<String>,
    /// The line to resume the selected interrupted job at: (job id, line).
    resume_at: Option<(i64, u32)>,
    /// The port and baud rate picked in the connection form.
    port_choice: String,
    baud_choice: u32,
    /// The batch form is shown (it folds away once a batch is queued, to show the queue).
    form_open: bool,
    /// The shown mark image (or why it could not be read), by verification id: read once.
    mark_texture: Option<(i64, Result<egui::TextureHandle, String>)>,
    pub lot_rule: LotRule,
}

impl Default for EngraveView {
    fn default() -> Self {
        Self {
            component: "PAD".to_owned(),
            vendor: "V0100".to_owned(),
            lot: chrono::Local::now().format("L%Y-%m").to_string(),
            count: 5,
            warranty_years: 2,
            preset: 0,
            ec: EcLevel::M,
            fill: FillMode::Raster,
            jog_step_mm: 1.0,
            selected: None,
            toolpath: None,
            form_error: None,
            form_open: false,
            resume_at: None,
            port_choice: String::new(),
            baud_choice: crate::engrave::grbl::DEFAULT_BAUD,
            lot_rule: LotRule::default(),
            mark_texture: None,
        }
    }
}

fn status_colour(status: JobStatus) -> Color32 {
    match status {
        JobStatus::Queued => theme::TEXT_DIM,
        JobStatus::Running => theme::ACCENT,
        JobStatus::Paused => theme::WARN,
        JobStatus::Done => theme::OK,
        JobStatus::Failed | JobStatus::Interrupted => theme::FAULT,
        JobStatus::Cancelled => theme::TEXT_DIM,
    }
}

/// Sends `command`; a refusal (the engraver is busy or stopped) becomes a notice.
fn send(engraver: &EngraverHandle, state: &mut AppState, command: EngraverCommand) {
    if let Err(err) = engraver.send(command) {
        state.notify(
            NoticeKind::Error,
            format!("The laser did not take the command: {err}"),
        );
    }
}

pub fn engrave_ui(
    ui: &mut egui::Ui,
    view: &mut EngraveView,
    state: &mut AppState,
    engraver: Option<&EngraverHandle>,
) {
    let Some(engraver) = engraver else {
        ui.label(RichText::new("This station has no laser").font(theme::big()));
        ui.label(
            "Set [laser] port in the config file (a serial device such as /dev/ttyUSB0, or \
             \"simulated\") and restart the station.",
        );
        return;
    };
    let bench = engraver.view();
    machine_strip_ui(ui, &bench, state, engraver);
    ui.add_space(theme::GAP / 2.0);
    ui.columns(2, |columns| {
        let left_aligned = egui::Layout::top_down(egui::Align::Min);
        egui::ScrollArea::vertical()
            .id_salt("engrave_queue")
            .show(&mut columns[0], |ui| {
                ui.with_layout(left_aligned, |ui| {
                    queue_ui(ui, view, state, engraver, &bench)
                });
            });
        egui::ScrollArea::vertical()
            .id_salt("engrave_machine")
            .show(&mut columns[1], |ui| {
                ui.with_layout(left_aligned, |ui| {
                    machine_pane_ui(ui, view, state, engraver, &bench);
                });
            });
    });
}

/// Connection, state and position on one line; the alarm below it, in words.
fn machine_strip_ui(
    ui: &mut egui::Ui,
    bench: &EngraverView,
    state: &mut AppState,
    engraver: &EngraverHandle,
) {
    ui.horizontal(|ui| {
        let link = bench.link.as_ref();
        let device = link.map_or(String::new(), |link| {
            if link.simulated {
                format!("simulated laser on {}", link.path)
            } else {
                format!("{} at {} baud", link.path, link.baud)
            }
        });
        if bench.connected {
            let state_text = bench.state.clone().unwrap_or_else(|| "…".into());
            let colour = match state_text.as_str() {
                "Idle" => theme::OK,
                "Alarm" => theme::FAULT,
                _ => theme::ACCENT,
            };
            ui.label(
                RichText::new(state_text)
                    .font(theme::big())
                    .color(colour)
                    .strong(),
            );
            ui.label(format!("GRBL {} · {device}", bench.version));
            if let Some([x, y, _]) = bench.position_mm {
                ui.label(RichText::new(format!("X {x:.2}  Y {y:.2} mm")).font(theme::mono()));
            }
        } else {
            ui.label(
                RichText::new("Not connected")
                    .font(theme::big())
                    .color(theme::FAULT)
                    .strong(),
            );
            ui.label(device);
            if ui
                .add(egui::Button::new("Connect").min_size(vec2(0.0, theme::TOUCH_PX * 0.8)))
                .clicked()
            {
                send(engraver, state, EngraverCommand::Connect);
            }
        }
    });
    if !bench.connected
        && let Some(error) = &bench.link_error
    {
        ui.label(RichText::new(error).color(theme::WARN));
    }
    if let Some(alarm) = &bench.alarm {
        egui::Frame::new()
            .fill(theme::FAULT.gamma_multiply(0.25))
            .stroke(egui::Stroke::new(2.0, theme::FAULT))
            .inner_margin(10.0)
            .corner_radius(6.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    let code = alarm
                        .code
                        .map_or("ALARM".to_owned(), |c| format!("ALARM:{c}"));
                    ui.label(
                        RichText::new(code)
                            .font(theme::big())
                            .color(theme::FAULT)
                            .strong(),
                    );
                    ui.vertical(|ui| {
                        ui.label(RichText::new(&alarm.words).strong());
                        ui.label(&alarm.recovery);
                    });
                    let may = state.may(Permission::Operate);
                    let unlock =
                        egui::Button::new("Unlock ($X)").min_size(vec2(0.0, theme::TOUCH_PX));
                    if ui.add_enabled(may, unlock).clicked()
                        && let Some(actor) = state.actor.clone()
                    {
                        send(engraver, state, EngraverCommand::Unlock { actor });
                    }
                });
            });
    }
}

fn queue_ui(
    ui: &mut egui::Ui,
    view: &mut EngraveView,
    state: &mut AppState,
    engraver: &EngraverHandle,
    bench: &EngraverView,
) {
    // An empty queue shows the form: there is nothing else to do yet.
    let open = view.form_open || bench.jobs.is_empty();
    let title = if open {
        "Hide the batch form"
    } else {
        "New batch…"
    };
    if ui
        .add(theme::choice_button(
            open,
            RichText::new(title).font(theme::big()),
            vec2(220.0, theme::TOUCH_PX * 0.8),
        ))
        .clicked()
    {
        view.form_open = !open;
    }
    if open {
        batch_form_ui(ui, view, state, engraver);
    }
    ui.add_space(theme::GAP / 2.0);
    queue_controls_ui(ui, state, engraver, bench);
    ui.add_space(theme::GAP / 2.0);
    job_table_ui(ui, view, state, engraver, bench);
}

fn batch_form_ui(
    ui: &mut egui::Ui,
    view: &mut EngraveView,
    state: &mut AppState,
    engraver: &EngraverHandle,
) {
    egui::Grid::new("batch_form")
        .num_columns(2)
        .spacing(vec2(12.0, 8.0))
        .show(ui, |ui| {
            labelled_edit_ui(
                ui,
                "Component",
                egui::TextEdit::singleline(&mut view.component).desired_width(120.0),
            );
            ui.end_row();
            labelled_edit_ui(
                ui,
                "Vendor",
                egui::TextEdit::singleline(&mut view.vendor).desired_width(120.0),
            );
            ui.end_row();
            labelled_edit_ui(
                ui,
                "Lot",
                egui::TextEdit::singleline(&mut view.lot).desired_width(120.0),
            );
            ui.end_row();
            ui.label("Count");
            ui.add(egui::DragValue::new(&mut view.count).range(1..=500));
            ui.end_row();
            ui.label("Warranty, years");
            ui.add(egui::DragValue::new(&mut view.warranty_years).range(0..=50));
            ui.end_row();
            ui.label("Material");
            egui::ComboBox::from_id_salt("material")
                .selected_text(MATERIAL_PRESETS[view.preset].name)
                .width(200.0)
                .show_ui(ui, |ui| {
                    for (index, preset) in MATERIAL_PRESETS.iter().enumerate() {
                        ui.selectable_value(&mut view.preset, index, preset.name);
                    }
                });
            ui.end_row();
            ui.label("Fill");
            ui.horizontal(|ui| {
                for (mode, name) in [
                    (FillMode::Raster, "raster lines"),
                    (FillMode::Squares, "squares per module"),
                ] {
                    ui.selectable_value(&mut view.fill, mode, name);
                }
            });
            ui.end_row();
            ui.label("Error correction");
            ui.horizontal(|ui| {
                for (level, name) in [(EcLevel::M, "M (15 %)"), (EcLevel::H, "H (30 %, metal)")] {
                    ui.selectable_value(&mut view.ec, level, name);
                }
            });
            ui.end_row();
        });
    let may = state.may(Permission::Operate);
    let button = egui::Button::new("Allocate and queue").min_size(vec2(0.0, theme::TOUCH_PX));
    if ui.add_enabled(may, button).clicked() {
        match batch_command(view, state) {
            Ok(command) => {
                view.form_error = None;
                view.form_open = false;
                send(engraver, state, command);
            }
            Err(error) => view.form_error = Some(error),
        }
    }
    if let Some(error) = &view.form_error {
        ui.label(RichText::new(error).color(theme::FAULT));
    }
}

fn batch_command(view: &EngraveView, state: &AppState) -> Result<EngraverCommand, String> {
    let actor = state.actor.clone().ok_or("sign in first")?;
    let key = LotKey::new(
        view.component.trim(),
        view.vendor.trim(),
        view.lot.trim(),
        &view.lot_rule,
    )
    .map_err(|err| err.to_string())?;
    let settings = LaserSettings {
        error_correction: view.ec,
        fill: view.fill,
        ..LaserSettings::default()
    }
    .with_preset(MATERIAL_PRESETS[view.preset].name)
    .map_err(|err| err.to_string())?;
    Ok(EngraverCommand::QueueBatch {
        actor,
        request: BatchRequest {
            key,
            count: view.count,
            manufactured_on: chrono::Local::now().date_naive(),
            warranty_years: view.warranty_years,
        },
        settings,
    })
}

fn queue_controls_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    engraver: &EngraverHandle,
    bench: &EngraverView,
) {
    let may = state.may(Permission::Operate) && bench.connected;
    let queued = bench
        .jobs
        .iter()
        .filter(|job| job.status == JobStatus::Queued)
        .count();
    let size = vec2(0.0, theme::TOUCH_PX);
    ui.horizontal(|ui| match &bench.running {
        Some(running) => {
            if running.paused {
                if ui
                    .add_enabled(may, egui::Button::new("Resume").min_size(size))
                    .clicked()
                {
                    send(engraver, state, EngraverCommand::Resume);
                }
            } else if ui
                .add_enabled(may, egui::Button::new("Pause").min_size(size))
                .clicked()
            {
                send(engraver, state, EngraverCommand::Hold);
            }
            if ui
                .add_enabled(may, egui::Button::new("Abort job").min_size(size))
                .on_hover_text("Stops and keeps position; the laser goes off")
                .clicked()
            {
                send(engraver, state, EngraverCommand::Abort);
            }
            let reset = egui::Button::new(RichText::new("Stop now (reset)").color(theme::FAULT))
                .min_size(size);
            if ui
                .add_enabled(may, reset)
                .on_hover_text(
                    "Emergency stop: motion stops at once, the machine loses its position \
                     (ALARM:3) and stays locked until unlocked",
                )
                .clicked()
            {
                send(engraver, state, EngraverCommand::Reset);
            }
            if bench.queue_running
                && ui
                    .add_enabled(may, egui::Button::new("Stop after job").min_size(size))
                    .clicked()
            {
                send(engraver, state, EngraverCommand::StopQueue);
            }
        }
        None => {
            let start = egui::Button::new(format!("Start queue ({queued})"))
                .min_size(size)
                .fill(theme::ACCENT.gamma_multiply(0.35));
            if ui.add_enabled(may && queued > 0, start).clicked()
                && let Some(actor) = state.actor.clone()
            {
                send(engraver, state, EngraverCommand::StartQueue { actor });
            }
        }
    });
    if let Some(running) = &bench.running {
        let fraction = running.lines_acked as f32 / running.lines_total.max(1) as f32;
        let done_in_batch = bench
            .jobs
            .iter()
            .filter(|job| job.status == JobStatus::Done)
            .count();
        ui.label(
            RichText::new(format!(
                "{}{} · piece {} · {} / {} lines · {} elapsed · {} left",
                running.payload,
                if running.paused { " (paused)" } else { "" },
                done_in_batch + 1,
                running.lines_acked,
                running.lines_total,
                duration_text(running.elapsed_s),
                duration_text(running.remaining_s)
            ))
            .strong(),
        );
        ui.add(
            egui::ProgressBar::new(fraction)
                .desired_height(28.0)
                .show_percentage()
                .fill(if running.paused {
                    theme::WARN
                } else {
                    theme::ACCENT
                }),
        );
    }
}

fn job_table_ui(
    ui: &mut egui::Ui,
    view: &mut EngraveView,
    state: &mut AppState,
    engraver: &EngraverHandle,
    bench: &EngraverView,
) {
    // Oldest first: the order the queue runs in.
    let mut jobs: Vec<&JobRecord> = bench.jobs.iter().collect();
    jobs.sort_by_key(|job| job.id);
    if jobs.is_empty() {
        ui.label(
            RichText::new("No jobs yet: allocate a batch above; each item gets one job.")
                .color(theme::TEXT_DIM),
        );
        return;
    }
    let may = state.may(Permission::Operate);
    let mut clicked = None;
    let mut command = None;
    let table_height = ui.available_height().max(200.0);
    TableBuilder::new(ui)
        .id_salt("engrave_jobs")
        .striped(true)
        // No row sense: a row that takes clicks would take them from the Retry, Cancel and
        // Engrave again buttons in it. The UID selects the row.
        .max_scroll_height(table_height)
        .column(Column::exact(220.0).clip(true))
        .column(Column::exact(88.0))
        .column(Column::exact(96.0))
        .column(Column::remainder().clip(true))
        .header(30.0, |mut header| {
            for title in ["UID", "Status", "Progress", "Mark"] {
                header.col(|ui| {
                    ui.label(RichText::new(title).strong());
                });
            }
        })
        .body(|mut body| {
            for job in &jobs {
                let running = bench.running.as_ref().filter(|r| r.job_id == job.id);
                let selected = view.selected == Some(job.id);
                body.row(theme::TOUCH_PX * 0.8, |mut row| {
                    row.set_selected(selected);
                    row.col(|ui| {
                        // Tapping the UID selects the job (the row is highlighted).
                        let uid = egui::Label::new(
                            RichText::new(&job.payload).font(theme::small()).strong(),
                        )
                        .sense(egui::Sense::click());
                        if ui
                            .add(uid)
                            .on_hover_text(format!("job {}", job.id))
                            .clicked()
                        {
                            clicked = Some(job.id);
                        }
                    });
                    // The worker's live view is newer than the stored row for the job it runs.
                    let status = match running {
                        Some(r) if r.paused => JobStatus::Paused,
                        Some(_) => JobStatus::Running,
                        None => job.status,
                    };
                    row.col(|ui| {
                        let colour = if selected {
                            theme::ACCENT_TEXT
                        } else {
                            status_colour(status)
                        };
                        ui.label(RichText::new(status.as_str()).color(colour).strong())
                            .on_hover_text(job.outcome.clone().unwrap_or_default());
                    });
                    row.col(|ui| {
                        let (acked, total) = match running {
                            Some(r) => (r.lines_acked, r.lines_total),
                            None => (job.lines_acked as usize, job.lines_total as usize),
                        };
                        let times = format!(
                            "{} run, estimated {}",
                            duration_text(job.elapsed_s),
                            duration_text(job.estimate_s)
                        );
                        ui.add(
                            egui::ProgressBar::new(acked as f32 / total.max(1) as f32)
                                .desired_width(92.0)
                                .corner_radius(4.0)
                                .text(
                                    RichText::new(format!("{acked}/{total}"))
                                        .font(theme::small())
                                        .color(theme::TEXT),
                                ),
                        )
                        .on_hover_text(times);
                    });
                    row.col(|ui| {
                        mark_cell_ui(ui, job, bench.verifications.get(&job.id), selected);
                    });
                });
            }
        });
    if let Some(id) = clicked {
        view.selected = Some(id);
    }
    // The selected job's actions, touch-sized, below the table (a row has no room for them).
    let chosen = view
        .selected
        .and_then(|id| bench.jobs.iter().find(|job| job.id == id));
    if let Some(job) = chosen {
        let running = bench.running.as_ref().is_some_and(|r| r.job_id == job.id);
        let big = |text: &str| {
            egui::Button::new(RichText::new(text).font(theme::big()))
                .min_size(vec2(180.0, theme::TOUCH_PX))
        };
        if job.status.may_retry() {
            if ui.add_enabled(may, big("Retry this job")).clicked() {
                command = Some(("retry", job.id));
            }
        } else if job.status == JobStatus::Queued
            && !running
            && ui.add_enabled(may, big("Cancel this job")).clicked()
        {
            command = Some(("cancel", job.id));
        }
    }
    if let (Some((what, job_id)), Some(actor)) = (command, state.actor.clone()) {
        let command = match what {
            "retry" => EngraverCommand::Retry { actor, job_id },
            _ => EngraverCommand::Cancel { actor, job_id },
        };
        send(engraver, state, command);
    }
    // The outcome of the selected job, in words, and for an interrupted job where to resume.
    let selected = view
        .selected
        .and_then(|id| bench.jobs.iter().find(|job| job.id == id));
    if let Some(job) = selected {
        if let Some(outcome) = &job.outcome {
            ui.label(
                RichText::new(format!("Job {}: {outcome}", job.id))
                    .color(status_colour(job.status)),
            );
        }
        if job.status == JobStatus::Interrupted {
            resume_ui(ui, view, state, engraver, bench, job);
        }
        if let Some(record) = bench.verifications.get(&job.id) {
            let again = mark_detail_ui(ui, view, record, bench.images_dir.as_deref(), job, may);
            if again && let Some(actor) = state.actor.clone() {
                send(
                    engraver,
                    state,
                    EngraverCommand::Retry {
                        actor,
                        job_id: job.id,
                    },
                );
            }
        }
    }
}

/// The queue's Mark column: verified with its grade, failed, or being read.
fn mark_cell_ui(
    ui: &mut egui::Ui,
    job: &JobRecord,
    record: Option<&VerificationRecord>,
    selected: bool,
) {
    let tint = |colour: Color32| if selected { theme::ACCENT_TEXT } else { colour };
    // A job queued again (its mark failed) shows its new mark once it is done.
    let record = record.filter(|_| job.status == JobStatus::Done);
    match record {
        Some(record) if record.matched => {
            let grade = record.overall_grade.map_or('-', crate::scan::grade::letter);
            ui.label(
                RichText::new(format!("verified · {grade}"))
                    .color(tint(theme::OK))
                    .strong(),
            )
            .on_hover_text(format!(
                "Read as its UID in {} attempt(s); process grade {grade}",
                record.attempts
            ));
        }
        Some(record) => {
            ui.label(RichText::new("failed").color(tint(theme::FAULT)).strong())
                .on_hover_text(record.reason.clone().unwrap_or_default());
        }
        None if job.status == JobStatus::Done && job.item_id.is_some() => {
            ui.label(RichText::new("not verified").color(tint(theme::TEXT_DIM)));
        }
        None => {}
    }
}

/// The selected job's mark: the bench camera's image, what was read, and the grade parameter
/// by parameter, said to be a process grade.
/// The selected job's mark; true when the operator asked to engrave a failed one again.
fn mark_detail_ui(
    ui: &mut egui::Ui,
    view: &mut EngraveView,
    record: &VerificationRecord,
    images_dir: Option<&std::path::Path>,
    job: &JobRecord,
    may: bool,
) -> bool {
    let mut again = false;
    ui.add_space(theme::GAP / 2.0);
    let (headline, colour) = if record.matched {
        let grade = record.overall_grade.map_or('-', crate::scan::grade::letter);
        (
            format!("{}: verified, process grade {grade}", record.uid),
            theme::OK,
        )
    } else {
        (format!("{}: mark failed", record.uid), theme::FAULT)
    };
    ui.label(RichText::new(headline).color(colour).font(theme::big()));
    let read = match &record.payload_read {
        Some(text) => format!("read {text:?}"),
        None => "nothing read".to_owned(),
    };
    ui.label(format!(
        "{read} in {} attempt{} at {}",
        record.attempts,
        if record.attempts == 1 { "" } else { "s" },
        record.at_utc
    ));
    if let Some(reason) = &record.reason {
        ui.label(RichText::new(reason).color(theme::WARN));
    }
    if !record.matched && job.status == JobStatus::Done {
        again = ui
            .add_enabled(
                may,
                egui::Button::new(RichText::new("Engrave again").font(theme::big()))
                    .min_size(egui::vec2(220.0, theme::TOUCH_PX)),
            )
            .on_hover_text("The same UID on a fresh part")
            .clicked();
    }
    if let Some(parameters) = record.grade_json.as_deref().and_then(grade_rows) {
        egui::Grid::new("mark_grade")
            .num_columns(3)
            .spacing([theme::GAP, 4.0])
            .show(ui, |ui| {
                for (name, value, grade) in parameters {
                    ui.label(name);
                    ui.label(value);
                    let letter = crate::scan::grade::letter(grade);
                    let colour = match grade {
                        3.. => theme::OK,
                        2 => theme::WARN,
                        _ => theme::FAULT,
                    };
                    ui.label(RichText::new(letter.to_string()).color(colour).strong());
                    ui.end_row();
                }
            });
        ui.label(
            RichText::new(
                "Process grade from the bench camera after ISO/IEC 15415 and 29158: it follows \
                 the laser's marks over time; it is not a calibrated verifier's grade.",
            )
            .font(theme::small())
            .color(theme::TEXT_DIM),
        );
    }
    if let (Some(path), Some(dir)) = (&record.image_path, images_dir) {
        if view
            .mark_texture
            .as_ref()
            .is_none_or(|(id, _)| *id != record.id)
        {
            // Once per selection: a small PNG, decoded on the UI thread.
            let loaded = crate::vision::image_file::read_grey(&dir.join(path))
                .map(|grey| {
                    let rgba = image::DynamicImage::ImageLuma8(grey).to_rgba8();
                    super::result_textures::upload(ui.ctx(), "engrave_mark", &rgba)
                })
                .map_err(|err| format!("{err:#}"));
            view.mark_texture = Some((record.id, loaded));
        }
        let texture = match &view.mark_texture {
            Some((_, Ok(texture))) => Some(texture.clone()),
            Some((_, Err(err))) => {
                ui.label(RichText::new(err).color(theme::WARN));
                None
            }
            None => None,
        };
        if let Some(texture) = texture {
            let width = ui.available_width().min(480.0);
            let size = texture.size_vec2();
            ui.add(
                egui::Image::new(&texture)
                    .fit_to_exact_size(egui::vec2(width, width * size.y / size.x.max(1.0))),
            );
        }
    }
    again
}

/// The stored grade's parameters (as `MarkGrade` serialises): name, value in words, grade.
fn grade_rows(json: &str) -> Option<Vec<(String, String, u8)>> {
    let grade: crate::scan::grade::MarkGrade = serde_json::from_str(json).ok()?;
    let rows = crate::scan::grade::PARAMETERS
        .iter()
        .zip(grade.parameters())
        .map(|((key, _), (name, parameter))| {
            let measured = parameter.value;
            let words = match *key {
                "cell_contrast" | "unused_error_correction" => {
                    format!("{:.0} %", measured * 100.0)
                }
                "fixed_pattern_damage" => format!("{measured:.0} modules"),
                "grid_nonuniformity" => format!("{measured:.2} module"),
                _ => format!("{measured:.2}"),
            };
            let mut title = name.to_owned();
            title[..1].make_ascii_uppercase();
            (title, words, parameter.grade)
        })
        .collect();
    Some(rows)
}

/// Lines GRBL may have acknowledged without running them (its planner and receive buffer):
/// a resume starts this far before the last acknowledged line unless the operator says otherwise.
const RESUME_MARGIN_LINES: u32 = 20;

fn resume_ui(
    ui: &mut egui::Ui,
    view: &mut EngraveView,
    state: &mut AppState,
    engraver: &EngraverHandle,
    bench: &EngraverView,
    job: &JobRecord,
) {
    let default = job.lines_acked.saturating_sub(RESUME_MARGIN_LINES).max(1);
    let line = match view.resume_at {
        Some((id, line)) if id == job.id => line,
        _ => default,
    };
    let last = job.lines_total.max(1);
    let mut line = line.clamp(1, last);
    ui.horizontal_wrapped(|ui| {
        ui.label("Resume from line");
        ui.add(egui::DragValue::new(&mut line).range(1..=last))
            .on_hover_text(format!(
                "GRBL had acknowledged line {} when the job stopped; acknowledged lines may not \
                 have run yet, so the default starts {RESUME_MARGIN_LINES} lines earlier. Units, \
                 position, laser mode, feed and power are restored first, laser off.",
                job.lines_acked
            ));
        let may = state.may(Permission::Operate) && bench.connected && bench.running.is_none();
        let button = egui::Button::new("Resume").min_size(vec2(0.0, theme::TOUCH_PX * 0.8));
        if ui.add_enabled(may, button).clicked()
            && let Some(actor) = state.actor.clone()
        {
            send(
                engraver,
                state,
                EngraverCommand::ResumeJob {
                    actor,
                    job_id: job.id,
                    from_line: line,
                },
            );
        }
    });
    view.resume_at = Some((job.id, line));
}

fn machine_pane_ui(
    ui: &mut egui::Ui,
    view: &mut EngraveView,
    state: &mut AppState,
    engraver: &EngraverHandle,
    bench: &EngraverView,
) {
    // The job shown: the one selected, else the one running, else the next queued, else the
    // newest.
    let shown = view
        .selected
        .or(bench.running.as_ref().map(|r| r.job_id))
        .or_else(|| {
            bench
                .jobs
                .iter()
                .filter(|job| job.status == JobStatus::Queued)
                .map(|job| job.id)
                .min()
        })
        .or_else(|| bench.jobs.iter().map(|job| job.id).max());
    let job = shown.and_then(|id| bench.jobs.iter().find(|job| job.id == id));
    if let Some(job) = job {
        if view.toolpath.as_ref().map(|path| path.job_id) != Some(job.id) {
            view.toolpath = JobPlan::from_stored(&job.payload, &job.settings_toml)
                .ok()
                .map(|plan| Toolpath::from_plan(job.id, &plan));
        }
        ui.label(
            RichText::new(format!("Toolpath · job {} · {}", job.id, job.payload))
                .font(theme::big()),
        );
        match &view.toolpath {
            Some(path) => {
                let head = bench.position_mm.map(|[x, y, _]| [x, y]);
                toolpath_ui(ui, path, head);
            }
            None => {
                ui.label(RichText::new("This job's settings cannot be read").color(theme::FAULT));
            }
        }
    } else {
        ui.label(RichText::new("Toolpath").font(theme::big()));
        ui.label(RichText::new("Select or queue a job to see its path.").color(theme::TEXT_DIM));
    }
    ui.add_space(theme::GAP / 2.0);
    let idle = bench.connected && bench.running.is_none() && bench.state.as_deref() == Some("Idle");
    let may = state.may(Permission::Operate);
    ui.horizontal_wrapped(|ui| {
        let size = vec2(0.0, theme::TOUCH_PX);
        if let Some(job) = job
            && ui
                .add_enabled(
                    may && idle,
                    egui::Button::new("Frame (laser off)").min_size(size),
                )
                .on_hover_text("Traces the job's box at zero power")
                .clicked()
            && let Some(actor) = state.actor.clone()
        {
            send(
                engraver,
                state,
                EngraverCommand::Frame {
                    actor,
                    job_id: job.id,
                },
            );
        }
        if ui
            .add_enabled(may && idle, egui::Button::new("Home").min_size(size))
            .clicked()
            && let Some(actor) = state.actor.clone()
        {
            send(engraver, state, EngraverCommand::Home { actor });
        }
    });
    jog_pad_ui(ui, view, state, engraver, may && idle);
    overrides_ui(ui, state, engraver, bench, may && bench.connected);
    connection_ui(ui, view, state, engraver, bench);
    egui::CollapsingHeader::new("Controller settings ($$)").show(ui, |ui| {
        egui::ScrollArea::vertical()
            .max_height(180.0)
            .show(ui, |ui| {
                for (number, value) in &bench.settings {
                    ui.label(RichText::new(format!("${number}={value}")).font(theme::mono()));
                }
            });
    });
}

fn jog_pad_ui(
    ui: &mut egui::Ui,
    view: &mut EngraveView,
    state: &mut AppState,
    engraver: &EngraverHandle,
    enabled: bool,
) {
    ui.horizontal_wrapped(|ui| {
        ui.label("Jog");
        for step in JOG_STEPS_MM {
            ui.selectable_value(&mut view.jog_step_mm, step, format!("{step} mm"));
        }
    });
    let key = vec2(theme::TOUCH_PX, theme::TOUCH_PX);
    let step = view.jog_step_mm;
    let mut jog = None;
    egui::Grid::new("jog_pad")
        .spacing(vec2(6.0, 6.0))
        .show(ui, |ui| {
            ui.label("");
            if ui
                .add_enabled(enabled, egui::Button::new("Y+").min_size(key))
                .clicked()
            {
                jog = Some((0.0, step));
            }
            ui.label("");
            ui.end_row();
            if ui
                .add_enabled(enabled, egui::Button::new("X−").min_size(key))
                .clicked()
            {
                jog = Some((-step, 0.0));
            }
            ui.label("");
            if ui
                .add_enabled(enabled, egui::Button::new("X+").min_size(key))
                .clicked()
            {
                jog = Some((step, 0.0));
            }
            ui.end_row();
            ui.label("");
            if ui
                .add_enabled(enabled, egui::Button::new("Y−").min_size(key))
                .clicked()
            {
                jog = Some((0.0, -step));
            }
            ui.label("");
            ui.end_row();
        });
    if let Some((dx_mm, dy_mm)) = jog
        && let Some(actor) = state.actor.clone()
    {
        send(
            engraver,
            state,
            EngraverCommand::Jog {
                actor,
                dx_mm,
                dy_mm,
                feed_mm_per_min: JOG_FEED_MM_PER_MIN,
            },
        );
    }
}

fn overrides_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    engraver: &EngraverHandle,
    bench: &EngraverView,
    enabled: bool,
) {
    let [feed, _, power] = bench.overrides_pct.unwrap_or([100, 100, 100]);
    let mut chosen = None;
    for (label, pct, buttons) in [
        (
            "Feed",
            feed,
            [
                ("−10", RealTime::FeedMinus10),
                ("100 %", RealTime::FeedOverrideReset),
                ("+10", RealTime::FeedPlus10),
            ],
        ),
        (
            "Power",
            power,
            [
                ("−10", RealTime::PowerMinus10),
                ("100 %", RealTime::PowerOverrideReset),
                ("+10", RealTime::PowerPlus10),
            ],
        ),
    ] {
        ui.horizontal(|ui| {
            ui.label(format!("{label} {pct} %"));
            for (text, byte) in buttons {
                if ui
                    .add_enabled(enabled, egui::Button::new(text).min_size(vec2(64.0, 44.0)))
                    .clicked()
                {
                    chosen = Some(byte);
                }
            }
        });
    }
    if let Some(byte) = chosen {
        send(engraver, state, EngraverCommand::Override(byte));
    }
}

/// Baud rates GRBL boards use.
const BAUD_RATES: [u32; 7] = [115_200, 250_000, 230_400, 57_600, 38_400, 19_200, 9_600];

/// The laser's port and baud rate: list the machine's ports, pick one, connect or disconnect.
fn connection_ui(
    ui: &mut egui::Ui,
    view: &mut EngraveView,
    state: &mut AppState,
    engraver: &EngraverHandle,
    bench: &EngraverView,
) {
    egui::CollapsingHeader::new("Connection").show(ui, |ui| {
        if view.port_choice.is_empty()
            && let Some(link) = &bench.link
        {
            view.port_choice = link.path.clone();
            view.baud_choice = link.baud;
        }
        let may = state.may(Permission::Operate) && bench.running.is_none();
        ui.horizontal_wrapped(|ui| {
            let port_label = ui.label("Port").id;
            egui::ComboBox::from_id_salt("laser_port")
                .selected_text(&view.port_choice)
                .width(200.0)
                .show_ui(ui, |ui| {
                    for port in &bench.ports {
                        ui.selectable_value(&mut view.port_choice, port.clone(), port);
                    }
                })
                .response
                .labelled_by(port_label);
            if ui
                .add_enabled(may, egui::Button::new("Find ports"))
                .clicked()
            {
                send(engraver, state, EngraverCommand::ListPorts);
            }
        });
        ui.horizontal_wrapped(|ui| {
            let baud_label = ui.label("Baud").id;
            egui::ComboBox::from_id_salt("laser_baud")
                .selected_text(view.baud_choice.to_string())
                .show_ui(ui, |ui| {
                    for baud in BAUD_RATES {
                        ui.selectable_value(&mut view.baud_choice, baud, baud.to_string());
                    }
                })
                .response
                .labelled_by(baud_label);
            let size = vec2(0.0, theme::TOUCH_PX * 0.8);
            if ui
                .add_enabled(
                    may && !view.port_choice.is_empty(),
                    egui::Button::new("Connect").min_size(size),
                )
                .clicked()
            {
                send(
                    engraver,
                    state,
                    EngraverCommand::ConnectTo {
                        path: view.port_choice.clone(),
                        baud: view.baud_choice,
                    },
                );
            }
            if ui
                .add_enabled(
                    may && bench.connected,
                    egui::Button::new("Disconnect").min_size(size),
                )
                .clicked()
            {
                send(engraver, state, EngraverCommand::Disconnect);
            }
        });
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::scan::grade::{MarkGrade, Parameter};

    #[test]
    fn a_stored_grade_reads_back_as_six_rows_in_words() {
        let p = |value, grade| Parameter { value, grade };
        let grade = MarkGrade {
            cell_contrast: p(0.62, 4),
            modulation: p(0.91, 4),
            fixed_pattern_damage: p(1.0, 3),
            axial_nonuniformity: p(0.01, 4),
            grid_nonuniformity: p(0.12, 4),
            unused_error_correction: p(0.8, 4),
            overall: 3,
            errors_corrected: 1,
            module_px: 9.5,
        };
        let rows = grade_rows(&serde_json::to_string(&grade).unwrap()).unwrap();
        assert_eq!(rows.len(), 6);
        assert_eq!(rows[0], ("Cell contrast".to_owned(), "62 %".to_owned(), 4));
        assert_eq!(
            rows[2],
            ("Fixed-pattern damage".to_owned(), "1 modules".to_owned(), 3)
        );
        assert!(grade_rows("{\"overall\":3}").is_none());
    }
}
