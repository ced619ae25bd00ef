//! The simulated board of the demo and the tests. Its inputs are pressed from the screen (or a
//! test) and bounce like a real contact: a press or a release flips the line a few times over
//! about 3 ms before it holds, so the debouncer is exercised exactly as on the kiosk. A pulse
//! schedules its own release (no thread: only the runtime starts threads). Its outputs keep the
//! last level written, which the diagnostics page and the tests read back.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::{GpioBackend, GpioError, InputLine, OutputLine};

/// Contact bounce of a press or release: (offset from the press, level) steps.
const BOUNCE: [(u64, bool); 4] = [(0, true), (600, false), (1_300, true), (2_100, false)];
/// When the final level holds, after the bounce.
const BOUNCE_END_US: u64 = 3_000;

#[derive(Debug, Default)]
struct Pins {
    /// Per input: its changes of level, oldest first (the bounce plays from each). A pulse
    /// schedules its release here, so nothing has to wake up to release it.
    inputs: [Vec<(Instant, bool)>; 2],
    outputs: [bool; 5],
    writes: u64,
}

impl Pins {
    /// The level `line` ends at once every scheduled change has happened.
    fn final_level(&self, line: InputLine) -> bool {
        self.inputs[line.index()]
            .last()
            .is_some_and(|(_, level)| *level)
    }

    /// Schedules a change of `line` to `level` at `at`: changes scheduled after it are
    /// replaced, and of those before it only the newest is kept (the level it starts from).
    fn schedule(&mut self, line: InputLine, at: Instant, level: bool) {
        let changes = &mut self.inputs[line.index()];
        changes.retain(|(when, _)| *when <= at);
        changes.drain(..changes.len().saturating_sub(1));
        changes.push((at, level));
    }
}

/// The board's shared state: the backend reads and writes it; the screen and tests press
/// inputs and read outputs.
#[derive(Debug, Clone, Default)]
pub struct SimBoard {
    pins: Arc<Mutex<Pins>>,
}

impl SimBoard {
    fn pins(&self) -> MutexGuard<'_, Pins> {
        self.pins.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves an input to `active` (with contact bounce).
    pub fn set_input(&self, line: InputLine, active: bool) {
        let mut pins = self.pins();
        if pins.final_level(line) != active {
            pins.schedule(line, Instant::now(), active);
        }
    }

    /// The level an input reads at `now`, bounce included.
    pub fn input_at(&self, line: InputLine, now: Instant) -> bool {
        let pins = self.pins();
        let Some(&(since, target)) = pins.inputs[line.index()]
            .iter()
            .rev()
            .find(|(at, _)| *at <= now)
        else {
            return false;
        };
        let offset_us =
            u64::try_from(now.saturating_duration_since(since).as_micros()).unwrap_or(u64::MAX);
        if offset_us >= BOUNCE_END_US {
            return target;
        }
        // During the bounce the line flips around the target; `true` steps are the target.
        let step = BOUNCE
            .iter()
            .rev()
            .find(|(at, _)| *at <= offset_us)
            .is_none_or(|(_, level)| *level);
        if step { target } else { !target }
    }

    pub fn output(&self, line: OutputLine) -> bool {
        self.pins().outputs[line.index()]
    }

    /// Writes to outputs so far (a test sees that the worker drives the lines).
    pub fn output_writes(&self) -> u64 {
        self.pins().writes
    }

    /// A press of `line` held for `hold`, then released (a part passing the sensor); both
    /// bounce.
    pub fn pulse(&self, line: InputLine, hold: Duration) {
        let now = Instant::now();
        let mut pins = self.pins();
        let held = pins.inputs[line.index()]
            .iter()
            .rev()
            .find(|(at, _)| *at <= now)
            .is_some_and(|(_, level)| *level);
        if !held {
            pins.schedule(line, now, true);
        }
        pins.schedule(line, now + hold, false);
    }
}

/// The backend over a `SimBoard`.
#[derive(Debug, Clone, Default)]
pub struct SimGpio {
    board: SimBoard,
}

impl SimGpio {
    pub fn new(board: SimBoard) -> Self {
        Self { board }
    }
}

impl GpioBackend for SimGpio {
    fn describe(&self) -> String {
        "simulated board (demo): inputs pressed on screen, with contact bounce".to_owned()
    }

    fn read(&mut self, line: InputLine) -> Result<bool, GpioError> {
        Ok(self.board.input_at(line, Instant::now()))
    }

    fn write(&mut self, line: OutputLine, active: bool) -> Result<(), GpioError> {
        let mut pins = self.board.pins();
        pins.outputs[line.index()] = active;
        pins.writes += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpio::Debouncer;

    #[test]
    fn a_press_bounces_then_holds_and_debounces_to_one_edge() {
        let board = SimBoard::default();
        board.set_input(InputLine::Trigger, true);
        let pressed = board.pins().inputs[0][0].0;
        let levels: Vec<bool> = (0..40)
            .map(|i| board.input_at(InputLine::Trigger, pressed + Duration::from_micros(i * 100)))
            .collect();
        let flips = levels.windows(2).filter(|w| w[0] != w[1]).count();
        assert!(flips >= 3, "the contact bounces: {levels:?}");
        assert!(levels[35..].iter().all(|l| *l), "then holds");
        let mut debouncer = Debouncer::new(Duration::from_millis(5), false);
        let edges: Vec<_> = (0..200)
            .filter_map(|i| {
                let at = pressed + Duration::from_micros(i * 100);
                debouncer.sample(board.input_at(InputLine::Trigger, at), at)
            })
            .collect();
        assert_eq!(edges.len(), 1);
        assert_eq!(edges[0].at, pressed);
    }

    #[test]
    fn a_pulse_is_pressed_then_released_by_itself() {
        let board = SimBoard::default();
        board.pulse(InputLine::Trigger, Duration::from_millis(20));
        let pressed = board.pins().inputs[0][0].0;
        let at = |ms: u64| board.input_at(InputLine::Trigger, pressed + Duration::from_millis(ms));
        assert!(at(10), "held");
        assert!(!at(30), "released after the hold and its bounce");
        assert!(
            !board.input_at(InputLine::Acknowledge, pressed),
            "other lines untouched"
        );
    }

    #[test]
    fn outputs_read_back_what_was_written() {
        let board = SimBoard::default();
        let mut gpio = SimGpio::new(board.clone());
        gpio.write(OutputLine::Red, true).unwrap();
        assert!(board.output(OutputLine::Red));
        assert!(!board.output(OutputLine::Green));
        assert_eq!(board.output_writes(), 1);
    }
}
