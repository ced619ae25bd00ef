//! The simulator on a pseudo-terminal pair, so the station's real `serialport` code talks to it
//! exactly as to a USB GRBL board: a sender opens the slave's path (`/dev/pts/N`), the simulator
//! serves the master side. Bytes from the sender reach the controller no faster than the baud
//! rate allows (10 bits a byte), as on a real serial line, and motion runs in simulated time
//! `time_scale` times faster than the wall clock.
//!
//! The slave side is not held open here: a sender that closes the port releases it (and its
//! exclusive lock), and the next one can open it. Like a pty and unlike an Arduino, opening the
//! port does not reset the controller; senders reset it themselves. Stopping the server closes
//! the master: the sender sees its port vanish, as when a USB cable is pulled.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use serialport::{SerialPort, TTYPort};

use super::GrblSim;

/// How the served simulator runs.
#[derive(Debug, Clone, Copy)]
pub struct PtyOptions {
    /// Simulated seconds per wall-clock second (1 = real time; 50 for fast tests).
    pub time_scale: f64,
    /// The line rate bytes are delivered at, in simulated time.
    pub baud: u32,
}

impl Default for PtyOptions {
    fn default() -> Self {
        Self {
            time_scale: 1.0,
            baud: crate::engrave::grbl::DEFAULT_BAUD,
        }
    }
}

/// What crossed the line, for tests and the `grbl-sim` command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PtyTraffic {
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// `\r` bytes received: a correct sender sends none (GRBL would answer twice).
    pub cr_bytes_in: u64,
    /// Bytes ≥ 0x80 received: override commands, or a sender leaking non-ASCII.
    pub high_bytes_in: u64,
    /// Times a sender opened the port.
    pub connects: u64,
}

/// The master side of a pseudo-terminal pair, waiting for a sender on its slave path.
pub struct SimPty {
    master: TTYPort,
    path: String,
}

/// How long the server waits for bytes before advancing time anyway.
const TICK: Duration = Duration::from_millis(1);

impl SimPty {
    /// Opens a new pair; the slave's path is where a sender connects.
    pub fn open() -> std::io::Result<Self> {
        let (mut master, slave) = TTYPort::pair().map_err(std::io::Error::from)?;
        let path = slave
            .name()
            .ok_or_else(|| std::io::Error::other("the pseudo-terminal has no slave path"))?;
        drop(slave);
        master.set_timeout(TICK).map_err(std::io::Error::from)?;
        Ok(Self { master, path })
    }

    /// The device path a sender opens (`/dev/pts/N`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Serves `sim` until `stopped()` says so, calling `observe` after every tick (keep both
    /// quick).
    /// Returns the simulator as it was left, and the traffic.
    pub fn serve(
        mut self,
        mut sim: GrblSim,
        options: PtyOptions,
        stopped: &dyn Fn() -> bool,
        observe: &mut dyn FnMut(&GrblSim, &PtyTraffic),
    ) -> (GrblSim, PtyTraffic) {
        let mut traffic = PtyTraffic::default();
        let mut wire: VecDeque<u8> = VecDeque::new();
        let bytes_per_sim_s = f64::from(options.baud.max(300)) / 10.0;
        let mut credit = 0.0_f64;
        let mut connected = false;
        let mut last = Instant::now();
        let mut buf = [0_u8; 512];
        while !stopped() {
            match self.master.read(&mut buf) {
                Ok(n) => {
                    if !connected {
                        connected = true;
                        traffic.connects += 1;
                    }
                    let bytes = &buf[..n];
                    traffic.bytes_in += n as u64;
                    traffic.cr_bytes_in += bytes.iter().filter(|&&b| b == b'\r').count() as u64;
                    traffic.high_bytes_in += bytes.iter().filter(|&&b| b >= 0x80).count() as u64;
                    wire.extend(bytes);
                }
                Err(err) if err.kind() == ErrorKind::TimedOut => {
                    if !connected {
                        connected = true;
                        traffic.connects += 1;
                    }
                }
                Err(_) => {
                    // No sender has the slave open (the pty reports a hang-up).
                    connected = false;
                    std::thread::sleep(TICK);
                }
            }
            let now = Instant::now();
            let dt_s = (now - last).as_secs_f64() * options.time_scale;
            last = now;
            credit = if wire.is_empty() {
                0.0
            } else {
                credit + dt_s * bytes_per_sim_s
            };
            let deliver = (credit.floor() as usize).min(wire.len());
            if deliver > 0 {
                credit -= deliver as f64;
                let bytes: Vec<u8> = wire.drain(..deliver).collect();
                sim.receive(&bytes);
            }
            sim.advance(dt_s);
            let out = sim.take_output();
            if connected && !out.is_empty() {
                if self.master.write_all(&out).is_ok() {
                    traffic.bytes_out += out.len() as u64;
                } else {
                    connected = false;
                }
            }
            observe(&sim, &traffic);
        }
        (sim, traffic)
    }
}
