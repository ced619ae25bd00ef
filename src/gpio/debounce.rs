//! Debouncing a contact: a level counts once it has held for the debounce window. A contact
//! that bounces for a few milliseconds when a part arrives gives one edge, and the edge is
//! dated at the first change (when the part actually arrived), which is what the trigger's
//! frame selection needs.

use std::time::{Duration, Instant};

/// A debounced change of level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// The new, stable level.
    pub active: bool,
    /// When the line first moved towards it.
    pub at: Instant,
}

/// A change under way (towards the opposite of the stable level): when the line first moved,
/// and the current run of the new level (`Err`: since when it has been back, bouncing).
#[derive(Debug, Clone, Copy)]
struct Move {
    first: Instant,
    run: Result<Instant, Instant>,
}

/// One input's debouncer.
#[derive(Debug, Clone)]
pub struct Debouncer {
    window: Duration,
    stable: bool,
    moving: Option<Move>,
}

impl Debouncer {
    pub fn new(window: Duration, initial: bool) -> Self {
        Self {
            window,
            stable: initial,
            moving: None,
        }
    }

    pub fn stable(&self) -> bool {
        self.stable
    }

    /// Feeds one sample; returns an edge once a new level has held for the window.
    pub fn sample(&mut self, raw: bool, now: Instant) -> Option<Edge> {
        if raw == self.stable {
            // A bounce back. The move stays open (its first change is when the part arrived)
            // unless the line stays back for a whole window: then it was a glitch.
            if let Some(step) = &mut self.moving {
                match step.run {
                    Ok(_) => step.run = Err(now),
                    Err(back) if now.duration_since(back) >= self.window => self.moving = None,
                    Err(_) => {}
                }
            }
            return None;
        }
        let step = self.moving.get_or_insert(Move {
            first: now,
            run: Ok(now),
        });
        let run_start = match step.run {
            Ok(start) => start,
            Err(_) => {
                step.run = Ok(now);
                now
            }
        };
        if now.duration_since(run_start) >= self.window {
            let first = step.first;
            self.stable = raw;
            self.moving = None;
            return Some(Edge {
                active: raw,
                at: first,
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_bouncing_press_gives_one_edge_dated_at_the_first_change() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(ms(10), false);
        // Bounce for 4 ms (samples every millisecond), then hold.
        let levels = [true, false, true, true, false, true];
        let mut edges = Vec::new();
        for (i, level) in levels.iter().enumerate() {
            edges.extend(d.sample(*level, t0 + ms(i as u64)));
        }
        for i in 6..30 {
            edges.extend(d.sample(true, t0 + ms(i)));
        }
        assert_eq!(edges.len(), 1, "{edges:?}");
        assert!(edges[0].active);
        assert_eq!(edges[0].at, t0, "dated at the first change");
        assert!(d.stable());
    }

    #[test]
    fn a_glitch_shorter_than_the_window_is_ignored_and_a_held_level_is_not() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(ms(10), false);
        for i in 0..5 {
            assert_eq!(d.sample(true, t0 + ms(i)), None);
        }
        for i in 5..40 {
            assert_eq!(
                d.sample(false, t0 + ms(i)),
                None,
                "a 5 ms glitch is not a part"
            );
        }
        // Held exactly the window: an edge.
        assert_eq!(d.sample(true, t0 + ms(40)), None);
        assert_eq!(d.sample(true, t0 + ms(49)), None);
        let edge = d.sample(true, t0 + ms(50)).expect("held 10 ms");
        assert_eq!(edge.at, t0 + ms(40));
        // And the release, also debounced.
        assert_eq!(d.sample(false, t0 + ms(60)), None);
        let release = d.sample(false, t0 + ms(70)).expect("released");
        assert!(!release.active);
    }
}
