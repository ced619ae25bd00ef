//! A G-code file made ready for a GRBL controller: comments, spaces and blank lines removed,
//! `%` delimiters skipped, and every line checked before anything is sent, so a bad file is
//! refused whole, naming the line, instead of failing halfway through a part.

use std::path::Path;

use crate::engrave::line::{clean, significant};

/// The lines to send and, for each, its line number in the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Program {
    pub lines: Vec<String>,
    pub source_line_no: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgramError {
    #[error("{file}: cannot read it: {reason}")]
    Read { file: String, reason: String },
    #[error(
        "{file} line {line_no}: byte {byte_index} is 0x{byte:02x}, not ASCII; GRBL takes bytes \
         from 0x80 up as real-time overrides, even inside comments. Remove it"
    )]
    NotAscii {
        file: String,
        line_no: usize,
        byte_index: usize,
        byte: u8,
    },
    #[error(
        "{file} line {line_no}: {chars} characters without spaces and comments; GRBL takes at \
         most 79 per line. Split the line"
    )]
    TooLong {
        file: String,
        line_no: usize,
        chars: usize,
    },
    #[error(
        "{file} line {line_no}: `{character}` outside a comment; GRBL acts on it at once as a \
         real-time command (status, hold, resume). Remove it"
    )]
    RealTime {
        file: String,
        line_no: usize,
        character: char,
    },
    #[error("{file}: no G-code in it (only comments or blank lines)")]
    Empty { file: String },
}

impl Program {
    pub fn load(path: &Path) -> Result<Self, ProgramError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|err| ProgramError::Read {
            file: file.clone(),
            reason: err.to_string(),
        })?;
        Self::parse(&bytes, &file)
    }

    /// Reads `bytes` (the file's content) as GRBL will: `\r`, `\n` or both end a line.
    pub fn parse(bytes: &[u8], file: &str) -> Result<Self, ProgramError> {
        let mut program = Self::default();
        for (index, file_line) in bytes.split(|&b| b == b'\n').enumerate() {
            let line_no = index + 1;
            if let Some(byte_index) = file_line.iter().position(|&b| b >= 0x80) {
                return Err(ProgramError::NotAscii {
                    file: file.to_owned(),
                    line_no,
                    byte_index: byte_index + 1,
                    byte: file_line[byte_index],
                });
            }
            // A `\r` ends a line for GRBL too (old Mac files): each piece is a line of its own.
            for raw in file_line.split(|&b| b == b'\r') {
                let text = match clean(raw) {
                    Ok(text) => text,
                    // `%` starts and ends a program in some files; GRBL would reject it.
                    Err(_) if raw.trim_ascii() == b"%" => continue,
                    Err(_) => {
                        return Err(ProgramError::TooLong {
                            file: file.to_owned(),
                            line_no,
                            chars: significant(raw).len(),
                        });
                    }
                };
                if let Some(bad) = text.chars().find(|c| matches!(c, '?' | '!' | '~')) {
                    return Err(ProgramError::RealTime {
                        file: file.to_owned(),
                        line_no,
                        character: bad,
                    });
                }
                if !text.is_empty() {
                    program.lines.push(text);
                    program.source_line_no.push(line_no);
                }
            }
        }
        if program.lines.is_empty() {
            return Err(ProgramError::Empty {
                file: file.to_owned(),
            });
        }
        Ok(program)
    }

    /// The file's line number of the `n`th line sent (1-based); `n` past the end (the
    /// finishing dwell) gives the line after the last.
    pub fn file_line(&self, n: usize) -> usize {
        match n.checked_sub(1).and_then(|i| self.source_line_no.get(i)) {
            Some(&line_no) => line_no,
            None => self.source_line_no.last().map_or(0, |last| last + 1),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn comments_blank_lines_and_percent_go_and_line_numbers_stay() {
        let text = b"%\r\n(engrave ? this)\r\ng21 g90\r\n\r\nG1 X1 F600 ; burn!\r\nM5\r\n%\r\n";
        let program = Program::parse(text, "job.nc").unwrap();
        assert_eq!(program.lines, vec!["G21G90", "G1X1F600", "M5"]);
        assert_eq!(program.source_line_no, vec![3, 5, 6]);
        assert_eq!(program.file_line(2), 5);
        assert_eq!(program.file_line(4), 7);
    }

    #[test]
    fn bad_files_are_refused_whole_naming_the_line() {
        let err = Program::parse("G21\nG1X1 (5×5)\n".as_bytes(), "a.nc").unwrap_err();
        assert!(
            err.to_string().starts_with("a.nc line 2: byte 8 is 0xc3"),
            "{err}"
        );
        let long = format!("G21\nG1X{}\n", "1".repeat(80));
        let err = Program::parse(long.as_bytes(), "b.nc").unwrap_err();
        assert!(
            matches!(
                err,
                ProgramError::TooLong {
                    line_no: 2,
                    chars: 83,
                    ..
                }
            ),
            "{err}"
        );
        let err = Program::parse(b"(nothing)\n\n", "c.nc").unwrap_err();
        assert_eq!(
            err,
            ProgramError::Empty {
                file: "c.nc".into()
            }
        );
        let err = Program::parse(b"G21\nG1X1!\n", "e.nc").unwrap_err();
        assert!(
            matches!(
                err,
                ProgramError::RealTime {
                    line_no: 2,
                    character: '!',
                    ..
                }
            ),
            "{err}"
        );
        let old_mac = Program::parse(b"G21\rG1X1\rY2\n", "d.nc").unwrap();
        assert_eq!(old_mac.lines, vec!["G21", "G1X1", "Y2"]);
    }
}
