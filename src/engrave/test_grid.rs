//! The power/speed test grid for a new material: one filled square per (power, speed) pair,
//! powers along X and speeds along Y, so an engineer reads off which cell gives a mark a scanner
//! reads best and sets the material preset from it. Same G-code rules as a QR job (`gcode.rs`):
//! M4 dynamic power, G0 travel never burning, S scaled to `$30`, bidirectional raster with
//! overscan at the settings' line interval.

use super::LaserSettings;
use super::gcode::{GcodeProgram, Writer, number};

/// What to burn.
#[derive(Debug, Clone, PartialEq)]
pub struct TestGrid {
    /// One column per power, % of `$30`.
    pub powers_percent: Vec<f64>,
    /// One row per speed.
    pub speeds_mm_per_min: Vec<f64>,
    /// Side of each square.
    pub cell_mm: f64,
    /// Unburned space between squares.
    pub gap_mm: f64,
}

/// Why a grid cannot be made, naming the value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("test grid: {0}")]
pub struct GridError(pub String);

impl TestGrid {
    pub fn check(&self) -> Result<(), GridError> {
        if self.powers_percent.is_empty() || self.speeds_mm_per_min.is_empty() {
            return Err(GridError("give at least one power and one speed".into()));
        }
        if let Some(bad) = self
            .powers_percent
            .iter()
            .find(|p| !(**p > 0.0 && **p <= 100.0))
        {
            return Err(GridError(format!(
                "power {bad} % is outside 0 < power ≤ 100"
            )));
        }
        if let Some(bad) = self
            .speeds_mm_per_min
            .iter()
            .find(|v| !(**v > 0.0 && **v <= 100_000.0))
        {
            return Err(GridError(format!(
                "speed {bad} mm/min is outside 0 < speed ≤ 100000"
            )));
        }
        if !(self.cell_mm >= 0.5 && self.cell_mm <= 100.0) {
            return Err(GridError(format!(
                "cell {} mm is outside 0.5–100 mm",
                self.cell_mm
            )));
        }
        if !(self.gap_mm >= 0.0 && self.gap_mm <= 100.0) {
            return Err(GridError(format!(
                "gap {} mm is outside 0–100 mm",
                self.gap_mm
            )));
        }
        Ok(())
    }

    /// The lower-left corner of cell (column, row), relative to the grid's origin.
    pub fn cell_origin_mm(&self, column: usize, row: usize) -> [f64; 2] {
        let pitch = self.cell_mm + self.gap_mm;
        [column as f64 * pitch, row as f64 * pitch]
    }
}

/// Values of one axis as an engineer types them: a list (`20,40,60,80`) or `MIN:MAX:STEPS`,
/// that many values evenly spaced from MIN to MAX inclusive (`20:80:4` is 20, 40, 60, 80).
/// The range of each value is checked by `TestGrid::check`.
pub fn parse_series(text: &str) -> Result<Vec<f64>, GridError> {
    let number = |part: &str| {
        part.trim()
            .parse::<f64>()
            .ok()
            .filter(|value| value.is_finite())
            .ok_or_else(|| GridError(format!("{part:?} in {text:?} is not a number")))
    };
    let parts: Vec<&str> = text.split(':').collect();
    match parts.as_slice() {
        [list] => list.split(',').map(number).collect(),
        [min, max, steps] => {
            let (min, max) = (number(min)?, number(max)?);
            let steps: usize = steps
                .trim()
                .parse()
                .ok()
                .filter(|n| (2..=50).contains(n))
                .ok_or_else(|| {
                    GridError(format!(
                        "{text:?}: STEPS in MIN:MAX:STEPS must be a whole number from 2 to 50"
                    ))
                })?;
            if max <= min {
                return Err(GridError(format!("{text:?}: MAX must be above MIN")));
            }
            let pitch = (max - min) / (steps - 1) as f64;
            // Rounded to 0.001 so the legend reads 33.333, not 33.333333333333336.
            Ok((0..steps)
                .map(|k| ((min + pitch * k as f64) * 1000.0).round() / 1000.0)
                .collect())
        }
        _ => Err(GridError(format!(
            "{text:?} is neither a list (20,40,60) nor MIN:MAX:STEPS (20:80:4)"
        ))),
    }
}

/// The grid at `settings.origin_mm` (rotation is not applied: the grid is a square on the
/// bed), with `settings`' line interval, overscan, passes and air assist.
pub fn test_grid_gcode(
    grid: &TestGrid,
    settings: &LaserSettings,
) -> Result<GcodeProgram, GridError> {
    grid.check()?;
    let [ox, oy] = settings.origin_mm;
    let lines_per_cell = ((grid.cell_mm / settings.line_interval_mm).round() as usize).max(1);
    let step = grid.cell_mm / lines_per_cell as f64;
    let mut out = Writer::job(grid.speeds_mm_per_min[0], settings.air_assist);
    for (row, &speed) in grid.speeds_mm_per_min.iter().enumerate() {
        out.set_feed(speed);
        for (column, &power) in grid.powers_percent.iter().enumerate() {
            let s = number(power / 100.0 * settings.machine.spindle_max);
            let [cx, cy] = grid.cell_origin_mm(column, row);
            let (left, right) = (ox + cx, ox + cx + grid.cell_mm);
            let mut forward = true;
            for _pass in 0..settings.passes {
                for k in 0..lines_per_cell {
                    let y = oy + cy + (k as f64 + 0.5) * step;
                    let (from, to) = if forward {
                        (left, right)
                    } else {
                        (right, left)
                    };
                    let run_in = if forward {
                        -settings.overscan_mm
                    } else {
                        settings.overscan_mm
                    };
                    out.go(0, [from + run_in, y], "0");
                    out.go(1, [from, y], "0");
                    out.go(1, [to, y], &s);
                    out.go(1, [to - run_in, y], "0");
                    forward = !forward;
                }
            }
        }
    }
    Ok(out.end_job(settings.air_assist))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::engrave::modal::ModalState;

    fn grid() -> TestGrid {
        TestGrid {
            powers_percent: vec![20.0, 50.0, 80.0],
            speeds_mm_per_min: vec![600.0, 1800.0],
            cell_mm: 4.0,
            gap_mm: 2.0,
        }
    }

    #[test]
    fn every_cell_burns_at_its_power_and_speed_inside_its_square_and_nothing_else_burns() {
        let grid = grid();
        let settings = LaserSettings {
            origin_mm: [10.0, 20.0],
            line_interval_mm: 0.5,
            ..LaserSettings::default()
        };
        let program = test_grid_gcode(&grid, &settings).unwrap();
        let mut state = ModalState::default();
        let mut burned = vec![vec![0.0_f64; 3]; 2];
        for (index, line) in program.lines.iter().enumerate() {
            assert!(line.len() <= 79 && line.is_ascii(), "{line}");
            let Some(movement) = state.apply(index + 1, line).unwrap().movement else {
                continue;
            };
            if !movement.burns() {
                continue;
            }
            let mid = [
                (movement.from_mm[0] + movement.to_mm[0]) / 2.0 - 10.0,
                (movement.from_mm[1] + movement.to_mm[1]) / 2.0 - 20.0,
            ];
            let column = (mid[0] / 6.0).floor() as usize;
            let row = (mid[1] / 6.0).floor() as usize;
            let [cx, cy] = grid.cell_origin_mm(column, row);
            for end in [movement.from_mm, movement.to_mm] {
                let (x, y) = (end[0] - 10.0, end[1] - 20.0);
                assert!(
                    x >= cx - 1e-9 && x <= cx + 4.0 + 1e-9 && y >= cy && y <= cy + 4.0,
                    "a burn outside cell ({column}, {row}): {line}"
                );
            }
            let expected_s = grid.powers_percent[column] / 100.0 * 1000.0;
            assert!((movement.power - expected_s).abs() < 1e-9, "{line}");
            assert_eq!(
                movement.feed_mm_per_min, grid.speeds_mm_per_min[row],
                "{line}"
            );
            burned[row][column] += movement.length_mm();
        }
        // 8 raster lines of 4 mm per cell.
        for row in &burned {
            for &mm in row {
                assert!((mm - 32.0).abs() < 1e-6, "{burned:?}");
            }
        }
        assert_eq!(
            program.lines.iter().filter(|l| l.starts_with("M4")).count(),
            1
        );
        assert_eq!(program.lines.last().map(String::as_str), Some("M9"));
    }

    #[test]
    fn a_series_is_a_list_or_evenly_spaced_steps() {
        assert_eq!(parse_series("20,40, 60").unwrap(), vec![20.0, 40.0, 60.0]);
        assert_eq!(
            parse_series("20:80:4").unwrap(),
            vec![20.0, 40.0, 60.0, 80.0]
        );
        assert_eq!(
            parse_series("600:2400:3").unwrap(),
            vec![600.0, 1500.0, 2400.0]
        );
        assert_eq!(parse_series("0:100:4").unwrap()[1], 33.333);
        for (bad, says) in [
            ("20,x", "\"x\""),
            ("80:20:4", "MAX must be above MIN"),
            ("20:80:1", "STEPS"),
            ("20:80", "neither a list"),
            ("nan", "not a number"),
        ] {
            let err = parse_series(bad).unwrap_err().to_string();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn bad_grids_name_the_value() {
        let mut bad = grid();
        bad.powers_percent.push(120.0);
        assert!(bad.check().unwrap_err().to_string().contains("power 120 %"));
        let mut bad = grid();
        bad.speeds_mm_per_min.clear();
        assert!(bad.check().is_err());
        let mut bad = grid();
        bad.cell_mm = 0.1;
        assert!(bad.check().unwrap_err().to_string().contains("cell 0.1 mm"));
    }
}
