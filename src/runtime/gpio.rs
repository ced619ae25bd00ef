//! The gpio worker: the only thread that touches the station's digital I/O. It samples the
//! inputs every 2 ms through their debouncers, hands each debounced rising edge of the part
//! sensor to the inspection worker (dated at the edge's first change), stops the horn on the
//! acknowledge button, and drives the outputs from the verdicts it is told (`Signals`). What
//! the diagnostics page shows is published as a snapshot (`GpioView`). On shutdown (hardware
//! phase) every output goes inactive. A board that cannot be opened is reported on the page
//! and tried again every 5 s.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};

use super::worker::{Phase, WorkerCtx, WorkerExit, WorkerSpec};
use super::{Runtime, RuntimeError};
use crate::domain::Verdict;
use crate::gpio::{
    Debouncer, GpioBackend, InputLine, OutputLine, OutputTiming, Signals, SimBoard, SimGpio,
};

const POLL: Duration = Duration::from_millis(2);
const REOPEN_EVERY: Duration = Duration::from_secs(5);
/// Outputs are written again this often even when unchanged (a relay board that lost power).
const REFRESH_EVERY: Duration = Duration::from_secs(1);
const PUBLISH_EVERY: Duration = Duration::from_millis(50);

/// Which board the station drives.
#[derive(Debug, Clone)]
pub enum GpioPlan {
    /// The demo's (and the tests') simulated board.
    Simulated(SimBoard),
    /// A Raspberry Pi's header (`kiosk` feature).
    #[cfg(feature = "kiosk")]
    RaspberryPi(crate::gpio::PinMap),
}

/// The board and how its lines behave.
#[derive(Debug, Clone)]
pub struct GpioSetup {
    pub plan: GpioPlan,
    pub debounce: Duration,
    pub timing: OutputTiming,
}

impl GpioSetup {
    pub fn simulated(board: SimBoard) -> Self {
        Self {
            plan: GpioPlan::Simulated(board),
            debounce: Duration::from_millis(10),
            timing: OutputTiming::default(),
        }
    }
}

/// What the inspection worker and the diagnostics page ask of the outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpioCommand {
    /// A part's verdict: stack light, reject pulse, horn.
    Verdict(Verdict),
    /// Silence the horn (the acknowledge button does the same).
    Acknowledge,
    /// Force an output on or off, or give it back (`None`) to the verdicts.
    Force {
        line: OutputLine,
        level: Option<bool>,
    },
}

/// The board as the diagnostics page shows it.
#[derive(Debug, Clone, Default)]
pub struct GpioView {
    pub board: String,
    /// Why the board is not working, when it is not.
    pub error: Option<String>,
    /// Debounced input levels, in `InputLine::ALL` order.
    pub inputs: [bool; 2],
    /// Rising edges seen per input since start.
    pub edges: [u64; 2],
    pub outputs: [bool; 5],
    pub forced: [Option<bool>; 5],
    pub timing: Option<OutputTiming>,
    /// The simulated board, to press its inputs from the screen.
    pub simulated: Option<SimBoard>,
}

/// The faces' and the inspection worker's side of the gpio worker.
#[derive(Clone)]
pub struct GpioHandle {
    commands: Sender<GpioCommand>,
    triggers: Receiver<Instant>,
    view: Arc<ArcSwap<GpioView>>,
}

impl GpioHandle {
    pub fn send(&self, command: GpioCommand) -> Result<(), RuntimeError> {
        self.commands.try_send(command).map_err(|err| match err {
            TrySendError::Full(_) => RuntimeError::Busy(self.commands.len()),
            TrySendError::Disconnected(_) => RuntimeError::Stopped,
        })
    }

    /// Rising edges of the part sensor, each dated when the part arrived. Only the inspection
    /// worker takes from it.
    pub fn triggers(&self) -> &Receiver<Instant> {
        &self.triggers
    }

    pub fn view(&self) -> Arc<GpioView> {
        self.view.load_full()
    }
}

struct Board {
    setup: GpioSetup,
    backend: Option<Box<dyn GpioBackend>>,
    opened_at: Option<Instant>,
    error: Option<String>,
    debouncers: [Debouncer; 2],
    edges: [u64; 2],
    signals: Signals,
    written: Option<[bool; 5]>,
    written_at: Instant,
    published_at: Option<Instant>,
    triggers: Sender<Instant>,
    view: Arc<ArcSwap<GpioView>>,
}

fn open(plan: &GpioPlan) -> Result<Box<dyn GpioBackend>, String> {
    match plan {
        GpioPlan::Simulated(board) => Ok(Box::new(SimGpio::new(board.clone()))),
        #[cfg(feature = "kiosk")]
        GpioPlan::RaspberryPi(map) => crate::gpio::RppalGpio::open(map)
            .map(|gpio| Box::new(gpio) as Box<dyn GpioBackend>)
            .map_err(|err| err.to_string()),
    }
}

impl Board {
    fn run(&mut self, worker: &WorkerCtx, commands: &Receiver<GpioCommand>) -> WorkerExit {
        while !worker.is_stopped() {
            worker.beat();
            self.keep_open();
            let now = Instant::now();
            for command in commands.try_iter() {
                match command {
                    GpioCommand::Verdict(verdict) => self.signals.verdict(verdict, now),
                    GpioCommand::Acknowledge => self.signals.acknowledge(),
                    GpioCommand::Force { line, level } => {
                        tracing::info!("gpio: {} forced {level:?}", line.label());
                        self.signals.force(line, level);
                    }
                }
            }
            self.sample(now);
            self.drive(now);
            self.publish(false);
            std::thread::sleep(POLL);
        }
        self.safe_state();
        WorkerExit::Finished
    }

    fn keep_open(&mut self) {
        if self.backend.is_some() || self.opened_at.is_some_and(|at| at.elapsed() < REOPEN_EVERY) {
            return;
        }
        self.opened_at = Some(Instant::now());
        match open(&self.setup.plan) {
            Ok(backend) => {
                tracing::info!("gpio: {}", backend.describe());
                self.backend = Some(backend);
                self.error = None;
                self.written = None;
            }
            Err(err) => {
                if self.error.as_deref() != Some(err.as_str()) {
                    tracing::warn!("gpio: {err}");
                }
                self.error = Some(err);
            }
        }
        self.publish(true);
    }

    fn lost(&mut self, reason: String) {
        tracing::warn!("gpio: {reason}");
        self.backend = None;
        self.error = Some(reason);
        self.publish(true);
    }

    fn sample(&mut self, now: Instant) {
        let Some(backend) = &mut self.backend else {
            return;
        };
        for line in InputLine::ALL {
            let raw = match backend.read(line) {
                Ok(raw) => raw,
                Err(err) => return self.lost(err.to_string()),
            };
            let Some(edge) = self.debouncers[line.index()].sample(raw, now) else {
                continue;
            };
            if !edge.active {
                continue;
            }
            self.edges[line.index()] += 1;
            match line {
                InputLine::Trigger => {
                    if self.triggers.try_send(edge.at).is_err() {
                        tracing::error!(
                            "gpio: a part-sensor trigger was not taken: the inspection worker is not draining them"
                        );
                    }
                }
                InputLine::Acknowledge => self.signals.acknowledge(),
            }
            self.published_at = None;
        }
    }

    fn drive(&mut self, now: Instant) {
        let levels = self.signals.levels(now);
        let refresh = now.duration_since(self.written_at) >= REFRESH_EVERY;
        if self.written == Some(levels) && !refresh {
            return;
        }
        let Some(backend) = &mut self.backend else {
            return;
        };
        for line in OutputLine::ALL {
            let level = levels[line.index()];
            let changed = self.written.is_none_or(|w| w[line.index()] != level);
            if (changed || refresh)
                && let Err(err) = backend.write(line, level)
            {
                return self.lost(err.to_string());
            }
        }
        self.written = Some(levels);
        self.written_at = now;
        self.published_at = None;
    }

    fn publish(&mut self, force: bool) {
        if !force
            && self
                .published_at
                .is_some_and(|at| at.elapsed() < PUBLISH_EVERY)
        {
            return;
        }
        self.published_at = Some(Instant::now());
        let simulated = match &self.setup.plan {
            GpioPlan::Simulated(board) => Some(board.clone()),
            #[cfg(feature = "kiosk")]
            GpioPlan::RaspberryPi(_) => None,
        };
        self.view.store(Arc::new(GpioView {
            board: self
                .backend
                .as_ref()
                .map_or_else(|| "not open".to_owned(), |b| b.describe()),
            error: self.error.clone(),
            inputs: InputLine::ALL.map(|line| self.debouncers[line.index()].stable()),
            edges: self.edges,
            outputs: self.written.unwrap_or_default(),
            forced: OutputLine::ALL.map(|line| self.signals.forced(line)),
            timing: Some(self.signals.timing()),
            simulated,
        }));
    }

    /// Every output inactive (the station is stopping).
    fn safe_state(&mut self) {
        if let Some(backend) = &mut self.backend {
            for line in OutputLine::ALL {
                if let Err(err) = backend.write(line, false) {
                    tracing::error!("gpio: {} not switched off: {err}", line.label());
                }
            }
        }
        self.written = Some([false; 5]);
        self.publish(true);
    }
}

impl Runtime {
    /// Starts the gpio worker (hardware phase: outputs go inactive before the store closes).
    pub fn start_gpio(&mut self, setup: GpioSetup) -> Result<GpioHandle, RuntimeError> {
        let (commands_tx, commands_rx) = bounded(64);
        let (triggers_tx, triggers_rx) = bounded(256);
        let view = Arc::new(ArcSwap::from_pointee(GpioView::default()));
        let mut board = Board {
            debouncers: [
                Debouncer::new(setup.debounce, false),
                Debouncer::new(setup.debounce, false),
            ],
            signals: Signals::new(setup.timing),
            setup,
            backend: None,
            opened_at: None,
            error: None,
            edges: [0; 2],
            written: None,
            written_at: Instant::now(),
            published_at: None,
            triggers: triggers_tx,
            view: Arc::clone(&view),
        };
        self.start_worker(WorkerSpec::new("gpio", Phase::Hardware), move |worker| {
            board.run(worker, &commands_rx)
        })?;
        Ok(GpioHandle {
            commands: commands_tx,
            triggers: triggers_rx,
            view,
        })
    }
}
