//! Who is signed in, and when the user last touched the screen. Written by the store-writer
//! (sign-in, sign-out, idle), read lock-free by the other workers and the UI.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;

use crate::domain::{Actor, Permission};

pub struct Session {
    actor: ArcSwapOption<Actor>,
    epoch: Instant,
    last_activity_ms: AtomicU64,
}

impl Session {
    pub fn new() -> Self {
        Self {
            actor: ArcSwapOption::empty(),
            epoch: Instant::now(),
            last_activity_ms: AtomicU64::new(0),
        }
    }

    pub fn actor(&self) -> Option<Arc<Actor>> {
        self.actor.load_full()
    }

    pub(super) fn set(&self, actor: Option<Actor>) {
        self.actor.store(actor.map(Arc::new));
        self.touch();
    }

    /// Records user input now.
    pub fn touch(&self) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_activity_ms.store(ms, Ordering::Relaxed);
    }

    pub fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_activity_ms.load(Ordering::Relaxed));
        self.epoch.elapsed().saturating_sub(last)
    }

    /// The signed-in actor if it holds `permission`.
    pub fn allows(&self, permission: Permission) -> Result<Arc<Actor>, Option<Arc<Actor>>> {
        match self.actor() {
            Some(actor) if actor.may(permission) => Ok(actor),
            other => Err(other),
        }
    }
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}
