//! `qcstation recipe`: porosity recipes in the station database, as the GUI keeps them. `save
//! FILE` validates a recipe TOML file and stores it as the next version of its part number
//! (audited as the station's console); `list` shows every part's newest version; `show PART
//! [--version N]` prints a stored version's TOML (a file `save` takes back). `inspect --recipe
//! NAME` uses the newest version of a part number.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;

use crate::paths::StationPaths;
use crate::store::StoreReader;
use crate::vision::recipe::Recipe;

#[derive(Debug, Subcommand)]
pub enum RecipeCommand {
    /// Every part number's newest recipe version.
    List,
    /// A stored version's TOML (the newest without --version).
    Show {
        part_number: String,
        #[arg(long)]
        version: Option<u32>,
    },
    /// Validate a recipe file and save it as the next version of its part number.
    Save {
        file: PathBuf,
        /// What changed, for the audit trail.
        #[arg(long, default_value = "")]
        note: String,
    },
}

pub fn run(command: RecipeCommand, paths: &StationPaths) -> anyhow::Result<ExitCode> {
    let mut store = super::open_store(paths)?;
    match command {
        RecipeCommand::List => {
            let recipes = store.latest_recipes()?;
            if recipes.is_empty() {
                println!("No recipe is stored: save one with `qcstation recipe save FILE`.");
            }
            for record in recipes {
                println!(
                    "{}\tv{}\t{}\t{}\t{}",
                    record.part_number,
                    record.version,
                    record.created_at_utc,
                    record.created_by,
                    record.note
                );
            }
        }
        RecipeCommand::Show {
            part_number,
            version,
        } => {
            let record = match version {
                Some(version) => store.recipe_version(&part_number, version)?,
                None => store.latest_recipe(&part_number)?,
            }
            .with_context(|| match version {
                Some(version) => format!("part number {part_number} has no recipe v{version}"),
                None => format!("there is no recipe for part number {part_number}"),
            })?;
            print!("{}", record.body_toml);
        }
        RecipeCommand::Save { file, note } => {
            let recipe = Recipe::from_file(&file)?;
            let record = store.save_recipe(
                &super::console_actor(),
                &recipe.part_number,
                &recipe.body_toml(),
                &note,
            )?;
            println!(
                "Saved recipe {} v{} from {}",
                record.part_number,
                record.version,
                file.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The recipe `--recipe` names: a TOML file if one exists at `name`, else the newest stored
/// version of part number `name` (or `PART@vN` for a given version) in the station database.
pub fn resolve(name: &Path, paths: &StationPaths) -> anyhow::Result<Recipe> {
    if name.is_file() {
        return Ok(Recipe::from_file(name)?);
    }
    let text = name.to_string_lossy();
    let (part, version) = match text.rsplit_once("@v") {
        Some((part, version)) => (
            part,
            Some(
                version
                    .parse::<u32>()
                    .with_context(|| format!("{text}: the version after @v is not a number"))?,
            ),
        ),
        None => (text.as_ref(), None),
    };
    if !paths.database.exists() {
        anyhow::bail!(
            "{text} is neither a recipe file nor a part number in a station database ({} does not exist)",
            paths.database.display()
        );
    }
    let reader = StoreReader::open(&paths.database)
        .with_context(|| format!("opening {}", paths.database.display()))?;
    let record = match version {
        Some(version) => reader.recipe_version(part, version)?,
        None => reader.latest_recipe(part)?,
    }
    .with_context(|| {
        format!(
            "{text} is neither a recipe file nor a stored part number (see `qcstation recipe list`)"
        )
    })?;
    Ok(Recipe::from_stored(
        &record.body_toml,
        &record.part_number,
        record.version,
    )?)
}
