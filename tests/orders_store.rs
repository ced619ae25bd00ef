//! Work orders, stages and issues against a real SQLite file: an order gets its stages from the
//! default routing (or the product's own) with the planned window split evenly; stages move
//! through their state machine and refuse illegal moves naming the allowed ones; roles and
//! assignments are enforced in the store; issues go open → acknowledged → resolved and filter;
//! every change is in the audit trail and the chain verifies.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use common::{actor, demo_store};
use qcstation::auth::new_secret_hash;
use qcstation::domain::orders::{
    IssueStatus, IssueType, StageAction, StageStatus, WorkOrder, WorkOrderStatus,
};
use qcstation::domain::{Actor, Role};
use qcstation::store::{AuditFilter, IssueFilter, Store, StoreError, WorkOrderFilter};

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
}

fn order(product: &str, lot: &str, day: u32) -> WorkOrder {
    WorkOrder::new(product, lot, 40, at(day, 6), at(day, 16)).unwrap()
}

/// The audit trail's actions, oldest first.
fn actions(store: &Store) -> Vec<String> {
    store
        .reader()
        .unwrap()
        .audit(&AuditFilter::default())
        .unwrap()
        .into_iter()
        .rev()
        .map(|row| row.entry.action)
        .collect()
}

/// Each of `expected` is in the audit trail, and the trail's chain verifies.
fn assert_audited(store: &Store, expected: &[&str]) {
    let actions = actions(store);
    for action in expected {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    assert!(store.reader().unwrap().verify_audit().unwrap().is_intact());
}

#[test]
fn an_order_gets_the_default_routing_with_the_window_split_evenly() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = demo_store(dir.path());
    let erik = actor(&store, "erik");
    let created = store
        .create_work_order(&erik, &order("TC-1", "L7", 2))
        .unwrap();
    assert_eq!(created.order.status, WorkOrderStatus::Planned);
    assert_eq!(created.created_by, "erik");
    let stages = store.work_order_stages(created.id).unwrap();
    let names: Vec<&str> = stages.iter().map(|s| s.stage.name.as_str()).collect();
    assert_eq!(
        names,
        ["kitting", "assembly", "inspection", "engraving", "packing"]
    );
    for (index, record) in stages.iter().enumerate() {
        let stage = &record.stage;
        assert_eq!(stage.sequence as usize, index + 1);
        assert_eq!(stage.status, StageStatus::Planned);
        assert_eq!(
            stage.planned_end_utc - stage.planned_start_utc,
            Duration::hours(2)
        );
        assert_eq!(stage.actual_start_utc, None);
    }
    assert_eq!(stages[0].stage.planned_start_utc, at(2, 6));
    assert_eq!(stages[4].stage.planned_end_utc, at(2, 16));

    // A product with its own routing gets that one.
    store
        .set_routing(&erik, "TC-2", &["kitting".into(), "welding".into()])
        .unwrap();
    let other = store
        .create_work_order(&erik, &order("TC-2", "L8", 3))
        .unwrap();
    let names: Vec<String> = store
        .work_order_stages(other.id)
        .unwrap()
        .into_iter()
        .map(|s| s.stage.name)
        .collect();
    assert_eq!(names, ["kitting", "welding"]);
    assert!(actions(&store).ends_with(&[
        "work_order.create".to_owned(),
        "routing.set".to_owned(),
        "work_order.create".to_owned()
    ]));
}

#[test]
fn stages_move_through_their_states_and_illegal_moves_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = demo_store(dir.path());
    let erik = actor(&store, "erik");
    let olga = actor(&store, "olga");
    let id = store
        .create_work_order(&erik, &order("TC-1", "L7", 2))
        .unwrap()
        .id;
    let kitting = store.work_order_stages(id).unwrap()[0].id;

    let err = store
        .transition_stage(&olga, kitting, StageAction::Finish)
        .unwrap_err();
    assert!(matches!(err, StoreError::StageTransition(_)), "{err}");
    assert_eq!(
        err.to_string(),
        "stage 'kitting' cannot finish: it is planned; allowed from planned: start, block"
    );

    let started = store
        .transition_stage(&olga, kitting, StageAction::Start)
        .unwrap();
    assert_eq!(started.stage.status, StageStatus::InProgress);
    assert!(started.stage.actual_start_utc.is_some());
    assert_eq!(
        store.work_order(id).unwrap().unwrap().order.status,
        WorkOrderStatus::InProgress
    );
    let blocked = store
        .transition_stage(&olga, kitting, StageAction::Block)
        .unwrap();
    assert_eq!(
        (blocked.stage.status, blocked.stage.blocked_from),
        (StageStatus::Blocked, Some(StageStatus::InProgress))
    );
    let err = store
        .transition_stage(&olga, kitting, StageAction::Finish)
        .unwrap_err();
    assert!(
        err.to_string().ends_with("allowed from blocked: unblock"),
        "{err}"
    );
    let back = store
        .transition_stage(&olga, kitting, StageAction::Unblock)
        .unwrap();
    assert_eq!(
        (back.stage.status, back.stage.blocked_from),
        (StageStatus::InProgress, None)
    );
    let done = store
        .transition_stage(&olga, kitting, StageAction::Finish)
        .unwrap();
    assert!(done.stage.actual_end_utc.is_some());
    let err = store
        .transition_stage(&olga, kitting, StageAction::Start)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "stage 'kitting' cannot start: it is done; allowed from done: none"
    );
    // The stored stage is what the calls returned.
    assert_eq!(store.stage(kitting).unwrap(), done);

    // Finishing every stage finishes the order.
    for record in store.work_order_stages(id).unwrap().into_iter().skip(1) {
        store
            .transition_stage(&olga, record.id, StageAction::Start)
            .unwrap();
        store
            .transition_stage(&olga, record.id, StageAction::Finish)
            .unwrap();
    }
    assert_eq!(
        store.work_order(id).unwrap().unwrap().order.status,
        WorkOrderStatus::Done
    );
    assert_audited(
        &store,
        &[
            "stage.start",
            "stage.block",
            "stage.unblock",
            "stage.finish",
            "work_order.status",
        ],
    );
}

#[test]
fn roles_and_assignments_are_enforced_and_refusals_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = demo_store(dir.path());
    let erik = actor(&store, "erik");
    let olga = actor(&store, "olga");
    let vic = actor(&store, "vic");
    for who in [&vic, &olga] {
        let err = store
            .create_work_order(who, &order("TC-1", "L7", 2))
            .unwrap_err();
        assert!(matches!(err, StoreError::Forbidden { .. }), "{err}");
        assert!(err.to_string().contains("create a work order"), "{err}");
    }
    assert!(
        store
            .work_orders(&WorkOrderFilter::default())
            .unwrap()
            .is_empty()
    );

    let id = store
        .create_work_order(&erik, &order("TC-1", "L7", 2))
        .unwrap()
        .id;
    let stages = store.work_order_stages(id).unwrap();
    let err = store
        .transition_stage(&vic, stages[0].id, StageAction::Start)
        .unwrap_err();
    assert!(matches!(err, StoreError::Forbidden { .. }), "{err}");
    assert!(matches!(
        store
            .assign_stage(&olga, stages[0].id, Some("olga"))
            .unwrap_err(),
        StoreError::Forbidden { .. }
    ));

    // Another operator, and assignments.
    store
        .add_user(
            &Actor::console("test"),
            "otto",
            Role::Operator,
            &new_secret_hash(Role::Operator, "4821").unwrap(),
        )
        .unwrap();
    let otto = actor(&store, "otto");
    store
        .assign_stage(&erik, stages[1].id, Some("olga"))
        .unwrap();
    store
        .assign_stage(&erik, stages[3].id, Some("olga"))
        .unwrap();
    store
        .assign_stage(&erik, stages[2].id, Some("otto"))
        .unwrap();
    assert!(matches!(
        store
            .assign_stage(&erik, stages[2].id, Some("nobody"))
            .unwrap_err(),
        StoreError::UnknownUser(_)
    ));
    let err = store
        .assign_stage(&erik, stages[2].id, Some("vic"))
        .unwrap_err();
    assert!(err.to_string().contains("viewer"), "{err}");

    let mine: Vec<i64> = store
        .assigned_stages("olga")
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(mine, [stages[1].id, stages[3].id], "by planned start");

    // Olga may not work Otto's stage; an engineer may; unassigned stages are open to all.
    let err = store
        .transition_stage(&olga, stages[2].id, StageAction::Start)
        .unwrap_err();
    assert!(matches!(err, StoreError::NotAssigned { .. }), "{err}");
    assert!(err.to_string().contains("assigned to otto"), "{err}");
    store
        .transition_stage(&otto, stages[2].id, StageAction::Start)
        .unwrap();
    store
        .transition_stage(&erik, stages[2].id, StageAction::Block)
        .unwrap();
    store
        .transition_stage(&olga, stages[0].id, StageAction::Start)
        .unwrap();
    store
        .transition_stage(&olga, stages[1].id, StageAction::Start)
        .unwrap();
    store
        .transition_stage(&olga, stages[1].id, StageAction::Finish)
        .unwrap();
    let mine: Vec<i64> = store
        .assigned_stages("olga")
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(mine, [stages[3].id], "a done stage leaves My work");

    let reader = store.reader().unwrap();
    let denied = reader
        .audit(&AuditFilter {
            action_prefix: "denied".into(),
            ..AuditFilter::default()
        })
        .unwrap();
    assert_eq!(denied.len(), 5, "{denied:?}");
    assert!(denied.iter().any(|row| row.entry.user_name == "olga"
        && row.entry.reason.as_deref() == Some("assigned to otto")));
    assert!(reader.verify_audit().unwrap().is_intact());
}

#[test]
fn work_orders_filter_by_status_product_and_dates() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = demo_store(dir.path());
    let erik = actor(&store, "erik");
    let first = store
        .create_work_order(&erik, &order("TC-1", "L1", 2))
        .unwrap();
    let second = store
        .create_work_order(&erik, &order("TC-2", "L2", 3))
        .unwrap();
    let third = store
        .create_work_order(&erik, &order("TC-1", "L3", 4))
        .unwrap();
    let stage = store.work_order_stages(second.id).unwrap()[0].id;
    store
        .transition_stage(&erik, stage, StageAction::Start)
        .unwrap();

    let ids = |filter: WorkOrderFilter| -> Vec<i64> {
        store
            .work_orders(&filter)
            .unwrap()
            .into_iter()
            .map(|o| o.id)
            .collect()
    };
    assert_eq!(
        ids(WorkOrderFilter::default()),
        [first.id, second.id, third.id]
    );
    assert_eq!(
        ids(WorkOrderFilter {
            product_code: Some("TC-1".into()),
            ..WorkOrderFilter::default()
        }),
        [first.id, third.id]
    );
    assert_eq!(
        ids(WorkOrderFilter {
            status: Some(WorkOrderStatus::InProgress),
            ..WorkOrderFilter::default()
        }),
        [second.id]
    );
    assert_eq!(
        ids(WorkOrderFilter {
            from_utc: Some(at(3, 0)),
            to_utc: Some(at(4, 0)),
            ..WorkOrderFilter::default()
        }),
        [second.id],
        "only the order planned on the 3rd overlaps"
    );
    assert_eq!(
        ids(WorkOrderFilter {
            limit: 1,
            offset: 1,
            ..WorkOrderFilter::default()
        }),
        [second.id],
        "paged"
    );
}

#[test]
fn issues_go_from_open_to_resolved_and_filter() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = demo_store(dir.path());
    let erik = actor(&store, "erik");
    let olga = actor(&store, "olga");
    let vic = actor(&store, "vic");
    let one = store
        .create_work_order(&erik, &order("TC-1", "L1", 2))
        .unwrap()
        .id;
    let two = store
        .create_work_order(&erik, &order("TC-1", "L2", 3))
        .unwrap()
        .id;
    let stage_one = store.work_order_stages(one).unwrap()[1].id;
    let stage_two = store.work_order_stages(two).unwrap()[0].id;

    let err = store
        .raise_issue(&olga, stage_one, IssueType::Material, "  ")
        .unwrap_err();
    assert!(err.to_string().contains("'description'"), "{err}");
    assert!(matches!(
        store
            .raise_issue(&vic, stage_one, IssueType::Material, "no screws")
            .unwrap_err(),
        StoreError::Forbidden { .. }
    ));
    let material = store
        .raise_issue(&olga, stage_one, IssueType::Material, "M4 screws missing")
        .unwrap();
    assert_eq!(material.issue.status, IssueStatus::Open);
    assert_eq!(material.issue.raised_by, "olga");
    assert_eq!(
        (material.work_order_id, material.stage_name.as_str()),
        (one, "assembly")
    );
    let machine = store
        .raise_issue(&olga, stage_two, IssueType::Machine, "press leaks oil")
        .unwrap();

    // Operators raise; engineers acknowledge and resolve, in order.
    assert!(matches!(
        store.acknowledge_issue(&olga, material.id).unwrap_err(),
        StoreError::Forbidden { .. }
    ));
    let err = store
        .resolve_issue(&erik, material.id, "restocked")
        .unwrap_err();
    assert!(matches!(err, StoreError::IssueTransition(_)), "{err}");
    assert!(
        err.to_string().ends_with("allowed from open: acknowledge"),
        "{err}"
    );
    let acknowledged = store.acknowledge_issue(&erik, material.id).unwrap();
    assert_eq!(acknowledged.acknowledged_by.as_deref(), Some("erik"));
    assert!(acknowledged.acknowledged_at_utc.is_some());
    let resolved = store
        .resolve_issue(&erik, material.id, "restocked from stores")
        .unwrap();
    assert_eq!(resolved.issue.status, IssueStatus::Resolved);
    assert_eq!(
        resolved.resolution.as_deref(),
        Some("restocked from stores")
    );
    let err = store.acknowledge_issue(&erik, material.id).unwrap_err();
    assert!(
        err.to_string().ends_with("allowed from resolved: none"),
        "{err}"
    );

    let ids = |filter: IssueFilter| -> Vec<i64> {
        store
            .issues(&filter)
            .unwrap()
            .into_iter()
            .map(|i| i.id)
            .collect()
    };
    assert_eq!(
        ids(IssueFilter::default()),
        [machine.id, material.id],
        "newest first"
    );
    assert_eq!(
        ids(IssueFilter {
            status: Some(IssueStatus::Open),
            ..IssueFilter::default()
        }),
        [machine.id]
    );
    assert_eq!(
        ids(IssueFilter {
            issue_type: Some(IssueType::Material),
            ..IssueFilter::default()
        }),
        [material.id]
    );
    assert_eq!(
        ids(IssueFilter {
            work_order_id: Some(two),
            ..IssueFilter::default()
        }),
        [machine.id]
    );
    assert_audited(
        &store,
        &["issue.raise", "issue.acknowledge", "issue.resolve"],
    );
}

#[test]
fn unknown_ids_and_bad_orders_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = demo_store(dir.path());
    let erik = actor(&store, "erik");
    assert!(matches!(
        store
            .transition_stage(&erik, 999, StageAction::Start)
            .unwrap_err(),
        StoreError::UnknownStage(999)
    ));
    assert!(matches!(
        store.acknowledge_issue(&erik, 999).unwrap_err(),
        StoreError::UnknownIssue(999)
    ));
    let mut bad = order("TC-1", "L1", 2);
    bad.quantity = 0;
    let err = store.create_work_order(&erik, &bad).unwrap_err();
    assert!(
        err.to_string().starts_with("work order field 'quantity'"),
        "{err}"
    );
}
