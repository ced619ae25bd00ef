//! Supervised workers through the public runtime: a worker that panics is restarted and shown
//! as an alarm while the others keep serving; shutdown runs its phases in order and a hung
//! worker costs at most its phase's time box; the vision pool takes every trigger.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use qcstation::camera::Frame;
use qcstation::runtime::{
    Command, Event, FrameJob, JobKind, Phase, Restart, Runtime, RuntimeOptions, ShutdownBudget,
    VisionHandler, VisionLanes, WorkerExit, WorkerSpec, WorkerState,
};
use qcstation::runtime::{UsersCommand, UsersEvent};

fn options(dir: &std::path::Path) -> RuntimeOptions {
    RuntimeOptions::scratch(dir.join("station.sqlite"))
}

fn start(dir: &std::path::Path) -> Runtime {
    Runtime::start(options(dir)).unwrap()
}

fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_panicking_worker_is_restarted_and_alarmed_while_the_others_keep_serving() {
    let dir = tempfile::tempdir().unwrap();
    let mut runtime = start(dir.path());
    let runs = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&runs);
    runtime
        .start_worker(
            WorkerSpec::new("flaky", Phase::Processing).restart(Restart::Backoff {
                first: Duration::from_millis(10),
                longest: Duration::from_millis(10),
            }),
            move |worker| {
                if counted.fetch_add(1, Ordering::SeqCst) == 0 {
                    panic!("decoder blew up on frame 7");
                }
                while !worker.sleep(Duration::from_millis(20)) {}
                WorkerExit::Finished
            },
        )
        .unwrap();
    eventually("the restart", || runs.load(Ordering::SeqCst) >= 2);
    let flaky = runtime
        .workers()
        .into_iter()
        .find(|worker| worker.name == "flaky")
        .unwrap();
    assert_eq!(flaky.state, WorkerState::Running);
    assert_eq!(flaky.restarts, 1);
    assert_eq!(
        flaky.last_panic.unwrap().message,
        "decoder blew up on frame 7"
    );

    // The store workers were never disturbed: a sign-in goes through.
    runtime
        .send(Command::Users(UsersCommand::SignIn {
            name: "olga".into(),
            secret: "1234".into(),
        }))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < deadline, "no sign-in");
        if let Some(Event::Users(UsersEvent::SignedIn(actor))) =
            runtime.next_event(Duration::from_millis(100))
        {
            assert_eq!(actor.name, "olga");
            break;
        }
    }
    let report = runtime.shutdown();
    assert!(report.timed_out.is_empty(), "{report:?}");
    assert!(report.joined.contains(&"flaky".to_owned()));
}

#[test]
fn a_never_restarted_worker_stays_down_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut runtime = start(dir.path());
    runtime
        .start_worker(
            WorkerSpec::new("once", Phase::Processing).restart(Restart::Never),
            |_| panic!("bad calibration file"),
        )
        .unwrap();
    eventually("the worker to go down", || {
        runtime.workers().iter().any(|worker| {
            worker.name == "once"
                && worker.state
                    == WorkerState::Down {
                        panic: "bad calibration file".into(),
                    }
        })
    });
}

#[test]
fn shutdown_runs_its_phases_in_order_and_a_hung_worker_costs_one_time_box() {
    let dir = tempfile::tempdir().unwrap();
    let mut runtime = start(dir.path());
    let stop_order = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    for (name, phase) in [
        ("laser", Phase::Hardware),
        ("trigger", Phase::Producers),
        ("inspector", Phase::Processing),
    ] {
        let order = Arc::clone(&stop_order);
        runtime
            .start_worker(WorkerSpec::new(name, phase), move |worker| {
                while !worker.sleep(Duration::from_millis(5)) {}
                order.lock().unwrap().push(worker.name().to_owned());
                WorkerExit::Finished
            })
            .unwrap();
    }
    // A worker that ignores its stop signal (stuck in a driver call).
    let (release_tx, release_rx) = crossbeam_channel::bounded::<()>(1);
    runtime
        .start_worker(WorkerSpec::new("stuck", Phase::Processing), move |_| {
            release_rx.recv().ok();
            WorkerExit::Finished
        })
        .unwrap();

    let started = Instant::now();
    let report = runtime.shutdown_within(ShutdownBudget {
        per_phase: Duration::from_millis(300),
        store: Duration::from_secs(10),
    });
    let took = started.elapsed();
    release_tx.send(()).ok();

    let phases: Vec<Phase> = report.phases.iter().map(|phase| phase.phase).collect();
    assert_eq!(phases, Phase::ORDER.to_vec());
    assert_eq!(
        *stop_order.lock().unwrap(),
        vec!["trigger", "inspector", "laser"],
        "producers, then processing, then hardware"
    );
    assert_eq!(report.timed_out, vec!["stuck".to_owned()]);
    let processing = &report.phases[1];
    assert!(processing.joined.contains(&"inspector".to_owned()));
    assert!(
        processing.elapsed >= Duration::from_millis(300),
        "{processing:?}"
    );
    // The later phases still ran: the store was flushed and its worker joined.
    let store = report.phases.last().unwrap();
    assert_eq!(store.joined, vec!["store-writer".to_owned()]);
    assert!(took < Duration::from_secs(8), "shutdown took {took:?}");
}

/// Does nothing but count, like an inspection that costs no time.
#[derive(Default)]
struct Counting {
    triggers: AtomicU64,
    frames: AtomicU64,
}

impl VisionHandler for Counting {
    fn handle(&self, job: &FrameJob) {
        match job.kind {
            JobKind::Trigger { .. } => self.triggers.fetch_add(1, Ordering::SeqCst),
            JobKind::Continuous => self.frames.fetch_add(1, Ordering::SeqCst),
        };
    }
}

fn frame(seq: u64) -> Arc<Frame> {
    Arc::new(Frame {
        seq,
        captured_at: Instant::now(),
        captured_utc: chrono::Utc::now(),
        image: image::RgbaImage::new(4, 4).into(),
        display: None,
    })
}

#[test]
fn the_vision_pool_serves_every_trigger_while_frames_flood_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut runtime = start(dir.path());
    let handler = Arc::new(Counting::default());
    let queue = runtime
        .start_vision(handler.clone(), 2, VisionLanes::default())
        .unwrap();
    let fired_at = Instant::now();
    for seq in 1..=2000_u64 {
        queue.push_frame(FrameJob {
            camera_index: usize::try_from(seq % 4).unwrap(),
            frame: frame(seq),
            kind: JobKind::Continuous,
        });
        if seq % 50 == 0 {
            queue
                .push_trigger(FrameJob {
                    camera_index: 0,
                    frame: frame(seq),
                    kind: JobKind::Trigger {
                        trigger_seq: seq / 50,
                        part_seq: seq / 50,
                        fired_at,
                    },
                })
                .unwrap();
        }
    }
    eventually("every trigger handled", || {
        handler.triggers.load(Ordering::SeqCst) == 40
    });
    let counts = queue.counts();
    assert_eq!(counts.triggers_queued, 40);
    assert_eq!(counts.triggers_refused, 0);
    assert_eq!(counts.frames_queued, 2000);
    eventually("the frame lane drained", || {
        let counts = queue.counts();
        counts.frames_dropped + handler.frames.load(Ordering::SeqCst) == 2000
    });
    let report = runtime.shutdown();
    assert!(report.joined.contains(&"vision-0".to_owned()));
    assert!(report.joined.contains(&"vision-1".to_owned()));
}

/// Records which frame each trigger got.
#[derive(Default)]
struct Recording {
    taken: std::sync::Mutex<Vec<(u64, Instant, Instant)>>,
}

impl VisionHandler for Recording {
    fn handle(&self, job: &FrameJob) {
        if let JobKind::Trigger {
            trigger_seq,
            fired_at,
            ..
        } = job.kind
        {
            self.taken
                .lock()
                .unwrap()
                .push((trigger_seq, fired_at, job.frame.captured_at));
        }
    }
}

#[test]
fn a_trigger_takes_the_frame_captured_nearest_its_time() {
    use qcstation::camera::{DemoScene, FrameSize, SourceSpec};
    let dir = tempfile::tempdir().unwrap();
    let fps = 20.0_f32;
    let spec = SourceSpec::demo(DemoScene::Porosity)
        .with_size(FrameSize::new(160, 120))
        .with_fps(fps);
    let mut runtime = Runtime::start(RuntimeOptions {
        cameras: Some(vec![("bay".into(), spec)]),
        ..options(dir.path())
    })
    .unwrap();
    let handler = Arc::new(Recording::default());
    let queue = runtime
        .start_vision(handler.clone(), 1, VisionLanes::default())
        .unwrap();
    let slot = runtime.cameras()[0].slot.clone();
    eventually("half a second of frames", || slot.counters().produced >= 12);

    // A trigger from 300 ms ago (a sensor whose message arrived late), one from now, and one
    // slightly in the future (the frame that covers it has not been captured yet).
    let now = Instant::now();
    let times = [
        now - Duration::from_millis(300),
        now,
        now + Duration::from_millis(20),
    ];
    for fired_at in times {
        runtime.trigger(0, fired_at, &queue).unwrap();
    }
    eventually("three triggers inspected", || {
        handler.taken.lock().unwrap().len() == 3
    });
    let period = Duration::from_secs_f32(1.0 / fps);
    for (seq, fired_at, captured_at) in handler.taken.lock().unwrap().iter() {
        let off = if *captured_at > *fired_at {
            *captured_at - *fired_at
        } else {
            *fired_at - *captured_at
        };
        assert!(
            off <= period,
            "trigger {seq}: frame {off:?} away from its time (period {period:?})"
        );
    }
    assert_eq!(queue.counts().triggers_refused, 0);
    assert!(runtime.trigger(5, now, &queue).is_err(), "no camera 5");
}

#[test]
fn shutdown_does_not_wait_out_a_slow_camera_or_a_reconnect_backoff() {
    use qcstation::camera::{DemoScene, FrameSize, SourceSpec};
    let dir = tempfile::tempdir().unwrap();
    // One camera paced at a frame every 5 s, one that cannot open (backing off for seconds).
    let slow = SourceSpec::demo(DemoScene::Qr)
        .with_size(FrameSize::new(64, 48))
        .with_fps(0.2);
    let missing: SourceSpec = "folder:/nonexistent/qcstation-frames".parse().unwrap();
    let runtime = Runtime::start(RuntimeOptions {
        cameras: Some(vec![("slow".into(), slow), ("gone".into(), missing)]),
        ..options(dir.path())
    })
    .unwrap();
    let slow_slot = runtime.cameras()[0].slot.clone();
    eventually("the first slow frame", || {
        slow_slot.counters().produced >= 1
    });
    let started = Instant::now();
    let report = runtime.shutdown();
    let took = started.elapsed();
    assert!(report.timed_out.is_empty(), "{report:?}");
    assert!(
        report.phases[0].elapsed < Duration::from_millis(500),
        "stopping the cameras took {:?}",
        report.phases[0].elapsed
    );
    assert!(took < Duration::from_secs(2), "shutdown took {took:?}");
}

#[test]
fn frames_are_shrunk_for_the_screen_when_shown_small_and_kept_whole_for_inspection() {
    use qcstation::camera::{DemoScene, FrameSize, SourceSpec};
    let dir = tempfile::tempdir().unwrap();
    let spec = SourceSpec::demo(DemoScene::Qr)
        .with_size(FrameSize::new(640, 480))
        .with_fps(30.0);
    let runtime = Runtime::start(RuntimeOptions {
        cameras: Some(vec![("bay".into(), spec)]),
        ..options(dir.path())
    })
    .unwrap();
    runtime.set_live_view(true);
    let slot = runtime.cameras()[0].slot.clone();
    slot.set_display_size(FrameSize::new(150, 110));
    let mut seen = 0;
    let frame = loop {
        eventually("a new frame", || slot.counters().produced > seen);
        let frame = slot.take_newer(seen).unwrap();
        seen = frame.seq;
        if frame.display.is_some() {
            break frame;
        }
    };
    assert_eq!(
        frame.image.dimensions(),
        (640, 480),
        "inspection keeps every pixel"
    );
    assert_eq!(
        frame.display_image().dimensions(),
        (160, 120),
        "shrunk 4x for a 150x110 tile"
    );
    // Shown large again: no shrunk copy.
    slot.set_display_size(FrameSize::new(600, 450));
    std::thread::sleep(Duration::from_millis(100));
    let frame = slot.take_newer(seen).unwrap();
    assert!(frame.display.is_none());
}

#[test]
fn a_fed_vision_pool_sees_the_cameras_continuous_frames() {
    use qcstation::camera::{DemoScene, FrameSize, SourceSpec};
    let dir = tempfile::tempdir().unwrap();
    let spec = SourceSpec::demo(DemoScene::Label)
        .with_size(FrameSize::new(160, 120))
        .with_fps(30.0);
    let mut runtime = Runtime::start(RuntimeOptions {
        cameras: Some(vec![("a".into(), spec.clone()), ("b".into(), spec)]),
        ..options(dir.path())
    })
    .unwrap();
    let handler = Arc::new(Counting::default());
    let queue = runtime
        .start_vision(handler.clone(), 1, VisionLanes::default())
        .unwrap();
    assert_eq!(queue.counts().frames_queued, 0, "not fed yet");
    runtime.feed_vision(queue.clone());
    eventually("frames from both cameras", || {
        handler.frames.load(Ordering::SeqCst) >= 20
    });
    let counts = queue.counts();
    assert!(counts.frames_queued >= 20, "{counts:?}");
    assert_eq!(counts.triggers_queued, 0);
}
