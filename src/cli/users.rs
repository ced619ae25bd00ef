//! `qcstation users`: add users and list them. The CLI acts as the station's console (see
//! `domain::Actor::console`); secrets are read from stdin so they never appear in shell history.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;

use crate::auth::new_secret_hash;
use crate::domain::Role;
use crate::paths::StationPaths;

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user; the PIN or password is the first line of stdin.
    Add {
        name: String,
        #[arg(long)]
        role: Role,
        /// Read the PIN or password from stdin (required: secrets never go on the command line).
        #[arg(long, required = true)]
        secret_stdin: bool,
    },
    /// Set a new PIN or password (first line of stdin); clears a lockout.
    Reset {
        name: String,
        #[arg(long, required = true)]
        secret_stdin: bool,
    },
    /// List users with role, secret kind and state.
    List,
}

/// The PIN or password piped in as the first line of stdin; `example` shows the command to pipe
/// it into when there is none.
pub(super) fn read_secret(example: &str) -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the secret from stdin")?;
    let secret = line.trim_end_matches(['\r', '\n']).to_owned();
    if secret.is_empty() {
        bail!("stdin held no PIN or password: pipe it in, e.g. `printf '1234' | {example}`");
    }
    Ok(secret)
}

pub fn run(command: UsersCommand, paths: &StationPaths) -> anyhow::Result<ExitCode> {
    let mut store = super::open_store(paths)?;
    let console = super::console_actor();
    match command {
        UsersCommand::Add { name, role, .. } => {
            let secret = new_secret_hash(role, &read_secret("qcstation users add ...")?)?;
            let user = store.add_user(&console, &name, role, &secret)?;
            println!(
                "added {} ({}, signs in with a {})",
                user.name,
                user.role,
                user.secret_kind.as_str()
            );
        }
        UsersCommand::Reset { name, .. } => {
            let secret = read_secret("qcstation users add ...")?;
            let folded = name.trim().to_lowercase();
            let user = store
                .users()?
                .into_iter()
                .find(|user| user.name == folded)
                .with_context(|| format!("no user named {name:?} (see `qcstation users list`)"))?;
            let secret = new_secret_hash(user.role, &secret)?;
            let kind = store.reset_secret(&console, user.id, &secret, "reset from the CLI")?;
            println!("{} now signs in with the new {}", user.name, kind.as_str());
        }
        UsersCommand::List => {
            let now = crate::store::now_utc();
            println!(
                "{:<24} {:<9} {:<9} {:<9} last sign-in (UTC)",
                "name", "role", "secret", "state"
            );
            for user in store.users()? {
                let state = if user.disabled {
                    "disabled"
                } else if user.is_locked_at(now) {
                    "locked"
                } else {
                    "active"
                };
                println!(
                    "{:<24} {:<9} {:<9} {:<9} {}",
                    user.name,
                    user.role.as_str(),
                    user.secret_kind.as_str(),
                    state,
                    user.last_sign_in_utc.as_deref().unwrap_or("never")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
