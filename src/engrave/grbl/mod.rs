//! Talking to a GRBL 1.1 controller over a serial port: the link, the replies and status
//! reports, error and alarm codes in words, character counting, the handshake and machine
//! actions, and streaming a job. Blocking calls for the engraver worker (or a CLI command) that
//! alone owns the port; nothing here spawns a thread.

mod codes;
mod controller;
mod counter;
mod link;
mod program;
mod reply;
mod status;
mod stream;

pub use codes::{alarm_recovery, alarm_words, error_words};
pub use controller::{Grbl, GrblError};
pub use counter::{CharCounter, MAX_IN_FLIGHT_BYTES};
pub use link::{DEFAULT_BAUD, GrblLink, LinkError, RealTime};
pub use program::{Program, ProgramError};
pub use reply::Reply;
pub use status::{MachineState, StatusError, StatusReport};
pub use stream::{StreamControl, StreamEnd, StreamProgress, StreamReport};
