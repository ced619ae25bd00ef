//! `qcstation items`: the inventory from the command line. List items with filters and counts
//! by status (as text or JSON), move one item through its lifecycle, show its history, set a
//! component type's low-stock threshold and list the low-stock alerts. Changes are made as the
//! station's console and audited by the store.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;

use crate::config::Config;
use crate::domain::{ItemStatus, Uid};
use crate::paths::StationPaths;
use crate::store::{ItemFilter, ItemRecord, StatusCounts};

#[derive(Debug, Subcommand)]
pub enum ItemsCommand {
    /// List items (by component, vendor, lot, sequence) and the counts by status (over every
    /// filter but --status and --limit).
    List {
        #[arg(long)]
        status: Option<ItemStatus>,
        #[arg(long)]
        component: Option<String>,
        #[arg(long)]
        vendor: Option<String>,
        #[arg(long)]
        lot: Option<String>,
        /// Only the items of this batch (its number as `qr generate` printed it).
        #[arg(long)]
        batch: Option<i64>,
        /// At most this many items (0: all).
        #[arg(long, default_value_t = 0)]
        limit: usize,
        /// One JSON object: {"counts": {...}, "items": [...]}.
        #[arg(long)]
        json: bool,
    },
    /// Move an item to another status (allowed moves only), with a reason for the record.
    Transition {
        uid: String,
        #[arg(long)]
        to: ItemStatus,
        #[arg(long)]
        reason: String,
    },
    /// Every status change of an item.
    History { uid: String },
    /// Verify an engraved item's mark from image files (each image one attempt, until one
    /// reads the UID): graded and recorded like the bench camera's verification; the item moves
    /// to verified, or to engrave_failed with the reason. Exit 0 verified, 1 failed; when no
    /// image can be read, nothing is recorded (exit 1 with the reason).
    Verify {
        uid: String,
        #[arg(required = true, value_name = "IMAGE")]
        images: Vec<std::path::PathBuf>,
        /// One JSON object: {"uid", "verified", "read", "attempts", "grade", "reason", "image"}.
        #[arg(long)]
        json: bool,
    },
    /// Set the minimum number of in-stock items of a component type (0 turns the alert off).
    Threshold {
        component: String,
        min_in_stock: u32,
    },
    /// Component types with fewer in-stock items than their threshold; exit 1 when any.
    LowStock,
}

fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_option<T: ToString>(value: Option<T>, quote: bool) -> String {
    match value {
        Some(value) if quote => json_string(&value.to_string()),
        Some(value) => value.to_string(),
        None => "null".to_owned(),
    }
}

fn item_json(item: &ItemRecord) -> String {
    format!(
        concat!(
            "{{\"uid\":{},\"component\":{},\"vendor\":{},\"lot\":{},\"seq\":{},\"batch\":{},",
            "\"manufactured_on\":{},\"warranty_years\":{},\"status\":{},\"created_at_utc\":{},",
            "\"updated_at_utc\":{},\"created_by\":{},\"engrave_job_id\":{},\"verification\":{}}}"
        ),
        json_string(&item.uid),
        json_string(&item.component),
        json_string(&item.vendor),
        json_string(&item.lot),
        item.seq,
        item.batch_id,
        json_string(&item.manufactured_on),
        item.warranty_years,
        json_string(item.status.as_str()),
        json_string(&item.created_at_utc),
        json_string(&item.updated_at_utc),
        json_string(&item.created_by),
        json_option(item.engrave_job_id, false),
        json_option(item.verification.as_deref(), true),
    )
}

fn counts_json(counts: &StatusCounts) -> String {
    let fields: Vec<String> = counts
        .iter()
        .map(|(status, count)| format!("{}:{count}", json_string(status.as_str())))
        .collect();
    format!("{{{},\"total\":{}}}", fields.join(","), counts.total())
}

fn counts_text(counts: &StatusCounts) -> String {
    let fields: Vec<String> = counts
        .iter()
        .map(|(status, count)| format!("{status} {count}"))
        .collect();
    format!("{} item(s): {}", counts.total(), fields.join(", "))
}

pub fn run(
    command: ItemsCommand,
    paths: &StationPaths,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    let rule = config.lot_rule();
    let parse_uid =
        |text: &str| Uid::parse(text.trim(), &rule).with_context(|| format!("UID {text:?}"));
    let mut store = super::open_store(paths)?;
    let console = super::console_actor();
    match command {
        ItemsCommand::List {
            status,
            component,
            vendor,
            lot,
            batch,
            limit,
            json,
        } => {
            let filter = ItemFilter {
                component,
                vendor,
                lot,
                status,
                batch_id: batch,
                limit,
            };
            let items = store.items(&filter)?;
            // Counts by status over the other filters, so a status filter still shows the
            // whole breakdown it was taken from.
            let counts = store.item_counts(&ItemFilter {
                status: None,
                limit: 0,
                ..filter
            })?;
            if json {
                let items: Vec<String> = items.iter().map(item_json).collect();
                println!(
                    "{{\"counts\":{},\"items\":[{}]}}",
                    counts_json(&counts),
                    items.join(",")
                );
            } else {
                println!(
                    "{:<30} {:<14} {:>5} {:<10} {:>3} {:<10} updated (UTC)",
                    "uid", "status", "batch", "made", "wy", "engrave job"
                );
                for item in &items {
                    println!(
                        "{:<30} {:<14} {:>5} {:<10} {:>3} {:<10} {}",
                        item.uid,
                        item.status.as_str(),
                        item.batch_id,
                        item.manufactured_on,
                        item.warranty_years,
                        item.engrave_job_id
                            .map_or_else(|| "-".to_owned(), |job| job.to_string()),
                        item.updated_at_utc
                    );
                }
                println!("{}", counts_text(&counts));
            }
        }
        ItemsCommand::Transition { uid, to, reason } => {
            let uid = parse_uid(&uid)?;
            let before = store
                .item(&uid)?
                .with_context(|| format!("no item with UID {uid}"))?
                .status;
            let item = store.transition_item(&console, &uid, to, &reason)?;
            println!("{}: {before} -> {}", item.uid, item.status);
        }
        ItemsCommand::Verify { uid, images, json } => {
            let uid = parse_uid(&uid)?;
            let disk = crate::runtime::DiskGuard::new(config.storage.min_free_bytes());
            return verify(&mut store, &console, &uid, &images, paths, &disk, json);
        }
        ItemsCommand::History { uid } => {
            let uid = parse_uid(&uid)?;
            let history = store.item_history(&uid)?;
            if history.is_empty() {
                anyhow::bail!("no item with UID {uid}");
            }
            for step in history {
                println!(
                    "{} {:<16} {} -> {} {}",
                    step.at_utc,
                    step.user_name,
                    step.from.map_or("(new)", ItemStatus::as_str),
                    step.to,
                    step.reason.map(|r| format!("({r})")).unwrap_or_default()
                );
            }
        }
        ItemsCommand::Threshold {
            component,
            min_in_stock,
        } => {
            store.set_stock_threshold(&console, &component, min_in_stock)?;
            println!("{component}: low-stock alert below {min_in_stock} item(s) in stock");
        }
        ItemsCommand::LowStock => {
            let alerts = store.low_stock_alerts()?;
            if alerts.is_empty() {
                println!("no component type is below its low-stock threshold");
                return Ok(ExitCode::SUCCESS);
            }
            for alert in alerts {
                println!(
                    "LOW {}: {} in stock, threshold {} ({} verified on the way)",
                    alert.component, alert.in_stock, alert.min_in_stock, alert.verified
                );
            }
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `items verify`: each image one attempt of the verifier, then the record.
fn verify(
    store: &mut crate::store::Store,
    console: &crate::domain::Actor,
    uid: &Uid,
    images: &[std::path::PathBuf],
    paths: &StationPaths,
    disk: &crate::runtime::DiskGuard,
    json: bool,
) -> anyhow::Result<ExitCode> {
    use crate::runtime::{read_mark, verification};
    use crate::scan::isolate::IsolatedDecoder;
    let mut decoder = IsolatedDecoder::for_budget(std::time::Duration::from_millis(400));
    let reading = read_mark(uid, &mut decoder, images.len() as u32, |attempt| {
        let path = &images[attempt as usize - 1];
        crate::vision::image_file::read_grey(path).map_err(|err| format!("{err:#}"))
    });
    if reading.image.is_none() {
        // No image could be read: nothing was looked at, nothing is recorded.
        anyhow::bail!(
            "{uid} was not verified (nothing recorded): {}",
            reading.problems.join("; ")
        );
    }
    let stamp = crate::store::now_utc().format("%Y%m%dT%H%M%S");
    let images_dir = paths.data_dir.join("images");
    // One reading suffices for a one-shot command (a failed one leaves images allowed).
    if let Err(reason) = disk.sample(&paths.data_dir) {
        tracing::warn!("disk guard: {reason}");
    }
    let found = verification(
        uid,
        None,
        reading,
        &images_dir,
        disk,
        &format!("{uid}-file-{stamp}"),
    );
    let record = store
        .record_verification(console, &found)
        .with_context(|| format!("recording the verification of {uid}"))?;
    if json {
        let grade = record
            .overall_grade
            .map(|g| crate::scan::grade::letter(g).to_string());
        println!(
            "{}",
            serde_json::json!({
                "uid": record.uid,
                "verified": record.matched,
                "read": record.payload_read,
                "attempts": record.attempts,
                "grade": grade,
                "reason": record.reason,
                "image": record.image_path,
            })
        );
    } else if record.matched {
        println!("{}: verified ({})", record.uid, found.summary);
    } else {
        println!(
            "{}: engrave_failed ({})",
            record.uid,
            record.reason.as_deref().unwrap_or(&found.summary)
        );
    }
    Ok(if record.matched {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
