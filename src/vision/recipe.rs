//! Recipes (`specs/porosity.md`, Recipes): per part number, which detector and threshold, the
//! zones with their rules per camera, the rules for an image with no zone, and what images to
//! keep. This module owns the recipe's shape, its TOML form and its validation; versions and
//! the audit of changes live in the store.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::detect::DetectorKind;
use super::rules::{RulesError, Zone, ZoneRules};
use super::zone::{ZoneError, ZoneShape};

/// Score a pixel must reach to be a pore pixel, unless the recipe says otherwise.
pub const DEFAULT_THRESHOLD: f32 = 0.5;
/// The scale assumed for an image with no camera calibration and no `--mm-per-px`.
pub const DEFAULT_MM_PER_PX: f32 = 0.03;
/// Name of the zone an image without zones is judged in.
pub const WHOLE_IMAGE: &str = "whole image";

/// Which inspections keep their images.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SavingPolicy {
    None,
    /// Only WARN and REJECT.
    #[default]
    NgOnly,
    All,
}

/// What to keep of an inspection's images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Saving {
    pub policy: SavingPolicy,
    pub raw: bool,
    pub overlay: bool,
}

impl Default for Saving {
    fn default() -> Self {
        Self {
            policy: SavingPolicy::NgOnly,
            raw: true,
            overlay: true,
        }
    }
}

/// One version of a part's recipe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    pub part_number: String,
    /// Set by the store when saved (0 = never saved).
    #[serde(default)]
    pub version: u32,
    #[serde(default)]
    pub detector: DetectorKind,
    #[serde(default = "default_threshold")]
    pub threshold: f32,
    /// The scale of images that come with no camera calibration (files on the CLI).
    #[serde(default)]
    pub mm_per_px: Option<f32>,
    /// Cameras the recipe looks through (names); empty = every camera.
    #[serde(default)]
    pub cameras: Vec<String>,
    /// Rules of the whole-image zone when a camera has no zone drawn.
    #[serde(default = "ZoneRules::station_default")]
    pub default_rules: ZoneRules,
    #[serde(default)]
    pub zones: Vec<Zone>,
    #[serde(default)]
    pub saving: Saving,
}

fn default_threshold() -> f32 {
    DEFAULT_THRESHOLD
}

/// Why a recipe cannot be used, naming the place.
#[derive(Debug, thiserror::Error)]
pub enum RecipeError {
    #[error("recipe file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("part_number is empty: name the part the recipe is for")]
    NoPartNumber,
    #[error("threshold must be between 0 and 1, e.g. 0.5 (got {0})")]
    Threshold(f32),
    #[error("mm_per_px must be a number above 0, e.g. 0.03 (got {0})")]
    Scale(f32),
    #[error("default_rules: {0}")]
    DefaultRules(RulesError),
    #[error("zone {index} has no name")]
    ZoneName { index: usize },
    #[error("zone \"{name}\": {source}")]
    ZoneShape { name: String, source: ZoneError },
    #[error("zone \"{name}\": {source}")]
    ZoneRules { name: String, source: RulesError },
    #[error("two zones are named \"{0}\" on the same camera: give each its own name")]
    DuplicateZone(String),
}

impl Recipe {
    /// The station's recipe for any part: the network, one whole-image zone with the
    /// station's default rules.
    pub fn station_default() -> Self {
        Self {
            part_number: "*".to_owned(),
            version: 0,
            detector: DetectorKind::Onnx,
            threshold: DEFAULT_THRESHOLD,
            mm_per_px: None,
            cameras: Vec::new(),
            default_rules: ZoneRules::station_default(),
            zones: Vec::new(),
            saving: Saving::default(),
        }
    }

    /// Reads and validates a recipe TOML file.
    pub fn from_file(path: &Path) -> Result<Self, RecipeError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| RecipeError::Read {
            path: shown.clone(),
            source,
        })?;
        Self::parse(&text, &format!("recipe file {shown}"))
    }

    /// Parses and validates recipe TOML; `origin` names where it came from in errors (a file,
    /// "recipe HSG-4471 v3" from the store).
    pub fn parse(text: &str, origin: &str) -> Result<Self, RecipeError> {
        let recipe: Recipe = toml::from_str(text).map_err(|err| RecipeError::Parse {
            path: origin.to_owned(),
            message: err.to_string(),
        })?;
        recipe.validate().map_err(|err| RecipeError::Parse {
            path: origin.to_owned(),
            message: err.to_string(),
        })?;
        Ok(recipe)
    }

    /// A stored version: its body parsed and validated, with the version the store gave it.
    pub fn from_stored(
        body_toml: &str,
        part_number: &str,
        version: u32,
    ) -> Result<Self, RecipeError> {
        let mut recipe = Self::parse(body_toml, &format!("recipe {part_number} v{version}"))?;
        recipe.version = version;
        Ok(recipe)
    }

    /// The TOML the store keeps for a new version (the version number is the store's).
    pub fn body_toml(&self) -> String {
        Self {
            version: 0,
            ..self.clone()
        }
        .to_toml()
    }

    pub fn to_toml(&self) -> String {
        // A recipe is plain data: serialising it cannot fail.
        toml::to_string_pretty(self).unwrap_or_default()
    }

    pub fn validate(&self) -> Result<(), RecipeError> {
        if self.part_number.trim().is_empty() {
            return Err(RecipeError::NoPartNumber);
        }
        if !(self.threshold > 0.0 && self.threshold < 1.0) {
            return Err(RecipeError::Threshold(self.threshold));
        }
        if let Some(scale) = self.mm_per_px
            && !(scale > 0.0 && scale.is_finite())
        {
            return Err(RecipeError::Scale(scale));
        }
        self.default_rules
            .validate()
            .map_err(RecipeError::DefaultRules)?;
        let mut seen = std::collections::HashSet::new();
        for (index, zone) in self.zones.iter().enumerate() {
            if zone.name.trim().is_empty() {
                return Err(RecipeError::ZoneName { index });
            }
            zone.shape
                .validate()
                .map_err(|source| RecipeError::ZoneShape {
                    name: zone.name.clone(),
                    source,
                })?;
            zone.rules
                .validate()
                .map_err(|source| RecipeError::ZoneRules {
                    name: zone.name.clone(),
                    source,
                })?;
            if !seen.insert((zone.camera.clone(), zone.name.clone())) {
                return Err(RecipeError::DuplicateZone(zone.name.clone()));
            }
        }
        Ok(())
    }

    /// The zones judged on `camera`'s image (`None`: an image from a file): the zones drawn
    /// for it or for every camera, or else the whole image with the default rules.
    pub fn zones_for(&self, camera: Option<&str>, width_px: u32, height_px: u32) -> Vec<Zone> {
        let drawn: Vec<Zone> = self
            .zones
            .iter()
            .filter(|zone| match (&zone.camera, camera) {
                (None, _) => true,
                (Some(zone_camera), Some(camera)) => zone_camera == camera,
                // A file has no camera: every zone drawn for a camera applies.
                (Some(_), None) => true,
            })
            .cloned()
            .collect();
        if drawn.is_empty() {
            vec![Zone {
                name: WHOLE_IMAGE.to_owned(),
                camera: None,
                shape: ZoneShape::whole_image(width_px, height_px),
                rules: self.default_rules.clone(),
            }]
        } else {
            drawn
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEALING_FACE: &str = r#"
part_number = "TC-4410"
detector = "classical"
threshold = 0.6

[default_rules]
max_diameter_mm = 1.5

[[zones]]
name = "sealing face"
camera = "Porosity A"
shape = "polygon"
points_px = [[100.0, 100.0], [600.0, 120.0], [580.0, 500.0], [90.0, 480.0]]
[zones.rules]
ignore_below_mm = 0.2
max_diameter_mm = 0.5
min_edge_distance_mm = 1.0
warn_ratio = 0.8

[[zones]]
name = "flange"
shape = "rect"
x_px = 0.0
y_px = 600.0
width_px = 1280.0
height_px = 120.0
"#;

    #[test]
    fn the_demo_recipe_is_valid_and_draws_zones_on_camera_a_only() {
        let recipe = Recipe::parse(crate::store::DEMO_RECIPE_TOML, "demo recipe").unwrap();
        assert_eq!(recipe.part_number, crate::store::DEMO_RECIPE_PART);
        assert_eq!(recipe.zones_for(Some("Porosity A"), 1280, 720).len(), 2);
        assert_eq!(
            recipe.zones_for(Some("Porosity B"), 1280, 720)[0].name,
            WHOLE_IMAGE
        );
        assert_eq!(recipe.saving.policy, SavingPolicy::All);
    }

    #[test]
    fn a_recipe_file_reads_and_picks_zones_per_camera() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tc4410.toml");
        std::fs::write(&path, SEALING_FACE).unwrap();
        let recipe = Recipe::from_file(&path).unwrap();
        assert_eq!(recipe.detector, DetectorKind::Classical);
        assert_eq!(recipe.zones[0].rules.max_diameter_mm, Some(0.5));
        assert_eq!(
            recipe.zones[1].rules,
            ZoneRules::default(),
            "unset rules stay unset"
        );
        let names = |zones: Vec<Zone>| zones.into_iter().map(|z| z.name).collect::<Vec<_>>();
        assert_eq!(
            names(recipe.zones_for(Some("Porosity A"), 1280, 720)),
            ["sealing face", "flange"]
        );
        assert_eq!(
            names(recipe.zones_for(Some("Porosity B"), 1280, 720)),
            ["flange"]
        );
        let round_trip: Recipe = toml::from_str(&recipe.to_toml()).unwrap();
        assert_eq!(round_trip, recipe);
    }

    #[test]
    fn no_zone_means_the_whole_image_with_the_default_rules() {
        let recipe = Recipe::station_default();
        recipe.validate().unwrap();
        let zones = recipe.zones_for(None, 640, 480);
        assert_eq!(zones.len(), 1);
        assert_eq!(zones[0].name, WHOLE_IMAGE);
        assert_eq!(zones[0].shape.area_px(), 640.0 * 480.0);
        assert_eq!(zones[0].rules, ZoneRules::station_default());
    }

    #[test]
    fn errors_name_the_file_zone_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        let bad = SEALING_FACE.replace("max_diameter_mm = 0.5", "max_diameter_mm = -0.5");
        std::fs::write(&path, bad).unwrap();
        let message = Recipe::from_file(&path).unwrap_err().to_string();
        assert!(message.contains("bad.toml"), "{message}");
        assert!(
            message.contains("zone \"sealing face\": max_diameter_mm must be a number above 0"),
            "{message}"
        );
        std::fs::write(&path, "part_number = \"X\"\nthreshhold = 0.5\n").unwrap();
        let message = Recipe::from_file(&path).unwrap_err().to_string();
        assert!(message.contains("threshhold"), "{message}");
        let missing = Recipe::from_file(&dir.path().join("none.toml")).unwrap_err();
        assert!(missing.to_string().contains("none.toml"));
    }
}
