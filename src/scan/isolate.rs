//! A decoder that cannot take its caller down: each image is decoded on a named thread inside a
//! panic boundary and waited for with a hard time limit. A panic is caught and reported; a decode
//! that runs past the limit is abandoned (its thread finishes on its own and its answer is
//! dropped) and the next image gets a fresh thread. Panics and abandoned decodes are counted.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded};
use image::GrayImage;

use super::{Code, ScanOptions, decode};

/// What an isolated decode gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Codes(Vec<Code>),
    /// The decoder panicked on this image; the message when it had one.
    Panicked(String),
    /// No answer within the hard limit.
    TimedOut,
}

type Job = (GrayImage, ScanOptions);

/// How far past its budget a decode may run before it is abandoned.
const HARD_LIMIT_MARGIN: Duration = Duration::from_secs(2);

/// The thread's two ends.
struct Worker {
    jobs: Sender<Job>,
    outcomes: Receiver<Outcome>,
}

/// Decodes images one at a time on its own thread.
pub struct IsolatedDecoder {
    worker: Option<Worker>,
    hard_limit: Duration,
    panics: u64,
    timeouts: u64,
}

impl IsolatedDecoder {
    /// A decoder for images decoded with `budget`: it waits the budget plus a margin (the
    /// attempt under way finishes past the budget) before it abandons one.
    pub fn for_budget(budget: Duration) -> Self {
        Self::new(budget + HARD_LIMIT_MARGIN)
    }

    /// The wait after which a decode is abandoned.
    pub fn hard_limit(&self) -> Duration {
        self.hard_limit
    }

    /// A decoder that waits at most `hard_limit` for each image (the ladder's own budget should
    /// be well inside it).
    pub fn new(hard_limit: Duration) -> Self {
        Self {
            worker: None,
            hard_limit,
            panics: 0,
            timeouts: 0,
        }
    }

    pub fn panics(&self) -> u64 {
        self.panics
    }

    pub fn timeouts(&self) -> u64 {
        self.timeouts
    }

    /// Decodes one image. An error only when no thread could be started.
    pub fn decode(&mut self, grey: GrayImage, options: ScanOptions) -> std::io::Result<Outcome> {
        let worker = match self.worker.take() {
            Some(worker) => worker,
            None => spawn()?,
        };
        if worker.jobs.send((grey, options)).is_err() {
            // The thread is gone (it cannot be, short of an abort): start over next time.
            return Ok(Outcome::TimedOut);
        }
        match worker.outcomes.recv_timeout(self.hard_limit) {
            Ok(outcome) => {
                if matches!(outcome, Outcome::Panicked(_)) {
                    self.panics += 1;
                }
                self.worker = Some(worker);
                Ok(outcome)
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                self.timeouts += 1;
                Ok(Outcome::TimedOut)
            }
        }
    }
}

fn spawn() -> std::io::Result<Worker> {
    let (jobs, job_rx) = bounded::<Job>(1);
    let (outcome_tx, outcomes) = bounded::<Outcome>(1);
    std::thread::Builder::new()
        .name("scan-decoder".into())
        .spawn(move || {
            for (grey, options) in job_rx {
                let outcome = match catch_unwind(AssertUnwindSafe(|| decode(&grey, &options))) {
                    Ok(codes) => Outcome::Codes(codes),
                    Err(payload) => Outcome::Panicked(panic_text(payload.as_ref())),
                };
                if outcome_tx.send(outcome).is_err() {
                    break;
                }
            }
        })?;
    Ok(Worker { jobs, outcomes })
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}
