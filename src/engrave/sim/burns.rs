//! What the simulated laser burned: each stretch of a feed move with the laser on, with its
//! power as a share of `$30`. The demo's bench camera draws its image of the part from this log,
//! so the mark it sees is the mark the G-code made (a wrong program makes an unreadable mark).
//! A new part in the fixture clears the log.

use std::sync::{Arc, Mutex, PoisonError};

/// One burned stretch, in machine millimetres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Burn {
    pub from_mm: [f64; 2],
    pub to_mm: [f64; 2],
    /// Laser output over `$30`, 0–1.
    pub power: f64,
}

/// Stretches kept per part; a runaway program cannot grow the log without bound.
const MAX_BURNS: usize = 400_000;

#[derive(Debug, Default)]
struct Part {
    burns: Vec<Burn>,
    /// Counts parts, so a reader can tell a fresh part from the last one.
    number: u64,
}

/// The log, shared by the simulator (writes) and the bench camera (reads).
#[derive(Debug, Clone, Default)]
pub struct BurnLog {
    part: Arc<Mutex<Part>>,
}

impl BurnLog {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Part> {
        // A poisoned log still holds valid stretches.
        self.part.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A fresh part in the fixture: nothing burned on it yet.
    pub fn new_part(&self) -> u64 {
        let mut part = self.lock();
        part.burns.clear();
        part.number += 1;
        part.number
    }

    pub fn push(&self, burn: Burn) {
        let mut part = self.lock();
        if part.burns.len() < MAX_BURNS {
            part.burns.push(burn);
        }
    }

    /// The part's number and everything burned on it so far.
    pub fn snapshot(&self) -> (u64, Vec<Burn>) {
        let part = self.lock();
        (part.number, part.burns.clone())
    }
}
