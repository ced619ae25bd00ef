//! `qcstation orders`: work orders, their stages and the issues raised on stages from the command
//! line — create, list and show orders, move a stage through its state machine, assign it, list
//! one user's work, raise, acknowledge and resolve issues.
//!
//! Changes are made as the station's console, like every other CLI command, or as a station user
//! with `--as USER --secret-stdin` (the PIN or password is the first line of stdin, so it never
//! appears in shell history); the sign-in is checked and recorded by the store like the GUI's.
//! Who may do what is the store's rule (`store::orders`), never decided here: a refusal is
//! printed with the store's message and exits 1.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::export_cmd::parse_time_arg;
use crate::config::Config;
use crate::domain::Actor;
use crate::domain::orders::{IssueStatus, IssueType, StageAction, WorkOrder, WorkOrderStatus};
use crate::paths::StationPaths;
use crate::store::{
    IssueFilter, IssueRecord, SignInOutcome, StageRecord, Store, WorkOrderFilter, WorkOrderRecord,
    to_text,
};

#[derive(Debug, Args)]
pub struct OrdersArgs {
    /// Act as this station user instead of the console (needs --secret-stdin).
    #[arg(
        long = "as",
        value_name = "USER",
        global = true,
        requires = "secret_stdin"
    )]
    pub as_user: Option<String>,
    /// Read the --as user's PIN or password from the first line of stdin.
    #[arg(long, global = true)]
    pub secret_stdin: bool,
    #[command(subcommand)]
    pub command: OrdersCommand,
}

#[derive(Debug, Subcommand)]
pub enum OrdersCommand {
    /// Plan a work order; its stages come from the product's routing (needs engineer).
    Create {
        #[arg(long)]
        product: String,
        #[arg(long)]
        lot: String,
        #[arg(long)]
        quantity: u32,
        /// Planned start: RFC 3339, or YYYY-MM-DD (00:00 UTC).
        #[arg(long)]
        start: String,
        /// Planned end: RFC 3339, or YYYY-MM-DD (00:00 UTC).
        #[arg(long)]
        end: String,
    },
    /// Work orders by planned start.
    List {
        /// planned, in_progress or done.
        #[arg(long)]
        status: Option<WorkOrderStatus>,
        #[arg(long)]
        product: Option<String>,
        /// Orders whose planned window ends after this (RFC 3339 or YYYY-MM-DD).
        #[arg(long)]
        from: Option<String>,
        /// Orders whose planned window starts before this (a bare date counts the whole day).
        #[arg(long)]
        to: Option<String>,
        /// One JSON object per order, one per line.
        #[arg(long)]
        json: bool,
    },
    /// One order with its stages and unresolved issues.
    Show {
        id: i64,
        /// One JSON object: the order with "stages" and "open_issues".
        #[arg(long)]
        json: bool,
    },
    /// Start, finish, block or unblock a stage.
    Stage { stage_id: i64, action: StageAction },
    /// Assign a stage to a user, an operator or above (needs engineer).
    Assign { stage_id: i64, user: String },
    /// The stages assigned to the --as user that are not done yet.
    MyWork {
        /// One JSON object per stage, one per line.
        #[arg(long)]
        json: bool,
    },
    /// Raise, acknowledge or resolve an issue on a stage.
    #[command(subcommand)]
    Issue(IssueCommand),
    /// Issues, newest first.
    Issues {
        /// open, acknowledged or resolved.
        #[arg(long)]
        status: Option<IssueStatus>,
        /// material, machine, quality, safety or other.
        #[arg(long = "type")]
        issue_type: Option<IssueType>,
        /// Only the issues of this work order.
        #[arg(long)]
        order: Option<i64>,
        /// One JSON object per issue, one per line.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum IssueCommand {
    /// Raise an issue on a stage (needs operate).
    Raise {
        stage_id: i64,
        /// material, machine, quality, safety or other.
        #[arg(long = "type")]
        issue_type: IssueType,
        #[arg(long)]
        text: String,
    },
    /// Acknowledge an open issue (needs engineer).
    Ack { issue_id: i64 },
    /// Resolve an acknowledged issue, saying what was done (needs engineer).
    Resolve {
        issue_id: i64,
        #[arg(long)]
        note: String,
    },
}

/// Signs `name` in as the GUI does: read the stored hash, verify outside any transaction, then
/// let the store decide and record the attempt (lockouts count CLI failures too).
fn sign_in(store: &mut Store, name: &str, config: &Config) -> anyhow::Result<Actor> {
    let secret = super::users::read_secret("qcstation orders --as olga --secret-stdin ...")?;
    let name = name.trim().to_lowercase();
    let check = crate::auth::check_stored_secret(store.stored_secret(&name)?, &secret)?;
    match store.record_sign_in(
        &name,
        check.as_ref(),
        config.lockout(),
        crate::store::now_utc(),
    )? {
        SignInOutcome::SignedIn(actor) => Ok(actor),
        SignInOutcome::Refused(refusal) => bail!("sign-in as {name} refused: {refusal}"),
    }
}

fn order_json(record: &WorkOrderRecord) -> Value {
    let order = &record.order;
    json!({
        "id": record.id,
        "product": order.product_code,
        "lot": order.lot,
        "quantity": order.quantity,
        "status": order.status.as_str(),
        "planned_start_utc": to_text(order.planned_start_utc),
        "planned_end_utc": to_text(order.planned_end_utc),
        "created_by": record.created_by,
        "created_at_utc": record.created_at_utc,
    })
}

fn stage_json(record: &StageRecord) -> Value {
    let stage = &record.stage;
    json!({
        "id": record.id,
        "work_order_id": record.work_order_id,
        "sequence": stage.sequence,
        "name": stage.name,
        "status": stage.status.as_str(),
        "allowed": stage.status.allowed().iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "planned_start_utc": to_text(stage.planned_start_utc),
        "planned_end_utc": to_text(stage.planned_end_utc),
        "actual_start_utc": stage.actual_start_utc.map(to_text),
        "actual_end_utc": stage.actual_end_utc.map(to_text),
        "assigned_to": record.assigned_to,
    })
}

fn issue_json(record: &IssueRecord) -> Value {
    let issue = &record.issue;
    json!({
        "id": record.id,
        "stage_id": record.stage_id,
        "work_order_id": record.work_order_id,
        "stage": record.stage_name,
        "type": issue.issue_type.as_str(),
        "status": issue.status.as_str(),
        "description": issue.description,
        "raised_by": issue.raised_by,
        "raised_at_utc": to_text(issue.raised_at_utc),
        "acknowledged_by": record.acknowledged_by,
        "resolved_by": record.resolved_by,
        "resolution": record.resolution,
    })
}

fn stage_line(record: &StageRecord) -> String {
    let stage = &record.stage;
    let time = |t: Option<DateTime<Utc>>| t.map_or_else(|| "-".to_owned(), to_text);
    format!(
        "  stage {:<5} {:>2}. {:<16} {:<12} planned {} .. {}  actual {} .. {}  assigned {}",
        record.id,
        stage.sequence,
        stage.name,
        stage.status.as_str(),
        to_text(stage.planned_start_utc),
        to_text(stage.planned_end_utc),
        time(stage.actual_start_utc),
        time(stage.actual_end_utc),
        record.assigned_to.as_deref().unwrap_or("-"),
    )
}

fn order_line(record: &WorkOrderRecord) -> String {
    let order = &record.order;
    format!(
        "order {:<5} {:<16} lot {:<12} qty {:<6} {:<12} {} .. {}",
        record.id,
        order.product_code,
        order.lot,
        order.quantity,
        order.status.as_str(),
        to_text(order.planned_start_utc),
        to_text(order.planned_end_utc),
    )
}

fn issue_line(record: &IssueRecord) -> String {
    let issue = &record.issue;
    format!(
        "issue {:<5} {:<12} {:<8} order {} stage {} ({}) by {} at {}: {}{}",
        record.id,
        issue.status.as_str(),
        issue.issue_type.as_str(),
        record.work_order_id,
        record.stage_id,
        record.stage_name,
        issue.raised_by,
        to_text(issue.raised_at_utc),
        issue.description,
        record
            .resolution
            .as_deref()
            .map(|r| format!(" [resolved: {r}]"))
            .unwrap_or_default(),
    )
}

/// A list: one JSON object per line with `--json`, else one text line per row and then the
/// count, `N what`.
fn print_rows<T>(
    rows: &[T],
    json: bool,
    as_json: fn(&T) -> Value,
    as_line: impl Fn(&T) -> String,
    what: &str,
) {
    for row in rows {
        if json {
            println!("{}", as_json(row));
        } else {
            println!("{}", as_line(row));
        }
    }
    if !json {
        println!("{} {what}", rows.len());
    }
}

pub fn run(args: OrdersArgs, paths: &StationPaths, config: &Config) -> anyhow::Result<ExitCode> {
    let mut store = super::open_store(paths)?;
    let actor = match &args.as_user {
        Some(name) => sign_in(&mut store, name, config)?,
        None => super::console_actor(),
    };
    match args.command {
        OrdersCommand::Create {
            product,
            lot,
            quantity,
            start,
            end,
        } => {
            let order = WorkOrder::new(
                &product,
                &lot,
                quantity,
                parse_time_arg("--start", &start, false)?,
                parse_time_arg("--end", &end, false)?,
            )?;
            let record = store.create_work_order(&actor, &order)?;
            println!("created work order {}", record.id);
            println!("{}", order_line(&record));
            for stage in store.work_order_stages(record.id)? {
                println!("{}", stage_line(&stage));
            }
        }
        OrdersCommand::List {
            status,
            product,
            from,
            to,
            json,
        } => {
            let filter = WorkOrderFilter {
                status,
                product_code: product,
                from_utc: from
                    .map(|t| parse_time_arg("--from", &t, false))
                    .transpose()?,
                to_utc: to.map(|t| parse_time_arg("--to", &t, true)).transpose()?,
                ..WorkOrderFilter::default()
            };
            let orders = store.work_orders(&filter)?;
            print_rows(&orders, json, order_json, order_line, "work order(s)");
        }
        OrdersCommand::Show { id, json } => {
            let record = store
                .work_order(id)?
                .with_context(|| format!("no work order {id} (see `qcstation orders list`)"))?;
            let stages = store.work_order_stages(id)?;
            let open: Vec<IssueRecord> = store
                .issues(&IssueFilter {
                    work_order_id: Some(id),
                    ..IssueFilter::default()
                })?
                .into_iter()
                .filter(|issue| issue.issue.status != IssueStatus::Resolved)
                .collect();
            if json {
                let mut value = order_json(&record);
                value["stages"] = stages.iter().map(stage_json).collect();
                value["open_issues"] = open.iter().map(issue_json).collect();
                println!("{value}");
            } else {
                println!("{}", order_line(&record));
                println!(
                    "  created by {} at {}",
                    record.created_by, record.created_at_utc
                );
                for stage in &stages {
                    println!("{}", stage_line(stage));
                }
                if open.is_empty() {
                    println!("  no open issues");
                }
                for issue in &open {
                    println!("  {}", issue_line(issue));
                }
            }
        }
        OrdersCommand::Stage { stage_id, action } => {
            let before = store.stage(stage_id)?.stage.status;
            let record = store.transition_stage(&actor, stage_id, action)?;
            println!(
                "stage {} ({}, order {}): {before} -> {}",
                record.id, record.stage.name, record.work_order_id, record.stage.status
            );
        }
        OrdersCommand::Assign { stage_id, user } => {
            let record = store.assign_stage(&actor, stage_id, Some(&user))?;
            println!(
                "stage {} ({}, order {}) assigned to {}",
                record.id,
                record.stage.name,
                record.work_order_id,
                record.assigned_to.as_deref().unwrap_or("nobody")
            );
        }
        OrdersCommand::MyWork { json } => {
            if args.as_user.is_none() {
                bail!("my-work lists a user's stages: sign in with --as USER --secret-stdin");
            }
            let stages = store.assigned_stages(&actor.name)?;
            print_rows(
                &stages,
                json,
                stage_json,
                |stage| format!("order {}{}", stage.work_order_id, stage_line(stage)),
                &format!("stage(s) assigned to {}", actor.name),
            );
        }
        OrdersCommand::Issue(IssueCommand::Raise {
            stage_id,
            issue_type,
            text,
        }) => {
            let record = store.raise_issue(&actor, stage_id, issue_type, &text)?;
            println!("raised {}", issue_line(&record));
        }
        OrdersCommand::Issue(IssueCommand::Ack { issue_id }) => {
            let record = store.acknowledge_issue(&actor, issue_id)?;
            println!("acknowledged {}", issue_line(&record));
        }
        OrdersCommand::Issue(IssueCommand::Resolve { issue_id, note }) => {
            let record = store.resolve_issue(&actor, issue_id, &note)?;
            println!("resolved {}", issue_line(&record));
        }
        OrdersCommand::Issues {
            status,
            issue_type,
            order,
            json,
        } => {
            let issues = store.issues(&IssueFilter {
                status,
                issue_type,
                work_order_id: order,
                limit: 0,
            })?;
            print_rows(&issues, json, issue_json, issue_line, "issue(s)");
        }
    }
    Ok(ExitCode::SUCCESS)
}
