//! Work orders, their stages and the issues raised on stages, plus per-product routings.
//!
//! Who may do what (checked here, where it runs, with the role re-read from `users`):
//! - planning — set a routing, create a work order, assign a stage — needs `Engineer`;
//! - working a stage (start, finish, block, unblock) and raising an issue need `Operate`. An
//!   operator may act on a stage assigned to them or to nobody; a stage assigned to someone
//!   else is refused (and the refusal recorded) unless the actor is an engineer or above.
//!   Anyone who may operate may raise an issue on any stage: a safety problem is everyone's;
//! - acknowledging and resolving an issue need `Engineer`.
//!
//! Every change is written with its audit row in one transaction (`work_order.create`,
//! `stage.start`, `stage.assign`, `issue.raise`, …). The state machines are the domain's
//! (`domain::orders`); this module stores what they decide. Nothing here spawns threads or
//! knows about the UI.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::audit::{AuditEntry, append};
use super::time::{now_utc, parse_utc, to_text};
use super::{Store, StoreError, StoreReader};
use crate::domain::orders::{
    DEFAULT_ROUTING, IssueAction, IssueStatus, IssueType, Stage, StageAction, StageIssue,
    StageStatus, WorkOrder, WorkOrderStatus, plan_stages,
};
use crate::domain::{Actor, Permission, Role};

/// A stored work order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkOrderRecord {
    pub id: i64,
    pub order: WorkOrder,
    pub created_by: String,
    pub created_at_utc: String,
}

/// A stored stage of a work order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageRecord {
    pub id: i64,
    pub work_order_id: i64,
    pub stage: Stage,
    /// The user name the stage is assigned to.
    pub assigned_to: Option<String>,
}

/// A stored issue with the stage and order it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueRecord {
    pub id: i64,
    pub stage_id: i64,
    pub work_order_id: i64,
    pub stage_name: String,
    pub issue: StageIssue,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at_utc: Option<DateTime<Utc>>,
    pub resolved_by: Option<String>,
    pub resolved_at_utc: Option<DateTime<Utc>>,
    /// What was done, in the resolver's words.
    pub resolution: Option<String>,
}

/// Which work orders to list; unset fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkOrderFilter {
    pub status: Option<WorkOrderStatus>,
    pub product_code: Option<String>,
    /// Orders whose planned window ends after this...
    pub from_utc: Option<DateTime<Utc>>,
    /// ...and starts before this (the window overlaps `[from, to)`).
    pub to_utc: Option<DateTime<Utc>>,
    /// At most this many rows, after skipping `offset`; 0 means all.
    pub limit: usize,
    pub offset: usize,
}

/// Which issues to list; unset fields match everything. Newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueFilter {
    pub status: Option<IssueStatus>,
    pub issue_type: Option<IssueType>,
    pub work_order_id: Option<i64>,
    /// At most this many rows; 0 means all.
    pub limit: usize,
}

fn conversion(index: usize, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, Type::Text, what.into())
}

fn time_at(row: &Row<'_>, index: usize) -> rusqlite::Result<DateTime<Utc>> {
    let text: String = row.get(index)?;
    parse_utc(&text).ok_or_else(|| conversion(index, format!("bad UTC time {text:?}")))
}

fn optional_time_at(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let text: Option<String> = row.get(index)?;
    text.map(|text| {
        parse_utc(&text).ok_or_else(|| conversion(index, format!("bad UTC time {text:?}")))
    })
    .transpose()
}

fn parsed_at<T>(row: &Row<'_>, index: usize) -> rusqlite::Result<T>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    let text: String = row.get(index)?;
    text.parse()
        .map_err(|err: T::Err| conversion(index, err.to_string()))
}

fn optional_parsed_at<T>(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<T>>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    let text: Option<String> = row.get(index)?;
    text.map(|text| {
        text.parse()
            .map_err(|err: T::Err| conversion(index, err.to_string()))
    })
    .transpose()
}

fn limit_of(limit: usize) -> i64 {
    if limit == 0 {
        i64::MAX
    } else {
        i64::try_from(limit).unwrap_or(i64::MAX)
    }
}

const ORDER_COLUMNS: &str = "id, product_code, lot, quantity, planned_start_utc, planned_end_utc,
                             status, created_by, created_at_utc";

fn order_from_row(row: &Row<'_>) -> rusqlite::Result<WorkOrderRecord> {
    Ok(WorkOrderRecord {
        id: row.get(0)?,
        order: WorkOrder {
            product_code: row.get(1)?,
            lot: row.get(2)?,
            quantity: row.get(3)?,
            planned_start_utc: time_at(row, 4)?,
            planned_end_utc: time_at(row, 5)?,
            status: parsed_at(row, 6)?,
        },
        created_by: row.get(7)?,
        created_at_utc: row.get(8)?,
    })
}

const STAGE_COLUMNS: &str = "s.id, s.work_order_id, s.sequence, s.name, s.planned_start_utc,
                             s.planned_end_utc, s.actual_start_utc, s.actual_end_utc, s.status,
                             s.blocked_from, s.assigned_to";

fn stage_from_row(row: &Row<'_>) -> rusqlite::Result<StageRecord> {
    Ok(StageRecord {
        id: row.get(0)?,
        work_order_id: row.get(1)?,
        stage: Stage {
            sequence: row.get(2)?,
            name: row.get(3)?,
            planned_start_utc: time_at(row, 4)?,
            planned_end_utc: time_at(row, 5)?,
            actual_start_utc: optional_time_at(row, 6)?,
            actual_end_utc: optional_time_at(row, 7)?,
            status: parsed_at(row, 8)?,
            blocked_from: optional_parsed_at(row, 9)?,
        },
        assigned_to: row.get(10)?,
    })
}

const ISSUE_COLUMNS: &str = "i.id, i.stage_id, s.work_order_id, s.name, i.issue_type,
                             i.description, i.raised_by, i.raised_at_utc, i.status,
                             i.acknowledged_by, i.acknowledged_at_utc, i.resolved_by,
                             i.resolved_at_utc, i.resolution";

fn issue_from_row(row: &Row<'_>) -> rusqlite::Result<IssueRecord> {
    Ok(IssueRecord {
        id: row.get(0)?,
        stage_id: row.get(1)?,
        work_order_id: row.get(2)?,
        stage_name: row.get(3)?,
        issue: StageIssue {
            issue_type: parsed_at(row, 4)?,
            description: row.get(5)?,
            raised_by: row.get(6)?,
            raised_at_utc: time_at(row, 7)?,
            status: parsed_at(row, 8)?,
        },
        acknowledged_by: row.get(9)?,
        acknowledged_at_utc: optional_time_at(row, 10)?,
        resolved_by: row.get(11)?,
        resolved_at_utc: optional_time_at(row, 12)?,
        resolution: row.get(13)?,
    })
}

fn work_order(conn: &Connection, id: i64) -> Result<Option<WorkOrderRecord>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {ORDER_COLUMNS} FROM work_orders WHERE id = ?1"),
            [id],
            order_from_row,
        )
        .optional()?)
}

fn work_orders(
    conn: &Connection,
    filter: &WorkOrderFilter,
) -> Result<Vec<WorkOrderRecord>, StoreError> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {ORDER_COLUMNS} FROM work_orders
         WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR product_code = ?2)
           AND (?3 IS NULL OR planned_end_utc > ?3) AND (?4 IS NULL OR planned_start_utc < ?4)
         ORDER BY planned_start_utc, id LIMIT ?5 OFFSET ?6"
    ))?;
    let rows = statement.query_map(
        params![
            filter.status.map(WorkOrderStatus::as_str),
            filter.product_code.as_deref().map(str::trim),
            filter.from_utc.map(to_text),
            filter.to_utc.map(to_text),
            limit_of(filter.limit),
            i64::try_from(filter.offset).unwrap_or(i64::MAX),
        ],
        order_from_row,
    )?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn stages_of(conn: &Connection, work_order_id: i64) -> Result<Vec<StageRecord>, StoreError> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {STAGE_COLUMNS} FROM work_order_stages s WHERE s.work_order_id = ?1
         ORDER BY s.sequence"
    ))?;
    let rows = statement.query_map([work_order_id], stage_from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn stage_by_id(conn: &Connection, stage_id: i64) -> Result<StageRecord, StoreError> {
    conn.query_row(
        &format!("SELECT {STAGE_COLUMNS} FROM work_order_stages s WHERE s.id = ?1"),
        [stage_id],
        stage_from_row,
    )
    .optional()?
    .ok_or(StoreError::UnknownStage(stage_id))
}

fn assigned_stages(conn: &Connection, user_name: &str) -> Result<Vec<StageRecord>, StoreError> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {STAGE_COLUMNS} FROM work_order_stages s
         WHERE s.assigned_to = ?1 AND s.status <> 'done'
         ORDER BY s.planned_start_utc, s.work_order_id, s.sequence"
    ))?;
    let rows = statement.query_map([user_name], stage_from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn issue_by_id(conn: &Connection, issue_id: i64) -> Result<IssueRecord, StoreError> {
    conn.query_row(
        &format!(
            "SELECT {ISSUE_COLUMNS} FROM stage_issues i
             JOIN work_order_stages s ON s.id = i.stage_id WHERE i.id = ?1"
        ),
        [issue_id],
        issue_from_row,
    )
    .optional()?
    .ok_or(StoreError::UnknownIssue(issue_id))
}

fn issues(conn: &Connection, filter: &IssueFilter) -> Result<Vec<IssueRecord>, StoreError> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {ISSUE_COLUMNS} FROM stage_issues i
         JOIN work_order_stages s ON s.id = i.stage_id
         WHERE (?1 IS NULL OR i.status = ?1) AND (?2 IS NULL OR i.issue_type = ?2)
           AND (?3 IS NULL OR s.work_order_id = ?3)
         ORDER BY i.id DESC LIMIT ?4"
    ))?;
    let rows = statement.query_map(
        params![
            filter.status.map(IssueStatus::as_str),
            filter.issue_type.map(IssueType::as_str),
            filter.work_order_id,
            limit_of(filter.limit),
        ],
        issue_from_row,
    )?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The product's own routing, or the default routing when it has none.
fn routing_of(conn: &Connection, product_code: &str) -> Result<Vec<String>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT stage_name FROM routings WHERE product_code = ?1 ORDER BY sequence",
    )?;
    let rows = statement.query_map([product_code.trim()], |row| row.get(0))?;
    let stages = rows.collect::<Result<Vec<String>, _>>()?;
    Ok(if stages.is_empty() {
        DEFAULT_ROUTING
            .iter()
            .map(|name| (*name).to_owned())
            .collect()
    } else {
        stages
    })
}

macro_rules! order_queries {
    ($type:ty) => {
        impl $type {
            pub fn work_order(&self, id: i64) -> Result<Option<WorkOrderRecord>, StoreError> {
                work_order(&self.conn, id)
            }

            /// Work orders matching `filter`, by planned start.
            pub fn work_orders(
                &self,
                filter: &WorkOrderFilter,
            ) -> Result<Vec<WorkOrderRecord>, StoreError> {
                work_orders(&self.conn, filter)
            }

            /// The stages of a work order, in routing order.
            pub fn work_order_stages(
                &self,
                work_order_id: i64,
            ) -> Result<Vec<StageRecord>, StoreError> {
                stages_of(&self.conn, work_order_id)
            }

            pub fn stage(&self, stage_id: i64) -> Result<StageRecord, StoreError> {
                stage_by_id(&self.conn, stage_id)
            }

            /// "My work": the stages assigned to `user_name` that are not done yet, by
            /// planned start.
            pub fn assigned_stages(&self, user_name: &str) -> Result<Vec<StageRecord>, StoreError> {
                assigned_stages(&self.conn, user_name)
            }

            pub fn issue(&self, issue_id: i64) -> Result<IssueRecord, StoreError> {
                issue_by_id(&self.conn, issue_id)
            }

            /// Issues matching `filter`, newest first.
            pub fn issues(&self, filter: &IssueFilter) -> Result<Vec<IssueRecord>, StoreError> {
                issues(&self.conn, filter)
            }

            /// The stage names a new order of `product_code` gets: its routing, or the default.
            pub fn routing(&self, product_code: &str) -> Result<Vec<String>, StoreError> {
                routing_of(&self.conn, product_code)
            }
        }
    };
}

order_queries!(Store);
order_queries!(StoreReader);

/// How a stage is named in the audit trail: `order/sequence`.
fn stage_key(record: &StageRecord) -> String {
    format!("{}/{}", record.work_order_id, record.stage.sequence)
}

fn action_name(action: StageAction) -> &'static str {
    match action {
        StageAction::Start => "stage.start",
        StageAction::Finish => "stage.finish",
        StageAction::Block => "stage.block",
        StageAction::Unblock => "stage.unblock",
    }
}

impl Store {
    /// Sets the routing new orders of `product_code` get (orders already created keep their
    /// stages). Needs `Engineer`; audited with the previous routing.
    pub fn set_routing(
        &mut self,
        actor: &Actor,
        product_code: &str,
        stage_names: &[String],
    ) -> Result<(), StoreError> {
        let product_code = product_code.trim();
        if product_code.is_empty() {
            return Err(StoreError::Invalid(
                "routing field 'product_code' is empty: give the part number".into(),
            ));
        }
        let names: Vec<String> = stage_names.iter().map(|n| n.trim().to_owned()).collect();
        if names.is_empty() || names.iter().any(String::is_empty) {
            return Err(StoreError::Invalid(format!(
                "routing field 'stages' of {product_code}: needs at least one stage and no empty stage name"
            )));
        }
        let actor = self.require(
            actor,
            Permission::Engineer,
            "set a routing",
            "routing",
            product_code,
        )?;
        let savepoint = self.conn.savepoint()?;
        let previous = routing_of(&savepoint, product_code)?;
        savepoint.execute(
            "DELETE FROM routings WHERE product_code = ?1",
            [product_code],
        )?;
        for (index, name) in names.iter().enumerate() {
            savepoint.execute(
                "INSERT INTO routings (product_code, sequence, stage_name) VALUES (?1, ?2, ?3)",
                params![
                    product_code,
                    i64::try_from(index + 1).unwrap_or(i64::MAX),
                    name
                ],
            )?;
        }
        append(
            &savepoint,
            &AuditEntry::new(&actor.name, "routing.set", "routing", product_code)
                .change(Some(previous.join(", ")), Some(names.join(", "))),
        )?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(())
    }

    /// Creates a `planned` work order with its stages from the product's routing (the default
    /// routing when it has none), the planned window split evenly among them
    /// (`domain::orders::plan_stages`), in one transaction. Needs `Engineer`.
    pub fn create_work_order(
        &mut self,
        actor: &Actor,
        order: &WorkOrder,
    ) -> Result<WorkOrderRecord, StoreError> {
        order.validate()?;
        let actor = self.require(
            actor,
            Permission::Engineer,
            "create a work order",
            "work_order",
            &format!("{} {}", order.product_code, order.lot),
        )?;
        let savepoint = self.conn.savepoint()?;
        let routing = routing_of(&savepoint, &order.product_code)?;
        savepoint.execute(
            "INSERT INTO work_orders (product_code, lot, quantity, planned_start_utc,
                                      planned_end_utc, status, created_by, created_at_utc)
             VALUES (?1, ?2, ?3, ?4, ?5, 'planned', ?6, ?7)",
            params![
                order.product_code.trim(),
                order.lot.trim(),
                order.quantity,
                to_text(order.planned_start_utc),
                to_text(order.planned_end_utc),
                actor.name,
                to_text(now_utc()),
            ],
        )?;
        let id = savepoint.last_insert_rowid();
        for stage in plan_stages(&routing, order.planned_start_utc, order.planned_end_utc) {
            savepoint.execute(
                "INSERT INTO work_order_stages (work_order_id, sequence, name, planned_start_utc,
                                                planned_end_utc, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'planned')",
                params![
                    id,
                    stage.sequence,
                    stage.name,
                    to_text(stage.planned_start_utc),
                    to_text(stage.planned_end_utc),
                ],
            )?;
        }
        append(
            &savepoint,
            &AuditEntry::new(
                &actor.name,
                "work_order.create",
                "work_order",
                &id.to_string(),
            )
            .change(
                None,
                Some(format!(
                    "{} lot {} qty {} {} to {}; stages: {}",
                    order.product_code.trim(),
                    order.lot.trim(),
                    order.quantity,
                    to_text(order.planned_start_utc),
                    to_text(order.planned_end_utc),
                    routing.join(", ")
                )),
            ),
        )?;
        let record = work_order(&savepoint, id)?.ok_or(StoreError::UnknownWorkOrder(id))?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(record)
    }

    /// Starts, finishes, blocks or unblocks a stage as the state machine allows, and moves its
    /// order's status along. Needs `Operate`; an operator may act only on a stage assigned to
    /// them or to nobody (see the module doc).
    pub fn transition_stage(
        &mut self,
        actor: &Actor,
        stage_id: i64,
        action: StageAction,
    ) -> Result<StageRecord, StoreError> {
        let what = format!("{action} a stage");
        let actor = self.require(
            actor,
            Permission::Operate,
            &what,
            "stage",
            &stage_id.to_string(),
        )?;
        let mut record = stage_by_id(&self.conn, stage_id)?;
        if let Some(assignee) = record.assigned_to.as_deref()
            && assignee != actor.name
            && actor.role < Role::Engineer
        {
            let assignee = assignee.to_owned();
            self.record_denial(
                &actor,
                &what,
                "stage",
                &stage_key(&record),
                format!("assigned to {assignee}"),
            )?;
            return Err(StoreError::NotAssigned {
                actor: actor.name,
                action: action.to_string(),
                stage: record.stage.name,
                assignee,
            });
        }
        let before = record.stage.status;
        record.stage.apply(action, now_utc())?;
        let savepoint = self.conn.savepoint()?;
        savepoint.execute(
            "UPDATE work_order_stages SET status = ?2, blocked_from = ?3, actual_start_utc = ?4,
                                          actual_end_utc = ?5
             WHERE id = ?1",
            params![
                stage_id,
                record.stage.status.as_str(),
                record.stage.blocked_from.map(StageStatus::as_str),
                record.stage.actual_start_utc.map(to_text),
                record.stage.actual_end_utc.map(to_text),
            ],
        )?;
        append(
            &savepoint,
            &AuditEntry::new(
                &actor.name,
                action_name(action),
                "stage",
                &stage_key(&record),
            )
            .change(
                Some(before.to_string()),
                Some(format!("{} ({})", record.stage.status, record.stage.name)),
            ),
        )?;
        let order = work_order(&savepoint, record.work_order_id)?
            .ok_or(StoreError::UnknownWorkOrder(record.work_order_id))?;
        let stages: Vec<Stage> = stages_of(&savepoint, record.work_order_id)?
            .into_iter()
            .map(|s| s.stage)
            .collect();
        let status = WorkOrderStatus::of_stages(&stages);
        if status != order.order.status {
            savepoint.execute(
                "UPDATE work_orders SET status = ?2 WHERE id = ?1",
                params![order.id, status.as_str()],
            )?;
            append(
                &savepoint,
                &AuditEntry::new(
                    &actor.name,
                    "work_order.status",
                    "work_order",
                    &order.id.to_string(),
                )
                .change(
                    Some(order.order.status.to_string()),
                    Some(status.to_string()),
                ),
            )?;
        }
        // Returned as stored (times at the store's millisecond precision).
        let stored = stage_by_id(&savepoint, stage_id)?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(stored)
    }

    /// Assigns a stage to the user `assignee` (an enabled operator or above), or clears the
    /// assignment with `None`. Needs `Engineer`.
    pub fn assign_stage(
        &mut self,
        actor: &Actor,
        stage_id: i64,
        assignee: Option<&str>,
    ) -> Result<StageRecord, StoreError> {
        let actor = self.require(
            actor,
            Permission::Engineer,
            "assign a stage",
            "stage",
            &stage_id.to_string(),
        )?;
        let assignee = assignee.map(str::trim);
        if let Some(name) = assignee {
            let user: Option<(String, i64)> = self
                .conn
                .query_row(
                    "SELECT role, disabled FROM users WHERE name = ?1",
                    [name],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            let Some((role, disabled)) = user else {
                return Err(StoreError::UnknownUser(name.to_owned()));
            };
            if disabled != 0 {
                return Err(StoreError::Invalid(format!(
                    "{name}'s account is disabled: assign the stage to an active user"
                )));
            }
            if role.parse::<Role>().unwrap_or(Role::Viewer) < Role::Operator {
                return Err(StoreError::Invalid(format!(
                    "{name} is a viewer and may not work stages: assign an operator or above"
                )));
            }
        }
        let mut record = stage_by_id(&self.conn, stage_id)?;
        let savepoint = self.conn.savepoint()?;
        savepoint.execute(
            "UPDATE work_order_stages SET assigned_to = ?2 WHERE id = ?1",
            params![stage_id, assignee],
        )?;
        append(
            &savepoint,
            &AuditEntry::new(&actor.name, "stage.assign", "stage", &stage_key(&record))
                .change(record.assigned_to.clone(), assignee.map(str::to_owned)),
        )?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        record.assigned_to = assignee.map(str::to_owned);
        Ok(record)
    }

    /// Raises an `open` issue on a stage. Needs `Operate`; the description is required.
    pub fn raise_issue(
        &mut self,
        actor: &Actor,
        stage_id: i64,
        issue_type: IssueType,
        description: &str,
    ) -> Result<IssueRecord, StoreError> {
        let description = description.trim();
        if description.is_empty() {
            return Err(StoreError::Invalid(
                "issue field 'description' is empty: say what is wrong".into(),
            ));
        }
        let actor = self.require(
            actor,
            Permission::Operate,
            "raise an issue",
            "stage",
            &stage_id.to_string(),
        )?;
        let stage = stage_by_id(&self.conn, stage_id)?;
        let savepoint = self.conn.savepoint()?;
        savepoint.execute(
            "INSERT INTO stage_issues (stage_id, issue_type, description, raised_by,
                                       raised_at_utc, status)
             VALUES (?1, ?2, ?3, ?4, ?5, 'open')",
            params![
                stage_id,
                issue_type.as_str(),
                description,
                actor.name,
                to_text(now_utc())
            ],
        )?;
        let id = savepoint.last_insert_rowid();
        append(
            &savepoint,
            &AuditEntry::new(&actor.name, "issue.raise", "issue", &id.to_string()).change(
                None,
                Some(format!(
                    "{issue_type} on stage {}: {description}",
                    stage_key(&stage)
                )),
            ),
        )?;
        let record = issue_by_id(&savepoint, id)?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(record)
    }

    /// Acknowledges an open issue: the actor owns it now. Needs `Engineer`.
    pub fn acknowledge_issue(
        &mut self,
        actor: &Actor,
        issue_id: i64,
    ) -> Result<IssueRecord, StoreError> {
        self.move_issue(actor, issue_id, IssueAction::Acknowledge, None)
    }

    /// Resolves an acknowledged issue, saying what was done. Needs `Engineer`.
    pub fn resolve_issue(
        &mut self,
        actor: &Actor,
        issue_id: i64,
        resolution: &str,
    ) -> Result<IssueRecord, StoreError> {
        let resolution = resolution.trim();
        if resolution.is_empty() {
            return Err(StoreError::Invalid(
                "issue field 'resolution' is empty: say what was done".into(),
            ));
        }
        self.move_issue(actor, issue_id, IssueAction::Resolve, Some(resolution))
    }

    fn move_issue(
        &mut self,
        actor: &Actor,
        issue_id: i64,
        action: IssueAction,
        resolution: Option<&str>,
    ) -> Result<IssueRecord, StoreError> {
        let actor = self.require(
            actor,
            Permission::Engineer,
            &format!("{action} an issue"),
            "issue",
            &issue_id.to_string(),
        )?;
        let before = issue_by_id(&self.conn, issue_id)?.issue.status;
        let after = before.apply(issue_id, action)?;
        let at = to_text(now_utc());
        let savepoint = self.conn.savepoint()?;
        match action {
            IssueAction::Acknowledge => savepoint.execute(
                "UPDATE stage_issues SET status = ?2, acknowledged_by = ?3,
                                         acknowledged_at_utc = ?4
                 WHERE id = ?1",
                params![issue_id, after.as_str(), actor.name, at],
            )?,
            IssueAction::Resolve => savepoint.execute(
                "UPDATE stage_issues SET status = ?2, resolved_by = ?3, resolved_at_utc = ?4,
                                         resolution = ?5
                 WHERE id = ?1",
                params![issue_id, after.as_str(), actor.name, at, resolution],
            )?,
        };
        let action_name = match action {
            IssueAction::Acknowledge => "issue.acknowledge",
            IssueAction::Resolve => "issue.resolve",
        };
        let mut entry = AuditEntry::new(&actor.name, action_name, "issue", &issue_id.to_string())
            .change(Some(before.to_string()), Some(after.to_string()));
        if let Some(resolution) = resolution {
            entry = entry.reason(resolution);
        }
        append(&savepoint, &entry)?;
        let record = issue_by_id(&savepoint, issue_id)?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(record)
    }
}
