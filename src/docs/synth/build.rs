//! One product as built, sampled from a seed: job number, unit serial, flight status and the BOM
//! lines with part numbers, revisions, quantities, reference designators and the serials of the
//! boards that carry one. This is the truth; it must not decide what any document shows (that
//! is `script`).

use rand::Rng;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

/// Whether the unit may fly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FlightStatus {
    #[serde(rename = "FLIGHT")]
    Flight,
    #[serde(rename = "EDU")]
    Edu,
}

impl FlightStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Flight => "FLIGHT",
            Self::Edu => "EDU",
        }
    }

    pub fn other(self) -> Self {
        match self {
            Self::Flight => Self::Edu,
            Self::Edu => Self::Flight,
        }
    }
}

/// One BOM line as built, every value in its canonical form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// `PCA-1555-01` (a circuit card assembly) or `DRW-2044-03` (a drawing: chassis, harness…).
    pub part_number: String,
    /// `F`, `F2`, `G1`: a base letter and an optional numeric suffix.
    pub revision: String,
    pub description: String,
    pub quantity: u32,
    pub ref_des: String,
    /// `VGN-12345-0001`, for the boards that carry a serial label.
    pub serial: Option<String>,
}

impl Part {
    /// Circuit card assemblies are the boards; drawings are mechanical parts and harnesses.
    pub fn is_board(&self) -> bool {
        self.part_number.starts_with("PCA")
    }
}

/// One product as built.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Build {
    /// Five digits, `12345`.
    pub job: String,
    /// `INF-1619`.
    pub unit_serial: String,
    pub flight: FlightStatus,
    /// What the unit is, for the traveler's title block.
    pub product: String,
    pub parts: Vec<Part>,
}

const BOARD_NAMES: [&str; 9] = [
    "CPU BOARD",
    "POWER SUPPLY BOARD",
    "RF FRONT END",
    "MOTOR DRIVER BOARD",
    "SENSOR INTERFACE BOARD",
    "BACKPLANE",
    "FPGA PROCESSOR BOARD",
    "TELEMETRY BOARD",
    "HEATER CONTROL BOARD",
];

const PRODUCTS: [&str; 6] = [
    "Star tracker electronics",
    "Power distribution unit",
    "Reaction wheel controller",
    "S-band transceiver",
    "Payload interface unit",
    "Thermal control unit",
];

/// Revision base letters as drawings use them: I and O are skipped because they read as digits.
pub(super) const REVISION_LETTERS: &[u8] = b"ABCDEFGHJKLMN";

impl Build {
    /// Samples a build of 2–6 BOM lines with at least one serialised board.
    pub fn sample(rng: &mut SmallRng) -> Self {
        let job = rng.gen_range(10_000..=99_999_u32).to_string();
        let unit_serial = format!("INF-{}", rng.gen_range(1_000..=9_999_u32));
        let flight = if rng.gen_bool(0.6) {
            FlightStatus::Flight
        } else {
            FlightStatus::Edu
        };
        let product = PRODUCTS[rng.gen_range(0..PRODUCTS.len())].to_owned();
        let line_count = rng.gen_range(2..=6_usize);
        let board_count = rng.gen_range(1..=line_count.min(4));
        let mut used_numbers = Vec::new();
        let mut boards = Vec::new();
        let mut board_names = BOARD_NAMES.to_vec();
        board_names.shuffle(rng);
        let mut next_serial = rng.gen_range(1..=40_u32);
        for index in 0..board_count {
            let serial = rng.gen_bool(0.85).then(|| {
                next_serial += rng.gen_range(1..=3);
                format!("VGN-{job}-{next_serial:04}")
            });
            boards.push(Part {
                part_number: fresh_number(rng, "PCA", &mut used_numbers),
                revision: sample_revision(rng),
                description: board_names[index % board_names.len()].to_owned(),
                quantity: 1,
                ref_des: format!("A{}", index + 1),
                serial,
            });
        }
        if boards.iter().all(|board| board.serial.is_none()) {
            next_serial += 1;
            boards[0].serial = Some(format!("VGN-{job}-{next_serial:04}"));
        }
        let mechanical = mechanical_parts(rng, line_count - board_count, &mut used_numbers);
        // A find-number order: the chassis first, then the boards, then the rest.
        let mut parts = Vec::new();
        let mut mechanical = mechanical.into_iter();
        if let Some(first) = mechanical.next() {
            parts.push(first);
        }
        parts.extend(boards);
        parts.extend(mechanical);
        Self {
            job,
            unit_serial,
            flight,
            product,
            parts,
        }
    }

    /// The boards that carry a serial, in BOM order.
    pub fn serialised_boards(&self) -> impl Iterator<Item = &Part> {
        self.parts.iter().filter(|part| part.serial.is_some())
    }
}

fn mechanical_parts(rng: &mut SmallRng, count: usize, used: &mut Vec<String>) -> Vec<Part> {
    let mut kinds = vec![
        ("CHASSIS, MACHINED", 1..=1, "MP"),
        ("COVER, TOP", 1..=1, "MP"),
        ("BRACKET, MOUNTING", 2..=4, "MP"),
        ("HARNESS, INTERNAL", 1..=1, "W"),
        ("HEAT SINK", 1..=2, "MP"),
        ("CONNECTOR PANEL", 1..=1, "MP"),
    ];
    // The chassis, when there is one, comes first; the others in a seeded order.
    kinds[1..].shuffle(rng);
    let mut counters = [0_u32; 2];
    kinds
        .into_iter()
        .take(count)
        .map(|(description, quantities, prefix)| {
            let quantity = rng.gen_range(quantities);
            let counter = &mut counters[usize::from(prefix == "W")];
            let first = *counter + 1;
            *counter += quantity;
            let ref_des = if quantity == 1 {
                format!("{prefix}{first}")
            } else {
                format!("{prefix}{first}-{prefix}{}", *counter)
            };
            Part {
                part_number: fresh_number(rng, "DRW", used),
                revision: sample_revision(rng),
                description: description.to_owned(),
                quantity,
                ref_des,
                serial: None,
            }
        })
        .collect()
}

/// A part number with `prefix` that no other line of the build has.
pub(super) fn fresh_number(rng: &mut SmallRng, prefix: &str, used: &mut Vec<String>) -> String {
    loop {
        let number = format!(
            "{prefix}-{}-{:02}",
            rng.gen_range(1_000..=9_999_u32),
            rng.gen_range(1..=12_u32)
        );
        if !used.contains(&number) {
            used.push(number.clone());
            return number;
        }
    }
}

fn sample_revision(rng: &mut SmallRng) -> String {
    // Mature designs cluster around C–H.
    let letter = char::from(REVISION_LETTERS[rng.gen_range(2..=7)]);
    if rng.gen_bool(0.5) {
        letter.to_string()
    } else {
        format!("{letter}{}", rng.gen_range(1..=3))
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use regex::Regex;

    use super::*;

    #[test]
    fn sampled_builds_follow_the_field_formats() {
        let part = Regex::new(r"^(PCA|DRW)-\d{4}-\d{2}$").unwrap();
        let revision = Regex::new(r"^[A-HJ-N][1-3]?$").unwrap();
        let serial = Regex::new(r"^VGN-\d{5}-\d{4}$").unwrap();
        let unit = Regex::new(r"^INF-\d{4}$").unwrap();
        for seed in 0..200 {
            let build = Build::sample(&mut SmallRng::seed_from_u64(seed));
            assert_eq!(build.job.len(), 5, "seed {seed}");
            assert!(unit.is_match(&build.unit_serial), "{}", build.unit_serial);
            assert!((2..=6).contains(&build.parts.len()), "seed {seed}");
            assert!(build.serialised_boards().count() >= 1, "seed {seed}");
            let mut numbers: Vec<&str> =
                build.parts.iter().map(|p| p.part_number.as_str()).collect();
            numbers.sort_unstable();
            numbers.dedup();
            assert_eq!(
                numbers.len(),
                build.parts.len(),
                "unique part numbers, seed {seed}"
            );
            for p in &build.parts {
                assert!(part.is_match(&p.part_number), "{}", p.part_number);
                assert!(revision.is_match(&p.revision), "{}", p.revision);
                if let Some(s) = &p.serial {
                    assert!(p.is_board());
                    assert!(serial.is_match(s), "{s}");
                    assert!(
                        s.contains(&build.job),
                        "a board serial carries the job: {s}"
                    );
                }
            }
            let serials: Vec<_> = build.serialised_boards().map(|p| &p.serial).collect();
            let mut unique = serials.clone();
            unique.dedup();
            assert_eq!(unique.len(), serials.len(), "seed {seed}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_build() {
        let a = Build::sample(&mut SmallRng::seed_from_u64(7));
        let b = Build::sample(&mut SmallRng::seed_from_u64(7));
        let c = Build::sample(&mut SmallRng::seed_from_u64(8));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
