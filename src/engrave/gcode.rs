//! From a QR code and laser settings to GRBL laser G-code: metric and absolute, one `M4` (dynamic
//! power: no burn at standstill) at the start and `M5 S0` at the end, `G0` travel never burning,
//! and a bidirectional raster with overscan so the head is at speed before the first dark module
//! of a line. Power is `S` scaled to the machine's `$30`; lines are short 7-bit ASCII with no
//! comments, so GRBL never sees a byte it could take for a real-time command.
//!
//! This file only writes text; it does not know ports, jobs or the database.

use super::{EcLevel, FillMode, LaserSettings};
use crate::qr::QrSymbol;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GcodeError {
    #[error("cannot make a QR code of {payload:?}: {reason}")]
    Qr { payload: String, reason: String },
}

/// The QR code of `payload` at error-correction level `ec` (the `qr` module's symbol: the same
/// matrix the PNG, SVG and sheet exports draw). Its quiet zone is not burned.
pub fn qr_matrix(payload: &str, ec: EcLevel) -> Result<QrSymbol, GcodeError> {
    QrSymbol::encode(payload, ec).map_err(|err| GcodeError::Qr {
        payload: payload.to_owned(),
        reason: err.to_string(),
    })
}

/// A program and what it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct GcodeProgram {
    pub lines: Vec<String>,
    /// min x, min y, max x, max y of every position the head visits, mm.
    pub bbox_mm: [f64; 4],
    /// Length of path with the laser burning, and of `G0` travel, mm.
    pub burn_mm: f64,
    pub travel_mm: f64,
}

impl GcodeProgram {
    /// The program as a file: one line per `\n` (never `\r`, which GRBL counts as a line end).
    pub fn text(&self) -> String {
        let mut text = String::with_capacity(self.lines.len() * 24);
        for line in &self.lines {
            text.push_str(line);
            text.push('\n');
        }
        text
    }
}

/// Formats mm or S values with at most 3 decimals and no trailing zeros (`12.5`, `-3`, `0`).
pub(super) fn number(value: f64) -> String {
    let rounded = (value * 1000.0).round() / 1000.0;
    let mut text = format!("{rounded:.3}");
    while text.ends_with('0') {
        text.pop();
    }
    if text.ends_with('.') {
        text.pop();
    }
    if text == "-0" { "0".to_owned() } else { text }
}

/// Writes moves, emitting only what changed (axes, feed, power) and keeping the bounding box.
pub(super) struct Writer {
    lines: Vec<String>,
    mode: Option<u8>,
    at: [f64; 2],
    x: String,
    y: String,
    s: String,
    feed_set: bool,
    feed: String,
    bbox: [f64; 4],
    burn_mm: f64,
    travel_mm: f64,
}

impl Writer {
    pub(super) fn new(feed_mm_per_min: f64) -> Self {
        Self {
            lines: Vec::new(),
            mode: None,
            at: [0.0, 0.0],
            x: String::new(),
            y: String::new(),
            s: "0".to_owned(),
            feed_set: false,
            feed: number(feed_mm_per_min),
            bbox: [f64::MAX, f64::MAX, f64::MIN, f64::MIN],
            burn_mm: 0.0,
            travel_mm: 0.0,
        }
    }

    pub(super) fn line(&mut self, text: impl Into<String>) {
        self.lines.push(text.into());
    }

    /// The feed of the `G1` moves from now on (sent with the next one).
    pub(super) fn set_feed(&mut self, feed_mm_per_min: f64) {
        let feed = number(feed_mm_per_min);
        if feed != self.feed {
            self.feed = feed;
            self.feed_set = false;
        }
    }

    /// A job's opening: mm, absolute, `M4` dynamic power at S0, air assist (`M8`) if asked.
    pub(super) fn job(feed_mm_per_min: f64, air_assist: bool) -> Self {
        let mut out = Self::new(feed_mm_per_min);
        out.line("G21");
        out.line("G90");
        out.line("M4S0");
        if air_assist {
            out.line("M8");
        }
        out
    }

    /// A job's close: laser off (`M5 S0`), air assist off (`M9`) if it was on; the program.
    pub(super) fn end_job(mut self, air_assist: bool) -> GcodeProgram {
        self.line("M5S0");
        if air_assist {
            self.line("M9");
        }
        self.finish()
    }

    /// The program written so far.
    fn finish(self) -> GcodeProgram {
        GcodeProgram {
            bbox_mm: self.bbox,
            burn_mm: self.burn_mm,
            travel_mm: self.travel_mm,
            lines: self.lines,
        }
    }

    /// `G0` (travel, `mode` 0) or `G1` (`mode` 1) to `to` at power `s`.
    pub(super) fn go(&mut self, mode: u8, to: [f64; 2], s: &str) {
        let (x, y) = (number(to[0]), number(to[1]));
        let mut line = String::with_capacity(32);
        if self.mode != Some(mode) {
            line.push_str(if mode == 0 { "G0" } else { "G1" });
            self.mode = Some(mode);
        }
        if x != self.x {
            line.push('X');
            line.push_str(&x);
        }
        if y != self.y {
            line.push('Y');
            line.push_str(&y);
        }
        let moved = x != self.x || y != self.y;
        if mode == 1 && !self.feed_set {
            line.push('F');
            line.push_str(&self.feed);
            self.feed_set = true;
        }
        if mode == 1 && s != self.s {
            line.push('S');
            line.push_str(s);
            self.s = s.to_owned();
        }
        if !moved && line.is_empty() {
            return;
        }
        let length = ((to[0] - self.at[0]).powi(2) + (to[1] - self.at[1]).powi(2)).sqrt();
        if moved {
            if mode == 0 {
                self.travel_mm += length;
            } else if self.s != "0" {
                self.burn_mm += length;
            }
        }
        self.x = x;
        self.y = y;
        self.at = to;
        self.bbox = [
            self.bbox[0].min(to[0]),
            self.bbox[1].min(to[1]),
            self.bbox[2].max(to[0]),
            self.bbox[3].max(to[1]),
        ];
        self.lines.push(line);
    }
}

/// One raster line: its height in the code's frame and the dark runs on it (module columns).
struct RasterLine {
    y_mm: f64,
    runs: Vec<(usize, usize)>,
}

fn raster_lines(matrix: &QrSymbol, settings: &LaserSettings) -> Vec<RasterLine> {
    let module = settings.module_mm;
    let per_row = ((module / settings.line_interval_mm).round() as usize).max(1);
    let step = module / per_row as f64;
    let n = matrix.modules();
    let mut by_row: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (row, start, length) in matrix.dark_runs() {
        by_row[row].push((start, start + length));
    }
    let mut lines = Vec::new();
    for (row, runs) in by_row.into_iter().enumerate() {
        if runs.is_empty() {
            continue;
        }
        let row_top = (n - row) as f64 * module;
        for k in 0..per_row {
            lines.push(RasterLine {
                y_mm: row_top - (k as f64 + 0.5) * step,
                runs: runs.clone(),
            });
        }
    }
    lines
}

/// The engraving of `matrix` with `settings`: every dark module filled (raster lines or
/// per-module squares), `passes` times.
pub fn raster_gcode(matrix: &QrSymbol, settings: &LaserSettings) -> GcodeProgram {
    let (sin, cos) = settings.rotation_deg.to_radians().sin_cos();
    let [ox, oy] = settings.origin_mm;
    let place = |x: f64, y: f64| [ox + x * cos - y * sin, oy + x * sin + y * cos];
    let power = number(settings.power_percent / 100.0 * settings.machine.spindle_max);
    let mut out = Writer::job(settings.speed_mm_per_min, settings.air_assist);
    match settings.fill {
        FillMode::Raster => raster_fill(&mut out, matrix, settings, &place, &power),
        FillMode::Squares => square_fill(&mut out, matrix, settings, &place, &power),
    }
    out.end_job(settings.air_assist)
}

/// Bidirectional raster lines through every module row, with overscan.
fn raster_fill(
    out: &mut Writer,
    matrix: &QrSymbol,
    settings: &LaserSettings,
    place: &dyn Fn(f64, f64) -> [f64; 2],
    power: &str,
) {
    let module = settings.module_mm;
    let lines = raster_lines(matrix, settings);
    let mut forward = true;
    for _pass in 0..settings.passes {
        for raster in &lines {
            let y = raster.y_mm;
            let edge = |col: usize| col as f64 * module;
            let (first, last) = match (raster.runs.first(), raster.runs.last()) {
                (Some(first), Some(last)) => (*first, *last),
                _ => continue,
            };
            if forward {
                out.go(0, place(edge(first.0) - settings.overscan_mm, y), "0");
                for &(start, end) in &raster.runs {
                    out.go(1, place(edge(start), y), "0");
                    out.go(1, place(edge(end), y), power);
                }
                out.go(1, place(edge(last.1) + settings.overscan_mm, y), "0");
            } else {
                out.go(0, place(edge(last.1) + settings.overscan_mm, y), "0");
                for &(start, end) in raster.runs.iter().rev() {
                    out.go(1, place(edge(end), y), "0");
                    out.go(1, place(edge(start), y), power);
                }
                out.go(1, place(edge(first.0) - settings.overscan_mm, y), "0");
            }
            forward = !forward;
        }
    }
}

/// Each dark module alone, row by row in a serpentine: concentric squares `line_interval_mm`
/// apart from its edge inwards, the laser off (S0) on the step between two squares and G0
/// between modules.
fn square_fill(
    out: &mut Writer,
    matrix: &QrSymbol,
    settings: &LaserSettings,
    place: &dyn Fn(f64, f64) -> [f64; 2],
    power: &str,
) {
    let module = settings.module_mm;
    let step = settings.line_interval_mm;
    let n = matrix.modules();
    for _pass in 0..settings.passes {
        for row in 0..n {
            let columns: Vec<usize> = if row % 2 == 0 {
                (0..n).collect()
            } else {
                (0..n).rev().collect()
            };
            for col in columns {
                if !matrix.is_dark(col, row) {
                    continue;
                }
                let (x0, y0) = (col as f64 * module, (n - row - 1) as f64 * module);
                let mut inset = step / 2.0;
                let mut first = true;
                while module - 2.0 * inset > 1e-9 {
                    let (a, b) = (inset, module - inset);
                    let corner = place(x0 + a, y0 + a);
                    if first {
                        out.go(0, corner, "0");
                        first = false;
                    } else {
                        out.go(1, corner, "0");
                    }
                    for (x, y) in [(b, a), (b, b), (a, b), (a, a)] {
                        out.go(1, place(x0 + x, y0 + y), power);
                    }
                    inset += step;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a program the way GRBL would read it: modal G0/G1, X, Y, S; returns the segments
    /// burned (from, to) in machine coordinates.
    fn burned(program: &GcodeProgram) -> Vec<([f64; 2], [f64; 2])> {
        let mut state = crate::engrave::modal::ModalState::default();
        program
            .lines
            .iter()
            .enumerate()
            .filter_map(|(index, line)| state.apply(index + 1, line).unwrap().movement)
            .filter(|movement| movement.burns() && movement.length_mm() > 0.0)
            .map(|movement| (movement.from_mm, movement.to_mm))
            .collect()
    }

    fn settings() -> LaserSettings {
        LaserSettings {
            origin_mm: [0.0, 0.0],
            module_mm: 0.5,
            line_interval_mm: 0.25,
            ..LaserSettings::default()
        }
    }

    #[test]
    fn square_fill_burns_each_dark_module_inside_itself_and_no_light_one() {
        let matrix = qr_matrix("PAD-V0100-L2025-09-00001", EcLevel::M).unwrap();
        let settings = LaserSettings {
            fill: FillMode::Squares,
            line_interval_mm: 0.1,
            ..settings()
        };
        let program = raster_gcode(&matrix, &settings);
        let n = matrix.modules();
        let module_of = |p: [f64; 2]| {
            let col = (p[0] / 0.5).floor() as usize;
            let row = n - 1 - (p[1] / 0.5).floor() as usize;
            (col, row)
        };
        let mut burned_mm = vec![0.0_f64; n * n];
        for (from, to) in burned(&program) {
            let mid = [(from[0] + to[0]) / 2.0, (from[1] + to[1]) / 2.0];
            let (col, row) = module_of(mid);
            assert!(
                matrix.is_dark(col, row),
                "a burn in light module ({col}, {row})"
            );
            for end in [from, to] {
                let (x0, y0) = (col as f64 * 0.5, (n - row - 1) as f64 * 0.5);
                assert!(
                    end[0] >= x0 - 1e-9
                        && end[0] <= x0 + 0.5 + 1e-9
                        && end[1] >= y0 - 1e-9
                        && end[1] <= y0 + 0.5 + 1e-9,
                    "a burn leaves module ({col}, {row})"
                );
            }
            burned_mm[row * n + col] +=
                ((to[0] - from[0]).powi(2) + (to[1] - from[1]).powi(2)).sqrt();
        }
        for row in 0..n {
            for col in 0..n {
                // Squares of 0.4, 0.2 mm: 2.4 mm of burn per dark module.
                let expected = if matrix.is_dark(col, row) { 2.4 } else { 0.0 };
                assert!(
                    (burned_mm[row * n + col] - expected).abs() < 1e-6,
                    "({col}, {row})"
                );
            }
        }
        assert!(program.lines.iter().all(|l| l.len() <= 79 && l.is_ascii()));
    }

    #[test]
    fn the_burned_path_covers_exactly_the_dark_modules() {
        let matrix = qr_matrix("PAD-V0100-L2025-09-00001", EcLevel::M).unwrap();
        let program = raster_gcode(&matrix, &settings());
        let segments = burned(&program);
        let n = matrix.modules();
        for row in 0..n {
            for col in 0..n {
                // The module's centre, y up from the code's bottom edge; raster lines sit at
                // a quarter and three quarters of each module.
                let x = (col as f64 + 0.5) * 0.5;
                let y = (n - row) as f64 * 0.5 - 0.125;
                let hit = segments.iter().any(|(a, b)| {
                    (a[1] - y).abs() < 1e-6 && a[0].min(b[0]) <= x && x <= a[0].max(b[0])
                });
                assert_eq!(hit, matrix.is_dark(col, row), "module ({col}, {row})");
            }
        }
    }

    #[test]
    fn lines_are_short_ascii_with_one_m4_and_m5_and_no_burning_travel() {
        let matrix = qr_matrix("PAD-V0100-L2025-09-00001", EcLevel::H).unwrap();
        let program = raster_gcode(
            &matrix,
            &LaserSettings {
                rotation_deg: 30.0,
                passes: 2,
                ..settings()
            },
        );
        for line in &program.lines {
            assert!(line.len() <= 79 && line.is_ascii(), "{line:?}");
            assert!(!line.contains(['(', ';', '%', '?', '!', '~']), "{line:?}");
            if line.starts_with("G0") {
                assert!(!line.contains('S'), "travel sets no power: {line}");
            }
        }
        let text = program.text();
        assert_eq!(text.matches("M4").count(), 1);
        assert_eq!(text.matches("M5").count(), 1);
        assert!(text.starts_with("G21\nG90\nM4S0\n"));
        assert!(text.trim_end().ends_with("M5S0\nM9"));
        assert!(!text.contains('\r'));
        assert!(program.burn_mm > 0.0 && program.travel_mm > 0.0);
    }

    #[test]
    fn raster_lines_alternate_direction_with_overscan() {
        let matrix = QrSymbol::from_rows(
            "test",
            EcLevel::M,
            &[
                vec![true, false, true],
                vec![false, true, false],
                vec![false, false, false],
            ],
        );
        let settings = LaserSettings {
            module_mm: 1.0,
            line_interval_mm: 1.0,
            overscan_mm: 2.0,
            air_assist: false,
            ..settings()
        };
        let program = raster_gcode(&matrix, &settings);
        let travel: Vec<&String> = program
            .lines
            .iter()
            .filter(|line| line.starts_with("G0"))
            .collect();
        assert_eq!(
            travel,
            ["G0X-2Y2.5", "G0X4Y1.5"],
            "left to right, then back"
        );
        assert_eq!(program.bbox_mm, [-2.0, 1.5, 5.0, 2.5]);
        // Power is S scaled to $30 (1000): the preset's 80 %.
        assert!(program.lines.iter().any(|line| line.ends_with("S800")));
    }

    #[test]
    fn numbers_are_short_and_exact() {
        assert_eq!(number(12.5), "12.5");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(-0.0004), "0");
        assert_eq!(number(0.1 + 0.2), "0.3");
    }
}
