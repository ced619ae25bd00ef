//! What the outputs say over time. The stack light shows the last part's verdict (green
//! ACCEPT, amber WARN, red REJECT) until the next verdict; a REJECT also fires the reject pulse
//! (the diverter) for its configured length and sounds the horn until the operator acknowledges
//! or its time runs out. An engineer may force any line from the diagnostics page; a forced
//! line ignores the verdicts until released.

use std::time::{Duration, Instant};

use super::OutputLine;
use crate::domain::Verdict;

/// Lengths of the timed outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputTiming {
    pub reject_pulse: Duration,
    /// How long the horn sounds on a REJECT; `None` until acknowledged; zero: never.
    pub horn: Option<Duration>,
}

impl Default for OutputTiming {
    fn default() -> Self {
        Self {
            reject_pulse: Duration::from_millis(250),
            horn: Some(Duration::from_secs(3)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Horn {
    Off,
    Until(Instant),
    UntilAcknowledged,
}

/// The outputs' state machine; `levels` says what each line should be now.
#[derive(Debug, Clone)]
pub struct Signals {
    timing: OutputTiming,
    light: Option<Verdict>,
    reject_until: Option<Instant>,
    horn: Horn,
    forced: [Option<bool>; 5],
}

impl Signals {
    pub fn new(timing: OutputTiming) -> Self {
        Self {
            timing,
            light: None,
            reject_until: None,
            horn: Horn::Off,
            forced: [None; 5],
        }
    }

    pub fn timing(&self) -> OutputTiming {
        self.timing
    }

    /// A part's verdict.
    pub fn verdict(&mut self, verdict: Verdict, now: Instant) {
        self.light = Some(verdict);
        if verdict == Verdict::Reject {
            self.reject_until = Some(now + self.timing.reject_pulse);
            self.horn = match self.timing.horn {
                None => Horn::UntilAcknowledged,
                Some(length) if length.is_zero() => Horn::Off,
                Some(length) => Horn::Until(now + length),
            };
        }
    }

    /// The operator acknowledged: the horn stops.
    pub fn acknowledge(&mut self) {
        self.horn = Horn::Off;
    }

    /// Forces `line` on or off (`Some`), or gives it back to the verdicts (`None`).
    pub fn force(&mut self, line: OutputLine, level: Option<bool>) {
        self.forced[line.index()] = level;
    }

    pub fn forced(&self, line: OutputLine) -> Option<bool> {
        self.forced[line.index()]
    }

    /// Every output's level now, in `OutputLine::ALL` order.
    pub fn levels(&self, now: Instant) -> [bool; 5] {
        let automatic = |line: OutputLine| match line {
            OutputLine::Green => self.light == Some(Verdict::Accept),
            OutputLine::Amber => self.light == Some(Verdict::Warn),
            OutputLine::Red => self.light == Some(Verdict::Reject),
            OutputLine::Reject => self.reject_until.is_some_and(|until| now < until),
            OutputLine::Horn => match self.horn {
                Horn::Off => false,
                Horn::Until(until) => now < until,
                Horn::UntilAcknowledged => true,
            },
        };
        OutputLine::ALL.map(|line| self.forced[line.index()].unwrap_or_else(|| automatic(line)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GREEN: usize = 0;
    const AMBER: usize = 1;
    const RED: usize = 2;
    const REJECT: usize = 3;
    const HORN: usize = 4;

    #[test]
    fn each_verdict_lights_its_colour_and_only_reject_pulses() {
        let t0 = Instant::now();
        let mut s = Signals::new(OutputTiming::default());
        assert_eq!(s.levels(t0), [false; 5], "dark before the first part");
        s.verdict(Verdict::Accept, t0);
        assert_eq!(s.levels(t0), [true, false, false, false, false]);
        s.verdict(Verdict::Warn, t0);
        assert_eq!(s.levels(t0), [false, true, false, false, false]);
        s.verdict(Verdict::Reject, t0);
        let at = s.levels(t0 + Duration::from_millis(249));
        assert!(at[RED] && at[REJECT] && at[HORN] && !at[GREEN] && !at[AMBER]);
        let after = s.levels(t0 + Duration::from_millis(250));
        assert!(!after[REJECT], "the pulse lasts exactly its length");
        assert!(after[RED] && after[HORN]);
        assert!(!s.levels(t0 + Duration::from_secs(3))[HORN]);
    }

    #[test]
    fn the_horn_waits_for_acknowledge_when_told_to_and_forcing_overrides() {
        let t0 = Instant::now();
        let mut s = Signals::new(OutputTiming {
            reject_pulse: Duration::from_millis(100),
            horn: None,
        });
        s.verdict(Verdict::Reject, t0);
        assert!(s.levels(t0 + Duration::from_secs(3600))[HORN]);
        s.acknowledge();
        assert!(!s.levels(t0 + Duration::from_secs(3600))[HORN]);
        s.force(OutputLine::Green, Some(true));
        s.force(OutputLine::Red, Some(false));
        let forced = s.levels(t0);
        assert!(forced[GREEN] && !forced[RED]);
        s.force(OutputLine::Red, None);
        assert!(s.levels(t0)[RED], "released: back to the verdict");
    }
}
