//! Porosity inspection through the runtime, as the kiosk runs it: two synthetic porosity
//! cameras, the demo database's recipe, the network on a vision worker, the simulated GPIO
//! board. A button trigger gives a part verdict that drives the stack light, saves both
//! cameras' inspections with their images; the part sensor (with contact bounce) triggers in
//! GPIO mode; a folder replays as camera "replay"; a disposition is signed through the worker;
//! below the free-space minimum the inspections are recorded without their images.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::time::{Duration, Instant};

use qcstation::domain::{Actor, Disposition, DispositionState, Verdict};
use qcstation::gpio::{InputLine, OutputLine, SimBoard};
use qcstation::runtime::{
    GpioSetup, InspectionPlan, InspectorCommand, InspectorEvent, InspectorHandle, PartResult,
    Runtime, RuntimeOptions, TriggerMode,
};
use qcstation::store::{AuditSeal, InspectionFilter, Store, StoreReader};

fn start(dir: &std::path::Path, board: &SimBoard) -> Runtime {
    start_with(dir, board, "demo:porosity?size=320x180&fps=15&seed=2")
}

/// Camera A is a synthetic porosity camera; camera B's source is `camera_b`.
fn start_with(dir: &std::path::Path, board: &SimBoard, camera_b: &str) -> Runtime {
    Runtime::start(options_with(dir, board, camera_b)).unwrap()
}

fn options_with(dir: &std::path::Path, board: &SimBoard, camera_b: &str) -> RuntimeOptions {
    RuntimeOptions {
        cameras: Some(vec![
            (
                "Porosity A".to_owned(),
                "demo:porosity?size=320x180&fps=15&seed=1".parse().unwrap(),
            ),
            ("Porosity B".to_owned(), camera_b.parse().unwrap()),
        ]),
        inspection: Some(InspectionPlan {
            gpio: Some(GpioSetup::simulated(board.clone())),
            workers: 1,
            images_dir: dir.join("images"),
            part_number: None,
            mode: TriggerMode::Button,
        }),
        ..RuntimeOptions::scratch(dir.join("station.sqlite"))
    }
}

fn wait_until<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The next finished part after `after`.
fn next_part(inspector: &InspectorHandle, after: u64) -> std::sync::Arc<PartResult> {
    wait_until("a part verdict", Duration::from_secs(120), || {
        inspector
            .view()
            .last_part
            .clone()
            .filter(|part| part.part_seq > after)
    })
}

fn next_event(
    inspector: &InspectorHandle,
    mut wanted: impl FnMut(&InspectorEvent) -> bool,
) -> InspectorEvent {
    wait_until("an inspector event", Duration::from_secs(60), || {
        inspector
            .try_events()
            .into_iter()
            .find(|event| wanted(event))
    })
}

fn light_of(verdict: Verdict) -> OutputLine {
    match verdict {
        Verdict::Accept => OutputLine::Green,
        Verdict::Warn => OutputLine::Amber,
        Verdict::Reject => OutputLine::Red,
    }
}

#[test]
fn a_button_trigger_inspects_both_cameras_lights_the_verdict_and_saves_both_inspections() {
    let dir = tempfile::tempdir().unwrap();
    let board = SimBoard::default();
    {
        // Camera B calibrated at another scale than the demo's: its records must carry it.
        let database = dir.path().join("station.sqlite");
        let mut store =
            Store::open_sealed(&database, &AuditSeal::in_data_dir(dir.path(), &database)).unwrap();
        store.seed_demo(qcstation::auth::new_secret_hash).unwrap();
        store
            .calibrate_camera(&Actor::console("test"), "Porosity B", Some(0.04))
            .unwrap();
    }
    let runtime = start(dir.path(), &board);
    let inspector = runtime.inspector().expect("inspection runs");
    assert_eq!(inspector.view().recipe.part_number, "HSG-4471");
    // Let the cameras deliver a few frames first.
    std::thread::sleep(Duration::from_millis(500));
    inspector.send(InspectorCommand::Trigger).unwrap();
    let part = next_part(inspector, 0);
    assert_eq!(part.source, "button");
    assert!(part.errors.is_empty(), "{:?}", part.errors);
    assert_eq!(part.cameras.len(), 2);
    let worst = part
        .cameras
        .iter()
        .map(|camera| camera.result.as_ref().unwrap().inspection.verdict)
        .max()
        .unwrap();
    assert_eq!(
        part.verdict, worst,
        "the part gets its worst camera's verdict"
    );

    wait_until("the stack light", Duration::from_secs(5), || {
        board.output(light_of(part.verdict)).then_some(())
    });
    for other in [OutputLine::Green, OutputLine::Amber, OutputLine::Red] {
        if other != light_of(part.verdict) {
            assert!(!board.output(other), "{other:?} stays off");
        }
    }

    let reader = StoreReader::open(&dir.path().join("station.sqlite")).unwrap();
    let saved = wait_until("both inspections saved", Duration::from_secs(10), || {
        let rows = reader.inspections(&InspectionFilter::default()).unwrap();
        (rows.len() == 2).then_some(rows)
    });
    for row in &saved {
        let expected_scale = if row.camera == "Porosity B" {
            0.04
        } else {
            0.03
        };
        assert!(
            (row.mm_per_px - expected_scale).abs() < 1e-6,
            "{}: {}",
            row.camera,
            row.mm_per_px
        );
        assert_eq!(row.part_seq, part.part_seq);
        assert_eq!(row.part_number, "HSG-4471");
        assert_eq!(row.recipe_version, 1);
        assert_eq!(row.detector, "onnx");
        // The demo recipe keeps every image.
        for path in [&row.raw_image, &row.overlay_image] {
            let path = dir.path().join("images").join(path.as_ref().unwrap());
            assert!(path.is_file(), "{} kept", path.display());
        }
        let pores = reader.inspection_pores(row.id).unwrap();
        assert_eq!(pores.len() as u32, row.pore_count);
        assert_eq!(
            row.disposition,
            DispositionState::for_verdict(row.verdict),
            "only a non-ACCEPT waits"
        );
    }
    let counters = inspector.view().counters;
    assert_eq!(counters.triggers, 1);
    assert_eq!(counters.verdicts.iter().sum::<u64>(), 1);
}

#[test]
fn a_camera_that_cannot_judge_rejects_the_part_and_is_recorded_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let board = SimBoard::default();
    // Camera B reads a folder that does not exist: it never gives a frame.
    let missing = dir.path().join("no-such-folder");
    let runtime = start_with(dir.path(), &board, &format!("folder:{}", missing.display()));
    let inspector = runtime.inspector().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    inspector.send(InspectorCommand::Trigger).unwrap();
    let part = next_part(inspector, 0);
    assert_eq!(
        part.verdict,
        Verdict::Reject,
        "an unjudged part never passes"
    );
    assert!(!part.errors.is_empty());
    let reader = StoreReader::open(&dir.path().join("station.sqlite")).unwrap();
    let rows = wait_until("both cameras recorded", Duration::from_secs(10), || {
        let rows = reader.inspections(&InspectionFilter::default()).unwrap();
        (rows.len() == 2).then_some(rows)
    });
    let unjudged = rows.iter().find(|row| row.camera == "Porosity B").unwrap();
    assert_eq!(unjudged.verdict, Verdict::Reject);
    assert!(
        unjudged.reasons[0].contains("could not judge"),
        "{:?}",
        unjudged.reasons
    );
    assert_eq!(unjudged.failed_rules, ["unjudged"]);
    assert_eq!(unjudged.pore_count, 0);
    assert!(unjudged.raw_image.is_none());
    assert_eq!(
        unjudged.disposition,
        DispositionState::for_verdict(Verdict::Reject)
    );
}

#[test]
fn the_part_sensor_triggers_in_gpio_mode_only_and_a_folder_replays() {
    let dir = tempfile::tempdir().unwrap();
    let board = SimBoard::default();
    let runtime = start(dir.path(), &board);
    let inspector = runtime.inspector().unwrap();
    std::thread::sleep(Duration::from_millis(500));

    // In button mode the sensor is ignored.
    board.pulse(InputLine::Trigger, Duration::from_millis(60));
    std::thread::sleep(Duration::from_millis(600));
    assert!(inspector.view().last_part.is_none());
    assert_eq!(
        inspector.gpio().unwrap().view().edges[InputLine::Trigger.index()],
        1,
        "one debounced edge for one bouncing press"
    );

    inspector
        .send(InspectorCommand::SetMode(TriggerMode::Gpio))
        .unwrap();
    wait_until("GPIO mode", Duration::from_secs(5), || {
        (inspector.view().mode == TriggerMode::Gpio).then_some(())
    });
    board.pulse(InputLine::Trigger, Duration::from_millis(60));
    let part = next_part(inspector, 0);
    assert_eq!(part.source, "gpio");
    assert_eq!(inspector.view().counters.triggers, 1, "one part per press");

    // A folder of two generated scenes, replayed as camera "replay".
    let folder = dir.path().join("replay");
    std::fs::create_dir_all(&folder).unwrap();
    for seed in [11, 12] {
        let params = qcstation::vision::synth::SceneParams::sample(
            seed,
            &qcstation::vision::synth::Variety::all(256, 192),
        );
        let rendered = qcstation::vision::synth::render(&params);
        qcstation::vision::synth::write(&rendered, &folder, &format!("scene-{seed}")).unwrap();
    }
    inspector
        .send(InspectorCommand::SetMode(TriggerMode::Replay {
            folder: folder.clone(),
            period: Duration::from_millis(100),
        }))
        .unwrap();
    let first = next_part(inspector, part.part_seq);
    let second = next_part(inspector, first.part_seq);
    for replayed in [&first, &second] {
        assert_eq!(replayed.source, "replay");
        assert_eq!(replayed.cameras[0].camera, "replay");
    }
    assert_eq!(
        second.serial.as_deref(),
        Some("scene-12"),
        "files in name order"
    );
    wait_until("the replay to end", Duration::from_secs(10), || {
        (inspector.view().mode == TriggerMode::Button).then_some(())
    });
}

#[test]
fn a_disposition_is_signed_through_the_worker_and_a_wrong_secret_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let board = SimBoard::default();
    let runtime = start(dir.path(), &board);
    let inspector = runtime.inspector().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    // Trigger until a part needs a disposition (about half the demo parts have pores).
    let reader = StoreReader::open(&dir.path().join("station.sqlite")).unwrap();
    let mut seq = 0;
    let pending = wait_until("a pending inspection", Duration::from_secs(300), || {
        inspector.send(InspectorCommand::Trigger).unwrap();
        seq = next_part(inspector, seq).part_seq;
        std::thread::sleep(Duration::from_millis(200));
        reader
            .inspections(&InspectionFilter {
                pending_only: true,
                ..InspectionFilter::default()
            })
            .unwrap()
            .into_iter()
            .next()
    });
    let erik = reader
        .users()
        .unwrap()
        .into_iter()
        .find(|user| user.name == "erik")
        .unwrap();
    let erik = Actor {
        user_id: Some(erik.id),
        name: erik.name,
        role: erik.role,
    };
    let dispose = |secret: &str| InspectorCommand::Dispose {
        actor: erik.clone(),
        inspection_id: pending.id,
        decision: Disposition::Scrap,
        reason: "pore in the sealing face".into(),
        secret: secret.into(),
    };
    inspector.send(dispose("wrong-password")).unwrap();
    next_event(inspector, |event| {
        matches!(event, InspectorEvent::SignatureRefused(_))
    });
    inspector.send(dispose("Demo-engineer-2026")).unwrap();
    let InspectorEvent::Disposed(record) = next_event(inspector, |event| {
        matches!(event, InspectorEvent::Disposed(_))
    }) else {
        unreachable!()
    };
    assert_eq!(record.id, pending.id);
    assert_eq!(
        record.disposition,
        DispositionState::Done(Disposition::Scrap)
    );
    assert_eq!(record.disposition_by.as_deref(), Some("erik"));
}

#[test]
fn below_the_free_space_minimum_the_inspection_is_recorded_without_its_images() {
    let dir = tempfile::tempdir().unwrap();
    let board = SimBoard::default();
    let runtime = Runtime::start(RuntimeOptions {
        // No disk has this much free: the guard pauses images from its first reading.
        min_free_bytes: u64::MAX,
        ..options_with(
            dir.path(),
            &board,
            "demo:porosity?size=320x180&fps=15&seed=2",
        )
    })
    .unwrap();
    assert!(!runtime.disk_guard().may_save_images());
    let inspector = runtime.inspector().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    inspector.send(InspectorCommand::Trigger).unwrap();
    let part = next_part(inspector, 0);
    assert_eq!(part.cameras.len(), 2);
    for camera in &part.cameras {
        let camera = camera.result.as_ref().unwrap();
        assert!(camera.raw_image.is_none() && camera.overlay_image.is_none());
        assert!(
            camera
                .notes
                .iter()
                .any(|note| note.contains("images paused")),
            "{:?}",
            camera.notes
        );
    }

    let reader = StoreReader::open(&dir.path().join("station.sqlite")).unwrap();
    let rows = wait_until("both inspections saved", Duration::from_secs(10), || {
        let rows = reader.inspections(&InspectionFilter::default()).unwrap();
        (rows.len() == 2).then_some(rows)
    });
    for row in &rows {
        assert_eq!(row.part_seq, part.part_seq);
        // The demo recipe keeps every image; the full disk keeps none.
        assert!(row.raw_image.is_none() && row.overlay_image.is_none());
        assert_eq!(
            reader.inspection_pores(row.id).unwrap().len() as u32,
            row.pore_count,
            "the pores are recorded all the same"
        );
    }
    let images = dir.path().join("images");
    assert!(
        !images.exists() || std::fs::read_dir(&images).unwrap().next().is_none(),
        "no image written"
    );
    // The health report the top bar reads says so too.
    let health = wait_until("a health report", Duration::from_secs(10), || {
        runtime.health()
    });
    assert!(health.images_paused && health.disk_low());
}
