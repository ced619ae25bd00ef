//! The modal state a G-code program builds up line by line, read the way GRBL reads it: units,
//! distance mode, motion mode, feed, power and laser mode carry over from line to line. The time
//! estimate, the tests that replay generated programs, and resuming a job from a chosen line all
//! read programs through it.

use super::line::{clean, words};

/// The laser's mode (`M3` constant, `M4` dynamic, `M5` off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaserMode {
    Off,
    Constant,
    Dynamic,
}

/// A move one line makes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Move {
    pub from_mm: [f64; 2],
    pub to_mm: [f64; 2],
    /// `G0` travel (never burns).
    pub rapid: bool,
    pub feed_mm_per_min: f64,
    pub power: f64,
    pub laser: LaserMode,
}

impl Move {
    /// True if the laser fires along this move.
    pub fn burns(&self) -> bool {
        !self.rapid && self.power > 0.0 && self.laser != LaserMode::Off
    }

    pub fn length_mm(&self) -> f64 {
        (self.to_mm[0] - self.from_mm[0]).hypot(self.to_mm[1] - self.from_mm[1])
    }
}

/// What a line did.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Step {
    pub movement: Option<Move>,
    /// The line waits for the planner to empty (`M3/M4/M5`, `G4`): the machine stops here.
    pub synchronises: bool,
}

/// Why a line could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line_no} `{text}`: {reason}")]
pub struct ModalError {
    pub line_no: usize,
    pub text: String,
    pub reason: String,
}

/// The state after the lines read so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModalState {
    pub metric: bool,
    pub absolute: bool,
    pub rapid: bool,
    pub feed_mm_per_min: f64,
    pub power: f64,
    pub laser: LaserMode,
    pub position_mm: [f64; 2],
    /// Air assist / coolant on (`M7`/`M8`, off with `M9`).
    pub coolant: bool,
}

impl Default for ModalState {
    /// GRBL at power-up: mm, absolute, G0, no feed, laser off, at the origin.
    fn default() -> Self {
        Self {
            metric: true,
            absolute: true,
            rapid: true,
            feed_mm_per_min: 0.0,
            power: 0.0,
            laser: LaserMode::Off,
            position_mm: [0.0, 0.0],
            coolant: false,
        }
    }
}

impl ModalState {
    /// Reads one line (`line_no` for the error). Words this reader does not model (Z, M8, M9,
    /// line numbers) are accepted and ignored.
    pub fn apply(&mut self, line_no: usize, raw: &str) -> Result<Step, ModalError> {
        let fail = |reason: String| ModalError {
            line_no,
            text: raw.to_owned(),
            reason,
        };
        let text = clean(raw.as_bytes()).map_err(|code| fail(format!("GRBL error:{code}")))?;
        let words = words(&text).map_err(|code| fail(format!("GRBL error:{code}")))?;
        let mut target = self.position_mm;
        let mut axis = false;
        let mut step = Step::default();
        let scale = |state: &Self, value: f64| if state.metric { value } else { value * 25.4 };
        for &(letter, value) in &words {
            match (letter, value) {
                ('G', 0.0) => self.rapid = true,
                ('G', 1.0) => self.rapid = false,
                ('G', 4.0) => step.synchronises = true,
                ('G', 20.0) => self.metric = false,
                ('G', 21.0) => self.metric = true,
                ('G', 90.0) => self.absolute = true,
                ('G', 91.0) => self.absolute = false,
                ('M', 3.0) => (self.laser, step.synchronises) = (LaserMode::Constant, true),
                ('M', 4.0) => (self.laser, step.synchronises) = (LaserMode::Dynamic, true),
                ('M', 5.0) => (self.laser, step.synchronises) = (LaserMode::Off, true),
                // Coolant (air assist) changes wait for the planner too, as in GRBL.
                ('M', 7.0 | 8.0) => (self.coolant, step.synchronises) = (true, true),
                ('M', 9.0) => (self.coolant, step.synchronises) = (false, true),
                ('X' | 'Y', _) => {
                    let index = usize::from(letter == 'Y');
                    let mm = scale(self, value);
                    target[index] = if self.absolute {
                        mm
                    } else {
                        self.position_mm[index] + mm
                    };
                    axis = true;
                }
                ('F', _) => self.feed_mm_per_min = scale(self, value),
                ('S', _) => self.power = value,
                ('G' | 'M', _) | ('Z' | 'N' | 'P', _) => {}
                _ => return Err(fail(format!("the word {letter} is not laser G-code"))),
            }
        }
        if axis {
            step.movement = Some(Move {
                from_mm: self.position_mm,
                to_mm: target,
                rapid: self.rapid,
                feed_mm_per_min: self.feed_mm_per_min,
                power: self.power,
                laser: self.laser,
            });
            self.position_mm = target;
        }
        Ok(step)
    }

    /// The state after the first `count` lines of `lines`.
    pub fn after(lines: &[String], count: usize) -> Result<Self, ModalError> {
        let mut state = Self::default();
        for (index, line) in lines.iter().take(count).enumerate() {
            state.apply(index + 1, line)?;
        }
        Ok(state)
    }

    /// The program from line index `start` on, after the lines that rebuild the state the
    /// lines before it left: what a resume sends. Returns also how many restore lines lead.
    pub fn resume_from(lines: &[String], start: usize) -> Result<(Vec<String>, usize), ModalError> {
        let mut resumed = Self::after(lines, start)?.restore_lines();
        let restore = resumed.len();
        resumed.extend_from_slice(&lines[start.min(lines.len())..]);
        Ok((resumed, restore))
    }

    /// Lines that put a controller fresh from a reset (or anywhere) into this state with the
    /// laser off on the way: units and distance mode, a G0 to the position, the laser mode,
    /// then a zero-length move in the modal motion mode with the feed and power. Sent before
    /// resuming a program at the line after the ones that built this state.
    pub fn restore_lines(&self) -> Vec<String> {
        let [x, y] = self.position_mm;
        let mut lines = vec![
            "G21G90".to_owned(),
            "M5S0".to_owned(),
            format!("G0X{x:.3}Y{y:.3}"),
        ];
        if self.coolant {
            lines.push("M8".to_owned());
        }
        match self.laser {
            LaserMode::Off => {}
            LaserMode::Constant => lines.push("M3S0".to_owned()),
            LaserMode::Dynamic => lines.push("M4S0".to_owned()),
        }
        let motion = if self.rapid { "G0" } else { "G1" };
        let feed = if self.feed_mm_per_min > 0.0 {
            format!("F{:.0}", self.feed_mm_per_min)
        } else {
            String::new()
        };
        lines.push(format!("{motion}X{x:.3}Y{y:.3}{feed}S{:.0}", self.power));
        if !self.absolute {
            lines.push("G91".to_owned());
        }
        if !self.metric {
            lines.push("G20".to_owned());
        }
        lines
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn program(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn modal_words_carry_over_and_moves_know_whether_they_burn() {
        let lines = program("G21G90\nM4S0\nG0X1Y1\nG1X5F600S500\nX6S0\nG0X0Y0\nM5S0");
        let mut state = ModalState::default();
        let moves: Vec<Move> = lines
            .iter()
            .enumerate()
            .filter_map(|(i, l)| state.apply(i + 1, l).unwrap().movement)
            .collect();
        assert_eq!(moves.len(), 4);
        assert!(!moves[0].burns() && moves[0].rapid);
        assert!(moves[1].burns());
        assert_eq!(moves[1].from_mm, [1.0, 1.0]);
        assert_eq!(moves[1].to_mm, [5.0, 1.0]);
        assert_eq!(moves[1].feed_mm_per_min, 600.0);
        assert!(!moves[2].burns(), "S0 does not burn");
        assert!(!moves[2].rapid, "G1 stays modal");
        assert_eq!(state.laser, LaserMode::Off);
        assert!(state.apply(9, "G1X1Q2").is_err());
    }

    #[test]
    fn restoring_a_state_rebuilds_it_from_a_fresh_controller() {
        let lines = program("G21G90\nM4S0\nG0X1Y1\nG1X5F600S500\nX6S250\nX7");
        let state = ModalState::after(&lines, 5).unwrap();
        assert_eq!(state.position_mm, [6.0, 1.0]);
        let restore = state.restore_lines();
        assert_eq!(
            restore,
            vec![
                "G21G90",
                "M5S0",
                "G0X6.000Y1.000",
                "M4S0",
                "G1X6.000Y1.000F600S250"
            ]
        );
        let mut replay = ModalState::default();
        for (i, line) in restore.iter().enumerate() {
            let step = replay.apply(i + 1, line).unwrap();
            if let Some(m) = step.movement {
                assert!(
                    m.length_mm() < 1e-9 || !m.burns(),
                    "no burn on the way: {line}"
                );
            }
        }
        assert_eq!(replay, state);
    }
}
