//! Digital I/O of an inspection station: a part sensor that triggers an inspection, an
//! acknowledge button, and the outputs that tell the line what the station decided (stack light
//! green, amber, red; a reject pulse to the diverter; a horn).
//!
//! `GpioBackend` is what a board does: read an input line, drive an output line. Backends:
//! `SimGpio` (demo and tests: inputs pressed from the screen bounce like a real contact) and,
//! with the `kiosk` feature, `RppalGpio` on a Raspberry Pi's header. What the lines mean over
//! time (debouncing, which lights for which verdict, how long the reject pulse lasts) lives in
//! `debounce` and `signals`, the same for every backend; the runtime's gpio worker polls and
//! drives them.

mod debounce;
#[cfg(feature = "kiosk")]
mod rppal_board;
mod signals;
mod sim;

use std::fmt;

pub use debounce::{Debouncer, Edge};
#[cfg(feature = "kiosk")]
pub use rppal_board::RppalGpio;
pub use signals::{OutputTiming, Signals};
pub use sim::{SimBoard, SimGpio};

/// An input line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputLine {
    /// The part-present sensor (or a PLC's "inspect now"): a rising edge is a trigger.
    Trigger,
    /// The operator's acknowledge button: silences the horn.
    Acknowledge,
}

impl InputLine {
    pub const ALL: [InputLine; 2] = [Self::Trigger, Self::Acknowledge];

    pub fn label(self) -> &'static str {
        match self {
            Self::Trigger => "part sensor (trigger)",
            Self::Acknowledge => "acknowledge button",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// An output line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputLine {
    Green,
    Amber,
    Red,
    /// The pulse that makes the diverter push a rejected part out.
    Reject,
    Horn,
}

impl OutputLine {
    pub const ALL: [OutputLine; 5] = [
        Self::Green,
        Self::Amber,
        Self::Red,
        Self::Reject,
        Self::Horn,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Green => "stack light green",
            Self::Amber => "stack light amber",
            Self::Red => "stack light red",
            Self::Reject => "reject pulse",
            Self::Horn => "horn",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Which header pins (BCM numbering) carry which line, and whether inputs are active low (a
/// switch to ground with the pull-up on, the usual wiring).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinMap {
    pub inputs: [u8; 2],
    pub outputs: [u8; 5],
    pub inputs_active_low: bool,
}

impl Default for PinMap {
    /// Pins free on a Pi 4/5 header with nothing else attached: trigger 17, acknowledge 27;
    /// green 5, amber 6, red 13, reject 19, horn 26.
    fn default() -> Self {
        Self {
            inputs: [17, 27],
            outputs: [5, 6, 13, 19, 26],
            inputs_active_low: true,
        }
    }
}

impl PinMap {
    pub fn input_pin(&self, line: InputLine) -> u8 {
        self.inputs[line.index()]
    }

    pub fn output_pin(&self, line: OutputLine) -> u8 {
        self.outputs[line.index()]
    }

    /// Refuses a pin used twice or beyond the header (BCM 0–27).
    pub fn validate(&self) -> Result<(), String> {
        let mut seen = std::collections::HashMap::new();
        let named = InputLine::ALL
            .iter()
            .map(|l| (self.input_pin(*l), l.label()))
            .chain(
                OutputLine::ALL
                    .iter()
                    .map(|l| (self.output_pin(*l), l.label())),
            );
        for (pin, label) in named {
            if pin > 27 {
                return Err(format!(
                    "{label}: BCM pin {pin} is not on the header (0 to 27)"
                ));
            }
            if let Some(other) = seen.insert(pin, label) {
                return Err(format!(
                    "BCM pin {pin} is given to both the {other} and the {label}"
                ));
            }
        }
        Ok(())
    }
}

/// Why a line could not be read or driven.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GpioError {
    #[error("cannot open the GPIO board: {0}")]
    Open(String),
    #[error("BCM pin {pin}: {reason}")]
    Pin { pin: u8, reason: String },
}

/// A board's lines. Levels are logical: `true` is "active" (sensor sees a part, light on),
/// whatever the wiring's polarity; the backend handles it.
pub trait GpioBackend: Send {
    /// What the board is, for the diagnostics page ("simulated", "Raspberry Pi GPIO").
    fn describe(&self) -> String;
    fn read(&mut self, line: InputLine) -> Result<bool, GpioError>;
    fn write(&mut self, line: OutputLine, active: bool) -> Result<(), GpioError>;
}

impl fmt::Debug for dyn GpioBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}
