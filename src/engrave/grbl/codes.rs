//! GRBL 1.1's error and alarm codes in words, with what the operator can do next. The wording
//! follows the firmware's own tables (`doc/csv/error_codes_en_US.csv`, `alarm_codes_en_US.csv`);
//! the advice is the station's.

/// What an `error:N` means. GRBL 1.1 has codes 1–38 (no 18 or 19).
pub fn error_words(code: u8) -> &'static str {
    match code {
        1 => "expected command letter: a G-code word without its letter",
        2 => "bad number format: a word's value is missing or not a number",
        3 => "invalid statement: the '$' command is not recognised",
        4 => "negative value where a positive one is expected",
        5 => "homing is not enabled in the settings ($22)",
        6 => "step pulse time must be at least 3 µs ($0)",
        7 => "EEPROM read failed: settings were restored to defaults",
        8 => "'$' command refused: the machine is not idle",
        9 => "G-code locked out: the machine is in alarm or jogging",
        10 => "soft limits need homing enabled",
        11 => "line too long: more than 79 characters, not executed",
        12 => "setting would make the step rate exceed 30 kHz",
        13 => "safety door is open",
        14 => "build info or startup line too long for EEPROM, not stored",
        15 => "jog target exceeds the machine's travel, jog ignored",
        16 => "invalid jog command",
        17 => "laser mode needs PWM output",
        20 => "unsupported or invalid G-code command",
        21 => "two commands of the same modal group on one line",
        22 => "feed rate not set",
        23 => "a command needs an integer value",
        24 => "two commands that both need axis words on one line",
        25 => "a word is repeated on the line",
        26 => "no axis words for a command that needs them",
        27 => "invalid line number",
        28 => "a command is missing a required value",
        29 => "G59.x work coordinate systems are not supported",
        30 => "G53 is only allowed with G0 and G1",
        31 => "axis words on a line where nothing uses them",
        32 => "G2/G3 arcs need at least one in-plane axis word",
        33 => "invalid motion target",
        34 => "invalid arc radius",
        35 => "G2/G3 arcs need at least one in-plane offset word",
        36 => "unused value words on the line",
        37 => "G43.1 tool length offset is not on the tool length axis",
        38 => "tool number above the supported maximum",
        _ => "unknown error code (not a GRBL 1.1 code)",
    }
}

/// What an `ALARM:N` means.
pub fn alarm_words(code: u8) -> &'static str {
    match code {
        1 => "hard limit switch hit: the machine stopped suddenly and its position is likely lost",
        2 => "soft limit: a move would leave the machine's travel; the position is kept",
        3 => "reset while moving: the position is likely lost",
        4 => "probe fail: the probe was not in the expected state before probing",
        5 => "probe fail: the probe did not touch within the programmed travel",
        6 => "homing fail: the homing cycle was reset",
        7 => "homing fail: the safety door opened during homing",
        8 => "homing fail: pull-off did not clear the limit switch",
        9 => "homing fail: a limit switch was not found within the search distance",
        10 => "homing fail: the second switch of a dual axis did not trigger",
        _ => "unknown alarm code (not a GRBL 1.1 code)",
    }
}

/// What the operator may do to leave an alarm. The station never unlocks on its own.
pub fn alarm_recovery(code: u8) -> &'static str {
    match code {
        1 => "Check the limit switch and what was hit, reset the controller, then home ($H).",
        2 => "Check the job's origin and size against the travel, then unlock ($X).",
        3 => "Check the part is clear, then home ($H), or unlock ($X) and re-set the origin.",
        4 | 5 => "Check the probe and its wiring, then unlock ($X).",
        6..=10 => "Check the limit switches, wiring and homing settings, then home again ($H).",
        _ => "Read the controller's documentation for this code, then unlock ($X) if it is safe.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grbl_code_has_words_and_unknown_ones_say_so() {
        for code in (1..=17).chain(20..=38) {
            assert!(!error_words(code).starts_with("unknown"), "error {code}");
        }
        for code in [18, 19, 39, 0] {
            assert!(error_words(code).starts_with("unknown"), "error {code}");
        }
        for code in 1..=10 {
            assert!(!alarm_words(code).starts_with("unknown"), "alarm {code}");
            assert!(alarm_recovery(code).ends_with('.'));
        }
        assert!(alarm_words(11).starts_with("unknown"));
    }
}
