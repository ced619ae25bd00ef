//! `qcstation audit`: verify the hash chain (exit 1 naming the first bad row) and list rows.
//! On success `verify` prints the chain's head (row count, newest row and its hash) so it can be
//! written down or kept with a backup and compared later.

use std::process::ExitCode;

use clap::Subcommand;

use crate::paths::StationPaths;
use crate::store::AuditFilter;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every row's hash and link, the anchor's signature and the head file; exit 0 when
    /// intact (printing the head hash to keep elsewhere), 1 naming the first bad row.
    Verify,
    /// Print the newest rows.
    List {
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Only this user's rows.
        #[arg(long, default_value = "")]
        user: String,
        /// Only actions starting with this, e.g. `sign_in`.
        #[arg(long, default_value = "")]
        action: String,
        /// Only rows containing this text anywhere.
        #[arg(long, default_value = "")]
        text: String,
    },
}

pub fn run(command: AuditCommand, paths: &StationPaths) -> anyhow::Result<ExitCode> {
    let store = super::open_store(paths)?;
    let reader = store.reader()?;
    match command {
        AuditCommand::Verify => {
            let report = reader.verify_audit()?;
            match report.first_break {
                None => {
                    println!(
                        "audit trail intact: {} rows verified in {}",
                        report.rows_checked,
                        paths.database.display()
                    );
                    match &report.head {
                        Some(head) => println!("head: row {} hash {}", head.row_id, head.hash),
                        None => println!("head: empty trail"),
                    }
                    if report.sealed {
                        println!(
                            "sealed with the station key; keep the head hash with your backups and compare it later"
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Some(broken) => {
                    println!(
                        "audit trail BROKEN at row {}: {} ({} rows read before it)",
                        broken.row_id,
                        broken.reason,
                        report.rows_checked.saturating_sub(1)
                    );
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        AuditCommand::List {
            limit,
            user,
            action,
            text,
        } => {
            let rows = reader.audit(&AuditFilter {
                text,
                user_name: user,
                action_prefix: action,
                before_id: None,
                limit,
            })?;
            for row in rows {
                let entry = &row.entry;
                println!(
                    "{:>6} {} {:<16} {:<20} {}:{} {} -> {} {}",
                    row.id,
                    row.at_utc,
                    entry.user_name,
                    entry.action,
                    entry.entity,
                    entry.entity_id,
                    entry.old_value.as_deref().unwrap_or("-"),
                    entry.new_value.as_deref().unwrap_or("-"),
                    entry
                        .reason
                        .as_deref()
                        .map(|r| format!("({r})"))
                        .unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
