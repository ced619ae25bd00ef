//! Image snapshots of the station's screens, rendered with wgpu (lavapipe in CI) from a fixed
//! state so that they are the same on every run: the sign-in screen with its keypad and live
//! grid, the admin user table, the audit trail after a verify, and the inventory with its
//! counts, low-stock banner and items. `UPDATE_SNAPSHOTS=1` rewrites
//! them; look at the PNGs in `tests/snapshots/` before committing.

use std::sync::Arc;
use std::time::Instant;

use egui::Panel;
use egui_kittest::kittest::Queryable as _;
use egui_kittest::{Harness, SnapshotOptions};

use super::admin::{AdminView, admin_ui};
use super::frame_textures::FrameTextures;
use super::inspect::{InspectView, grid_ui};
use super::signin::{SignInForm, sign_in_screen_ui};
use super::state::AppState;
use super::theme::{self, Level};
use super::top_bar::{alarms, top_bar_ui};
use crate::camera::{DemoScene, Frame, FrameSize, LatestFrame, SourceSpec, SyntheticScene};
use crate::domain::{Actor, Role, SecretKind};
use crate::runtime::{CameraHandle, HealthReport, SignInEntry};
use crate::store::{AuditEntry, AuditRow, ChainBreak, ChainReport, UserRecord};

const SIZE: egui::Vec2 = egui::vec2(1280.0, 720.0);

fn state(actor: Option<Actor>) -> AppState {
    let mut state = AppState::new("Line 4 porosity");
    state.actor = actor;
    state.health = Some(HealthReport {
        disk_free_bytes: Ok(48_300_000_000),
        database: Ok(1_250_000),
        images_paused: false,
    });
    state.sign_in_list = [
        ("ada", Role::Admin, false, false),
        ("erik", Role::Engineer, false, false),
        ("olga", Role::Operator, true, false),
        ("pete", Role::Operator, true, true),
        ("vic", Role::Viewer, true, false),
    ]
    .into_iter()
    .map(|(name, role, uses_pin, locked)| SignInEntry {
        name: name.into(),
        role,
        uses_pin,
        locked,
    })
    .collect();
    state
}

const FRAME_SIZE: FrameSize = FrameSize::new(640, 360);

/// Two live cameras, not yet holding a frame.
fn cameras() -> Vec<CameraHandle> {
    [DemoScene::Porosity, DemoScene::Qr]
        .into_iter()
        .map(|scene| {
            let slot = Arc::new(LatestFrame::new(scene.as_str()));
            slot.set_state(crate::camera::CameraState::Live);
            CameraHandle {
                name: format!("Bay {}", scene.as_str()),
                spec: SourceSpec::demo(scene).with_size(FRAME_SIZE),
                slot,
                ring: Arc::new(crate::camera::FrameRing::new(2)),
            }
        })
        .collect()
}

/// Publishes one deterministic synthetic frame per camera and takes it at once.
fn show_one_frame(ctx: &egui::Context, cameras: &[CameraHandle], textures: &mut FrameTextures) {
    show_frames_except(ctx, cameras, textures, None);
}

/// `show_one_frame`, leaving camera `silent` without a frame.
fn show_frames_except(
    ctx: &egui::Context,
    cameras: &[CameraHandle],
    textures: &mut FrameTextures,
    silent: Option<usize>,
) {
    let images: Vec<_> = cameras
        .iter()
        .map(|camera| {
            let scene = match camera.spec.kind {
                crate::camera::SourceKind::Demo(scene) => scene,
                _ => DemoScene::Porosity,
            };
            SyntheticScene::new(scene, FRAME_SIZE, 4)
                .unwrap()
                .render(0.0)
                .unwrap()
        })
        .collect();
    // A capture instant a little in the future reads as 0 ms latency however long the uploads
    // before it take, so the image does not depend on the machine's speed.
    let captured_at = Instant::now() + std::time::Duration::from_secs(5);
    for (index, (camera, image)) in cameras.iter().zip(images).enumerate() {
        if Some(index) == silent {
            continue;
        }
        camera.slot.publish(Frame {
            seq: 1,
            captured_at,
            captured_utc: chrono::DateTime::UNIX_EPOCH,
            image: image.into(),
            display: None,
        });
    }
    textures.refresh(ctx, cameras, |_| true);
}

fn harness<'a>(mut app: impl FnMut(&mut egui::Ui) + 'a) -> Harness<'a> {
    Harness::builder()
        .with_size(SIZE)
        .with_context_setup(|ctx| theme::apply(ctx, 1.0))
        .wgpu()
        .build_ui(move |ui| {
            // The station's window is cleared to the panel colour; kittest clears to
            // transparent, so paint it here.
            let screen = ui.ctx().content_rect();
            ui.ctx()
                .layer_painter(egui::LayerId::background())
                .rect_filled(screen, 0.0, theme::PANEL);
            app(ui);
        })
}

fn top_bar(ui: &mut egui::Ui, state: &AppState, cameras: &[CameraHandle]) {
    let alarms = alarms(state, cameras);
    Panel::top("top")
        .exact_size(theme::TOP_BAR_HEIGHT)
        .frame(theme::top_bar_frame())
        .show(ui, |ui| {
            top_bar_ui(ui, state, cameras, &alarms, &mut false, &mut Vec::new())
        });
}

fn snapshot(harness: &mut Harness<'_>, name: &str) {
    harness.run_steps(4);
    harness.snapshot_options(name, &SnapshotOptions::default());
}

#[test]
fn a_stalled_camera_says_so_on_its_tile_and_in_the_alarms() {
    let state = state(Some(Actor {
        user_id: Some(3),
        name: "olga".into(),
        role: Role::Operator,
    }));
    let cameras = cameras();
    let mut textures = FrameTextures::new(None, cameras.len());
    let mut view = InspectView::default();
    let mut first = true;
    // Camera 1 delivers; camera 0 opened and then never sent a frame (a hung driver).
    cameras[0]
        .slot
        .set_stall_budget(std::time::Duration::from_millis(1));
    std::thread::sleep(std::time::Duration::from_millis(5));
    let alarm_list = alarms(&state, &cameras);
    assert!(
        alarm_list
            .iter()
            .any(|(level, text)| *level == Level::Fault && text.contains("Bay porosity is stalled")),
        "{alarm_list:?}"
    );
    let mut harness = harness(|ui| {
        if first {
            show_frames_except(ui.ctx(), &cameras, &mut textures, Some(0));
            first = false;
        }
        top_bar(ui, &state, &cameras);
        egui::CentralPanel::default().show(ui, |ui| {
            grid_ui(ui, &mut view, &textures, &cameras, false, None);
        });
    });
    snapshot(&mut harness, "stalled_camera");
}

#[test]
fn sign_in_screen_with_keypad_and_live_grid() {
    let mut state = state(None);
    state.demo = true;
    let cameras = cameras();
    let mut textures = FrameTextures::new(None, cameras.len());
    let mut form = SignInForm::default();
    let mut view = InspectView::default();
    let mut first = true;
    let mut harness = harness(|ui| {
        if first {
            show_one_frame(ui.ctx(), &cameras, &mut textures);
            first = false;
        }
        top_bar(ui, &state, &cameras);
        egui::CentralPanel::default().show(ui, |ui| {
            sign_in_screen_ui(ui, &mut form, &state, &mut Vec::new(), |ui| {
                grid_ui(ui, &mut view, &textures, &cameras, false, None);
            });
        });
    });
    harness.run_steps(2);
    harness.get_by_label_contains("olga\n").click();
    harness.run_steps(2);
    harness.get_by_label("1").click();
    harness.run_steps(1);
    harness.get_by_label("2").click();
    snapshot(&mut harness, "sign_in");
}

#[test]
fn admin_user_table() {
    let admin = Actor {
        user_id: Some(1),
        name: "ada".into(),
        role: Role::Admin,
    };
    let mut state = state(Some(admin));
    state.users = state
        .sign_in_list
        .iter()
        .enumerate()
        .map(|(index, entry)| UserRecord {
            id: index as i64 + 1,
            name: entry.name.clone(),
            role: entry.role,
            secret_kind: if entry.uses_pin {
                SecretKind::Pin
            } else {
                SecretKind::Password
            },
            disabled: entry.name == "vic",
            failed_attempts: 0,
            locked_until_utc: entry.locked.then(|| "2999-01-01T00:00:00.000Z".to_owned()),
            last_sign_in_utc: None,
            created_at_utc: "2026-11-01T08:00:00.000Z".into(),
        })
        .collect();
    let mut view = AdminView::default();
    let mut harness = harness(|ui| {
        top_bar(ui, &state, &[]);
        egui::CentralPanel::default().show(ui, |ui| {
            admin_ui(ui, &mut view, &state, None, &mut Vec::new());
        });
    });
    snapshot(&mut harness, "admin_users");
    // The edit form of a selected user (every field named, or the harness fails).
    harness.get_by_label("pete").click();
    snapshot(&mut harness, "admin_edit_user");
}

#[test]
fn audit_trail_with_a_broken_chain() {
    let engineer = Actor {
        user_id: Some(2),
        name: "erik".into(),
        role: Role::Engineer,
    };
    let mut state = state(Some(engineer));
    state.audit_rows = (1..=12)
        .rev()
        .map(|id| {
            let (user, action, reason) = match id % 4 {
                0 => ("olga", "sign_in.failed", Some("wrong secret, failure 1")),
                1 => ("ada", "user.role", Some("promoted to line lead")),
                2 => ("erik", "sign_in", None),
                _ => ("olga", "denied", Some("role operator lacks 'manage users'")),
            };
            AuditRow {
                id,
                at_utc: format!("2026-11-22T08:{id:02}:00.000Z"),
                entry: AuditEntry {
                    user_name: user.into(),
                    action: action.into(),
                    entity: "user".into(),
                    entity_id: "olga".into(),
                    old_value: (id % 4 == 1).then(|| "operator".to_owned()),
                    new_value: (id % 4 == 1).then(|| "engineer".to_owned()),
                    reason: reason.map(str::to_owned),
                },
                prev_hash: String::new(),
                hash: String::new(),
            }
        })
        .collect();
    state.audit_report = Some(ChainReport {
        rows_checked: 7,
        first_break: Some(ChainBreak {
            row_id: 7,
            reason: "its contents do not match its hash (the row was altered)".into(),
        }),
        head: None,
        sealed: true,
    });
    let mut view = AdminView::default();
    let mut harness = harness(|ui| {
        top_bar(ui, &state, &[]);
        egui::CentralPanel::default().show(ui, |ui| {
            admin_ui(ui, &mut view, &state, None, &mut Vec::new());
        });
    });
    harness.run_steps(2);
    harness
        .get_all_by_label("user.role")
        .next()
        .unwrap()
        .click();
    snapshot(&mut harness, "audit_trail");
}

#[test]
fn inventory_with_counts_low_stock_and_items() {
    use super::inventory::{InventoryView, inventory_ui};
    use crate::domain::ItemStatus;
    use crate::runtime::{InventoryEvent, InventoryPage};
    use crate::store::{BatchRecord, ItemFilter, ItemRecord, LowStockAlert, StatusCounts};

    let state = state(Some(Actor {
        user_id: Some(3),
        name: "olga".into(),
        role: Role::Operator,
    }));
    let statuses = [
        ItemStatus::InStock,
        ItemStatus::InStock,
        ItemStatus::InStock,
        ItemStatus::Verified,
        ItemStatus::Engraved,
        ItemStatus::EngraveFailed,
        ItemStatus::Scrapped,
        ItemStatus::Allocated,
        ItemStatus::Allocated,
        ItemStatus::Allocated,
    ];
    let items: Vec<ItemRecord> = statuses
        .iter()
        .enumerate()
        .map(|(index, status)| {
            let seq = index as u32 + 1;
            let engraved = !matches!(status, ItemStatus::Allocated | ItemStatus::Scrapped);
            ItemRecord {
                id: i64::from(seq),
                uid: format!("PAD-V0100-L2025-09-{seq:05}"),
                component: "PAD".into(),
                vendor: "V0100".into(),
                lot: "L2025-09".into(),
                seq,
                batch_id: 1,
                manufactured_on: "2025-09-01".into(),
                warranty_years: 2,
                status: *status,
                created_at_utc: "2026-11-22T08:00:00.000Z".into(),
                updated_at_utc: format!("2026-11-22T09:{:02}:00.000Z", seq * 3),
                created_by: "olga".into(),
                engrave_job_id: engraved.then_some(i64::from(seq) + 40),
                verification: None,
            }
        })
        .collect();
    let counts: StatusCounts = items.iter().map(|item| (item.status, 1)).collect();
    let page = InventoryPage {
        filter: ItemFilter::default(),
        items,
        counts,
        low_stock: vec![
            LowStockAlert {
                component: "BRKT".into(),
                in_stock: 0,
                min_in_stock: 5,
                verified: 0,
            },
            LowStockAlert {
                component: "PAD".into(),
                in_stock: 3,
                min_in_stock: 10,
                verified: 1,
            },
        ],
        batches: vec![BatchRecord {
            id: 1,
            component: "PAD".into(),
            vendor: "V0100".into(),
            lot: "L2025-09".into(),
            first_seq: 1,
            count: 10,
            manufactured_on: "2025-09-01".into(),
            warranty_years: 2,
            created_by: "olga".into(),
            created_at_utc: "2026-11-22T08:00:00.000Z".into(),
        }],
    };
    let mut view = InventoryView::default();
    view.apply(InventoryEvent::Listed(page));
    let mut harness = harness(|ui| {
        top_bar(ui, &state, &[]);
        egui::CentralPanel::default().show(ui, |ui| {
            let _ = inventory_ui(ui, &mut view);
        });
    });
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label("PAD: 3 in stock, minimum 10 (1 verified on the way)")
            .is_some()
    );
    assert!(
        harness
            .query_by_label("BRKT: 0 in stock, minimum 5")
            .is_some()
    );
    assert!(harness.query_by_label("PAD-V0100-L2025-09-00001").is_some());
    snapshot(&mut harness, "inventory");
}
