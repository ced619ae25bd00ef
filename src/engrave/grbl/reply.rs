//! What a line from GRBL is: an acknowledgement (`ok`, `error:N`) or one of the push messages
//! that must never be taken for one (status, alarm, banner, `[MSG:…]`, settings, `>…:ok`).

use super::status::StatusReport;

/// One line GRBL sent, `\r\n` removed.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Ok,
    Error(u8),
    Alarm(u8),
    Status(StatusReport),
    /// `Grbl 1.1h ['$' for help]`: the controller just reset.
    Banner {
        version: String,
    },
    /// `[MSG:…]`.
    Message(String),
    /// `[GC:…]`, `[VER:…]`, `[OPT:…]`, `[HLP:…]`, `[PRB:…]`… as `(tag, body)`.
    Feedback {
        tag: String,
        body: String,
    },
    /// `$n=value` from a settings dump.
    Setting {
        number: u32,
        value: String,
    },
    /// `>line:ok` from a startup line: the `ok` in it is not an acknowledgement.
    StartupLine(String),
    Empty,
    /// Anything else, kept as sent (a malformed status report lands here too).
    Other(String),
}

impl Reply {
    pub fn parse(raw: &str) -> Self {
        let line = raw.trim_end_matches(['\r', '\n']).trim();
        if line.is_empty() {
            return Self::Empty;
        }
        if line == "ok" {
            return Self::Ok;
        }
        if let Some(code) = line.strip_prefix("error:") {
            return code
                .parse()
                .map_or(Self::Other(line.to_owned()), Self::Error);
        }
        if let Some(code) = line.strip_prefix("ALARM:") {
            return code
                .parse()
                .map_or(Self::Other(line.to_owned()), Self::Alarm);
        }
        if line.starts_with('<') {
            return StatusReport::parse(line).map_or(Self::Other(line.to_owned()), Self::Status);
        }
        if let Some(rest) = line.strip_prefix("Grbl ") {
            let version = rest.split_whitespace().next().unwrap_or_default();
            return Self::Banner {
                version: version.to_owned(),
            };
        }
        if let Some(body) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let (tag, body) = body.split_once(':').unwrap_or((body, ""));
            if tag == "MSG" {
                return Self::Message(body.to_owned());
            }
            return Self::Feedback {
                tag: tag.to_owned(),
                body: body.to_owned(),
            };
        }
        if let Some(rest) = line.strip_prefix('>') {
            return Self::StartupLine(rest.to_owned());
        }
        if let Some((number, value)) = line.strip_prefix('$').and_then(|l| l.split_once('='))
            && let Ok(number) = number.parse()
        {
            return Self::Setting {
                number,
                value: value.to_owned(),
            };
        }
        Self::Other(line.to_owned())
    }

    /// `ok` and `error:N` answer a line; nothing else does.
    pub fn is_ack(&self) -> bool {
        matches!(self, Self::Ok | Self::Error(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engrave::grbl::MachineState;

    #[test]
    fn only_ok_and_error_are_acknowledgements() {
        assert_eq!(Reply::parse("ok\r\n"), Reply::Ok);
        assert_eq!(Reply::parse("error:22"), Reply::Error(22));
        assert_eq!(Reply::parse("ALARM:3"), Reply::Alarm(3));
        assert_eq!(
            Reply::parse(">G21G90:ok"),
            Reply::StartupLine("G21G90:ok".into())
        );
        assert_eq!(
            Reply::parse("Grbl 1.1h ['$' for help]"),
            Reply::Banner {
                version: "1.1h".into()
            }
        );
        assert_eq!(
            Reply::parse("[MSG:'$H'|'$X' to unlock]"),
            Reply::Message("'$H'|'$X' to unlock".into())
        );
        assert_eq!(
            Reply::parse("[OPT:V,15,128]"),
            Reply::Feedback {
                tag: "OPT".into(),
                body: "V,15,128".into()
            }
        );
        assert_eq!(
            Reply::parse("$110=500.000"),
            Reply::Setting {
                number: 110,
                value: "500.000".into()
            }
        );
        assert_eq!(Reply::parse("\r\n"), Reply::Empty);
        assert_eq!(Reply::parse("error:x"), Reply::Other("error:x".into()));
        match Reply::parse("<Idle|MPos:0.000,0.000,0.000|FS:0,0>") {
            Reply::Status(report) => assert_eq!(report.state, MachineState::Idle),
            other => panic!("{other:?}"),
        }
        let acks = [
            "ok",
            "error:1",
            "ALARM:1",
            "<Idle>",
            ">x:ok",
            "[MSG:Pgm End]",
            "",
        ];
        let count = acks.iter().filter(|l| Reply::parse(l).is_ack()).count();
        assert_eq!(count, 2);
    }
}
