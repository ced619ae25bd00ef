//! How long a GRBL machine takes to run a program, computed the way its planner moves: each
//! block at its feed (or the rapid rate), limited by every axis' maximum rate and acceleration
//! (`$110–$112`, `$120–$122`), with junction speeds from `$11` (junction deviation) and a
//! trapezoidal speed profile per block, planned backwards and forwards so the machine can always
//! stop. Distance over feed would miss most of a raster job: the head brakes at every line end.
//!
//! Reads G-code text; knows nothing of ports or jobs.

use super::MachineSettings;
use super::modal::ModalState;

/// The planned run of a program.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub seconds: f64,
    pub moves: usize,
    pub burn_mm: f64,
    pub travel_mm: f64,
}

/// One straight move as the planner sees it.
#[derive(Debug, Clone)]
pub(super) struct Block {
    length_mm: f64,
    unit: [f64; 2],
    /// mm/s
    nominal: f64,
    /// mm/s²
    accel: f64,
    /// Starts after a synchronising command (M3/M4/M5, dwell): entry speed 0.
    after_sync: bool,
}

/// The largest value along `unit` that keeps every axis within its `limits`.
fn limit_by_axes(value: f64, unit: [f64; 2], limits: [f64; 2]) -> f64 {
    let mut limited = value;
    for axis in 0..2 {
        if unit[axis].abs() > 1e-12 {
            limited = limited.min(limits[axis] / unit[axis].abs());
        }
    }
    limited
}

impl Block {
    /// The move from `from` to `to`: a rapid (`feed` ignored) or a feed move at `feed_mm_per_s`.
    /// `None` for a move of no length.
    pub(super) fn between(
        from: [f64; 2],
        to: [f64; 2],
        rapid: bool,
        feed_mm_per_s: f64,
        after_sync: bool,
        machine: &MachineSettings,
    ) -> Option<Self> {
        let delta = [to[0] - from[0], to[1] - from[1]];
        let length_mm = (delta[0] * delta[0] + delta[1] * delta[1]).sqrt();
        if length_mm < 1e-9 {
            return None;
        }
        let unit = [delta[0] / length_mm, delta[1] / length_mm];
        let rates = [
            machine.max_rate_mm_per_min[0] / 60.0,
            machine.max_rate_mm_per_min[1] / 60.0,
        ];
        let accel = [machine.accel_mm_per_s2[0], machine.accel_mm_per_s2[1]];
        let wanted = if rapid { f64::INFINITY } else { feed_mm_per_s };
        Some(Self {
            length_mm,
            unit,
            nominal: limit_by_axes(wanted, unit, rates),
            accel: limit_by_axes(f64::INFINITY, unit, accel),
            after_sync,
        })
    }

    pub(super) fn accel_mm_per_s2(&self) -> f64 {
        self.accel
    }

    pub(super) fn nominal_mm_per_s(&self) -> f64 {
        self.nominal
    }
}

fn parse_blocks(program: &str, machine: &MachineSettings) -> (Vec<Block>, f64, f64) {
    let mut state = ModalState::default();
    let mut sync = true;
    let (mut burn, mut travel) = (0.0, 0.0);
    let mut blocks = Vec::new();
    for (index, line) in program.lines().enumerate() {
        // A line GRBL would refuse runs nothing; the estimate skips it as the machine would.
        let Ok(step) = state.apply(index + 1, line) else {
            continue;
        };
        sync |= step.synchronises;
        let Some(movement) = step.movement else {
            continue;
        };
        let feed_mm_per_s = movement.feed_mm_per_min / 60.0;
        let Some(block) = Block::between(
            movement.from_mm,
            movement.to_mm,
            movement.rapid,
            feed_mm_per_s,
            sync,
            machine,
        ) else {
            continue;
        };
        sync = false;
        if movement.rapid {
            travel += block.length_mm;
        } else if movement.burns() {
            burn += block.length_mm;
        }
        blocks.push(block);
    }
    (blocks, burn, travel)
}

/// The fastest speed through the corner from `previous` into `next` (GRBL's junction deviation).
fn junction_speed(previous: &Block, next: &Block, machine: &MachineSettings) -> f64 {
    let cos_theta = -(previous.unit[0] * next.unit[0] + previous.unit[1] * next.unit[1]);
    let limit = previous.nominal.min(next.nominal);
    if cos_theta > 0.999_999 {
        // A full reversal: stop.
        return 0.0;
    }
    if cos_theta < -0.999_999 {
        // Straight on.
        return limit;
    }
    let junction_unit = {
        let d = [
            next.unit[0] - previous.unit[0],
            next.unit[1] - previous.unit[1],
        ];
        let norm = (d[0] * d[0] + d[1] * d[1]).sqrt().max(1e-12);
        [d[0] / norm, d[1] / norm]
    };
    let accel = limit_by_axes(
        f64::INFINITY,
        junction_unit,
        [machine.accel_mm_per_s2[0], machine.accel_mm_per_s2[1]],
    );
    let sin_half = (0.5 * (1.0 - cos_theta)).sqrt();
    let speed_sq = accel * machine.junction_deviation_mm * sin_half / (1.0 - sin_half);
    speed_sq.sqrt().min(limit)
}

/// Time of one block from `entry` to `exit` speed, cruising at most at `nominal`.
pub(super) fn block_seconds(block: &Block, entry: f64, exit: f64) -> f64 {
    let (a, length, cruise) = (block.accel, block.length_mm, block.nominal);
    let accel_mm = (cruise * cruise - entry * entry) / (2.0 * a);
    let decel_mm = (cruise * cruise - exit * exit) / (2.0 * a);
    if accel_mm + decel_mm <= length {
        (cruise - entry) / a + (cruise - exit) / a + (length - accel_mm - decel_mm) / cruise
    } else {
        let peak = ((2.0 * a * length + entry * entry + exit * exit) / 2.0).sqrt();
        (peak - entry).max(0.0) / a + (peak - exit).max(0.0) / a
    }
}

/// Entry and exit speed of every block: the first starts at `first_entry`, the last ends at
/// rest (GRBL plans its queue so it can always stop at the end of what it has received).
pub(super) fn plan_speeds(
    blocks: &[Block],
    first_entry: f64,
    machine: &MachineSettings,
) -> Vec<(f64, f64)> {
    let count = blocks.len();
    // Highest speed allowed at the start of each block by its corner (or a stop).
    let mut entry_max: Vec<f64> = (0..count)
        .map(|index| {
            if index == 0 {
                first_entry
            } else if blocks[index].after_sync {
                0.0
            } else {
                junction_speed(&blocks[index - 1], &blocks[index], machine)
            }
        })
        .collect();
    // Backward: every block can still brake to what follows.
    let mut exit_next = 0.0_f64;
    for index in (0..count).rev() {
        let block = &blocks[index];
        let reachable = (exit_next * exit_next + 2.0 * block.accel * block.length_mm).sqrt();
        entry_max[index] = entry_max[index].min(reachable);
        exit_next = entry_max[index];
    }
    // Forward: the speeds the machine can actually reach.
    let mut speeds = Vec::with_capacity(count);
    let mut entry = first_entry.min(entry_max.first().copied().unwrap_or(0.0));
    for (index, block) in blocks.iter().enumerate() {
        let next_entry = entry_max.get(index + 1).copied().unwrap_or(0.0);
        let reachable = (entry * entry + 2.0 * block.accel * block.length_mm).sqrt();
        let exit = next_entry.min(reachable);
        speeds.push((entry, exit));
        entry = exit;
    }
    speeds
}

/// Plans `program` (G-code text) on `machine` and returns its running time.
pub fn estimate(program: &str, machine: &MachineSettings) -> Estimate {
    let (blocks, burn_mm, travel_mm) = parse_blocks(program, machine);
    let seconds = plan_speeds(&blocks, 0.0, machine)
        .into_iter()
        .zip(&blocks)
        .map(|((entry, exit), block)| block_seconds(block, entry, exit))
        .sum();
    Estimate {
        seconds,
        moves: blocks.len(),
        burn_mm,
        travel_mm,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine() -> MachineSettings {
        MachineSettings {
            max_rate_mm_per_min: [6000.0, 6000.0, 6000.0],
            accel_mm_per_s2: [10.0, 10.0, 10.0],
            ..MachineSettings::default()
        }
    }

    #[test]
    fn one_move_is_a_trapezoid_or_a_triangle() {
        // 10 mm at 10 mm/s with 10 mm/s²: 5 mm up to speed, 5 mm down, no cruise: 2 s.
        let triangle = estimate("G1X10F600", &machine());
        assert!((triangle.seconds - 2.0).abs() < 1e-9, "{triangle:?}");
        // 30 mm: 1 s up, 1 s down, 20 mm cruising at 10 mm/s: 4 s.
        let trapezoid = estimate("G1X30F600", &machine());
        assert!((trapezoid.seconds - 4.0).abs() < 1e-9, "{trapezoid:?}");
    }

    #[test]
    fn a_straight_junction_does_not_stop_and_a_reversal_does() {
        let split = estimate("G1X15F600\nX30", &machine());
        assert!((split.seconds - 4.0).abs() < 1e-9, "{split:?}");
        let back = estimate("G1X10F600\nX0", &machine());
        assert!((back.seconds - 4.0).abs() < 1e-9, "{back:?}");
    }

    #[test]
    fn axis_limits_cap_feed_and_rapids() {
        let slow_y = MachineSettings {
            max_rate_mm_per_min: [6000.0, 300.0, 6000.0],
            accel_mm_per_s2: [1000.0, 1000.0, 1000.0],
            ..MachineSettings::default()
        };
        // Y can only do 5 mm/s: 100 mm of Y at "F6000" takes about 20 s.
        let run = estimate("G1Y100F6000", &slow_y);
        assert!((run.seconds - 20.0).abs() < 0.1, "{run:?}");
        let rapid = estimate("G0Y100", &slow_y);
        assert!((rapid.seconds - 20.0).abs() < 0.1, "{rapid:?}");
    }

    #[test]
    fn a_corner_slows_by_the_junction_deviation() {
        let corner = estimate("G1X30F600\nY30", &machine());
        // Two 30 mm legs, each 4 s standing start to stop; the corner lets some speed through.
        assert!(corner.seconds < 8.0 && corner.seconds > 6.0, "{corner:?}");
    }
}
