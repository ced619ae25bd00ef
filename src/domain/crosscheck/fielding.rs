//! Fielding: finding field values in evidence. (a) OCR candidates of one value, chosen and
//! corrected by the field's pattern; (b) free text as it comes from a PDF page or an OCR'd label,
//! where label words on the line (or ending the line before) say what a value is; (c) BOM rows,
//! where the column says it.
//!
//! Look-alike corrections (O↔0, I/l↔1, S↔5, B↔8, Z↔2, G↔6) are made only where the pattern
//! demands the other character: the fewest corrections that make the value match, and none
//! when the text matches as read. Each correction multiplies the confidence by
//! `CORRECTION_FACTOR` (0.9), so two corrections of a 0.95 reading give 0.77, under the default
//! 0.80 threshold: the checks then warn instead of passing silently.
//!
//! This file reads no files and runs no OCR; it takes lines and rows from `docs` and `ocr`.

use serde::{Deserialize, Serialize};

use super::evidence::{BomRow, ColumnRole, EvidenceKind, Provenance, TextLine};
use super::fields::{CompiledPatterns, FieldKind};
use super::normalise::{
    Ch, Matched, Normalised, Prepared, is_label_punctuation, label_at, label_match, longest_first,
    match_value, normalise, prepare, upper,
};

/// Confidence kept per corrected character (the confidence is multiplied by it).
pub const CORRECTION_FACTOR: f32 = 0.9;

/// Most look-alike corrections in one value: beyond three the reading is not the value, it is
/// a guess (and 0.9³ = 0.73 is under any sensible threshold already).
const MAX_CORRECTIONS: usize = 3;

/// Most whitespace-separated words one value may span (`VGN 12345 0001` is three).
const MAX_SPAN_WORDS: usize = 4;

/// A field found in the evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldValue {
    pub kind: FieldKind,
    pub value: Normalised,
    pub source: EvidenceKind,
    /// The file and the line, cell or image region the value was read from.
    pub provenance: Provenance,
    /// For a revision: the part number it is the revision of. For a board serial: the part
    /// number of the board carrying it (the same BOM row, the same traveler line, or the one
    /// part code read in the same photo). Otherwise `None`.
    pub part_of: Option<String>,
}

/// The best reading of one value among OCR candidates (text, recogniser confidence 0–1): each
/// is normalised, and if it does not match, look-alike characters are corrected where the
/// pattern demands (see the module doc). The highest resulting confidence wins; on a tie the
/// earlier candidate. `labelled` as for `normalise`.
///
/// A candidate for which two different corrections with the same number of changes both match
/// is ambiguous and skipped.
pub fn field_ocr(
    kind: FieldKind,
    candidates: &[(String, f32)],
    labelled: bool,
    patterns: &CompiledPatterns,
) -> Option<Normalised> {
    let mut best: Option<Normalised> = None;
    for (text, confidence) in candidates {
        let Some(found) = read(kind, text, *confidence, labelled, true, patterns) else {
            continue;
        };
        if best
            .as_ref()
            .is_none_or(|b| found.confidence > b.confidence)
        {
            best = Some(found);
        }
    }
    best
}

fn sane_confidence(confidence: f32) -> f32 {
    if confidence.is_nan() {
        0.0
    } else {
        confidence.clamp(0.0, 1.0)
    }
}

/// `text` as `kind`, read with `confidence`; with look-alike corrections when `correct`.
fn read(
    kind: FieldKind,
    text: &str,
    confidence: f32,
    labelled: bool,
    correct: bool,
    patterns: &CompiledPatterns,
) -> Option<Normalised> {
    let confidence = sane_confidence(confidence);
    if let Some(mut found) = normalise(kind, text, labelled, patterns) {
        found.confidence = confidence;
        return Some(found);
    }
    if !correct || kind == FieldKind::FlightStatus {
        return None;
    }
    corrected(kind, text, confidence, labelled, patterns)
}

/// What a character as read may have been meant as.
fn lookalikes(read: char) -> &'static [char] {
    match read {
        'O' | 'o' => &['0'],
        '0' => &['O'],
        'I' | 'i' => &['1'],
        // A lower-case l is read as L when upper-cased, but looks like 1 or I.
        'l' | '|' => &['1', 'I'],
        '1' => &['I'],
        'S' | 's' => &['5'],
        '5' => &['S'],
        'B' => &['8'],
        '8' => &['B'],
        'Z' | 'z' => &['2'],
        '2' => &['Z'],
        'G' => &['6'],
        '6' => &['G'],
        _ => &[],
    }
}

/// The fewest look-alike corrections that make `text` a value of `kind`.
fn corrected(
    kind: FieldKind,
    text: &str,
    confidence: f32,
    labelled: bool,
    patterns: &CompiledPatterns,
) -> Option<Normalised> {
    let prepared = prepare(kind, text, labelled, patterns)?;
    let positions: Vec<usize> = (0..prepared.chars.len())
        .filter(|&i| !lookalikes(prepared.chars[i].read).is_empty())
        .collect();
    for count in 1..=MAX_CORRECTIONS.min(positions.len()) {
        let mut search = Search {
            kind,
            prepared: &prepared,
            labelled: prepared.labelled,
            patterns,
            positions: &positions,
            working: prepared.chars.clone(),
            found: Vec::new(),
        };
        search.choose(0, count);
        match search.found.as_slice() {
            [] => continue,
            [only] => {
                let factor = CORRECTION_FACTOR.powi(count as i32);
                return Some(prepared.finish(text, only, confidence * factor));
            }
            // Two different values are equally likely: the reading proves neither.
            _ => return None,
        }
    }
    None
}

/// Tries every choice of `count` positions and every look-alike at each.
struct Search<'a> {
    kind: FieldKind,
    prepared: &'a Prepared,
    labelled: bool,
    patterns: &'a CompiledPatterns,
    positions: &'a [usize],
    working: Vec<Ch>,
    found: Vec<Matched>,
}

impl Search<'_> {
    fn choose(&mut self, from: usize, count: usize) {
        if count == 0 {
            if let Some(matched) =
                match_value(self.kind, &self.working, self.labelled, self.patterns)
                && !self.found.iter().any(|f| f.text() == matched.text())
            {
                self.found.push(matched);
            }
            return;
        }
        // Leave room for the remaining choices.
        for index in from..=self.positions.len() - count {
            let at = self.positions[index];
            let original = self.prepared.chars[at];
            for &to in lookalikes(original.read) {
                self.working[at].upper = to;
                self.working[at].corrected = true;
                self.choose(index + 1, count - 1);
                // Two values found already: ambiguous, no need to look further.
                if self.found.len() > 1 {
                    self.working[at] = original;
                    return;
                }
            }
            self.working[at] = original;
        }
    }
}

/// One word of a line: character range, and whether a table column gap (a tab, two or more
/// spaces, or the line's end) follows it.
#[derive(Debug, Clone, Copy)]
struct Word {
    start: usize,
    end: usize,
    column_gap_after: bool,
}

/// Every label of every field, longest first.
struct Labels<'a> {
    all: Vec<(FieldKind, &'a str)>,
    patterns: &'a CompiledPatterns,
}

impl<'a> Labels<'a> {
    fn new(patterns: &'a CompiledPatterns) -> Self {
        let mut all: Vec<(FieldKind, &str)> = FieldKind::ALL
            .into_iter()
            .flat_map(|kind| {
                longest_first(patterns.labels(kind))
                    .into_iter()
                    .map(move |label| (kind, label))
            })
            .collect();
        all.sort_by_key(|(_, label)| std::cmp::Reverse(label.chars().count()));
        Self { all, patterns }
    }

    fn at(&self, chars: &[char], start: usize) -> Option<(FieldKind, usize)> {
        self.all
            .iter()
            .find_map(|(kind, label)| label_at(chars, start, label).map(|end| (*kind, end)))
    }

    /// An OCR line with the spaces it lost around labels put back: before a label glued to
    /// the digits before it (`PCA-5059-42Rev E`), and after a label glued to a value of its
    /// own field (`REVH8`, `S/NVGN-12345-0001`), never inside other words (`SNAP`, `REVIEW`).
    fn unglue(&self, chars: &[char]) -> Vec<char> {
        let mut out = Vec::with_capacity(chars.len() + 4);
        let mut at = 0;
        while at < chars.len() {
            let rest = &chars[at..];
            let after_digits = at > 0 && chars[at - 1].is_ascii_digit() && rest[0].is_alphabetic();
            let word_start = at == 0 || !chars[at - 1].is_alphanumeric();
            let glued_end = if word_start || after_digits {
                self.glued_to_its_value(rest)
            } else {
                None
            };
            if after_digits
                && (glued_end.is_some()
                    || self
                        .all
                        .iter()
                        .any(|(_, label)| label_at(rest, 0, label).is_some()))
            {
                out.push(' ');
            }
            if let Some(end) = glued_end {
                out.extend_from_slice(&rest[..end]);
                out.push(' ');
                at += end;
                continue;
            }
            out.push(rest[0]);
            at += 1;
        }
        out
    }

    /// Where a label at the start of `rest` ends when the rest of its word is a value of its
    /// field.
    fn glued_to_its_value(&self, rest: &[char]) -> Option<usize> {
        self.all.iter().find_map(|(kind, label)| {
            let (end, _) = label_match(rest, 0, label)?;
            if !rest.get(end).is_some_and(|c| c.is_alphanumeric()) {
                return None;
            }
            let value: String = rest[end..]
                .iter()
                .take_while(|c| !c.is_whitespace())
                .collect();
            normalise(*kind, &value, true, self.patterns).map(|_| end)
        })
    }

    /// The field a table header cell names: the cell is one label and nothing else
    /// (`BOARD S/N`, `Serial No.:`).
    fn naming_cell(&self, cell: &[char]) -> Option<FieldKind> {
        let (kind, end) = self.at(cell, 0)?;
        cell[end..]
            .iter()
            .all(|&c| is_label_punctuation(c))
            .then_some(kind)
    }
}

/// What one line leaves for the next.
#[derive(Debug, Default)]
struct Carry {
    /// A label that ended the line with no value after it: it names the next line's value.
    pending: Option<FieldKind>,
    /// The line's last part number, when no revision followed it: a revision starting the
    /// next line belongs to it.
    open_part: Option<String>,
    /// The serial each cell of the last table header names (`BOARD S/N` over a column of
    /// bare `12345-0001`), for the rows below it with as many cells.
    columns: Option<Vec<Option<FieldKind>>>,
}

/// Fields found in lines of text in reading order (a PDF page, an OCR'd label or page).
///
/// - A label (`Job No.:`, `Board S/N`, `Unit S/N`, `P/N`, `Rev`, `Flight status`, as configured)
///   names the value right after it on the same line; a label that ends a line names the value
///   that starts the next line (a label left of or above its value).
/// - Values with a prefix (serials, part numbers) are found anywhere; bare numbers only
///   after a label (and only then is a missing prefix added). Job numbers and revisions need
///   a label, except a revision right after a part number when it ends the line or a table
///   column (`PCA-1555-01 F2`, `PCA-1555-01   F2   Qty 1`).
/// - A revision belongs to the part number before it on its line, or to a part number ending
///   the line before (`part_of`). A board serial belongs to the one part number on its line;
///   in photos, to the one part code read in the same file.
/// - Flight markings (`EDU - NOT FOR FLIGHT`, `FLIGHT UNIT`) are found in what is left.
/// - Lines read by OCR (confidence under 1.0) get look-alike corrections where a label or a
///   prefix says which field a value is; text from a PDF's content stream is taken as read.
pub fn fields_in_lines(
    lines: &[TextLine],
    source: EvidenceKind,
    patterns: &CompiledPatterns,
) -> Vec<FieldValue> {
    let labels = Labels::new(patterns);
    let mut out = Vec::new();
    let mut carry = Carry::default();
    for line in lines {
        let chars: Vec<char> = line.text.chars().collect();
        let mut fielder = LineFielder {
            line,
            chars: if line.confidence < 1.0 {
                labels.unglue(&chars)
            } else {
                chars
            },
            source,
            patterns,
            labels: &labels,
            found: Vec::new(),
            last_part: None,
        };
        // A label ending a line names the next line only when that line is read with
        // confidence: on a photo, the next "line" is as likely a smudge read as `m`.
        if line.confidence < patterns.min_confidence() {
            carry.pending = None;
        }
        carry = fielder.run(carry);
        attribute_serials(&mut fielder.found, |_| true);
        out.extend(fielder.found);
    }
    if source == EvidenceKind::Photo {
        let mut files: Vec<String> = out.iter().map(|f| f.provenance.file.clone()).collect();
        files.sort_unstable();
        files.dedup();
        for file in files {
            attribute_serials(&mut out, |f| f.provenance.file == file);
        }
    }
    out
}

/// Gives board serials without a board the one part number among the values `in_scope`.
fn attribute_serials(values: &mut [FieldValue], in_scope: impl Fn(&FieldValue) -> bool) {
    let mut parts: Vec<&str> = values
        .iter()
        .filter(|f| f.kind == FieldKind::PartNumber && in_scope(f))
        .map(|f| f.value.value.as_str())
        .collect();
    parts.sort_unstable();
    parts.dedup();
    let [part] = parts.as_slice() else {
        return;
    };
    let part = (*part).to_owned();
    for value in values.iter_mut() {
        if value.kind == FieldKind::BoardSerial && value.part_of.is_none() && in_scope(value) {
            value.part_of = Some(part.clone());
        }
    }
}

struct LineFielder<'a> {
    line: &'a TextLine,
    chars: Vec<char>,
    source: EvidenceKind,
    patterns: &'a CompiledPatterns,
    labels: &'a Labels<'a>,
    found: Vec<FieldValue>,
    /// The part number most recently found on this line.
    last_part: Option<String>,
}

/// Field kinds found anywhere by their prefix.
const PREFIXED: [FieldKind; 3] = [
    FieldKind::BoardSerial,
    FieldKind::UnitSerial,
    FieldKind::PartNumber,
];

impl LineFielder<'_> {
    fn ocr(&self) -> bool {
        self.line.confidence < 1.0
    }

    fn run(&mut self, carry: Carry) -> Carry {
        // Labels anywhere on the line, longest first at each position, not overlapping.
        let mut labels: Vec<(usize, usize, FieldKind)> = Vec::new();
        let mut at = 0;
        while at < self.chars.len() {
            match self.labels.at(&self.chars, at) {
                Some((kind, end)) => {
                    labels.push((at, end, kind));
                    at = end;
                }
                None => at += 1,
            }
        }
        // A table row under a header naming a serial column: that cell is labelled by it.
        let cells = self.cells();
        let header = cells.len() >= 2 && !self.chars.iter().any(char::is_ascii_digit);
        let columns = if header {
            let named: Vec<Option<FieldKind>> = cells
                .iter()
                .map(|&(start, end)| {
                    self.labels
                        .naming_cell(&self.chars[start..end])
                        .filter(|kind| {
                            matches!(kind, FieldKind::BoardSerial | FieldKind::UnitSerial)
                        })
                })
                .collect();
            named.iter().any(Option::is_some).then_some(named)
        } else {
            carry.columns.filter(|named| named.len() == cells.len())
        };
        if !header && let Some(named) = &columns {
            for (&(start, end), kind) in cells.iter().zip(named) {
                let labelled = labels.iter().any(|l| (start..end).contains(&l.0));
                if let Some(kind) = kind
                    && start < end
                    && !labelled
                {
                    labels.push((start, start, *kind));
                }
            }
            labels.sort_by_key(|l| l.0);
        }
        // Segments: before the first label (named by the previous line's dangling label, if
        // any), then from each label to the next.
        let mut segments: Vec<(Option<FieldKind>, usize, usize)> = Vec::new();
        let first_end = labels.first().map_or(self.chars.len(), |l| l.0);
        segments.push((carry.pending, 0, first_end));
        for (index, &(_, end, kind)) in labels.iter().enumerate() {
            let next = labels.get(index + 1).map_or(self.chars.len(), |l| l.0);
            segments.push((Some(kind), end, next));
        }
        let mut open_part = carry.open_part;
        let mut pending = None;
        for (index, &(kind, start, end)) in segments.iter().enumerate() {
            let words = self.words(start, end, kind.is_some());
            if words.is_empty() {
                // A label with nothing after it names what starts the next line.
                if index + 1 == segments.len() && index > 0 {
                    pending = kind;
                }
                continue;
            }
            self.segment(kind, &words, &mut open_part);
        }
        let open_part = match self.found.last() {
            // A line with no value (a label alone, a blank) leaves the part number open.
            None => open_part,
            Some(last) if last.kind == FieldKind::PartNumber => self.last_part.clone(),
            Some(_) => None,
        };
        Carry {
            pending,
            open_part,
            columns,
        }
    }

    /// The line's tab-separated cells as trimmed character ranges (one cell for a line
    /// without tabs).
    fn cells(&self) -> Vec<(usize, usize)> {
        let tabs = self
            .chars
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == '\t')
            .map(|(at, _)| at);
        let mut cells = Vec::new();
        let mut start = 0;
        for stop in tabs.chain([self.chars.len()]) {
            let mut first = start;
            let mut end = stop;
            while first < end && self.chars[first].is_whitespace() {
                first += 1;
            }
            while end > first && self.chars[end - 1].is_whitespace() {
                end -= 1;
            }
            cells.push((first, end));
            start = stop + 1;
        }
        cells
    }

    /// The words of `start..end`, after the punctuation that follows a label.
    fn words(&self, start: usize, end: usize, after_label: bool) -> Vec<Word> {
        let mut at = start;
        if after_label {
            while at < end && is_label_punctuation(self.chars[at]) {
                at += 1;
            }
        }
        let trim = |c: char| matches!(c, '(' | ')' | '[' | ']' | '{' | '}' | ',' | ';' | ':');
        let mut words = Vec::new();
        while at < end {
            if self.chars[at].is_whitespace() {
                at += 1;
                continue;
            }
            let mut word_end = at;
            while word_end < end && !self.chars[word_end].is_whitespace() {
                word_end += 1;
                // OCR drops narrow spaces after punctuation: `NO.VGN-12345-0001` is two words.
                if self.glued_after(word_end, end) {
                    break;
                }
            }
            let mut start = at;
            let mut stop = word_end;
            while start < stop && trim(self.chars[start]) {
                start += 1;
            }
            while stop > start && (trim(self.chars[stop - 1]) || self.chars[stop - 1] == '.') {
                stop -= 1;
            }
            if start < stop {
                let gap: Vec<char> = self.chars[word_end..]
                    .iter()
                    .take_while(|c| c.is_whitespace())
                    .copied()
                    .collect();
                let line_end = word_end + gap.len() == self.chars.len();
                words.push(Word {
                    start,
                    end: stop,
                    column_gap_after: line_end || gap.len() >= 2 || gap.contains(&'\t'),
                });
            }
            at = word_end;
        }
        words
    }

    /// Whether a word ends at `at`: after a `.` or `:` between letters (`NO.VGN`, `REV:F2`),
    /// never inside a number (`1.5`).
    fn glued_after(&self, at: usize, end: usize) -> bool {
        at >= 2
            && at < end
            && matches!(self.chars[at - 1], '.' | ':')
            && self.chars[at - 2].is_alphabetic()
            && self.chars[at].is_alphabetic()
    }

    fn span(&self, words: &[Word], first: usize, count: usize) -> String {
        self.chars[words[first].start..words[first + count - 1].end]
            .iter()
            .collect()
    }

    fn emit(&mut self, kind: FieldKind, value: Normalised, part_of: Option<String>) {
        if kind == FieldKind::PartNumber {
            self.last_part = Some(value.value.clone());
        }
        self.found.push(FieldValue {
            kind,
            value,
            source: self.source,
            provenance: self.line.provenance.clone(),
            part_of,
        });
    }

    /// The longest span of words starting at `first` that reads as `kind`: as read first, then
    /// (OCR lines, when `may_correct`) with look-alike corrections.
    fn longest(
        &self,
        kind: FieldKind,
        words: &[Word],
        first: usize,
        labelled: bool,
        may_correct: impl Fn(&str) -> bool,
    ) -> Option<(usize, Normalised)> {
        let most = MAX_SPAN_WORDS.min(words.len() - first);
        let confidence = self.line.confidence;
        for count in (1..=most).rev() {
            let text = self.span(words, first, count);
            if let Some(found) = read(kind, &text, confidence, labelled, false, self.patterns) {
                return Some((count, found));
            }
        }
        if !self.ocr() {
            return None;
        }
        for count in (1..=most).rev() {
            let text = self.span(words, first, count);
            if may_correct(&text)
                && let Some(found) = read(kind, &text, confidence, labelled, true, self.patterns)
            {
                return Some((count, found));
            }
        }
        None
    }

    fn segment(&mut self, kind: Option<FieldKind>, words: &[Word], open_part: &mut Option<String>) {
        let mut used = vec![false; words.len()];
        let mut next = 0;
        match kind {
            Some(FieldKind::FlightStatus) => {
                let text = self.span(words, 0, words.len());
                if let Some(found) = normalise(FieldKind::FlightStatus, &text, true, self.patterns)
                {
                    let found = Normalised {
                        confidence: sane_confidence(self.line.confidence),
                        ..found
                    };
                    self.emit(FieldKind::FlightStatus, found, None);
                    return;
                }
            }
            Some(kind) => {
                if let Some((count, found)) = self.longest(kind, words, 0, true, |_| true) {
                    let part_of = match kind {
                        FieldKind::Revision => self.last_part.clone().or_else(|| open_part.take()),
                        _ => None,
                    };
                    self.emit(kind, found, part_of);
                    used[..count].fill(true);
                    next = count;
                }
            }
            None => {}
        }
        while next < words.len() {
            let Some((kind, count, found)) = self.prefixed_at(words, next) else {
                next += 1;
                continue;
            };
            self.emit(kind, found, None);
            used[next..next + count].fill(true);
            next += count;
            if kind == FieldKind::PartNumber && next < words.len() && words[next].column_gap_after {
                let text = self.span(words, next, 1);
                if let Some(found) = read(
                    FieldKind::Revision,
                    &text,
                    self.line.confidence,
                    false,
                    false,
                    self.patterns,
                ) {
                    let part = self.last_part.clone();
                    self.emit(FieldKind::Revision, found, part);
                    used[next] = true;
                    next += 1;
                }
            }
        }
        self.markings(words, &used);
    }

    /// A value found by its prefix at word `first`: the longest span of any prefixed kind.
    fn prefixed_at(&self, words: &[Word], first: usize) -> Option<(FieldKind, usize, Normalised)> {
        let most = MAX_SPAN_WORDS.min(words.len() - first);
        for count in (1..=most).rev() {
            let text = self.span(words, first, count);
            for kind in PREFIXED {
                if let Some(found) = read(
                    kind,
                    &text,
                    self.line.confidence,
                    false,
                    false,
                    self.patterns,
                ) {
                    return Some((kind, count, found));
                }
            }
        }
        if !self.ocr() {
            return None;
        }
        PREFIXED.into_iter().find_map(|kind| {
            let prefixes = &self.patterns.pattern(kind)?.prefixes;
            let starts_like = |text: &str| prefixes.iter().any(|p| starts_like(text, p));
            let (count, found) = self.longest(kind, words, first, false, starts_like)?;
            Some((kind, count, found))
        })
    }

    /// Flight markings among the words no other value took, one per run of such words; a
    /// column gap ends a run (`Reaction wheel controller<tab>FLIGHT` holds a marking).
    fn markings(&mut self, words: &[Word], used: &[bool]) {
        let mut start = 0;
        while start < words.len() {
            if used[start] {
                start += 1;
                continue;
            }
            let mut end = start + 1;
            while end < words.len() && !used[end] && !words[end - 1].column_gap_after {
                end += 1;
            }
            let text = self.span(words, start, end - start);
            if let Some(found) = normalise(FieldKind::FlightStatus, &text, false, self.patterns) {
                let found = Normalised {
                    confidence: sane_confidence(self.line.confidence),
                    ..found
                };
                self.emit(FieldKind::FlightStatus, found, None);
            }
            start = end;
        }
    }
}

/// Whether `text` starts with `prefix`, allowing look-alikes (`V6N` for `VGN`).
fn starts_like(text: &str, prefix: &str) -> bool {
    let mut chars = text.chars();
    prefix.chars().all(|wanted| {
        chars
            .next()
            .is_some_and(|c| upper(c) == wanted || lookalikes(c).contains(&wanted))
    })
}

/// Fields in the rows of a BOM. The column names the field, so a bare serial in the serial
/// column gets its prefix. A revision belongs to its row's part number (rows whose part number
/// is not one of the patterns', e.g. resistors, give no revision); a board serial belongs to
/// it too. A serial cell may hold several serials separated by `,` or `;`; a unit serial in the
/// serial column (`INF-1619`) is taken as a unit serial. Cells read by OCR (confidence under
/// 1.0) get look-alike corrections.
pub fn fields_in_bom(rows: &[BomRow], patterns: &CompiledPatterns) -> Vec<FieldValue> {
    let mut out = Vec::new();
    for row in rows {
        let value_of = |kind: FieldKind, cell: &TextLine, text: &str, labelled: bool| {
            read(
                kind,
                text,
                cell.confidence,
                labelled,
                cell.confidence < 1.0,
                patterns,
            )
        };
        let mut push =
            |kind: FieldKind, cell: &TextLine, value: Normalised, part_of: Option<String>| {
                out.push(FieldValue {
                    kind,
                    value,
                    source: EvidenceKind::Bom,
                    provenance: cell.provenance.clone(),
                    part_of,
                });
            };
        if let Some(cell) = row.cell(ColumnRole::Job)
            && let Some(value) = value_of(FieldKind::JobNumber, cell, &cell.text, true)
        {
            push(FieldKind::JobNumber, cell, value, None);
        }
        let part = row.cell(ColumnRole::PartNumber).and_then(|cell| {
            let value = value_of(FieldKind::PartNumber, cell, &cell.text, true)?;
            let part = value.value.clone();
            push(FieldKind::PartNumber, cell, value, None);
            Some(part)
        });
        if let (Some(cell), Some(part)) = (row.cell(ColumnRole::Revision), &part)
            && let Some(value) = value_of(FieldKind::Revision, cell, &cell.text, true)
        {
            push(FieldKind::Revision, cell, value, Some(part.clone()));
        }
        if let Some(cell) = row.cell(ColumnRole::Serial) {
            for piece in cell
                .text
                .split([',', ';', '\n'])
                .filter(|p| !p.trim().is_empty())
            {
                if let Some(value) = value_of(FieldKind::BoardSerial, cell, piece, true) {
                    push(FieldKind::BoardSerial, cell, value, part.clone());
                } else if let Some(value) = value_of(FieldKind::UnitSerial, cell, piece, false) {
                    push(FieldKind::UnitSerial, cell, value, None);
                }
            }
        }
        if let Some(cell) = row.cell(ColumnRole::UnitSerial)
            && let Some(value) = value_of(FieldKind::UnitSerial, cell, &cell.text, true)
        {
            push(FieldKind::UnitSerial, cell, value, None);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::crosscheck::evidence::Location;
    use crate::domain::crosscheck::fields::FieldPatterns;
    use crate::domain::crosscheck::test_support::{cell_at, line, page_at, patterns, photo_at};

    fn page_line(text: &str, index: u32) -> TextLine {
        line(text, 1.0, page_at("traveler.pdf", index))
    }

    fn photo_line(text: &str, confidence: f32, file: &str) -> TextLine {
        line(text, confidence, photo_at(file))
    }

    fn traveler(lines: &[&str]) -> Vec<FieldValue> {
        let lines: Vec<TextLine> = lines
            .iter()
            .enumerate()
            .map(|(i, text)| page_line(text, i as u32))
            .collect();
        fields_in_lines(&lines, EvidenceKind::Traveler, &patterns())
    }

    /// (kind, value, part_of) of each found field, in order.
    fn summary(found: &[FieldValue]) -> Vec<(FieldKind, String, Option<String>)> {
        found
            .iter()
            .map(|f| (f.kind, f.value.value.clone(), f.part_of.clone()))
            .collect()
    }

    fn entry(
        kind: FieldKind,
        value: &str,
        part_of: Option<&str>,
    ) -> (FieldKind, String, Option<String>) {
        (kind, value.to_owned(), part_of.map(str::to_owned))
    }

    #[test]
    fn a_value_glued_to_its_label_by_the_ocr_is_still_found() {
        let lines = [
            photo_line("SER NO.VGN-50922-2472", 0.97, "label.png"),
            photo_line("REV.F2 PCA-1555-01", 0.97, "label.png"),
            photo_line("QTY 1.5", 0.97, "label.png"),
        ];
        let found = fields_in_lines(&lines, EvidenceKind::Photo, &patterns());
        let board = found
            .iter()
            .find(|f| f.kind == FieldKind::BoardSerial)
            .unwrap();
        assert_eq!(board.value.value, "VGN-50922-2472");
        let revision = found
            .iter()
            .find(|f| f.kind == FieldKind::Revision)
            .unwrap();
        assert_eq!(revision.value.value, "F2");
    }

    #[test]
    fn vector_ocr_board_serial_is_corrected_with_lower_confidence() {
        let found = field_ocr(
            FieldKind::BoardSerial,
            &[("VGN-I2345-0O01".to_owned(), 0.95)],
            false,
            &patterns(),
        )
        .unwrap();
        assert_eq!(found.value, "VGN-12345-0001");
        assert_eq!(found.raw, "VGN-I2345-0O01");
        assert_eq!(
            found.corrections,
            [
                crate::domain::crosscheck::normalise::Correction {
                    at: 4,
                    from: 'I',
                    to: '1'
                },
                crate::domain::crosscheck::normalise::Correction {
                    at: 11,
                    from: 'O',
                    to: '0'
                },
            ]
        );
        assert!(
            (found.confidence - 0.95 * 0.81).abs() < 1e-6,
            "{}",
            found.confidence
        );
        assert!(!found.normalised);
    }

    #[test]
    fn corrections_happen_only_where_the_pattern_demands() {
        // The G of the prefix stays a letter, the 0s and 1s of the body stay digits; the
        // value matches as read, so nothing is corrected.
        let found = field_ocr(
            FieldKind::BoardSerial,
            &[("VGN-12345-0001".to_owned(), 0.9)],
            false,
            &patterns(),
        )
        .unwrap();
        assert!(found.corrections.is_empty());
        assert_eq!(found.confidence, 0.9);
        // A letter where the prefix demands one: 6 read for G.
        let found = field_ocr(
            FieldKind::BoardSerial,
            &[("V6N-12345-OOO1".to_owned(), 1.0)],
            false,
            &patterns(),
        );
        assert_eq!(found, None, "four corrections are too many");
        let found = field_ocr(
            FieldKind::PartNumber,
            &[("pca-l555-0l".to_owned(), 1.0)],
            false,
            &patterns(),
        )
        .unwrap();
        assert_eq!(found.value, "PCA-1555-01");
        assert_eq!(found.corrections.len(), 2);
        assert_eq!(found.corrections[0].from, 'l');
        assert!((found.confidence - 0.81).abs() < 1e-6);
        // Nothing to correct into a valid value.
        assert_eq!(
            field_ocr(
                FieldKind::UnitSerial,
                &[("INF-16X9".to_owned(), 0.9)],
                false,
                &patterns()
            ),
            None
        );
    }

    #[test]
    fn equally_likely_corrections_prove_nothing() {
        // A plant pattern where "O0O" becomes valid by correcting either end: ambiguous.
        let settings: FieldPatterns =
            toml::from_str("[job_number]\npattern = \"[0-9]{2}[A-Z]|[A-Z][0-9]{2}\"\n").unwrap();
        let patterns = settings.compile().unwrap();
        let read = |text: &str| {
            field_ocr(
                FieldKind::JobNumber,
                &[(text.to_owned(), 0.9)],
                true,
                &patterns,
            )
        };
        assert_eq!(read("O0O"), None);
        // One way only: corrected.
        assert_eq!(read("O0Q").unwrap().value, "00Q");
    }

    #[test]
    fn the_best_candidate_wins() {
        let candidates = [
            ("VGN-I2345-0001".to_owned(), 0.97),
            ("VGN-12345-0001".to_owned(), 0.90),
            ("garbage".to_owned(), 0.99),
        ];
        let found = field_ocr(FieldKind::BoardSerial, &candidates, false, &patterns()).unwrap();
        assert_eq!(found.raw, "VGN-12345-0001");
        assert_eq!(found.confidence, 0.90);
        assert!(found.corrections.is_empty());
    }

    #[test]
    fn traveler_header_lines() {
        let found = traveler(&[
            "TRAVELER  Job No.: 12345",
            "Assembly P/N: PCA-1555-01   Rev F2   Qty 1",
            "Board S/N: 12345-0001",
            "Unit S/N: 1619",
            "Flight status: FLIGHT",
        ]);
        assert_eq!(
            summary(&found),
            [
                entry(FieldKind::JobNumber, "12345", None),
                entry(FieldKind::PartNumber, "PCA-1555-01", None),
                entry(FieldKind::Revision, "F2", Some("PCA-1555-01")),
                entry(FieldKind::BoardSerial, "VGN-12345-0001", None),
                entry(FieldKind::UnitSerial, "INF-1619", None),
                entry(FieldKind::FlightStatus, "FLIGHT", None),
            ]
        );
        assert!(found[3].value.prefix_added);
        assert_eq!(found[3].value.raw, "12345-0001");
        assert_eq!(found[0].provenance.file, "traveler.pdf");
        assert_eq!(found[0].value.confidence, 1.0);
    }

    #[test]
    fn traveler_table_rows_give_part_numbers_with_revisions() {
        let found = traveler(&[
            "Part Number   Rev   Qty",
            "PCA-1555-01   F2   1",
            "DRW-2044-03 C",
            "PCA1555-02 IO BOARD",
            "JOB#12346",
        ]);
        assert_eq!(
            summary(&found),
            [
                entry(FieldKind::PartNumber, "PCA-1555-01", None),
                entry(FieldKind::Revision, "F2", Some("PCA-1555-01")),
                entry(FieldKind::PartNumber, "DRW-2044-03", None),
                entry(FieldKind::Revision, "C", Some("DRW-2044-03")),
                // "IO" is followed by a single space: a description, not a revision column.
                entry(FieldKind::PartNumber, "PCA-1555-02", None),
                entry(FieldKind::JobNumber, "12346", None),
            ]
        );
    }

    #[test]
    fn a_serial_column_header_names_the_bare_serials_below_it() {
        let found = traveler(&[
            "REF DES\tPART NUMBER\tBOARD S/N\tRECORDED BY\tDATE",
            "A1\tPCA-9754-03\tVGN-12624-0012\tSO\t04/10/24",
            "A3\tPCA-9904-09\t12624-0017\tJM\t04/11/24",
            // Another table: its header names no serial, so bare numbers stay bare.
            "ITEM\tPART NUMBER\tQTY\tREF DES",
            "1\tPCA-9754-03\t12624\tA1",
        ]);
        let serials: Vec<(String, Option<String>, bool)> = found
            .iter()
            .filter(|f| f.kind == FieldKind::BoardSerial)
            .map(|f| (f.value.value.clone(), f.part_of.clone(), f.value.normalised))
            .collect();
        assert_eq!(
            serials,
            [
                (
                    "VGN-12624-0012".to_owned(),
                    Some("PCA-9754-03".to_owned()),
                    false
                ),
                (
                    "VGN-12624-0017".to_owned(),
                    Some("PCA-9904-09".to_owned()),
                    true
                ),
            ]
        );
        // A row with other cells than the header is not read by its columns.
        let found = traveler(&["PART NUMBER\tBOARD S/N", "PCA-9754-03\t12624-0012\tSO"]);
        assert!(found.iter().all(|f| f.kind != FieldKind::BoardSerial));
    }

    #[test]
    fn labels_the_ocr_glued_to_their_values_are_read() {
        let lines = [
            photo_line("S/NVGN-70918-0034", 0.99, "board.png"),
            photo_line("UNIT S/NINF-6725", 0.99, "unit.png"),
            photo_line("PCA-5059-42Rev E", 0.99, "rev.png"),
            photo_line("PCA-4882-40 REVH8", 0.99, "glued.png"),
            photo_line("PCA-4815-10RevH1", 0.99, "both.png"),
        ];
        let found = fields_in_lines(&lines, EvidenceKind::Photo, &patterns());
        assert_eq!(
            summary(&found),
            [
                entry(FieldKind::BoardSerial, "VGN-70918-0034", None),
                entry(FieldKind::UnitSerial, "INF-6725", None),
                entry(FieldKind::PartNumber, "PCA-5059-42", None),
                entry(FieldKind::Revision, "E", Some("PCA-5059-42")),
                entry(FieldKind::PartNumber, "PCA-4882-40", None),
                entry(FieldKind::Revision, "H8", Some("PCA-4882-40")),
                entry(FieldKind::PartNumber, "PCA-4815-10", None),
                entry(FieldKind::Revision, "H1", Some("PCA-4815-10")),
            ]
        );
        let patterns = patterns();
        let labels = Labels::new(&patterns);
        for word in ["SNAP", "REVIEW", "SN12"] {
            let chars: Vec<char> = word.chars().collect();
            assert_eq!(labels.unglue(&chars), chars, "{word}");
        }
    }

    #[test]
    fn a_dangling_label_does_not_take_a_smudge_on_the_next_line() {
        let lines = [
            photo_line("PCA-5135-20 REV.", 0.98, "label.png"),
            photo_line("m", 0.66, "label.png"),
        ];
        let found = fields_in_lines(&lines, EvidenceKind::Photo, &patterns());
        assert_eq!(
            summary(&found),
            [entry(FieldKind::PartNumber, "PCA-5135-20", None)]
        );
        let lines = [
            photo_line("PCA-5135-20 REV.", 0.98, "label.png"),
            photo_line("B6", 0.97, "label.png"),
        ];
        let found = fields_in_lines(&lines, EvidenceKind::Photo, &patterns());
        assert_eq!(
            summary(&found),
            [
                entry(FieldKind::PartNumber, "PCA-5135-20", None),
                entry(FieldKind::Revision, "B6", Some("PCA-5135-20")),
            ]
        );
    }

    #[test]
    fn a_label_ending_a_line_names_the_next_line() {
        let found = traveler(&[
            "Board S/N",
            "12345-0002",
            "Job",
            "12345",
            "P/N PCA-1555-01",
            "Revision:",
            "F",
        ]);
        assert_eq!(
            summary(&found),
            [
                entry(FieldKind::BoardSerial, "VGN-12345-0002", None),
                entry(FieldKind::JobNumber, "12345", None),
                entry(FieldKind::PartNumber, "PCA-1555-01", None),
                entry(FieldKind::Revision, "F", Some("PCA-1555-01")),
            ]
        );
    }

    #[test]
    fn bare_numbers_in_free_text_are_not_fielded() {
        let found = traveler(&[
            "Step 4: torque 12345-0001 to 12 Nm, record 1619 and 12345",
            "Handle flight hardware with care",
        ]);
        assert!(found.is_empty(), "{:?}", summary(&found));
    }

    #[test]
    fn label_photo_lines() {
        let lines = [
            photo_line("S/N: VGN-12345-0001", 0.96, "label.jpg"),
            photo_line("PCA-1555-01 REV F2", 0.93, "label.jpg"),
            photo_line("EDU - NOT FOR FLIGHT", 0.91, "label.jpg"),
            photo_line("UNIT S/N INF-1619", 0.94, "unit.jpg"),
        ];
        let found = fields_in_lines(&lines, EvidenceKind::Photo, &patterns());
        assert_eq!(
            summary(&found),
            [
                // The serial is on the board whose part code the same photo shows.
                entry(
                    FieldKind::BoardSerial,
                    "VGN-12345-0001",
                    Some("PCA-1555-01")
                ),
                entry(FieldKind::PartNumber, "PCA-1555-01", None),
                entry(FieldKind::Revision, "F2", Some("PCA-1555-01")),
                entry(FieldKind::FlightStatus, "EDU", None),
                entry(FieldKind::UnitSerial, "INF-1619", None),
            ]
        );
        assert_eq!(found[0].value.confidence, 0.96);
        assert_eq!(found[3].value.raw, "EDU - NOT FOR FLIGHT");
        assert!(found.iter().all(|f| f.source == EvidenceKind::Photo));
        assert_eq!(found[4].provenance.file, "unit.jpg");
    }

    #[test]
    fn ocr_lines_are_corrected_where_a_label_or_prefix_names_the_field() {
        let lines = [
            photo_line("S/N VGN-I2345-0O01", 0.95, "a.jpg"),
            photo_line("V6N 12345 0002", 0.9, "a.jpg"),
            photo_line("Unit S/N l6I9", 0.9, "a.jpg"),
            // No label, no prefix: a bare number is never a field, corrected or not.
            photo_line("I2345-0001", 0.9, "a.jpg"),
        ];
        let found = fields_in_lines(&lines, EvidenceKind::Photo, &patterns());
        assert_eq!(
            summary(&found),
            [
                entry(FieldKind::BoardSerial, "VGN-12345-0001", None),
                entry(FieldKind::BoardSerial, "VGN-12345-0002", None),
                entry(FieldKind::UnitSerial, "INF-1619", None),
            ]
        );
        assert_eq!(found[0].value.corrections.len(), 2);
        assert!((found[0].value.confidence - 0.95 * 0.81).abs() < 1e-6);
        assert_eq!(found[1].value.corrections.len(), 1);
        assert!(found[1].value.normalised);
        assert_eq!(found[2].value.corrections.len(), 2);
        assert!(found[2].value.prefix_added);
    }

    #[test]
    fn pdf_text_is_never_corrected() {
        let found = traveler(&["S/N VGN-I2345-0O01"]);
        assert!(found.is_empty(), "{:?}", summary(&found));
    }

    fn cell(text: &str, row: u32, col: u32) -> TextLine {
        line(text, 1.0, cell_at("bom.xlsx", "As-built", row, col))
    }

    fn bom_row(row: u32, cells: &[(ColumnRole, &str)]) -> BomRow {
        BomRow {
            cells: cells
                .iter()
                .enumerate()
                .map(|(col, (role, text))| (*role, cell(text, row, col as u32 + 1)))
                .collect(),
        }
    }

    #[test]
    fn bom_rows_give_job_parts_revisions_and_serials() {
        use ColumnRole::*;
        let rows = [
            bom_row(
                2,
                &[
                    (Job, "12345"),
                    (PartNumber, "PCA1555-01"),
                    (Revision, "Rev F"),
                    (Serial, "12345-0001"),
                    (UnitSerial, "1619"),
                ],
            ),
            bom_row(
                3,
                &[
                    (Job, "12345"),
                    (PartNumber, "RC0603FR-0710KL"),
                    (Revision, "A"),
                    (Quantity, "4"),
                ],
            ),
            bom_row(
                4,
                &[
                    (Job, "12345"),
                    (PartNumber, "DRW-2044-03"),
                    (Revision, "C"),
                    (Serial, "VGN-12345-0002; INF-1620"),
                ],
            ),
        ];
        let found = fields_in_bom(&rows, &patterns());
        assert_eq!(
            summary(&found),
            [
                entry(FieldKind::JobNumber, "12345", None),
                entry(FieldKind::PartNumber, "PCA-1555-01", None),
                entry(FieldKind::Revision, "F", Some("PCA-1555-01")),
                entry(
                    FieldKind::BoardSerial,
                    "VGN-12345-0001",
                    Some("PCA-1555-01")
                ),
                entry(FieldKind::UnitSerial, "INF-1619", None),
                entry(FieldKind::JobNumber, "12345", None),
                entry(FieldKind::JobNumber, "12345", None),
                entry(FieldKind::PartNumber, "DRW-2044-03", None),
                entry(FieldKind::Revision, "C", Some("DRW-2044-03")),
                entry(
                    FieldKind::BoardSerial,
                    "VGN-12345-0002",
                    Some("DRW-2044-03")
                ),
                entry(FieldKind::UnitSerial, "INF-1620", None),
            ]
        );
        assert!(found[3].value.prefix_added);
        assert_eq!(
            found[3].provenance.at,
            Location::Cell {
                sheet: "As-built".to_owned(),
                row: 2,
                col: 4
            }
        );
    }

    #[test]
    fn configured_prefixes_and_labels_are_used_in_free_text() {
        let settings: FieldPatterns = toml::from_str(
            "[board_serial]\nprefixes = [\"VGN\", \"XBR\"]\n[job_number]\nlabels = [\"WORK ORDER\"]\n",
        )
        .unwrap();
        let patterns = settings.compile().unwrap();
        let lines = [
            page_line("Work order 12345  XBR-12345-0009", 0),
            page_line("Job 12346", 1),
        ];
        let found = fields_in_lines(&lines, EvidenceKind::Traveler, &patterns);
        assert_eq!(
            summary(&found),
            [
                entry(FieldKind::JobNumber, "12345", None),
                entry(FieldKind::BoardSerial, "XBR-12345-0009", None),
            ]
        );
    }

    #[test]
    fn field_values_serialise_with_provenance() {
        let found = traveler(&["Board S/N: 12345-0001"]);
        let json = serde_json::to_value(&found[0]).unwrap();
        assert_eq!(json["kind"], "board_serial");
        assert_eq!(json["source"], "traveler");
        assert_eq!(json["value"]["value"], "VGN-12345-0001");
        assert_eq!(json["provenance"]["at"]["kind"], "page");
        assert_eq!(json["part_of"], serde_json::Value::Null);
        let back: FieldValue = serde_json::from_value(json).unwrap();
        assert_eq!(back, found[0]);
    }
}
