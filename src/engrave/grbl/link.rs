//! The serial link to a GRBL controller: opens the port (8N1, no flow control), writes lines and
//! real-time bytes, and reads GRBL's lines. It refuses to send what GRBL would misread (`\r`,
//! non-ASCII, comments' real-time characters are the caller's to strip) and turns every port
//! failure into `LinkError::Lost` naming the port.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use serialport::{ClearBuffer, DataBits, FlowControl, Parity, SerialPort, StopBits};

use super::reply::Reply;

/// GRBL's baud rate.
pub const DEFAULT_BAUD: u32 = 115_200;

/// How long one read waits for bytes before the caller gets control back.
const READ_SLICE: Duration = Duration::from_millis(5);

/// Real-time commands: single bytes acted on at once, never counted, never followed by `\n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RealTime {
    Status,
    FeedHold,
    Resume,
    SoftReset,
    FeedOverrideReset,
    FeedPlus10,
    FeedMinus10,
    PowerOverrideReset,
    PowerPlus10,
    PowerMinus10,
}

impl RealTime {
    pub fn byte(self) -> u8 {
        match self {
            Self::Status => b'?',
            Self::FeedHold => b'!',
            Self::Resume => b'~',
            Self::SoftReset => 0x18,
            Self::FeedOverrideReset => 0x90,
            Self::FeedPlus10 => 0x91,
            Self::FeedMinus10 => 0x92,
            Self::PowerOverrideReset => 0x99,
            Self::PowerPlus10 => 0x9A,
            Self::PowerMinus10 => 0x9B,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("cannot open the serial port {path} at {baud} baud: {reason}")]
    Open {
        path: String,
        baud: u32,
        reason: String,
    },
    #[error("the serial port {path} was lost: {reason}")]
    Lost { path: String, reason: String },
    #[error("not sent to the controller: {0}")]
    Refused(String),
}

pub struct GrblLink {
    port: Box<dyn SerialPort>,
    path: String,
    partial: Vec<u8>,
}

impl GrblLink {
    /// Opens `path` at `baud`, 8N1, no flow control, exclusively, and drops anything already
    /// waiting in the input buffer.
    pub fn open(path: &str, baud: u32) -> Result<Self, LinkError> {
        let port = serialport::new(path, baud)
            .data_bits(DataBits::Eight)
            .parity(Parity::None)
            .stop_bits(StopBits::One)
            .flow_control(FlowControl::None)
            .timeout(READ_SLICE)
            .open()
            .map_err(|err| LinkError::Open {
                path: path.to_owned(),
                baud,
                reason: err.to_string(),
            })?;
        let link = Self {
            port,
            path: path.to_owned(),
            partial: Vec::new(),
        };
        link.port
            .clear(ClearBuffer::Input)
            .map_err(|err| link.lost(&err))?;
        Ok(link)
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    fn lost(&self, err: &dyn std::fmt::Display) -> LinkError {
        LinkError::Lost {
            path: self.path.clone(),
            reason: err.to_string(),
        }
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        self.port
            .write_all(bytes)
            .and_then(|()| self.port.flush())
            .map_err(|err| self.lost(&err))?;
        Ok(())
    }

    /// Sends `line` and `\n`. Refuses a line GRBL would misread: anything but printable
    /// ASCII, or more than 79 characters.
    pub fn send_line(&mut self, line: &str) -> Result<usize, LinkError> {
        if let Some(bad) = line
            .bytes()
            .find(|b| !(b.is_ascii_graphic() || *b == b' ') || matches!(b, b'?' | b'!' | b'~'))
        {
            return Err(LinkError::Refused(format!(
                "the line {line:?} holds the byte 0x{bad:02x}; only printable ASCII without \
                 GRBL's real-time characters ? ! ~ may be sent (they act at once, wherever they are)"
            )));
        }
        if line.len() > 79 {
            return Err(LinkError::Refused(format!(
                "the line {line:?} has {} characters; GRBL discards lines over 79",
                line.len()
            )));
        }
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.write(&bytes)?;
        Ok(bytes.len())
    }

    pub fn send_realtime(&mut self, command: RealTime) -> Result<(), LinkError> {
        self.write(&[command.byte()])
    }

    /// The next line from GRBL, waiting up to `timeout`; `None` if none came.
    pub fn read_reply(&mut self, timeout: Duration) -> Result<Option<Reply>, LinkError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(end) = self.partial.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.partial.drain(..=end).collect();
                let text = String::from_utf8_lossy(&line);
                return Ok(Some(Reply::parse(&text)));
            }
            let mut buf = [0_u8; 256];
            match self.port.read(&mut buf) {
                Ok(0) => {
                    return Err(self.lost(&"the device closed the connection"));
                }
                Ok(n) => self.partial.extend_from_slice(&buf[..n]),
                Err(err) if err.kind() == std::io::ErrorKind::TimedOut => {}
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) => return Err(self.lost(&err)),
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
        }
    }

    /// Drops what has been received and not read (after a reset, before the banner).
    pub fn discard_input(&mut self) -> Result<(), LinkError> {
        self.partial.clear();
        self.port
            .clear(ClearBuffer::Input)
            .map_err(|err| self.lost(&err))
    }
}
