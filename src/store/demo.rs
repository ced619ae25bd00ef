//! The demo database: documented demo users, four synthetic cameras and a porosity recipe,
//! created once on an empty demo file so that `cargo run --release` opens a working station.

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

/// The scale the demo's porosity cameras render at (`camera::synthetic::porosity`).
pub const DEMO_MM_PER_PX: f64 = 0.03;

const DEMO_CAMERAS: [(&str, &str); 4] = [
    ("Porosity A", "demo:porosity?size=1280x720&fps=30&seed=1"),
    ("Porosity B", "demo:porosity?size=1280x720&fps=30&seed=2"),
    ("Label", "demo:label?size=1280x720&fps=30"),
    ("QR mark", "demo:qr?size=1280x720&fps=30"),
];

/// The demo's porosity recipe: a transmission housing seen by both porosity cameras. Camera A
/// has a sealing face with tight rules and a bolt land; camera B is judged whole with the
/// default rules. Images of every part are kept, so History shows each one. (Its validity is
/// tested where recipes are parsed, in `vision::recipe`.)
pub const DEMO_RECIPE_PART: &str = "HSG-4471";
pub const DEMO_RECIPE_TOML: &str = r#"part_number = "HSG-4471"
detector = "onnx"
threshold = 0.5
cameras = ["Porosity A", "Porosity B"]

[default_rules]
ignore_below_mm = 0.2
max_diameter_mm = 1.0
max_count = 12
window_mm = 10.0
max_in_window = 5
max_area_percent = 0.5
warn_ratio = 0.8

[saving]
policy = "all"
raw = true
overlay = true

[[zones]]
name = "sealing face"
camera = "Porosity A"
shape = "polygon"
points_px = [[140.0, 120.0], [900.0, 100.0], [930.0, 600.0], [160.0, 620.0]]

[zones.rules]
ignore_below_mm = 0.15
max_diameter_mm = 0.6
max_count = 6
window_mm = 8.0
max_in_window = 3
min_edge_distance_mm = 0.5
warn_ratio = 0.8

[[zones]]
name = "bolt land"
camera = "Porosity A"
shape = "rect"
x_px = 980.0
y_px = 80.0
width_px = 260.0
height_px = 560.0

[zones.rules]
ignore_below_mm = 0.2
max_diameter_mm = 1.2
max_count = 10
warn_ratio = 0.8
"#;

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
            // The demo's porosity faces are rendered at this scale.
            for name in ["Porosity A", "Porosity B"] {
                self.calibrate_camera(&seeder, name, Some(DEMO_MM_PER_PX))?;
            }
        }
        if self.latest_recipe(DEMO_RECIPE_PART)?.is_none() {
            self.save_recipe(&seeder, DEMO_RECIPE_PART, DEMO_RECIPE_TOML, "demo recipe")?;
        }
        Ok(true)
    }
}
