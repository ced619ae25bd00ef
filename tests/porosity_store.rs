//! Porosity records in a real SQLite file: inspections with their pores and filters, signed
//! dispositions (role, reason, signature, once only, audited with old and new state), and
//! versioned recipes (a save adds a version, audited with the previous body).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use common::{actor, demo_store, inspection};

use qcstation::auth::verify_secret;
use qcstation::domain::{Disposition, DispositionState, Verdict};
use qcstation::store::{
    AuditFilter, DispositionOutcome, InspectionFilter, SecretCheck, Store, StoreError,
};

fn signature(store: &Store, name: &str, secret: &str) -> SecretCheck {
    let stored = store.stored_secret(name).unwrap().unwrap();
    let matches = verify_secret(&stored.phc, secret).unwrap();
    SecretCheck { stored, matches }
}

#[test]
fn inspections_round_trip_with_pores_and_filter_by_verdict_camera_serial_and_pending() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = demo_store(dir.path());
    let a = store
        .save_inspection(&inspection(1, "Porosity A", Verdict::Reject, 3))
        .unwrap();
    let b = store
        .save_inspection(&inspection(1, "Porosity B", Verdict::Accept, 0))
        .unwrap();
    store
        .save_inspection(&inspection(2, "Porosity A", Verdict::Warn, 1))
        .unwrap();
    let reader = store.reader().unwrap();
    let stored = reader.inspection(a).unwrap().unwrap();
    assert_eq!(stored.verdict, Verdict::Reject);
    assert_eq!(stored.pore_count, 3);
    assert_eq!(stored.failed_rules, ["max_diameter_mm"]);
    assert_eq!(stored.disposition, DispositionState::Pending);
    assert_eq!(
        reader.inspection(b).unwrap().unwrap().disposition,
        DispositionState::NotNeeded
    );
    let pores = reader.inspection_pores(a).unwrap();
    assert_eq!(pores.len(), 3);
    assert_eq!(pores[2].n, 3);
    assert!((pores[2].diameter_mm - 0.9).abs() < 1e-6);
    assert_eq!(pores[0].verdict, Some(Verdict::Reject));

    let all = reader.inspections(&InspectionFilter::default()).unwrap();
    assert_eq!(
        all.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![a + 2, b, a],
        "newest first"
    );
    let count = |filter: InspectionFilter| reader.inspections(&filter).unwrap().len();
    assert_eq!(
        count(InspectionFilter {
            verdict: Some(Verdict::Reject),
            ..InspectionFilter::default()
        }),
        1
    );
    assert_eq!(
        count(InspectionFilter {
            camera: Some("Porosity A".into()),
            ..InspectionFilter::default()
        }),
        2
    );
    assert_eq!(
        count(InspectionFilter {
            serial: Some("0002".into()),
            ..InspectionFilter::default()
        }),
        1
    );
    assert_eq!(
        count(InspectionFilter {
            pending_only: true,
            ..InspectionFilter::default()
        }),
        2
    );
    assert_eq!(
        count(InspectionFilter {
            from_utc: Some("2999-01-01T00:00:00.000Z".into()),
            ..InspectionFilter::default()
        }),
        0
    );
    assert_eq!(reader.count_pending_dispositions().unwrap(), 2);
    assert_eq!(
        reader
            .pore_sizes(&InspectionFilter::default())
            .unwrap()
            .len(),
        4
    );
}

#[test]
fn a_disposition_needs_an_engineer_a_reason_and_the_right_secret_and_is_made_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = demo_store(dir.path());
    let id = store
        .save_inspection(&inspection(1, "Porosity A", Verdict::Reject, 1))
        .unwrap();
    let accepted = store
        .save_inspection(&inspection(2, "Porosity A", Verdict::Accept, 0))
        .unwrap();
    let erik = actor(&store, "erik");
    let olga = actor(&store, "olga");

    // An operator may not sign (the roles table: engineers sign dispositions).
    let refused = store.dispose(
        &olga,
        id,
        Disposition::Scrap,
        "leak path",
        &signature(&store, "olga", "1234"),
    );
    assert!(
        matches!(refused, Err(StoreError::Forbidden { .. })),
        "{refused:?}"
    );

    // No reason: refused before anything.
    let good = signature(&store, "erik", "Demo-engineer-2026");
    assert!(
        store
            .dispose(&erik, id, Disposition::Scrap, "  ", &good)
            .is_err()
    );

    // A wrong secret changes nothing but leaves an audit row.
    let wrong = signature(&store, "erik", "not-the-password");
    assert!(!wrong.matches);
    let outcome = store
        .dispose(&erik, id, Disposition::Scrap, "leak path", &wrong)
        .unwrap();
    assert_eq!(outcome, DispositionOutcome::SignatureRefused);
    assert_eq!(
        store.inspection(id).unwrap().unwrap().disposition,
        DispositionState::Pending
    );

    // Another user's correct secret is not erik's signature either.
    let someone_else = signature(&store, "olga", "1234");
    assert_eq!(
        store
            .dispose(&erik, id, Disposition::Scrap, "leak path", &someone_else)
            .unwrap(),
        DispositionOutcome::SignatureRefused
    );

    let DispositionOutcome::Recorded(record) = store
        .dispose(
            &erik,
            id,
            Disposition::Rework,
            "pore at the edge: re-machine",
            &good,
        )
        .unwrap()
    else {
        panic!("the right secret signs");
    };
    assert_eq!(
        record.disposition,
        DispositionState::Done(Disposition::Rework)
    );
    assert_eq!(record.disposition_by.as_deref(), Some("erik"));
    assert_eq!(store.count_pending_dispositions().unwrap(), 0);

    // Once only, and never for an ACCEPT.
    let again = store.dispose(&erik, id, Disposition::Scrap, "changed my mind", &good);
    assert!(
        again
            .unwrap_err()
            .to_string()
            .contains("already dispositioned")
    );
    let not_needed = store.dispose(&erik, accepted, Disposition::Scrap, "why", &good);
    assert!(
        not_needed
            .unwrap_err()
            .to_string()
            .contains("needs no disposition")
    );

    let rows = store
        .reader()
        .unwrap()
        .audit(&AuditFilter {
            limit: 50,
            ..AuditFilter::default()
        })
        .unwrap();
    let actions: Vec<&str> = rows.iter().map(|row| row.entry.action.as_str()).collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "inspection.signature_refused")
            .count(),
        2
    );
    let signed = rows
        .iter()
        .find(|row| row.entry.action == "inspection.disposition")
        .unwrap();
    assert_eq!(signed.entry.old_value.as_deref(), Some("pending (REJECT)"));
    assert_eq!(signed.entry.new_value.as_deref(), Some("rework"));
    assert_eq!(
        signed.entry.reason.as_deref(),
        Some("pore at the edge: re-machine")
    );
    assert!(store.reader().unwrap().verify_audit().unwrap().is_intact());
}

#[test]
fn saving_a_recipe_adds_a_version_audited_with_the_previous_body() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = demo_store(dir.path());
    let erik = actor(&store, "erik");
    let olga = actor(&store, "olga");
    let v1 = "part_number = \"TC-1\"\nthreshold = 0.5\n";
    let v2 = "part_number = \"TC-1\"\nthreshold = 0.6\n";
    assert!(matches!(
        store.save_recipe(&olga, "TC-1", v1, ""),
        Err(StoreError::Forbidden { .. })
    ));
    let first = store.save_recipe(&erik, "TC-1", v1, "first").unwrap();
    assert_eq!(first.version, 1);
    let same = store.save_recipe(&erik, "TC-1", v1, "again");
    assert!(same.unwrap_err().to_string().contains("nothing to save"));
    let second = store
        .save_recipe(&erik, "TC-1", v2, "threshold up")
        .unwrap();
    assert_eq!(second.version, 2);
    assert_eq!(store.latest_recipe("TC-1").unwrap().unwrap().body_toml, v2);
    assert_eq!(
        store.recipe_version("TC-1", 1).unwrap().unwrap().body_toml,
        v1,
        "an old version is never edited"
    );
    assert_eq!(store.recipe_history("TC-1").unwrap().len(), 2);
    let parts: Vec<String> = store
        .latest_recipes()
        .unwrap()
        .into_iter()
        .map(|r| format!("{} v{}", r.part_number, r.version))
        .collect();
    assert_eq!(
        parts,
        ["HSG-4471 v1", "TC-1 v2"],
        "the demo recipe and this one"
    );
    let row = store
        .reader()
        .unwrap()
        .audit(&AuditFilter {
            limit: 1,
            ..AuditFilter::default()
        })
        .unwrap()
        .remove(0)
        .entry;
    assert_eq!(row.action, "recipe.save");
    assert_eq!(row.entity_id, "TC-1 v2");
    assert_eq!(row.old_value.as_deref(), Some(v1));
    assert_eq!(row.new_value.as_deref(), Some(v2));
    assert_eq!(row.reason.as_deref(), Some("threshold up"));
}

#[test]
fn a_camera_is_calibrated_by_an_engineer_with_a_sane_scale_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = demo_store(dir.path());
    let erik = actor(&store, "erik");
    let olga = actor(&store, "olga");
    let scale_of = |store: &Store, name: &str| {
        store
            .cameras()
            .unwrap()
            .into_iter()
            .find(|camera| camera.name == name)
            .unwrap()
            .mm_per_px
    };
    assert_eq!(
        scale_of(&store, "Porosity A"),
        Some(0.03),
        "the demo's scale"
    );
    assert_eq!(scale_of(&store, "Label"), None);
    assert!(matches!(
        store.calibrate_camera(&olga, "Label", Some(0.05)),
        Err(StoreError::Forbidden { .. })
    ));
    for bad in [0.0, -1.0, f64::NAN, 12.0] {
        assert!(
            store.calibrate_camera(&erik, "Label", Some(bad)).is_err(),
            "{bad}"
        );
    }
    assert!(
        store
            .calibrate_camera(&erik, "No such", Some(0.05))
            .is_err()
    );
    store.calibrate_camera(&erik, "Label", Some(0.05)).unwrap();
    assert_eq!(scale_of(&store, "Label"), Some(0.05));
    store.calibrate_camera(&erik, "Label", None).unwrap();
    assert_eq!(scale_of(&store, "Label"), None);
    let rows = store
        .reader()
        .unwrap()
        .audit(&AuditFilter {
            limit: 2,
            ..AuditFilter::default()
        })
        .unwrap();
    let (cleared, set) = (&rows[0].entry, &rows[1].entry);
    assert_eq!(set.action, "camera.calibrate");
    assert_eq!(set.old_value, None);
    assert_eq!(set.new_value.as_deref(), Some("0.05 mm/px"));
    assert_eq!(cleared.old_value.as_deref(), Some("0.05 mm/px"));
    assert_eq!(cleared.new_value, None);
}
