//! The GUI driven through egui_kittest on the real runtime and a real database: sign-in with the
//! keypad, lockout, navigation by role, user administration and the audit trail.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use qcstation::app::{Panel, StationApp, UiOptions};
use qcstation::camera::SourceSpec;
use qcstation::domain::Role;
use qcstation::runtime::{LaserPlan, Runtime, RuntimeOptions, SessionPolicy};
use qcstation::store::LockoutPolicy;

fn start(dir: &std::path::Path) -> Harness<'static, StationApp> {
    let mut harness = start_with(dir, true, Vec::new());
    settle(&mut harness, |app| !app.state().sign_in_list.is_empty());
    harness
}

fn start_with(
    dir: &std::path::Path,
    demo: bool,
    cameras: Vec<(String, SourceSpec)>,
) -> Harness<'static, StationApp> {
    start_with_laser(dir, demo, cameras, None)
}

fn start_with_laser(
    dir: &std::path::Path,
    demo: bool,
    cameras: Vec<(String, SourceSpec)>,
    laser: Option<LaserPlan>,
) -> Harness<'static, StationApp> {
    start_station(dir, demo, cameras, laser, None, None)
}

fn start_station(
    dir: &std::path::Path,
    demo: bool,
    cameras: Vec<(String, SourceSpec)>,
    laser: Option<LaserPlan>,
    inspection: Option<qcstation::runtime::InspectionPlan>,
    scanning: Option<qcstation::runtime::ScanPlan>,
) -> Harness<'static, StationApp> {
    let runtime = Runtime::start(RuntimeOptions {
        database: dir.join("station.sqlite"),
        data_dir: dir.to_owned(),
        demo,
        session: SessionPolicy {
            lockout: LockoutPolicy {
                max_failed_attempts: 3,
                lockout_secs: 120,
            },
            idle_signout: None,
        },
        cameras: Some(cameras),
        laser,
        inspection,
        scanning,
        // Every station has the QC desk, as `app::run` starts it.
        crosscheck: Some(qcstation::runtime::CrosscheckPlan {
            patterns: qcstation::domain::crosscheck::CompiledPatterns::default(),
            limits: qcstation::docs::Limits::default(),
            demo_packs: false,
        }),
        min_free_bytes: 0,
    })
    .unwrap();
    let options = UiOptions {
        ui_scale: 1.0,
        fullscreen: false,
        close_on_signals: false,
        demo,
    };
    Harness::builder()
        .with_size(egui::vec2(1366.0, 820.0))
        .build_eframe(move |cc| StationApp::new(cc, runtime, options))
}

/// Steps the UI until `done` holds: the runtime answers on its own threads.
#[track_caller]
fn settle(harness: &mut Harness<'static, StationApp>, done: impl Fn(&StationApp) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    harness.run_steps(2);
    while !done(harness.state()) {
        assert!(
            Instant::now() < deadline,
            "the UI did not reach the expected state"
        );
        std::thread::sleep(Duration::from_millis(15));
        harness.run_steps(1);
    }
    harness.run_steps(2);
}

fn enter_pin(harness: &mut Harness<'static, StationApp>, user: &str, pin: &str) {
    harness.get_by_label_contains(&format!("{user}\n")).click();
    harness.run_steps(2);
    for digit in pin.chars() {
        harness.get_by_label(&digit.to_string()).click();
        harness.run_steps(1);
    }
    harness.get_by_label("Sign in").click();
    harness.run_steps(1);
}

fn sign_in_with_password(harness: &mut Harness<'static, StationApp>, user: &str, password: &str) {
    harness.get_by_label_contains(&format!("{user}\n")).click();
    harness.run_steps(2);
    harness
        .get_by_role(egui::accesskit::Role::PasswordInput)
        .type_text(password);
    harness.run_steps(1);
    harness.get_by_label("Sign in").click();
    let user = user.to_owned();
    settle(harness, move |app| {
        app.state()
            .actor
            .as_ref()
            .is_some_and(|actor| actor.name == user)
    });
}

/// Taps the `index`th field with `role` and types into it, a frame for each, as a person would.
fn type_into(
    harness: &mut Harness<'static, StationApp>,
    role: egui::accesskit::Role,
    index: usize,
    text: &str,
) {
    harness.get_all_by_role(role).nth(index).unwrap().click();
    harness.run_steps(1);
    harness
        .get_all_by_role(role)
        .nth(index)
        .unwrap()
        .type_text(text);
    harness.run_steps(1);
}

#[test]
fn operator_signs_in_with_the_keypad_and_sees_only_inspect() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = start(dir.path());
    enter_pin(&mut harness, "olga", "1234");
    settle(&mut harness, |app| app.state().actor.is_some());
    let actor = harness.state().state().actor.clone().unwrap();
    assert_eq!((actor.name.as_str(), actor.role), ("olga", Role::Operator));
    assert!(harness.query_by_label("Inspect").is_some());
    assert!(
        harness.query_by_label("Admin").is_none(),
        "operators have no Admin panel"
    );
    assert!(harness.query_by_label_contains("olga · operator").is_some());

    harness.get_by_label("Sign out").click();
    settle(&mut harness, |app| app.state().actor.is_none());
    assert!(harness.query_by_label("Sign in to Demo station").is_some());
}

#[test]
fn wrong_pins_show_attempts_left_then_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = start(dir.path());
    enter_pin(&mut harness, "olga", "1111");
    settle(&mut harness, |app| app.state().sign_in_error.is_some());
    assert!(harness.query_by_label_contains("2 attempts left").is_some());
    for _ in 0..2 {
        harness.get_by_label("Clear").click();
        for digit in "1111".chars() {
            harness.get_by_label(&digit.to_string()).click();
        }
        harness.get_by_label("Sign in").click();
        harness.run_steps(1);
        std::thread::sleep(Duration::from_millis(300));
        settle(&mut harness, |_| true);
    }
    settle(&mut harness, |app| {
        app.state()
            .sign_in_error
            .as_deref()
            .is_some_and(|text| text.contains("locked"))
    });
    // The lock holds against the right PIN too.
    for digit in "1234".chars() {
        harness.get_by_label(&digit.to_string()).click();
    }
    harness.get_by_label("Sign in").click();
    std::thread::sleep(Duration::from_millis(300));
    settle(&mut harness, |_| true);
    assert!(harness.state().state().actor.is_none());
    // The tile now says the account is locked.
    settle(&mut harness, |app| {
        app.state()
            .sign_in_list
            .iter()
            .any(|e| e.name == "olga" && e.locked)
    });
    assert!(
        harness
            .query_by_label_contains("olga\noperator · locked")
            .is_some()
    );
}

#[test]
fn admin_adds_a_user_who_can_then_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = start(dir.path());
    sign_in_with_password(&mut harness, "ada", "Demo-admin-2026");
    harness.get_by_label("Admin").click();
    settle(&mut harness, |app| {
        app.panel() == Panel::Admin && app.state().users.len() == 4
    });
    assert!(
        harness.query_by_label("olga").is_some(),
        "the user table lists olga"
    );

    type_into(&mut harness, egui::accesskit::Role::TextInput, 0, "pete");
    type_into(
        &mut harness,
        egui::accesskit::Role::PasswordInput,
        0,
        "5678",
    );
    type_into(
        &mut harness,
        egui::accesskit::Role::PasswordInput,
        1,
        "5678",
    );
    harness.get_by_label("Add user").click();
    settle(&mut harness, |app| {
        app.state().users.iter().any(|u| u.name == "pete")
    });
    assert!(
        harness
            .query_by_label_contains("Added pete as operator")
            .is_some()
    );

    harness.get_by_label("Sign out").click();
    settle(&mut harness, |app| {
        app.state().actor.is_none() && app.state().sign_in_list.iter().any(|e| e.name == "pete")
    });
    enter_pin(&mut harness, "pete", "5678");
    settle(&mut harness, |app| app.state().actor.is_some());
    assert_eq!(harness.state().state().actor.as_ref().unwrap().name, "pete");
}

#[test]
fn engineer_browses_and_verifies_the_audit_trail_but_not_users() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = start(dir.path());
    sign_in_with_password(&mut harness, "erik", "Demo-engineer-2026");
    harness.get_by_label("Admin").click();
    settle(&mut harness, |app| !app.state().audit_rows.is_empty());
    assert!(
        harness.query_by_label("Users").is_none(),
        "engineers do not manage users"
    );
    assert!(harness.query_by_label("Audit trail").is_some());
    assert!(
        harness.query_by_label("sign_in").is_some(),
        "erik's own sign-in is listed"
    );

    harness.get_by_label("Verify chain").click();
    settle(&mut harness, |app| app.state().audit_report.is_some());
    assert!(harness.query_by_label_contains("Chain intact").is_some());

    // Tapping a row shows the whole entry, long values unclipped.
    // Newest first: the last user.add row is ada's, the first admin.
    harness.get_all_by_label("user.add").last().unwrap().click();
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label_contains("Reason: first admin of a new station")
            .is_some()
    );
    assert!(
        harness
            .query_by_label_contains("New value: role=admin, secret=password")
            .is_some()
    );
}

#[test]
fn a_new_production_station_asks_for_its_first_admin() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = start_with(dir.path(), false, Vec::new());
    settle(&mut harness, |app| app.state().needs_first_admin);
    assert!(
        harness
            .query_by_label("Welcome: create the first administrator")
            .is_some()
    );
    type_into(&mut harness, egui::accesskit::Role::TextInput, 0, "Quinn");
    type_into(
        &mut harness,
        egui::accesskit::Role::PasswordInput,
        0,
        "weak",
    );
    type_into(
        &mut harness,
        egui::accesskit::Role::PasswordInput,
        1,
        "weak",
    );
    harness.get_by_label("Create admin and sign in").click();
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label_contains("password is too weak")
            .is_some()
    );
    assert!(harness.state().state().actor.is_none());

    for index in 0..2 {
        harness
            .get_all_by_role(egui::accesskit::Role::PasswordInput)
            .nth(index)
            .unwrap()
            .click();
        harness.run_steps(1);
        harness.key_press(egui::Key::Backspace);
        harness.key_press(egui::Key::Backspace);
        harness.key_press(egui::Key::Backspace);
        harness.key_press(egui::Key::Backspace);
        harness.run_steps(1);
        harness
            .get_all_by_role(egui::accesskit::Role::PasswordInput)
            .nth(index)
            .unwrap()
            .type_text("Quality-first-7");
        harness.run_steps(1);
    }
    harness.get_by_label("Create admin and sign in").click();
    settle(&mut harness, |app| app.state().actor.is_some());
    let actor = harness.state().state().actor.clone().unwrap();
    assert_eq!((actor.name.as_str(), actor.role), ("quinn", Role::Admin));
    assert!(harness.query_by_label("Admin").is_some());
}

#[test]
fn viewer_opens_a_camera_zooms_and_returns_to_the_grid() {
    let dir = tempfile::tempdir().unwrap();
    let spec: SourceSpec = "demo:qr?size=320x180&fps=30".parse().unwrap();
    let mut harness = start_with(dir.path(), true, vec![("Bay 1".into(), spec)]);
    settle(&mut harness, |app| !app.state().sign_in_list.is_empty());
    enter_pin(&mut harness, "vic", "0000");
    settle(&mut harness, |app| {
        app.state().actor.is_some() && app.runtime().cameras()[0].slot.counters().shown > 2
    });
    harness.get_by_label("Camera Bay 1").click();
    harness.run_steps(2);
    assert!(harness.query_by_label("Camera Bay 1 expanded").is_some());
    assert!(harness.query_by_label("100 %").is_some());
    harness.get_by_label("+").click();
    harness.run_steps(2);
    assert!(harness.query_by_label("150 %").is_some());
    harness.get_by_label("Fit").click();
    harness.run_steps(2);
    assert!(harness.query_by_label("100 %").is_some());
    harness.get_by_label("Back to all cameras").click();
    harness.run_steps(2);
    assert!(harness.query_by_label("Camera Bay 1 expanded").is_none());
    assert!(harness.query_by_label("Camera Bay 1").is_some());
    // Frames keep arriving and being shown while the grid is up.
    let shown = harness.state().runtime().cameras()[0].slot.counters().shown;
    settle(&mut harness, move |app| {
        app.runtime().cameras()[0].slot.counters().shown > shown + 2
    });
}

#[test]
fn admin_changes_a_role_and_disables_a_user_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = start(dir.path());
    sign_in_with_password(&mut harness, "ada", "Demo-admin-2026");
    harness.get_by_label("Admin").click();
    settle(&mut harness, |app| app.state().users.len() == 4);
    harness.get_by_label("vic").click();
    harness.run_steps(2);
    assert!(
        harness.query_by_label("Edit vic").is_some(),
        "tapping a row opens it"
    );
    type_into(
        &mut harness,
        egui::accesskit::Role::TextInput,
        0,
        "moved to line 2",
    );
    harness.get_by_role(egui::accesskit::Role::ComboBox).click();
    harness.run_steps(2);
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "operator")
        .click();
    harness.run_steps(1);
    harness.get_by_label("Change role").click();
    settle(&mut harness, |app| {
        app.state()
            .users
            .iter()
            .any(|u| u.name == "vic" && u.role == Role::Operator)
    });
    harness.get_by_label("Disable account").click();
    settle(&mut harness, |app| {
        app.state()
            .users
            .iter()
            .any(|u| u.name == "vic" && u.disabled)
    });
    assert!(harness.query_by_label("Enable account").is_some());
    // The reason is on record, and disabled users leave the sign-in screen.
    harness.get_by_label("Audit trail").click();
    settle(&mut harness, |app| {
        app.state()
            .audit_rows
            .iter()
            .any(|row| row.entry.action == "user.disable")
    });
    let rows = &harness.state().state().audit_rows;
    let role_change = rows
        .iter()
        .find(|row| row.entry.action == "user.role")
        .unwrap();
    assert_eq!(role_change.entry.reason.as_deref(), Some("moved to line 2"));
    assert_eq!(role_change.entry.new_value.as_deref(), Some("operator"));
    assert!(
        !harness
            .state()
            .state()
            .sign_in_list
            .iter()
            .any(|e| e.name == "vic")
    );
}

#[test]
fn signing_out_from_an_expanded_camera_leaves_every_camera_live_on_the_sign_in_screen() {
    let dir = tempfile::tempdir().unwrap();
    let spec: SourceSpec = "demo:qr?size=160x90&fps=30".parse().unwrap();
    let mut harness = start_with(
        dir.path(),
        true,
        vec![("Bay 1".into(), spec.clone()), ("Bay 2".into(), spec)],
    );
    settle(&mut harness, |app| !app.state().sign_in_list.is_empty());
    enter_pin(&mut harness, "vic", "0000");
    settle(&mut harness, |app| app.state().actor.is_some());
    harness.get_by_label("Camera Bay 1").click();
    harness.run_steps(2);
    assert!(harness.query_by_label("Camera Bay 1 expanded").is_some());
    harness.get_by_label("Sign out").click();
    settle(&mut harness, |app| app.state().actor.is_none());
    // Both cameras keep being shown, not only the one that was expanded.
    let shown =
        |app: &StationApp, index: usize| app.runtime().cameras()[index].slot.counters().shown;
    let before = [shown(harness.state(), 0), shown(harness.state(), 1)];
    settle(&mut harness, move |app| {
        shown(app, 0) > before[0] + 3 && shown(app, 1) > before[1] + 3
    });
}

#[test]
fn a_refusal_is_shown_only_under_the_user_it_was_for() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = start(dir.path());
    enter_pin(&mut harness, "olga", "9999");
    settle(&mut harness, |app| app.state().sign_in_error.is_some());
    assert!(harness.query_by_label_contains("attempts left").is_some());
    harness.get_by_label_contains("vic\n").click();
    harness.run_steps(2);
    assert!(
        harness.query_by_label_contains("attempts left").is_none(),
        "olga's refusal is not shown under vic"
    );
    harness.get_by_label_contains("olga\n").click();
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("attempts left").is_some());
}

/// A demo station with the simulated laser at `time_scale`, olga signed in on the Engrave panel,
/// the laser connected.
fn engrave_panel(dir: &std::path::Path, time_scale: f64) -> Harness<'static, StationApp> {
    let laser = LaserPlan::Simulated {
        time_scale,
        machine: qcstation::engrave::MachineSettings::desktop_diode(),
    };
    let mut harness = start_with_laser(dir, true, Vec::new(), Some(laser));
    settle(&mut harness, |app| !app.state().sign_in_list.is_empty());
    enter_pin(&mut harness, "olga", "1234");
    settle(&mut harness, |app| app.state().actor.is_some());
    harness.get_by_label("Engrave").click();
    settle(&mut harness, |app| {
        app.runtime().engraver().unwrap().view().connected
    });
    harness
}

#[test]
fn an_operator_queues_a_batch_starts_pauses_resumes_and_aborts_it_on_the_engrave_panel() {
    use qcstation::domain::JobStatus;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = engrave_panel(dir.path(), 1.0);
    let view = |app: &StationApp| app.runtime().engraver().unwrap().view();
    assert!(harness.query_by_label_contains("No jobs yet").is_some());

    harness.get_by_label("Allocate and queue").click();
    settle(&mut harness, move |app| view(app).jobs.len() == 5);
    assert!(harness.query_by_label_contains("5 job(s) queued").is_some());
    harness.get_by_label("Start queue (5)").click();
    settle(&mut harness, move |app| {
        view(app)
            .running
            .as_ref()
            .is_some_and(|r| r.lines_acked > 20)
    });
    harness.get_by_label("Pause").click();
    settle(&mut harness, move |app| {
        view(app).running.as_ref().is_some_and(|r| r.paused)
    });
    assert!(harness.query_by_label_contains("(paused)").is_some());
    harness.get_by_label("Resume").click();
    settle(&mut harness, move |app| {
        view(app).running.as_ref().is_some_and(|r| !r.paused)
    });
    harness.get_by_label("Abort job").click();
    settle(&mut harness, move |app| {
        let bench = view(app);
        bench.running.is_none()
            && bench
                .jobs
                .iter()
                .any(|job| job.status == JobStatus::Cancelled)
    });
    let bench = view(harness.state());
    assert_eq!(
        bench.state.as_deref(),
        Some("Idle"),
        "aborted without ALARM:3"
    );
    assert!(
        !bench.queue_running,
        "a job that did not finish stops the queue"
    );
    assert_eq!(
        bench
            .jobs
            .iter()
            .filter(|job| job.status == JobStatus::Queued)
            .count(),
        4
    );
}

#[test]
fn the_inventory_panel_lists_items_with_counts_and_filters_them() {
    use qcstation::domain::{Actor, ItemStatus, LotKey, LotRule};
    use qcstation::store::{BatchRequest, Store};
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = Store::open(&dir.path().join("station.sqlite")).unwrap();
        let console = Actor::console("test");
        store
            .allocate_batch(
                &console,
                &BatchRequest {
                    key: LotKey::new("PAD", "V0100", "L2025-09", &LotRule::default()).unwrap(),
                    count: 3,
                    manufactured_on: chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
                    warranty_years: 2,
                },
            )
            .unwrap();
        store
            .transition_item(
                &console,
                &"PAD-V0100-L2025-09-00002".parse().unwrap(),
                ItemStatus::Scrapped,
                "dropped on the floor",
            )
            .unwrap();
    }
    let mut harness = start(dir.path());
    enter_pin(&mut harness, "olga", "1234");
    settle(&mut harness, |app| app.state().actor.is_some());
    harness.get_by_label("Inventory").click();
    settle(&mut harness, |_| true);
    std::thread::sleep(Duration::from_millis(300));
    settle(&mut harness, |_| true);
    assert!(harness.query_by_label("PAD-V0100-L2025-09-00001").is_some());
    assert!(harness.query_by_label("PAD-V0100-L2025-09-00002").is_some());
    // The chip and the row say scrapped.
    assert_eq!(harness.query_all_by_label("scrapped").count(), 2);
    type_into(&mut harness, egui::accesskit::Role::TextInput, 0, "BRKT");
    harness.get_by_label("Apply").click();
    let deadline = Instant::now() + Duration::from_secs(10);
    while harness.query_by_label("PAD-V0100-L2025-09-00001").is_some() {
        assert!(Instant::now() < deadline, "the filter was not applied");
        std::thread::sleep(Duration::from_millis(20));
        harness.run_steps(1);
    }
    assert!(
        harness
            .query_by_label("No item matches these filters.")
            .is_some()
    );
}

#[test]
fn an_operator_triggers_a_part_and_sees_its_verdict_and_history_lists_it() {
    use qcstation::runtime::{GpioSetup, InspectionPlan, TriggerMode};
    let dir = tempfile::tempdir().unwrap();
    let camera = |seed: u32| {
        format!("demo:porosity?size=320x180&fps=15&seed={seed}")
            .parse()
            .unwrap()
    };
    let plan = InspectionPlan {
        gpio: Some(GpioSetup::simulated(qcstation::gpio::SimBoard::default())),
        workers: 1,
        images_dir: dir.path().join("images"),
        part_number: None,
        mode: TriggerMode::Button,
    };
    let cameras = vec![
        ("Porosity A".to_owned(), camera(1)),
        ("Porosity B".to_owned(), camera(2)),
    ];
    let mut harness = start_station(dir.path(), true, cameras, None, Some(plan), None);
    settle(&mut harness, |app| !app.state().sign_in_list.is_empty());
    enter_pin(&mut harness, "olga", "1234");
    settle(&mut harness, |app| app.state().actor.is_some());
    assert!(harness.query_by_label_contains("NO PART YET").is_some());
    let last_part = |app: &StationApp| app.runtime().inspector().unwrap().view().last_part.clone();
    harness.get_by_label("TRIGGER").click();
    let deadline = Instant::now() + Duration::from_secs(120);
    while last_part(harness.state()).is_none() {
        assert!(Instant::now() < deadline, "no verdict");
        std::thread::sleep(Duration::from_millis(20));
        harness.run_steps(1);
    }
    harness.run_steps(3);
    let part = last_part(harness.state()).unwrap();
    assert!(
        harness.query_all_by_label(part.verdict.as_str()).count() >= 2,
        "the banner (and the counters) show {}",
        part.verdict
    );
    assert!(
        harness
            .query_by_label_contains(&format!("part #{} · button", part.part_seq))
            .is_some()
    );
    harness.get_by_label("History").click();
    settle(&mut harness, |app| {
        app.runtime()
            .inspector()
            .unwrap()
            .view()
            .counters
            .verdicts
            .iter()
            .sum::<u64>()
            == 1
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while harness
        .query_by_label_contains("2 inspection(s), newest first")
        .is_none()
    {
        assert!(
            Instant::now() < deadline,
            "History did not list both cameras"
        );
        std::thread::sleep(Duration::from_millis(20));
        harness.run_steps(1);
        // The list is asked again when the panel opens; ask again until both are saved.
        if harness.query_by_label("Refresh").is_some() {
            harness.get_by_label("Refresh").click();
        }
    }

    // The part sensor: on the demo's simulated board, a part passes from the column.
    harness.get_by_label("Inspect").click();
    harness.run_steps(2);
    harness.get_by_label("Sensor").click();
    settle(&mut harness, |app| {
        app.runtime().inspector().unwrap().view().mode == TriggerMode::Gpio
    });
    harness
        .get_by_label("A part passes the sensor (simulated)")
        .click();
    let deadline = Instant::now() + Duration::from_secs(120);
    while last_part(harness.state()).is_none_or(|part| part.source != "gpio") {
        assert!(Instant::now() < deadline, "the sensor gave no part");
        std::thread::sleep(Duration::from_millis(20));
        harness.run_steps(1);
    }
}

#[test]
fn an_operator_scans_a_batch_on_the_scan_panel_and_the_summary_names_what_was_left_out() {
    use qcstation::domain::ItemStatus;
    use qcstation::runtime::{ScanFrom, ScanPlan};
    let dir = tempfile::tempdir().unwrap();
    // Three verified parts, as the Engrave panel leaves them.
    common::batch_in(
        &dir.path().join("station.sqlite"),
        &[ItemStatus::Engraved, ItemStatus::Verified],
    );
    // An unoptimised test build needs more than the live budget to read a frame.
    let scanning = ScanPlan {
        source: ScanFrom::Simulated,
        budget: Duration::from_secs(5),
    };
    let mut harness = start_station(dir.path(), true, Vec::new(), None, None, Some(scanning));
    settle(&mut harness, |app| !app.state().sign_in_list.is_empty());
    enter_pin(&mut harness, "olga", "1234");
    settle(&mut harness, |app| app.state().actor.is_some());
    harness.get_by_label("Scan").click();
    let view = |app: &StationApp| app.runtime().scanner().unwrap().view();
    settle(&mut harness, move |app| view(app).demo_parts.len() == 4);
    type_into(&mut harness, egui::accesskit::Role::TextInput, 0, "Kit 7");
    harness.get_by_label("a batch").click();
    harness.run_steps(2);
    harness.get_by_label("Start scanning").click();
    settle(&mut harness, move |app| view(app).session.is_some());
    assert!(harness.query_by_label_contains("Against batch 1").is_some());

    // One tap shows a part to the demo reader; it is read and judged without another tap.
    harness.get_by_label("00001").click();
    settle(&mut harness, move |app| view(app).last.len() == 1);
    // The banner and the list of last results.
    assert_eq!(harness.query_all_by_label("OK").count(), 2);
    assert!(harness.query_by_label("1 scanned").is_some());
    harness.get_by_label("another station's part").click();
    settle(&mut harness, move |app| view(app).last.len() == 2);
    assert!(harness.query_by_label("UNKNOWN CODE").is_some());

    harness.get_by_label("Close session").click();
    settle(&mut harness, move |app| view(app).session.is_none());
    settle(&mut harness, |app| {
        app.state()
            .notices
            .iter()
            .any(|notice| notice.text.contains("Kit 7 closed"))
    });
    assert!(harness.query_by_label("1 of 3 expected seen").is_some());
    assert!(harness.query_by_label("Missing: 2").is_some());
    assert!(harness.query_by_label("Extra: 1").is_some());
}

#[test]
fn a_mark_that_fails_verification_shows_failed_and_can_be_engraved_again() {
    use qcstation::domain::{Actor, JobStatus, LotKey, LotRule};
    use qcstation::engrave::LaserSettings;
    use qcstation::runtime::EngraverCommand;
    use qcstation::store::BatchRequest;
    let dir = tempfile::tempdir().unwrap();
    let mut harness = engrave_panel(dir.path(), 100.0);
    let view = |app: &StationApp| app.runtime().engraver().unwrap().view();
    // A job at 1 % power (no preset goes that low): its mark is too faint to read.
    let engraver = harness.state().runtime().engraver().unwrap().clone();
    let actor = Actor::console("test");
    engraver
        .send(EngraverCommand::QueueBatch {
            actor: actor.clone(),
            request: BatchRequest {
                key: LotKey::new("PAD", "V0100", "L2025-09", &LotRule::default()).unwrap(),
                count: 1,
                manufactured_on: chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
                warranty_years: 2,
            },
            settings: LaserSettings {
                power_percent: 1.0,
                ..LaserSettings::default()
            },
        })
        .unwrap();
    settle(&mut harness, move |app| view(app).jobs.len() == 1);
    engraver
        .send(EngraverCommand::StartQueue { actor })
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(180);
    while !view(harness.state())
        .jobs
        .first()
        .is_some_and(|job| view(harness.state()).verifications.contains_key(&job.id))
    {
        assert!(Instant::now() < deadline, "the mark was not judged");
        std::thread::sleep(Duration::from_millis(100));
        harness.run_steps(1);
    }
    harness.run_steps(3);
    assert!(harness.query_by_label("failed").is_some());
    // The job's detail says why and offers to engrave the UID again.
    harness.get_by_label("PAD-V0100-L2025-09-00001").click();
    harness.run_steps(2);
    assert!(
        harness
            .query_all_by_label_contains("did not decode in 3 attempts")
            .count()
            >= 1
    );
    harness.get_by_label("Engrave again").click();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !view(harness.state())
        .jobs
        .first()
        .is_some_and(|job| job.status != JobStatus::Done || job.attempts > 1)
    {
        let notices: Vec<String> = harness
            .state()
            .state()
            .notices
            .iter()
            .map(|notice| notice.text.clone())
            .collect();
        assert!(
            Instant::now() < deadline,
            "the job was not engraved again: {notices:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
        harness.run_steps(1);
    }
}

/// A file dropped on the window, as the windowing layer hands it over.
#[derive(Debug)]
struct Dropped(std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|err| err.to_string())
    }
}

fn crosscheck_view(app: &StationApp) -> std::sync::Arc<qcstation::runtime::CrosscheckView> {
    app.runtime().crosschecker().unwrap().view()
}

/// Types into the text field named `label` (its label is also its accessible name).
fn type_in_field(harness: &mut Harness<'static, StationApp>, label: &str, text: &str) {
    let role = egui::accesskit::Role::TextInput;
    harness.get_by_role_and_label(role, label).click();
    harness.run_steps(1);
    harness.get_by_role_and_label(role, label).type_text(text);
    harness.run_steps(2);
}

/// Signs `user` in with the keypad and opens the Cross-check panel.
fn crosscheck_panel(dir: &std::path::Path, user: &str, pin: &str) -> Harness<'static, StationApp> {
    let mut harness = start(dir);
    enter_pin(&mut harness, user, pin);
    settle(&mut harness, |app| app.state().actor.is_some());
    harness.get_by_label("Cross-check").click();
    harness.run_steps(2);
    assert_eq!(harness.state().panel(), Panel::Crosscheck);
    harness
}

/// Steps until the open session has been checked (the OCR of an unoptimised build is slow).
fn until_checked(harness: &mut Harness<'static, StationApp>, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let view = crosscheck_view(harness.state());
        let done = view.progress.is_none()
            && view
                .open
                .as_ref()
                .is_some_and(|open| open.session.name == name && open.session.verdict.is_some());
        if done {
            break;
        }
        assert!(Instant::now() < deadline, "{name} was not checked");
        std::thread::sleep(Duration::from_millis(50));
        harness.run_steps(1);
    }
    harness.run_steps(3);
}

#[test]
fn the_qc_desk_checks_a_dropped_pack_shows_evidence_exports_and_reopens_it() {
    use egui_kittest::kittest::NodeT;
    use qcstation::docs::synth::{PackOptions, write_pack};
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("pack");
    let answer = write_pack(&pack, 4, &PackOptions::default()).unwrap();
    let mut harness = crosscheck_panel(dir.path(), "olga", "1234");
    assert!(harness.query_by_label("New cross-check session").is_some());

    type_in_field(&mut harness, "Session name", "Build 4");
    for file in &answer.files {
        let path = pack.join(&file.name);
        harness
            .input_mut()
            .dropped_files
            .push(std::sync::Arc::new(Dropped(path)));
    }
    harness.run_steps(2);
    let count = answer.files.len();
    assert!(harness.query_by_label(&format!("{count} files:")).is_some());
    harness.get_by_label("Start cross-check").click();
    until_checked(&mut harness, "Build 4");

    let view = crosscheck_view(harness.state());
    let open = view.open.as_ref().unwrap();
    assert_eq!(open.files.len(), count);
    assert_eq!(open.checks.len(), 9);
    // The verdict, large (a label beside the table's statuses; the filter chip is a button),
    // and every check in the table.
    let verdict = open.session.verdict.clone().unwrap();
    let statuses = open
        .checks
        .iter()
        .filter(|check| check.status.as_str() == verdict)
        .count();
    assert_eq!(
        harness
            .query_all_by_role_and_label(egui::accesskit::Role::Label, &verdict)
            .count(),
        statuses + 1,
        "verdict {verdict} beside {statuses} checks of that status"
    );
    for check in &open.checks {
        assert!(
            harness.query_by_label(check.name).is_some(),
            "check {}",
            check.name
        );
    }
    // Each file's status: the files fold away once all are read.
    harness
        .get_by_label(&format!("Files: {count} of {count} read"))
        .click();
    harness.run_steps(2);
    assert_eq!(harness.query_all_by_label("done").count(), count);

    // A check's evidence, side by side: a card per value.
    let shown = open
        .checks
        .iter()
        .position(|check| !check.values.is_empty())
        .unwrap();
    let number = open.checks[shown].number;
    harness.get_all_by_label("Show").next().unwrap().click();
    // The tap's frame draws the cards below the full table, off screen; the next, under
    // the shrunk table, where they ask for their files.
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label(&format!("Where the values of check {number} were found"))
            .is_some()
    );
    // The worker reads the files again for the cards; then each card draws its place.
    let reading = |harness: &Harness<'static, StationApp>| {
        open.files.iter().any(|file| {
            harness
                .query_by_label(&format!("Reading {}…", file.original_name))
                .is_some()
        })
    };
    assert!(reading(&harness), "the cards on screen ask for their files");
    let deadline = Instant::now() + Duration::from_secs(60);
    while reading(&harness) {
        assert!(Instant::now() < deadline, "the evidence was not read");
        std::thread::sleep(Duration::from_millis(20));
        harness.run_steps(1);
    }
    for failure in [
        "The file cannot be shown",
        "is not among this session's files",
        "The file gave no image",
    ] {
        assert!(
            harness.query_by_label_contains(failure).is_none(),
            "{failure}"
        );
    }
    assert!(harness.query_by_label("Hide").is_some());

    // An operator may not delete.
    assert!(
        harness
            .get_by_label("Delete")
            .accesskit_node()
            .is_disabled()
    );
    assert!(
        harness
            .query_by_label("Deleting a session needs an engineer or admin.")
            .is_some()
    );

    harness.get_by_label("Export report").click();
    let id = open.session.id;
    settle(&mut harness, move |app| {
        app.state()
            .notices
            .iter()
            .any(|notice| notice.text.starts_with("Cross-check report written"))
    });
    let pdf = dir
        .path()
        .join("exports")
        .join(format!("crosscheck-{id}.pdf"));
    let csv = dir
        .path()
        .join("exports")
        .join(format!("crosscheck-{id}.csv"));
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
    assert!(
        std::fs::read_to_string(&csv)
            .unwrap()
            .starts_with("check,name,priority")
    );
    assert!(
        harness
            .query_by_label(&format!(
                "Written: crosscheck-{id}.pdf, crosscheck-{id}.csv in {}",
                dir.path().join("exports").display()
            ))
            .is_some()
    );

    // Later: from the session list.
    harness.get_by_label("New session").click();
    harness.run_steps(2);
    assert!(harness.query_by_label("New cross-check session").is_some());
    harness.get_by_label_contains("Build 4\n").click();
    settle(&mut harness, |app| {
        crosscheck_view(app)
            .open
            .as_ref()
            .is_some_and(|open| open.session.name == "Build 4")
    });
    assert!(harness.query_by_label("Build 4").is_some());
    assert!(harness.query_by_label("Export report").is_some());
}

#[test]
fn the_session_list_filters_by_name_verdict_and_date_and_an_engineer_deletes() {
    use egui_kittest::kittest::NodeT;
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("boms");
    std::fs::create_dir_all(&files).unwrap();
    for (name, job) in [("build-7.csv", "12345"), ("line-3.csv", "12346")] {
        std::fs::write(
            files.join(name),
            format!("Job,Part Number,Rev,Qty\n{job},PCA-1555-01,F2,1\n"),
        )
        .unwrap();
    }
    let mut harness = crosscheck_panel(dir.path(), "olga", "1234");
    // Two sessions of one BOM each, picked by typing the path.
    for (session, file) in [("Build 7", "build-7.csv"), ("Line 3", "line-3.csv")] {
        harness.get_by_label("New session").click();
        harness.run_steps(1);
        type_in_field(&mut harness, "Session name", session);
        let path = files.join(file);
        type_in_field(&mut harness, "File or folder", &path.display().to_string());
        harness.get_by_label("Add").click();
        harness.run_steps(2);
        assert!(harness.query_by_label("1 file:").is_some());
        harness.get_by_label("Start cross-check").click();
        until_checked(&mut harness, session);
    }
    let listed = |app: &StationApp| -> Vec<String> {
        crosscheck_view(app)
            .sessions
            .iter()
            .map(|s| s.name.clone())
            .collect()
    };
    settle(&mut harness, move |app| listed(app).len() == 2);

    type_in_field(&mut harness, "Name contains", "build");
    settle(&mut harness, move |app| listed(app) == ["Build 7"]);
    assert!(harness.query_by_label_contains("Line 3\n").is_none());
    // A BOM alone is evidence missing: a WARNING, never a FAIL.
    let button = egui::accesskit::Role::Button;
    harness.get_by_role_and_label(button, "FAIL").click();
    settle(&mut harness, move |app| listed(app).is_empty());
    assert!(
        harness
            .query_by_label("No session matches the filter.")
            .is_some()
    );
    harness.get_by_role_and_label(button, "WARNING").click();
    settle(&mut harness, move |app| listed(app) == ["Build 7"]);
    type_in_field(&mut harness, "To", "2000-01-01");
    settle(&mut harness, move |app| listed(app).is_empty());
    type_in_field(&mut harness, "From", "1.1.2000");
    assert!(
        harness
            .query_by_label_contains("write it as YYYY-MM-DD")
            .is_some()
    );

    // The operator may not delete; the engineer may.
    harness.get_by_role_and_label(button, "any").click();
    harness.run_steps(1);
    harness.get_by_label("Sign out").click();
    settle(&mut harness, |app| app.state().actor.is_none());
    sign_in_with_password(&mut harness, "erik", "Demo-engineer-2026");
    harness.get_by_label("Cross-check").click();
    settle(&mut harness, move |app| listed(app).len() == 2);
    harness.get_by_label_contains("Line 3\n").click();
    settle(&mut harness, |app| {
        crosscheck_view(app)
            .open
            .as_ref()
            .is_some_and(|open| open.session.name == "Line 3")
    });
    assert!(
        !harness
            .get_by_label("Delete")
            .accesskit_node()
            .is_disabled()
    );
    harness.get_by_label("Delete").click();
    harness.run_steps(2);
    harness.get_by_label("Yes, delete").click();
    settle(&mut harness, move |app| listed(app) == ["Build 7"]);
    assert!(harness.query_by_label("New cross-check session").is_some());
}
