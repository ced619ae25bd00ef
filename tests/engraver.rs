//! The engraver worker through the public runtime, on the station's simulated laser (a real
//! pseudo-terminal and the real serial code): a batch is allocated, queued and engraved, and each
//! mark read back by the simulated bench camera and the item moved to `verified`; hold and resume from the bench; stopping the station mid-job
//! aborts it keeping position and records it interrupted at its last line.

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::time::{Duration, Instant};

use qcstation::domain::{Actor, ItemStatus, JobStatus, LotKey, LotRule};
use qcstation::engrave::{LaserSettings, MachineSettings};
use qcstation::runtime::{
    EngraverCommand, EngraverEvent, EngraverHandle, LaserPlan, Runtime, RuntimeOptions,
};
use qcstation::store::{BatchRequest, ItemFilter, JobFilter, Store};

fn start(dir: &std::path::Path, time_scale: f64) -> Runtime {
    Runtime::start(RuntimeOptions {
        laser: Some(LaserPlan::Simulated {
            time_scale,
            machine: MachineSettings::desktop_diode(),
        }),
        ..RuntimeOptions::scratch(dir.join("station.sqlite"))
    })
    .unwrap()
}

fn eventually(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until the job on the machine has had more than `lines` lines acknowledged.
fn wait_running(engraver: &EngraverHandle, lines: usize) {
    eventually("the job to run", Duration::from_secs(20), || {
        engraver
            .view()
            .running
            .as_ref()
            .is_some_and(|r| r.lines_acked > lines)
    });
}

fn batch(count: u32) -> BatchRequest {
    BatchRequest {
        key: LotKey::new("PAD", "V0100", "L2025-09", &LotRule::default()).unwrap(),
        count,
        manufactured_on: chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
        warranty_years: 2,
    }
}

fn queue_and_start(engraver: &EngraverHandle, count: u32) {
    let actor = Actor::console("test");
    eventually("the laser to connect", Duration::from_secs(10), || {
        engraver.view().connected
    });
    engraver
        .send(EngraverCommand::QueueBatch {
            actor: actor.clone(),
            request: batch(count),
            settings: LaserSettings::default(),
        })
        .unwrap();
    eventually("the jobs to be queued", Duration::from_secs(10), || {
        engraver.view().jobs.len() == count as usize
    });
    engraver
        .send(EngraverCommand::StartQueue { actor })
        .unwrap();
}

#[test]
fn a_batch_is_allocated_queued_and_engraved_item_by_item() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = start(dir.path(), 100.0);
    let engraver = runtime.engraver().unwrap().clone();
    queue_and_start(&engraver, 3);
    let mut saw_progress = false;
    // A loaded machine starves the 100x simulator's planner now and then: slower, not wrong.
    eventually("every job to be done", Duration::from_secs(180), || {
        let view = engraver.view();
        if let Some(running) = &view.running {
            saw_progress |= running.lines_acked > 0 && running.lines_acked < running.lines_total;
        }
        view.jobs.iter().all(|job| job.status == JobStatus::Done) && !view.queue_running
    });
    assert!(saw_progress, "progress was published while a job ran");
    let events: Vec<EngraverEvent> = engraver.events().try_iter().collect();
    assert!(
        events.contains(&EngraverEvent::Info("The queue is done".into())),
        "{events:?}"
    );
    drop(runtime);
    let store = Store::open(&dir.path().join("station.sqlite")).unwrap();
    let items = store.items(&ItemFilter::default()).unwrap();
    assert_eq!(items.len(), 3);
    // The simulated bench camera saw each mark the simulated laser burned: read as its own UID,
    // graded, the image kept.
    for item in &items {
        assert_eq!(item.status, ItemStatus::Verified, "{item:?}");
        let uid = item.uid.parse().unwrap();
        let checks = store.verifications(&uid, 0).unwrap();
        assert_eq!(checks.len(), 1, "{checks:?}");
        let check = &checks[0];
        assert!(check.decoded && check.matched, "{check:?}");
        assert_eq!(check.payload_read.as_deref(), Some(item.uid.as_str()));
        assert!(check.overall_grade.is_some(), "{check:?}");
        let image = dir
            .path()
            .join("images")
            .join(check.image_path.as_ref().unwrap());
        assert!(image.is_file(), "{}", image.display());
        assert!(
            item.verification
                .as_deref()
                .unwrap()
                .starts_with("decoded, 1 attempt")
        );
    }
    let jobs = store.engrave_jobs(&JobFilter::default()).unwrap();
    assert!(
        jobs.iter()
            .all(|job| job.lines_acked == job.lines_total && job.attempts == 1)
    );
}

#[test]
fn hold_pauses_the_job_and_resume_finishes_it() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = start(dir.path(), 10.0);
    let engraver = runtime.engraver().unwrap().clone();
    queue_and_start(&engraver, 1);
    wait_running(&engraver, 50);
    engraver.send(EngraverCommand::Hold).unwrap();
    eventually("the hold", Duration::from_secs(10), || {
        engraver.view().state.as_deref() == Some("Hold:0")
    });
    let held = engraver.view().running.clone().unwrap();
    assert!(held.paused);
    std::thread::sleep(Duration::from_millis(500));
    let later = engraver.view().running.clone().unwrap();
    assert_eq!(
        later.lines_acked, held.lines_acked,
        "nothing moves in a hold"
    );
    engraver.send(EngraverCommand::Resume).unwrap();
    eventually("the job to finish", Duration::from_secs(60), || {
        engraver
            .view()
            .jobs
            .first()
            .is_some_and(|job| job.status == JobStatus::Done)
    });
}

#[test]
fn stopping_the_station_mid_job_records_it_interrupted_and_it_resumes_from_a_chosen_line() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = start(dir.path(), 1.0);
    let engraver = runtime.engraver().unwrap().clone();
    queue_and_start(&engraver, 1);
    wait_running(&engraver, 30);
    let report = runtime.shutdown();
    assert!(report.timed_out.is_empty(), "{report:?}");
    let store = Store::open(&dir.path().join("station.sqlite")).unwrap();
    let job = store.engrave_jobs(&JobFilter::default()).unwrap().remove(0);
    assert_eq!(job.status, JobStatus::Interrupted, "{job:?}");
    assert!(job.lines_acked >= 30 && job.lines_acked < job.lines_total);
    assert!(
        job.outcome.as_deref().unwrap().contains("position kept"),
        "{job:?}"
    );
    let item = store.items(&ItemFilter::default()).unwrap().remove(0);
    assert_eq!(
        item.status,
        ItemStatus::Allocated,
        "a half-made mark is not engraved"
    );
    drop(store);

    // The next day: the operator resumes it a few lines before where it stopped.
    let runtime = start(dir.path(), 100.0);
    let engraver = runtime.engraver().unwrap().clone();
    eventually("the laser to connect", Duration::from_secs(10), || {
        engraver.view().connected
    });
    let from_line = job.lines_acked - 10;
    engraver
        .send(EngraverCommand::ResumeJob {
            actor: Actor::console("test"),
            job_id: job.id,
            from_line,
        })
        .unwrap();
    eventually(
        "the resumed job to finish",
        Duration::from_secs(120),
        || {
            engraver
                .view()
                .jobs
                .first()
                .is_some_and(|j| j.status == JobStatus::Done)
        },
    );
    drop(runtime);
    let store = Store::open(&dir.path().join("station.sqlite")).unwrap();
    let resumed = store.engrave_jobs(&JobFilter::default()).unwrap().remove(0);
    assert_eq!(
        (resumed.attempts, resumed.lines_acked),
        (2, resumed.lines_total)
    );
    // Engraved, then read back by the bench camera. (The simulated part lost the lines burned
    // before the restart, the simulator's log being in memory; the mark still reads, its error
    // correction covering the few rows missing.)
    let item = store.items(&ItemFilter::default()).unwrap().remove(0);
    assert_eq!(item.status, ItemStatus::Verified);
}

#[test]
fn moving_the_machine_needs_the_operate_role_in_the_worker_too() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = start(dir.path(), 50.0);
    let engraver = runtime.engraver().unwrap().clone();
    eventually("the laser to connect", Duration::from_secs(10), || {
        engraver.view().connected
    });
    let viewer = Actor {
        user_id: None,
        name: "vic".into(),
        role: qcstation::domain::Role::Viewer,
    };
    engraver
        .send(EngraverCommand::Jog {
            actor: viewer.clone(),
            dx_mm: 5.0,
            dy_mm: 0.0,
            feed_mm_per_min: 1500.0,
        })
        .unwrap();
    engraver
        .send(EngraverCommand::Unlock { actor: viewer })
        .unwrap();
    let mut refused = Vec::new();
    eventually("two refusals", Duration::from_secs(10), || {
        refused.extend(
            engraver
                .events()
                .try_iter()
                .filter_map(|event| match event {
                    EngraverEvent::Refused(text) => Some(text),
                    _ => None,
                }),
        );
        refused.len() >= 2
    });
    assert!(
        refused[0].contains("vic (viewer) may not jog"),
        "{refused:?}"
    );
    assert!(refused[1].contains("may not unlock"), "{refused:?}");
    assert_eq!(
        engraver.view().position_mm.map(|p| p[0]),
        Some(0.0),
        "nothing moved"
    );
    // An operator's jog moves it.
    engraver
        .send(EngraverCommand::Jog {
            actor: Actor::console("test"),
            dx_mm: 5.0,
            dy_mm: 0.0,
            feed_mm_per_min: 1500.0,
        })
        .unwrap();
    eventually("the jog", Duration::from_secs(10), || {
        engraver
            .view()
            .position_mm
            .is_some_and(|p| (p[0] - 5.0).abs() < 1e-6)
    });
}

/// A laser left at 1 % power leaves almost no mark: the bench camera cannot read it, the item is
/// `engrave_failed` with the reason, and the done job may be engraved again on a fresh part
/// (which the running queue does at once).
#[test]
fn a_mark_too_faint_to_read_fails_its_item_and_the_job_can_be_engraved_again() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = start(dir.path(), 100.0);
    let engraver = runtime.engraver().unwrap().clone();
    let actor = Actor::console("test");
    eventually("the laser to connect", Duration::from_secs(10), || {
        engraver.view().connected
    });
    let settings = LaserSettings {
        power_percent: 1.0,
        ..LaserSettings::default()
    };
    engraver
        .send(EngraverCommand::QueueBatch {
            actor: actor.clone(),
            request: batch(1),
            settings,
        })
        .unwrap();
    eventually("the job to be queued", Duration::from_secs(10), || {
        engraver.view().jobs.len() == 1
    });
    engraver
        .send(EngraverCommand::StartQueue {
            actor: actor.clone(),
        })
        .unwrap();
    eventually("the mark to be judged", Duration::from_secs(180), || {
        let view = engraver.view();
        view.jobs
            .first()
            .is_some_and(|job| view.verifications.contains_key(&job.id))
    });
    let view = engraver.view();
    let job = view.jobs[0].clone();
    let record = &view.verifications[&job.id];
    assert_eq!(job.status, JobStatus::Done);
    assert!(!record.matched, "{record:?}");
    assert!(
        record.reason.as_deref().unwrap().contains("did not decode"),
        "{record:?}"
    );
    engraver
        .send(EngraverCommand::Retry {
            actor,
            job_id: job.id,
        })
        .unwrap();
    // The queue is still running: it takes the job again at once, on a fresh part (here with
    // the same faint settings, so the mark fails again).
    let first = record.id;
    eventually(
        "the mark to be judged again",
        Duration::from_secs(180),
        || {
            engraver
                .view()
                .verifications
                .get(&job.id)
                .is_some_and(|again| again.id != first)
        },
    );
    drop(runtime);
    let store = Store::open(&dir.path().join("station.sqlite")).unwrap();
    let item = store.items(&ItemFilter::default()).unwrap().remove(0);
    assert_eq!(item.status, ItemStatus::EngraveFailed);
    assert_eq!(
        store
            .verifications(&item.uid.parse().unwrap(), 0)
            .unwrap()
            .len(),
        2
    );
    let history: Vec<ItemStatus> = store
        .item_history(&item.uid.parse().unwrap())
        .unwrap()
        .into_iter()
        .map(|step| step.to)
        .collect();
    assert_eq!(
        history,
        [
            ItemStatus::Allocated,
            ItemStatus::Engraved,
            ItemStatus::EngraveFailed,
            ItemStatus::Allocated,
            ItemStatus::Engraved,
            ItemStatus::EngraveFailed,
        ]
    );
}
