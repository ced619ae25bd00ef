//! GRBL's status report `<State|MPos:x,y,z|FS:f,s|...>`, parsed defensively: fields in any
//! order, any of them missing, unknown ones kept, `MPos` or `WPos` (never both).

use std::fmt;

/// The machine state a status report names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MachineState {
    Idle,
    Run,
    /// `Hold:0` is stopped and can resume; `Hold:1` is still decelerating.
    Hold {
        stopped: bool,
    },
    Jog,
    Alarm,
    /// `Door:0..3`.
    Door(u8),
    Check,
    Home,
    Sleep,
    /// A state this station does not know, as GRBL wrote it.
    Other(String),
}

impl MachineState {
    fn parse(text: &str) -> Self {
        let (name, sub) = match text.split_once(':') {
            Some((name, sub)) => (name, Some(sub)),
            None => (text, None),
        };
        match (name, sub) {
            ("Idle", None) => Self::Idle,
            ("Run", None) => Self::Run,
            ("Hold", Some("0")) => Self::Hold { stopped: true },
            // A bare `Hold` (some forks) is treated as still decelerating: the safe reading.
            ("Hold", _) => Self::Hold { stopped: false },
            ("Jog", None) => Self::Jog,
            ("Alarm", None) => Self::Alarm,
            ("Door", sub) => Self::Door(sub.and_then(|s| s.parse().ok()).unwrap_or(0)),
            ("Check", None) => Self::Check,
            ("Home", None) => Self::Home,
            ("Sleep", None) => Self::Sleep,
            _ => Self::Other(text.to_owned()),
        }
    }

    /// True while the machine moves or may still move (a soft reset now loses position).
    pub fn is_moving(&self) -> bool {
        matches!(
            self,
            Self::Run | Self::Jog | Self::Home | Self::Hold { stopped: false }
        )
    }
}

impl fmt::Display for MachineState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Idle => f.write_str("Idle"),
            Self::Run => f.write_str("Run"),
            Self::Hold { stopped: true } => f.write_str("Hold:0"),
            Self::Hold { stopped: false } => f.write_str("Hold:1"),
            Self::Jog => f.write_str("Jog"),
            Self::Alarm => f.write_str("Alarm"),
            Self::Door(n) => write!(f, "Door:{n}"),
            Self::Check => f.write_str("Check"),
            Self::Home => f.write_str("Home"),
            Self::Sleep => f.write_str("Sleep"),
            Self::Other(text) => f.write_str(text),
        }
    }
}

/// One status report.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusReport {
    pub state: MachineState,
    /// Machine position, mm.
    pub machine_pos_mm: Option<[f64; 3]>,
    /// Work position, mm (sent instead of `MPos` when `$10` asks for it).
    pub work_pos_mm: Option<[f64; 3]>,
    /// Work coordinate offset, mm (only in some reports).
    pub work_offset_mm: Option<[f64; 3]>,
    /// Actual feed, mm/min.
    pub feed_mm_per_min: Option<f64>,
    /// Actual spindle/laser power, S units.
    pub power: Option<f64>,
    /// `Bf:`: free planner blocks and free receive-buffer bytes.
    pub buffer_free: Option<(u32, u32)>,
    /// `Ln:`: the line number executing.
    pub line_number: Option<u32>,
    /// `Pn:`: triggered inputs (letters XYZPDHRS).
    pub pins: Option<String>,
    /// `Ov:`: feed, rapid and spindle overrides, %.
    pub overrides_pct: Option<[u32; 3]>,
    /// Fields this station does not use, as `name:value`.
    pub other: Vec<String>,
}

/// Why a line is not a status report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a GRBL status report ({reason}): {line:?}")]
pub struct StatusError {
    pub line: String,
    pub reason: &'static str,
}

fn numbers<const N: usize>(text: &str) -> Option<[f64; N]> {
    let mut out = [0.0; N];
    let mut parts = text.split(',');
    for slot in &mut out {
        *slot = parts.next()?.trim().parse().ok()?;
    }
    Some(out)
}

impl StatusReport {
    /// Parses `<...>`; a field with a malformed value is kept in `other` rather than failing
    /// the report, since the state alone is worth having.
    pub fn parse(line: &str) -> Result<Self, StatusError> {
        let fail = |reason| StatusError {
            line: line.to_owned(),
            reason,
        };
        let inner = line
            .trim()
            .strip_prefix('<')
            .and_then(|rest| rest.strip_suffix('>'))
            .ok_or_else(|| fail("no <...> around it"))?;
        let mut fields = inner.split('|');
        let state_text = fields.next().unwrap_or_default();
        if state_text.is_empty() {
            return Err(fail("no state"));
        }
        let mut report = Self {
            state: MachineState::parse(state_text),
            machine_pos_mm: None,
            work_pos_mm: None,
            work_offset_mm: None,
            feed_mm_per_min: None,
            power: None,
            buffer_free: None,
            line_number: None,
            pins: None,
            overrides_pct: None,
            other: Vec::new(),
        };
        for field in fields {
            let (name, value) = field.split_once(':').unwrap_or((field, ""));
            let understood = match name {
                "MPos" => numbers::<3>(value).map(|v| report.machine_pos_mm = Some(v)),
                "WPos" => numbers::<3>(value).map(|v| report.work_pos_mm = Some(v)),
                "WCO" => numbers::<3>(value).map(|v| report.work_offset_mm = Some(v)),
                "FS" => numbers::<2>(value).map(|[feed, power]| {
                    report.feed_mm_per_min = Some(feed);
                    report.power = Some(power);
                }),
                "F" => numbers::<1>(value).map(|[feed]| report.feed_mm_per_min = Some(feed)),
                "Bf" => numbers::<2>(value).map(|[blocks, bytes]| {
                    report.buffer_free = Some((blocks as u32, bytes as u32));
                }),
                "Ln" => value.parse().ok().map(|n| report.line_number = Some(n)),
                "Pn" => {
                    report.pins = Some(value.to_owned());
                    Some(())
                }
                "Ov" => numbers::<3>(value).map(|v| {
                    report.overrides_pct = Some(v.map(|pct| pct as u32));
                }),
                _ => None,
            };
            if understood.is_none() {
                report.other.push(field.to_owned());
            }
        }
        Ok(report)
    }

    /// The machine position, from `MPos`, or from `WPos + WCO` with the last offset seen.
    pub fn machine_position_mm(&self, last_offset_mm: Option<[f64; 3]>) -> Option<[f64; 3]> {
        if let Some(pos) = self.machine_pos_mm {
            return Some(pos);
        }
        let work = self.work_pos_mm?;
        let offset = self.work_offset_mm.or(last_offset_mm)?;
        Some([
            work[0] + offset[0],
            work[1] + offset[1],
            work[2] + offset[2],
        ])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn fields_in_any_order_or_missing() {
        let report =
            StatusReport::parse("<Run|FS:1200,350|MPos:10.000,2.500,0.000|Bf:14,100|Ln:7>")
                .unwrap();
        assert_eq!(report.state, MachineState::Run);
        assert_eq!(report.machine_pos_mm, Some([10.0, 2.5, 0.0]));
        assert_eq!(report.feed_mm_per_min, Some(1200.0));
        assert_eq!(report.power, Some(350.0));
        assert_eq!(report.buffer_free, Some((14, 100)));
        assert_eq!(report.line_number, Some(7));

        let bare = StatusReport::parse("<Idle>").unwrap();
        assert_eq!(bare.state, MachineState::Idle);
        assert_eq!(bare.machine_pos_mm, None);
        assert_eq!(bare.feed_mm_per_min, None);
    }

    #[test]
    fn work_position_with_offset_gives_machine_position() {
        let report =
            StatusReport::parse("<Hold:0|WPos:1.000,2.000,0.000|F:500|Ov:100,50,120|Pn:XP|A:SF>")
                .unwrap();
        assert_eq!(report.state, MachineState::Hold { stopped: true });
        assert!(!report.state.is_moving());
        assert_eq!(report.machine_position_mm(None), None);
        assert_eq!(
            report.machine_position_mm(Some([10.0, 20.0, 0.0])),
            Some([11.0, 22.0, 0.0])
        );
        assert_eq!(report.overrides_pct, Some([100, 50, 120]));
        assert_eq!(report.pins.as_deref(), Some("XP"));
        assert_eq!(report.other, vec!["A:SF".to_owned()]);
    }

    #[test]
    fn states_and_malformed_reports() {
        for (text, state) in [
            ("<Hold:1|MPos:0,0,0>", MachineState::Hold { stopped: false }),
            ("<Door:2>", MachineState::Door(2)),
            ("<Jog>", MachineState::Jog),
            ("<Alarm>", MachineState::Alarm),
            ("<Check>", MachineState::Check),
            ("<Sleep>", MachineState::Sleep),
            ("<Tool>", MachineState::Other("Tool".into())),
        ] {
            assert_eq!(StatusReport::parse(text).unwrap().state, state, "{text}");
        }
        assert!(StatusReport::parse("Idle|MPos:0,0,0").is_err());
        assert!(StatusReport::parse("<>").is_err());
        // A broken field is kept, not fatal.
        let odd = StatusReport::parse("<Idle|MPos:1,x,2|FS:0,0>").unwrap();
        assert_eq!(odd.machine_pos_mm, None);
        assert_eq!(odd.other, vec!["MPos:1,x,2".to_owned()]);
        assert_eq!(
            MachineState::Hold { stopped: false }.to_string(),
            "Hold:1".to_owned()
        );
    }
}
