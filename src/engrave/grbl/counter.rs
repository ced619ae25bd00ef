//! Character counting: the sender's model of GRBL's 128-byte receive buffer. A line is sent only
//! while the bytes sent and not yet acknowledged, plus its own, stay within the limit; each
//! `ok`/`error:` frees the oldest line's bytes. Real-time bytes never count.

use std::collections::VecDeque;

/// What a sender may keep in flight: one byte less than GRBL's 128-byte buffer.
pub const MAX_IN_FLIGHT_BYTES: usize = 127;

#[derive(Debug, Default)]
pub struct CharCounter {
    lengths: VecDeque<usize>,
    in_flight: usize,
    peak: usize,
}

impl CharCounter {
    /// True if a line of `bytes` (its `\n` included) may be sent now.
    pub fn fits(&self, bytes: usize) -> bool {
        self.in_flight + bytes <= MAX_IN_FLIGHT_BYTES
    }

    /// Records a line of `bytes` as sent.
    pub fn sent(&mut self, bytes: usize) {
        self.lengths.push_back(bytes);
        self.in_flight += bytes;
        self.peak = self.peak.max(self.in_flight);
    }

    /// Frees the oldest line on its `ok` or `error:`; false if nothing was in flight (a stray
    /// acknowledgement, which the caller reports).
    pub fn acknowledged(&mut self) -> bool {
        match self.lengths.pop_front() {
            Some(bytes) => {
                self.in_flight -= bytes;
                true
            }
            None => false,
        }
    }

    /// Forgets everything in flight (after a soft reset the controller has dropped it).
    pub fn clear(&mut self) {
        self.lengths.clear();
        self.in_flight = 0;
    }

    pub fn in_flight_bytes(&self) -> usize {
        self.in_flight
    }

    pub fn lines_in_flight(&self) -> usize {
        self.lengths.len()
    }

    /// The most bytes ever in flight.
    pub fn peak_bytes(&self) -> usize {
        self.peak
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_more_than_127_bytes_in_flight() {
        let mut counter = CharCounter::default();
        assert!(counter.fits(127) && !counter.fits(128));
        counter.sent(100);
        assert!(counter.fits(27) && !counter.fits(28));
        counter.sent(27);
        assert!(!counter.fits(1));
        assert!(counter.acknowledged());
        assert_eq!(counter.in_flight_bytes(), 27);
        assert_eq!(counter.lines_in_flight(), 1);
        assert!(counter.acknowledged());
        assert!(!counter.acknowledged(), "a stray ok frees nothing");
        assert_eq!(counter.peak_bytes(), 127);
        counter.sent(5);
        counter.clear();
        assert_eq!(
            (counter.in_flight_bytes(), counter.lines_in_flight()),
            (0, 0)
        );
    }
}
