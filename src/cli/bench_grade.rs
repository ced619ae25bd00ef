//! `qcstation bench grade --count N --seed S`: the mark grade against generated marks of known
//! quality (`scan::graded_marks`): each is decoded, graded, and each parameter's grade compared
//! with the true one. Prints, per parameter, the share within one grade step (the goal: ≥ 95 %)
//! and exactly equal, and the time to grade.

use std::process::ExitCode;
use std::time::Instant;

use clap::Args;

use crate::runtime::stats::nearest_rank;
use crate::scan::grade::{MarkGrade, PARAMETERS, grade};
use crate::scan::graded_marks::render;
use crate::scan::{ScanOptions, decode};

#[derive(Debug, Args)]
pub struct GradeBench {
    /// Marks to generate.
    #[arg(long, default_value_t = 200)]
    pub count: u64,
    /// First seed (keep the benchmark's seeds apart from the tests': they start at 100).
    #[arg(long, default_value_t = 9_000_000)]
    pub seed: u64,
    /// Print each mark whose grade is more than one step from the truth.
    #[arg(long)]
    pub verbose: bool,
}

/// Per parameter: marks within one step, marks equal.
#[derive(Debug, Default, Clone, Copy)]
pub struct Agreement {
    pub within_one: usize,
    pub equal: usize,
}

/// What a run measured.
#[derive(Debug, Default)]
pub struct GradeRun {
    pub marks: usize,
    pub decoded: usize,
    pub graded: usize,
    pub agreement: [Agreement; 6],
    pub grade_ms: Vec<f64>,
    /// Seeds and parameters more than one step off: (seed, parameter, measured, truth).
    pub misses: Vec<(u64, &'static str, u8, u8)>,
    /// Why decoded marks could not be graded, with how many.
    pub not_graded: std::collections::BTreeMap<String, usize>,
}

/// Generates, decodes and grades `count` marks from `seed`.
pub fn measure(seed: u64, count: u64) -> GradeRun {
    let mut run = GradeRun::default();
    for seed in seed..seed + count {
        let Some(mark) = render(seed) else {
            continue;
        };
        run.marks += 1;
        let codes = decode(&mark.image, &ScanOptions::default());
        let Some(code) = codes.iter().find(|code| code.text == mark.payload) else {
            continue;
        };
        run.decoded += 1;
        let started = Instant::now();
        let measured = match grade(&mark.image, code) {
            Ok(measured) => measured,
            Err(err) => {
                *run.not_graded.entry(err.to_string()).or_default() += 1;
                continue;
            }
        };
        run.grade_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        run.graded += 1;
        compare(&mut run, seed, &measured, &mark.truth);
    }
    run
}

fn compare(run: &mut GradeRun, seed: u64, measured: &MarkGrade, truth: &[u8; 6]) {
    for (index, ((name, parameter), &want)) in measured.parameters().iter().zip(truth).enumerate() {
        let agreement = &mut run.agreement[index];
        if parameter.grade.abs_diff(want) <= 1 {
            agreement.within_one += 1;
        } else {
            run.misses.push((seed, name, parameter.grade, want));
        }
        agreement.equal += usize::from(parameter.grade == want);
    }
}

pub fn run(bench: &GradeBench) -> anyhow::Result<ExitCode> {
    let run = measure(bench.seed, bench.count);
    println!(
        "bench grade: {} marks from seed {}, {} decoded, {} graded",
        run.marks, bench.seed, run.decoded, run.graded
    );
    for (why, count) in &run.not_graded {
        println!("  not graded ({count}): {why}");
    }
    let share = |n: usize| 100.0 * n as f64 / run.graded.max(1) as f64;
    // Agreement is over the marks graded; the generator makes some past reading, which no
    // verifier grades either (said above with the counts).
    let mut met = run.graded > 0;
    for (name, agreement) in PARAMETERS.iter().map(|(_, name)| name).zip(run.agreement) {
        let within = share(agreement.within_one);
        met &= within >= 95.0;
        println!(
            "  {name:<24} within one grade {within:5.1} %   equal {:5.1} %",
            share(agreement.equal)
        );
    }
    let at = |fraction: f64| nearest_rank(&run.grade_ms, fraction).unwrap_or(f64::NAN);
    println!(
        "time to grade a decoded mark: median {:.1} ms, p95 {:.1} ms",
        at(0.5),
        at(0.95)
    );
    if bench.verbose {
        for (seed, name, measured, truth) in &run.misses {
            println!("  seed {seed}: {name} graded {measured}, truth {truth}");
        }
    }
    println!(
        "goal: every parameter within one grade of the truth on ≥ 95 % of the marks graded: {}",
        if met { "met" } else { "NOT met" }
    );
    Ok(if met {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
