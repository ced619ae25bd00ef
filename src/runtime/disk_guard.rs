//! The disk guard: whether the station may save images now. The health worker feeds it the
//! free space of the data directory's disk every few seconds; every place that writes an image
//! (porosity raw and overlay images, scan crops, mark images) asks `may_save_images` first, an
//! atomic load, never a syscall on the hot path. Below the configured minimum the station keeps
//! recording (inspections, scans, verifications) but skips the images, and resumes by itself
//! once space is back. It owns no thread and writes no file.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The default of `[storage] min_free_mb` (2 GiB).
pub const DEFAULT_MIN_FREE_MB: u64 = 2048;
/// `[storage] min_free_mb` counts binary megabytes.
pub const BYTES_PER_MB: u64 = 1024 * 1024;

/// What changed at an observation, for the log (each way logged once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskTransition {
    /// Free space fell below the minimum: images stop.
    Paused { free_bytes: u64 },
    /// Free space is back above the minimum (and its margin): images resume.
    Resumed { free_bytes: u64 },
}

/// Shared by the health worker (writes) and the image writers (read); cheap to clone.
#[derive(Debug, Clone)]
pub struct DiskGuard {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    min_free_bytes: u64,
    paused: AtomicBool,
    /// The last free space seen (`u64::MAX` before the first reading).
    free_bytes: AtomicU64,
}

impl DiskGuard {
    /// A guard that pauses images below `min_free_bytes` (0: never). Images are allowed until
    /// the first observation.
    pub fn new(min_free_bytes: u64) -> Self {
        Self {
            inner: Arc::new(Inner {
                min_free_bytes,
                paused: AtomicBool::new(false),
                free_bytes: AtomicU64::new(u64::MAX),
            }),
        }
    }

    /// A guard that never pauses (tools and tests that do not care).
    pub fn unlimited() -> Self {
        Self::new(0)
    }

    pub fn min_free_bytes(&self) -> u64 {
        self.inner.min_free_bytes
    }

    /// Whether an image may be written now.
    pub fn may_save_images(&self) -> bool {
        !self.inner.paused.load(Ordering::Relaxed)
    }

    /// Words for a record or a note whose image was skipped.
    pub fn paused_reason(&self) -> String {
        let free_bytes = self.inner.free_bytes.load(Ordering::Relaxed);
        format!(
            "images paused: {:.1} GB free on the data disk, below the {:.1} GB minimum",
            free_bytes as f64 / 1e9,
            self.inner.min_free_bytes as f64 / 1e9
        )
    }

    /// Hysteresis: once paused, resume only this far above the minimum, so a disk hovering at
    /// the limit does not flip on every image.
    fn resume_at_bytes(&self) -> u64 {
        let min = self.inner.min_free_bytes;
        min.saturating_add(min / 20)
    }

    /// Takes a reading of the free space; logs and returns the transition, if any.
    pub fn observe(&self, free_bytes: u64) -> Option<DiskTransition> {
        self.inner.free_bytes.store(free_bytes, Ordering::Relaxed);
        let was_paused = self.inner.paused.load(Ordering::Relaxed);
        let pause = if was_paused {
            free_bytes < self.resume_at_bytes()
        } else {
            free_bytes < self.inner.min_free_bytes
        };
        if pause == was_paused {
            return None;
        }
        self.inner.paused.store(pause, Ordering::Relaxed);
        let gb = |bytes: u64| bytes as f64 / 1e9;
        if pause {
            tracing::warn!(
                "disk almost full: {:.2} GB free, below the {:.2} GB minimum ([storage] \
                 min_free_mb); images are not saved until space is freed (records still are)",
                gb(free_bytes),
                gb(self.inner.min_free_bytes)
            );
            Some(DiskTransition::Paused { free_bytes })
        } else {
            tracing::info!(
                "disk space back: {:.2} GB free; saving images again",
                gb(free_bytes)
            );
            Some(DiskTransition::Resumed { free_bytes })
        }
    }

    /// Reads the free space of `dir`'s disk and observes it; the reading, or why it failed. A
    /// reading that failed leaves the state as it was (health reports the unreadable disk).
    pub fn sample(&self, dir: &Path) -> Result<u64, String> {
        let free_bytes = fs4::available_space(dir)
            .map_err(|err| format!("cannot read free space of {}: {err}", dir.display()))?;
        self.observe(free_bytes);
        Ok(free_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1_000_000;

    #[test]
    fn pauses_below_the_minimum_and_resumes_above_it_once_each_way() {
        let guard = DiskGuard::new(2_000 * MB);
        assert!(guard.may_save_images(), "allowed before the first reading");
        assert_eq!(guard.observe(5_000 * MB), None);
        assert!(guard.may_save_images());

        assert_eq!(
            guard.observe(1_900 * MB),
            Some(DiskTransition::Paused {
                free_bytes: 1_900 * MB
            })
        );
        assert!(!guard.may_save_images());
        // Still low: no second transition (logged once).
        assert_eq!(guard.observe(1_500 * MB), None);
        assert!(
            guard.paused_reason().contains("1.5 GB free"),
            "{}",
            guard.paused_reason()
        );
        // Just over the minimum is inside the margin: still paused.
        assert_eq!(guard.observe(2_050 * MB), None);
        assert!(!guard.may_save_images());
        // An unreadable disk changes nothing.
        let gone = tempfile::tempdir().unwrap().path().join("gone");
        assert!(guard.sample(&gone).is_err());
        assert!(!guard.may_save_images());

        assert_eq!(
            guard.observe(3_000 * MB),
            Some(DiskTransition::Resumed {
                free_bytes: 3_000 * MB
            })
        );
        assert!(guard.may_save_images());
        assert_eq!(guard.observe(3_100 * MB), None);
    }

    #[test]
    fn each_transition_is_logged_once() {
        #[derive(Clone, Default)]
        struct Buffer(Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let guard = DiskGuard::new(1_000 * MB);
        tracing::subscriber::with_default(subscriber, || {
            for free_mb in [5_000, 900, 800, 700, 1_010, 2_000, 3_000] {
                guard.observe(free_mb * MB);
            }
        });
        let log = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert_eq!(log.lines().count(), 2, "{log}");
        assert_eq!(log.matches("WARN").count(), 1, "{log}");
        assert!(log.contains("0.90 GB free"), "{log}");
        assert_eq!(log.matches("saving images again").count(), 1, "{log}");
        assert!(log.contains("2.00 GB free"), "{log}");
    }

    #[test]
    fn a_zero_minimum_never_pauses_and_a_real_disk_can_be_sampled() {
        let guard = DiskGuard::unlimited();
        assert_eq!(guard.observe(0), None);
        assert!(guard.may_save_images());
        let dir = tempfile::tempdir().unwrap();
        assert!(guard.sample(dir.path()).is_ok());
        let huge = DiskGuard::new(u64::MAX);
        huge.sample(dir.path()).unwrap();
        assert!(!huge.may_save_images());
    }
}
