//! The top bar (station, user, health of every subsystem, alarms) and the notice strip. Health
//! is spelled out: a word and a number beside every colour.

use std::time::Duration;

use egui::{Align, Layout, RichText};

use super::state::{AppState, NoticeKind};
use super::theme::{self, Level};
use crate::camera::CameraState;
use crate::runtime::UsersCommand;
use crate::runtime::{CameraHandle, Command, WorkerState, WorkerStatus};

/// One subsystem's health as shown in the top bar.
pub struct HealthItem {
    pub name: &'static str,
    pub level: Level,
    pub summary: String,
}

pub fn health_items(state: &AppState, cameras: &[CameraHandle]) -> Vec<HealthItem> {
    let now = std::time::Instant::now();
    let live = cameras
        .iter()
        .filter(|camera| camera.slot.state() == CameraState::Live && !camera.slot.stalled(now))
        .count();
    let camera_level = if cameras.is_empty() || live == cameras.len() {
        Level::Ok
    } else if live == 0 {
        Level::Fault
    } else {
        Level::Warn
    };
    let mut items = vec![HealthItem {
        name: "Cameras",
        level: camera_level,
        summary: format!("{live}/{} live", cameras.len()),
    }];
    if !state.workers.is_empty() {
        let healthy = state
            .workers
            .iter()
            .filter(|worker| worker_trouble(worker).is_none())
            .count();
        let worst = state
            .workers
            .iter()
            .filter_map(|worker| worker_trouble(worker).map(|(level, _)| level))
            .max()
            .unwrap_or(Level::Ok);
        items.push(HealthItem {
            name: "Workers",
            level: worst,
            summary: format!("{healthy}/{} ok", state.workers.len()),
        });
    }
    if let Some(laser) = &state.laser {
        items.push(match (&laser.alarm, laser.connected) {
            (_, false) => HealthItem {
                name: "Laser",
                level: Level::Fault,
                summary: "offline".to_owned(),
            },
            (Some(alarm), true) => HealthItem {
                name: "Laser",
                level: Level::Fault,
                summary: alarm
                    .code
                    .map_or("alarm".to_owned(), |c| format!("ALARM:{c}")),
            },
            (None, true) => HealthItem {
                name: "Laser",
                level: Level::Ok,
                summary: laser
                    .state
                    .clone()
                    .unwrap_or_else(|| "connected".to_owned()),
            },
        });
    }
    match &state.health {
        None => items.push(HealthItem {
            name: "Database",
            level: Level::Warn,
            summary: "checking".to_owned(),
        }),
        Some(health) => {
            items.push(match &health.database {
                Ok(bytes) => HealthItem {
                    name: "Database",
                    level: Level::Ok,
                    summary: format!("{:.1} MB", *bytes as f64 / 1e6),
                },
                Err(_) => HealthItem {
                    name: "Database",
                    level: Level::Fault,
                    summary: "unreadable".to_owned(),
                },
            });
            items.push(match &health.disk_free_bytes {
                Ok(free) => HealthItem {
                    name: "Disk",
                    level: if health.disk_low() {
                        Level::Warn
                    } else {
                        Level::Ok
                    },
                    summary: if health.disk_low() {
                        format!("{} free · images paused", gigabytes(*free))
                    } else {
                        format!("{} free", gigabytes(*free))
                    },
                },
                Err(_) => HealthItem {
                    name: "Disk",
                    level: Level::Fault,
                    summary: "unreadable".to_owned(),
                },
            });
        }
    }
    items
}

/// `48 GB`, `0.8 GB`: a decimal where it matters.
fn gigabytes(bytes: u64) -> String {
    let gb = bytes as f64 / 1e9;
    if gb < 10.0 {
        format!("{gb:.1} GB")
    } else {
        format!("{gb:.0} GB")
    }
}

/// How long a worker's panic stays an alarm after it was restarted and runs again.
const PANIC_ALARM: Duration = Duration::from_secs(300);

/// What is wrong with a worker, if anything, in words an operator can act on.
fn worker_trouble(worker: &WorkerStatus) -> Option<(Level, String)> {
    let name = &worker.name;
    match &worker.state {
        WorkerState::Down { panic } => Some((
            Level::Fault,
            format!("Worker {name} failed and is stopped: {panic}. Restart the station; if it happens again, send the log to support."),
        )),
        WorkerState::Restarting { panic, retry_in } => Some((
            Level::Fault,
            format!(
                "Worker {name} failed ({panic}); restarting in {:.0} s.",
                retry_in.as_secs_f32().ceil()
            ),
        )),
        WorkerState::Running if worker.stalled => Some((
            Level::Fault,
            format!(
                "Worker {name} has not answered for {:.0} s (stalled). Restart the station if it does not recover.",
                worker.since_heartbeat.as_secs_f32()
            ),
        )),
        WorkerState::Running | WorkerState::Stopped => worker
            .last_panic
            .as_ref()
            .filter(|panic| panic.at.elapsed() < PANIC_ALARM)
            .map(|panic| {
                (
                    Level::Warn,
                    format!(
                        "Worker {name} failed {} s ago ({}) and was restarted ({} restart{} so far).",
                        panic.at.elapsed().as_secs(),
                        panic.message,
                        worker.restarts,
                        if worker.restarts == 1 { "" } else { "s" }
                    ),
                )
            }),
    }
}

/// Everything that needs someone's attention, worst first.
pub fn alarms(state: &AppState, cameras: &[CameraHandle]) -> Vec<(Level, String)> {
    let mut alarms = Vec::new();
    for camera in cameras {
        match camera.slot.state() {
            CameraState::Reconnecting { error, retry_in } => alarms.push((
                Level::Fault,
                format!(
                    "Camera {}: no signal ({error}). Retrying in {:.0} s; check its cable.",
                    camera.name,
                    retry_in.as_secs_f32().ceil()
                ),
            )),
            CameraState::Stopped => {
                alarms.push((Level::Warn, format!("Camera {} is stopped.", camera.name)))
            }
            CameraState::Live if camera.slot.stalled(std::time::Instant::now()) => {
                let since = match camera.slot.frame_age(std::time::Instant::now()) {
                    Some(age) => format!("no new frame for {:.1} s", age.as_secs_f32()),
                    None => "no frame since it opened".to_owned(),
                };
                alarms.push((
                    Level::Fault,
                    format!(
                        "Camera {} is stalled: {since}. Check the camera and its cable; restart the station if it does not recover.",
                        camera.name
                    ),
                ));
            }
            CameraState::Starting | CameraState::Live => {}
        }
    }
    alarms.extend(state.workers.iter().filter_map(worker_trouble));
    if let Some(laser) = &state.laser {
        let path = laser.link.as_ref().map_or("", |link| link.path.as_str());
        if !laser.connected {
            alarms.push((
                Level::Fault,
                format!(
                    "Laser not connected on {path}: {}. Check its cable and power; the station \
                     tries again every few seconds, and a job cut short waits for a retry.",
                    laser.link_error.as_deref().unwrap_or("connecting")
                ),
            ));
        } else if let Some(alarm) = &laser.alarm {
            let code = alarm
                .code
                .map_or("ALARM".to_owned(), |c| format!("ALARM:{c}"));
            alarms.push((
                Level::Fault,
                format!("Laser in {code}: {}. {}", alarm.words, alarm.recovery),
            ));
        }
    }
    if let Some(health) = &state.health {
        if let Err(reason) = &health.database {
            alarms.push((
                Level::Fault,
                format!("Database unreadable: {reason}. Records cannot be saved."),
            ));
        }
        match &health.disk_free_bytes {
            Ok(free) if health.disk_low() => alarms.push((
                Level::Warn,
                format!(
                    "Disk almost full: {} free. Images are not being saved; inspections, scans \
                     and verifications still are. Free space on the disk (or move old images \
                     away) and saving resumes by itself.",
                    gigabytes(*free)
                ),
            )),
            Ok(_) => {}
            Err(reason) => alarms.push((Level::Fault, format!("Disk: {reason}."))),
        }
    }
    if let Some(broken) = state
        .audit_report
        .as_ref()
        .and_then(|report| report.first_break.as_ref())
    {
        alarms.push((
            Level::Fault,
            format!(
                "Audit trail broken at row {}: {}. Tell quality management.",
                broken.row_id, broken.reason
            ),
        ));
    }
    alarms.sort_by_key(|alarm| std::cmp::Reverse(alarm.0));
    alarms
}

fn chip_ui(ui: &mut egui::Ui, label: &str, level: Level, summary: &str) {
    egui::Frame::new()
        .fill(theme::PANEL_RAISED)
        .corner_radius(6.0)
        .inner_margin(egui::Margin::symmetric(8, 6))
        .show(ui, |ui| {
            ui.spacing_mut().item_spacing.x = 6.0;
            ui.label(
                RichText::new(label)
                    .font(theme::small())
                    .color(theme::TEXT_DIM),
            );
            // A healthy chip says only its figure, in green; trouble says its level in words
            // (the top bar must fit a 1366-pixel kiosk with every device on it).
            if level == Level::Ok {
                ui.label(
                    RichText::new(summary)
                        .font(theme::small())
                        .color(level.colour()),
                );
            } else {
                ui.label(
                    RichText::new(level.word())
                        .font(theme::small())
                        .color(level.colour())
                        .strong(),
                );
                ui.label(
                    RichText::new(summary)
                        .font(theme::small())
                        .color(theme::TEXT),
                );
            }
        });
}

/// Always visible in demo mode, so nobody mistakes simulated results for production records.
fn demo_chip_ui(ui: &mut egui::Ui) {
    egui::Frame::new()
        .fill(theme::WARN)
        .corner_radius(6.0)
        .inner_margin(egui::Margin::symmetric(10, 6))
        .show(ui, |ui| {
            ui.label(
                RichText::new("DEMO")
                    .font(theme::small())
                    .color(theme::ACCENT_TEXT)
                    .strong(),
            )
            .on_hover_text("Demo mode: simulated cameras and a demo database.");
        });
}

pub fn top_bar_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    cameras: &[CameraHandle],
    alarms: &[(Level, String)],
    show_alarms: &mut bool,
    outbox: &mut Vec<Command>,
) {
    ui.horizontal_centered(|ui| {
        ui.label(
            RichText::new(&state.station_name)
                .font(theme::big())
                .color(theme::ACCENT)
                .strong(),
        );
        if state.demo {
            demo_chip_ui(ui);
        }
        for item in health_items(state, cameras) {
            ui.horizontal(|ui| chip_ui(ui, item.name, item.level, &item.summary));
        }
        if !alarms.is_empty() {
            let worst = alarms[0].0;
            let text = RichText::new(format!(
                "{} ALARM{}",
                alarms.len(),
                if alarms.len() == 1 { "" } else { "S" }
            ))
            .color(theme::ACCENT_TEXT)
            .strong();
            let button = egui::Button::new(text)
                .fill(worst.colour())
                .min_size(egui::vec2(0.0, theme::TOUCH_PX * 0.8));
            if ui.add(button).clicked() {
                *show_alarms = !*show_alarms;
            }
        }
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            match &state.actor {
                Some(actor) => {
                    let button = egui::Button::new("Sign out")
                        .min_size(egui::vec2(0.0, theme::TOUCH_PX * 0.8));
                    if ui.add(button).clicked() {
                        outbox.push(Command::Users(UsersCommand::SignOut));
                    }
                    ui.label(RichText::new(format!("{} · {}", actor.name, actor.role)).strong());
                }
                None => {
                    ui.label(RichText::new("Not signed in").color(theme::TEXT_DIM));
                }
            }
        });
    });
}

pub fn alarm_list_ui(ui: &mut egui::Ui, alarms: &[(Level, String)]) {
    for (level, text) in alarms {
        // Wrapped: an alarm says what to do, and that must not run off the window's edge.
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(level.word()).color(level.colour()).strong());
            ui.label(text);
        });
    }
}

pub fn notices_ui(ui: &mut egui::Ui, state: &AppState) {
    for notice in state.notices.iter().rev().take(3) {
        let (word, colour) = match notice.kind {
            NoticeKind::Info => ("Done", theme::OK),
            NoticeKind::Refused => ("Not allowed", theme::WARN),
            NoticeKind::Error => ("Error", theme::FAULT),
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(word).color(colour).strong());
            ui.label(&notice.text);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::{BYTES_PER_MB, DEFAULT_MIN_FREE_MB, HealthReport};

    fn state_with(disk_free_bytes: Result<u64, String>, database: Result<u64, String>) -> AppState {
        let mut state = AppState::new("test");
        // The guard's default minimum, as the health worker would have judged it.
        let min_free = DEFAULT_MIN_FREE_MB * BYTES_PER_MB;
        let images_paused = matches!(disk_free_bytes, Ok(free) if free < min_free);
        state.health = Some(HealthReport {
            disk_free_bytes,
            database,
            images_paused,
        });
        state
    }

    #[test]
    fn healthy_station_has_no_alarms() {
        let state = state_with(Ok(50_000_000_000), Ok(1_000_000));
        assert!(alarms(&state, &[]).is_empty());
        assert!(
            health_items(&state, &[])
                .iter()
                .all(|item| item.level == Level::Ok)
        );
    }

    #[test]
    fn low_and_unreadable_disks_are_different_alarms() {
        let low = alarms(&state_with(Ok(500_000_000), Ok(1)), &[]);
        assert_eq!(low.len(), 1);
        assert_eq!(low[0].0, Level::Warn);
        assert!(low[0].1.contains("0.5 GB free"), "{}", low[0].1);
        assert!(low[0].1.contains("not being saved"), "{}", low[0].1);

        let unreadable = alarms(&state_with(Err("no such device".into()), Ok(1)), &[]);
        assert_eq!(unreadable[0].0, Level::Fault);
        assert!(
            !unreadable[0].1.contains("almost full"),
            "{}",
            unreadable[0].1
        );
    }

    #[test]
    fn a_panicked_worker_is_an_alarm_in_words() {
        let mut state = state_with(Ok(50_000_000_000), Ok(1));
        state.workers = vec![WorkerStatus {
            name: "vision-0".into(),
            phase: crate::runtime::Phase::Processing,
            state: WorkerState::Restarting {
                panic: "index out of bounds".into(),
                retry_in: Duration::from_secs(2),
            },
            restarts: 1,
            since_heartbeat: Duration::ZERO,
            stalled: false,
            last_panic: None,
        }];
        let list = alarms(&state, &[]);
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].0, Level::Fault);
        assert!(list[0].1.contains("vision-0 failed (index out of bounds)"));
        let workers = health_items(&state, &[]);
        assert!(
            workers
                .iter()
                .any(|item| item.name == "Workers" && item.summary == "0/1 ok")
        );
    }

    #[test]
    fn the_disk_chip_says_when_images_are_paused() {
        let chip = |state: &AppState| {
            health_items(state, &[])
                .into_iter()
                .find(|item| item.name == "Disk")
                .unwrap()
        };
        let low = chip(&state_with(Ok(800_000_000), Ok(1)));
        assert_eq!(low.level, Level::Warn);
        assert_eq!(low.summary, "0.8 GB free · images paused");
        let fine = chip(&state_with(Ok(48_300_000_000), Ok(1)));
        assert_eq!(fine.level, Level::Ok);
        assert_eq!(fine.summary, "48 GB free");
    }

    #[test]
    fn faults_come_before_warnings() {
        let both = alarms(&state_with(Ok(1), Err("locked".into())), &[]);
        assert_eq!(both.len(), 2);
        assert_eq!(both[0].0, Level::Fault);
        assert!(both[0].1.starts_with("Database unreadable"));
    }
}
