//! The demo database: documented demo users and four synthetic cameras, created once on an
//! empty demo file so that `cargo run --release` opens a working station.

use super::{Store, StoreError};
use crate::domain::{Actor, Role, SecretHash};

pub struct DemoUser {
    pub name: &'static str,
    pub role: Role,
    pub secret: &'static str,
}

/// The demo accounts (also listed in the README). Only ever created in a demo database.
pub const DEMO_USERS: [DemoUser; 4] = [
    DemoUser {
        name: "ada",
        role: Role::Admin,
        secret: "Demo-admin-2026",
    },
    DemoUser {
        name: "erik",
        role: Role::Engineer,
        secret: "Demo-engineer-2026",
    },
    DemoUser {
        name: "olga",
        role: Role::Operator,
        secret: "1234",
    },
    DemoUser {
        name: "vic",
        role: Role::Viewer,
        secret: "0000",
    },
];

const DEMO_CAMERAS: [(&str, &str); 4] = [
    ("Porosity A", "demo:porosity?size=1280x720&fps=30&seed=1"),
    ("Porosity B", "demo:porosity?size=1280x720&fps=30&seed=2"),
    ("Label", "demo:label?size=1280x720&fps=30"),
    ("QR mark", "demo:qr?size=1280x720&fps=30"),
];

impl Store {
    /// Fills an empty demo database; does nothing to one that already has users. `hash` checks
    /// and hashes each demo secret (the caller passes `auth::new_secret_hash`: the store does
    /// not hash); it runs only when the database is empty.
    pub fn seed_demo<E: std::fmt::Display>(
        &mut self,
        mut hash: impl FnMut(Role, &str) -> Result<SecretHash, E>,
    ) -> Result<bool, StoreError> {
        if self.user_count()? > 0 {
            return Ok(false);
        }
        let seeder = Actor {
            user_id: None,
            name: "demo-seed".to_owned(),
            role: Role::Admin,
        };
        for user in &DEMO_USERS {
            let secret = hash(user.role, user.secret).map_err(|err| {
                StoreError::Invalid(format!("demo user {}'s secret: {err}", user.name))
            })?;
            self.add_user(&seeder, user.name, user.role, &secret)?;
        }
        self.set_station_name(&seeder, "Demo station")?;
        if self.cameras()?.is_empty() {
            for (name, spec) in DEMO_CAMERAS {
                self.add_camera(&seeder, name, spec)?;
            }
        }
        Ok(true)
    }
}
