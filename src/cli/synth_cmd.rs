//! `qcstation synth porosity --count N --seed S --out DIR [--size WxH] [--surfaces …]
//! [--lighting …] [--clean] [--json]`: generated machined faces with pores and their ground
//! truth (image, mask, JSON list), seeds S, S+1, …, rendered on two named threads.
//! `qcstation synth qr --count N --seed S --out DIR [--size WxH] [--tiers …]`: laser marks on
//! metal, one folder per tier, each image with its payload (`.txt`) and truth (`.json`).
//! `qcstation synth crosscheck --count N --seed S --out DIR [--tier normal|hard] [--json]`:
//! cross-check document packs `DIR/pack-SSSSSS/` (traveler PDF, BOM, label photos and
//! `answer.json` with the expected verdict and the scripted deviations).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde_json::json;

use crate::docs::synth::{PackAnswer, PackOptions, Tier as LabelTier, write_pack};
use crate::scan::synth::{MarkParams, Tier, render as render_mark};
use crate::vision::synth::{Lighting, SceneParams, SurfaceFamily, Variety, render, write};

#[derive(Debug, Subcommand)]
pub enum SynthCommand {
    /// Machined aluminium faces with casting pores, and the exact pore mask and list.
    Porosity(PorosityArgs),
    /// QR laser marks on metal per difficulty tier, with the payload and the code's corners.
    Qr(QrArgs),
    /// Cross-check packs: traveler PDF, as-built BOM and label photos of one build each, with
    /// scripted agreements and disagreements and an answer file.
    Crosscheck(CrosscheckArgs),
}

#[derive(Debug, Args)]
pub struct CrosscheckArgs {
    #[arg(long, default_value_t = 10)]
    pub count: u64,
    /// The first pack's seed; pack i has seed + i and is written to DIR/pack-SSSSSS.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Label photo tier: normal (text 25 px or more) or hard (small, low contrast, blurred).
    #[arg(long, default_value = "normal", value_parser = parse_label_tier)]
    pub tier: LabelTier,
    /// One JSON object per pack per line.
    #[arg(long)]
    pub json: bool,
}

fn parse_label_tier(text: &str) -> Result<LabelTier, String> {
    LabelTier::ALL
        .into_iter()
        .find(|tier| tier.as_str() == text)
        .ok_or_else(|| format!("unknown tier {text:?}: normal or hard"))
}

fn run_crosscheck(args: &CrosscheckArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let options = PackOptions { tier: args.tier };
    let seeds: Vec<u64> = (args.seed..args.seed.saturating_add(args.count)).collect();
    let (half_a, half_b) = seeds.split_at(seeds.len() / 2);
    let write_all = |seeds: &[u64]| -> anyhow::Result<Vec<(PathBuf, PackAnswer)>> {
        seeds
            .iter()
            .map(|seed| {
                let dir = args.out.join(format!("pack-{seed:06}"));
                let answer = write_pack(&dir, *seed, &options)
                    .with_context(|| format!("writing pack {seed}"))?;
                Ok((dir, answer))
            })
            .collect()
    };
    let packs = std::thread::scope(|scope| -> anyhow::Result<Vec<(PathBuf, PackAnswer)>> {
        let other = std::thread::Builder::new()
            .name("synth-1".to_owned())
            .spawn_scoped(scope, || write_all(half_a))
            .context("starting a pack thread")?;
        let mine = write_all(half_b)?;
        let mut packs = other
            .join()
            .map_err(|_| anyhow::anyhow!("a pack thread crashed"))??;
        packs.extend(mine);
        Ok(packs)
    })?;
    let mut verdicts = [0_usize; 3];
    for (dir, answer) in &packs {
        verdicts[answer.expected_verdict as usize] += 1;
        if args.json {
            println!(
                "{}",
                json!({
                    "dir": dir.display().to_string(),
                    "seed": answer.seed,
                    "expected_verdict": answer.expected_verdict,
                    "deviations": answer.deviations,
                    "files": answer.files,
                })
            );
        } else {
            let deviations: Vec<String> = answer
                .deviations
                .iter()
                .map(|d| format!("check {} {}: {}", d.check, d.status.as_str(), d.what))
                .collect();
            println!(
                "{}: {} ({} files){}{}",
                dir.display(),
                answer.expected_verdict.as_str(),
                answer.files.len(),
                if deviations.is_empty() { "" } else { "; " },
                deviations.join("; ")
            );
        }
    }
    if !args.json {
        println!(
            "{} pack(s) in {}: {} PASS, {} WARNING, {} FAIL",
            packs.len(),
            args.out.display(),
            verdicts[0],
            verdicts[1],
            verdicts[2]
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct QrArgs {
    /// Marks per tier.
    #[arg(long, default_value_t = 20)]
    pub count: u64,
    /// The first mark's seed; mark i has seed + i.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Image size, WIDTHxHEIGHT.
    #[arg(long, default_value = "800x600", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Tiers (normal, inverted, low-contrast, glare, tilt, small); all by default.
    #[arg(long, value_delimiter = ',', value_parser = parse_tier)]
    pub tiers: Vec<Tier>,
}

fn parse_tier(text: &str) -> Result<Tier, String> {
    Tier::ALL
        .into_iter()
        .find(|tier| tier.as_str() == text)
        .ok_or_else(|| {
            let names: Vec<&str> = Tier::ALL.iter().map(|tier| tier.as_str()).collect();
            format!("unknown tier {text:?}: one of {}", names.join(", "))
        })
}

fn run_qr(args: &QrArgs) -> anyhow::Result<ExitCode> {
    let tiers = if args.tiers.is_empty() {
        Tier::ALL.to_vec()
    } else {
        args.tiers.clone()
    };
    for tier in tiers {
        let dir = args.out.join(tier.as_str());
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        for seed in args.seed..args.seed.saturating_add(args.count) {
            let mark = render_mark(&MarkParams::sample(seed, tier, args.size.0, args.size.1))?;
            let stem = dir.join(format!("{seed:08}"));
            let png = stem.with_extension("png");
            mark.image
                .save(&png)
                .with_context(|| format!("writing {}", png.display()))?;
            std::fs::write(stem.with_extension("txt"), &mark.params.payload)
                .with_context(|| format!("writing {}", stem.with_extension("txt").display()))?;
            let truth =
                json!({"params": mark.params, "corners": mark.corners, "version": mark.version});
            std::fs::write(stem.with_extension("json"), truth.to_string())
                .with_context(|| format!("writing {}", stem.with_extension("json").display()))?;
        }
        println!("{}: {} marks", dir.display(), args.count);
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct PorosityArgs {
    #[arg(long, default_value_t = 10)]
    pub count: u64,
    /// The first scene's seed; scene i has seed + i.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Image size, WIDTHxHEIGHT.
    #[arg(long, default_value = "1280x720", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Surface families to draw from (turned, milled, fly_cut, blasted); all by default.
    #[arg(long, value_delimiter = ',')]
    pub surfaces: Vec<SurfaceFamily>,
    /// Lightings to draw from (ring, coaxial, low_angle, dome); all by default.
    #[arg(long, value_delimiter = ',')]
    pub lighting: Vec<Lighting>,
    /// Parts with no pore (dust, scratches and smudges only).
    #[arg(long)]
    pub clean: bool,
    /// One JSON object per scene per line.
    #[arg(long)]
    pub json: bool,
}

fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let bad = || format!("size {text:?} is not WIDTHxHEIGHT with each 32..=8192, e.g. 1280x720");
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(bad)?;
    let (w, h): (u32, u32) = (w.parse().map_err(|_| bad())?, h.parse().map_err(|_| bad())?);
    if !(32..=8192).contains(&w) || !(32..=8192).contains(&h) {
        return Err(bad());
    }
    Ok((w, h))
}

pub fn run(command: &SynthCommand) -> anyhow::Result<ExitCode> {
    let args = match command {
        SynthCommand::Porosity(args) => args,
        SynthCommand::Qr(args) => return run_qr(args),
        SynthCommand::Crosscheck(args) => return run_crosscheck(args),
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let variety = Variety {
        surfaces: args.surfaces.clone(),
        lightings: args.lighting.clone(),
        clean: args.clean,
        width_px: args.size.0,
        height_px: args.size.1,
    };
    let seeds: Vec<u64> = (args.seed..args.seed.saturating_add(args.count)).collect();
    let (half_a, half_b) = seeds.split_at(seeds.len() / 2);
    let lines = std::thread::scope(|scope| -> anyhow::Result<Vec<String>> {
        let other = std::thread::Builder::new()
            .name("synth-1".to_owned())
            .spawn_scoped(scope, || render_all(half_a, &variety, &args.out, args.json))
            .context("starting a render thread")?;
        let mine = render_all(half_b, &variety, &args.out, args.json)?;
        let mut lines = other
            .join()
            .map_err(|_| anyhow::anyhow!("a render thread crashed"))??;
        lines.extend(mine);
        Ok(lines)
    })?;
    for line in &lines {
        println!("{line}");
    }
    if !args.json {
        println!("{} scene(s) in {}", lines.len(), args.out.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn render_all(
    seeds: &[u64],
    variety: &Variety,
    out: &Path,
    json: bool,
) -> anyhow::Result<Vec<String>> {
    let mut lines = Vec::new();
    for seed in seeds {
        let rendered = render(&SceneParams::sample(*seed, variety));
        let stem = format!("porosity-{seed:06}");
        write(&rendered, out, &stem)?;
        let truth = &rendered.truth;
        let image = out.join(format!("{stem}.png"));
        lines.push(if json {
            json!({
                "image": image.display().to_string(),
                "mask": out.join(format!("{stem}-mask.png")).display().to_string(),
                "truth": out.join(format!("{stem}.json")).display().to_string(),
                "pores": truth.pores.len(),
            })
            .to_string()
        } else {
            format!(
                "{}: {} pore(s), {} {} light, {:.4} mm/px",
                image.display(),
                truth.pores.len(),
                truth.params.surface,
                truth.params.lighting,
                truth.params.mm_per_px
            )
        });
    }
    Ok(lines)
}
