//! Reused pixel buffers for one source's frames: a 1080p RGBA frame is 8 MB, and allocating (and
//! the kernel zeroing) one per frame per camera costs more than filling it. A `FramePool` hands
//! out `PooledImage`s of its size; when the last holder of a frame drops it, the buffer goes back
//! to a bounded free list. The pool counts buffers allocated fresh and reused.
//!
//! Owns buffers only: it never blocks (the free list's lock is held for a push or a pop), never
//! waits for a buffer (an empty pool allocates), and keeps no more than its capacity (a buffer
//! returned to a full pool is freed).

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use image::RgbaImage;

use super::FrameSize;

/// Buffers kept beyond a ring's length: the latest-frame slot, the frame a viewer is drawing,
/// frames waiting in the vision queue (8 at most, shared by all cameras) and those in vision
/// workers' hands. Measured with `bench vision`: 4 spares left a third of the frames allocating
/// fresh once the vision queue was fed. Buffers are only allocated when needed; this bounds how
/// many are kept.
pub const POOL_SPARE_BUFFERS: usize = 14;

/// A copy of a pool's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Buffers handed out that had to be allocated (the pool was empty).
    pub fresh: u64,
    /// Buffers handed out from the free list.
    pub reused: u64,
    /// Buffers returned to a full pool and freed.
    pub discarded: u64,
    /// Buffers waiting in the free list now.
    pub free_now: usize,
}

struct Shared {
    size: FrameSize,
    capacity: usize,
    free: Mutex<Vec<Vec<u8>>>,
    fresh: AtomicU64,
    reused: AtomicU64,
    discarded: AtomicU64,
}

impl Shared {
    fn byte_len(&self) -> usize {
        self.size.pixel_count() * 4
    }

    fn give_back(&self, buffer: Vec<u8>) {
        if buffer.len() != self.byte_len() {
            return;
        }
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        if free.len() < self.capacity {
            free.push(buffer);
        } else {
            drop(free);
            self.discarded.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The buffers of one source's frames, all of one size. Cloning shares the pool.
#[derive(Clone)]
pub struct FramePool {
    shared: Arc<Shared>,
}

impl fmt::Debug for FramePool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FramePool")
            .field("size", &self.shared.size)
            .field("capacity", &self.shared.capacity)
            .field("stats", &self.stats())
            .finish()
    }
}

impl FramePool {
    /// A pool of `size` frames that keeps at most `capacity` free buffers (at least 1).
    pub fn new(size: FrameSize, capacity: usize) -> Self {
        Self {
            shared: Arc::new(Shared {
                size,
                capacity: capacity.max(1),
                free: Mutex::new(Vec::new()),
                fresh: AtomicU64::new(0),
                reused: AtomicU64::new(0),
                discarded: AtomicU64::new(0),
            }),
        }
    }

    /// A pool sized for a source at `fps` whose frames are kept in a ring of about one second.
    pub fn for_stream(size: FrameSize, fps: f32) -> Self {
        Self::new(
            size,
            super::ring::ring_capacity(fps, super::ring::RING_SPAN) + POOL_SPARE_BUFFERS,
        )
    }

    pub fn size(&self) -> FrameSize {
        self.shared.size
    }

    pub fn capacity(&self) -> usize {
        self.shared.capacity
    }

    /// A buffer of the pool's size. Its pixels are whatever the previous frame left: the caller
    /// writes every pixel.
    pub fn take(&self) -> PooledImage {
        let shared = &self.shared;
        let reused = shared
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let (buffer, fresh) = match reused {
            Some(buffer) => {
                shared.reused.fetch_add(1, Ordering::Relaxed);
                (buffer, false)
            }
            None => {
                shared.fresh.fetch_add(1, Ordering::Relaxed);
                (vec![0; shared.byte_len()], true)
            }
        };
        let image = RgbaImage::from_raw(shared.size.width_px, shared.size.height_px, buffer)
            // Unreachable: every buffer in the free list has the pool's byte length.
            .unwrap_or_else(|| RgbaImage::new(shared.size.width_px, shared.size.height_px));
        PooledImage {
            image,
            home: Arc::downgrade(shared),
            fresh,
        }
    }

    pub fn stats(&self) -> PoolStats {
        let shared = &self.shared;
        PoolStats {
            fresh: shared.fresh.load(Ordering::Relaxed),
            reused: shared.reused.load(Ordering::Relaxed),
            discarded: shared.discarded.load(Ordering::Relaxed),
            free_now: shared
                .free
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .len(),
        }
    }
}

/// A frame's pixels, read as an `RgbaImage`. Dropping it returns the buffer to the pool it came
/// from (if that pool still exists); an image made with `From<RgbaImage>` belongs to no pool.
pub struct PooledImage {
    image: RgbaImage,
    home: Weak<Shared>,
    fresh: bool,
}

impl PooledImage {
    /// True if the buffer was allocated for this frame rather than reused (also for an image
    /// that belongs to no pool).
    pub fn was_fresh(&self) -> bool {
        self.fresh
    }
}

impl From<RgbaImage> for PooledImage {
    fn from(image: RgbaImage) -> Self {
        Self {
            image,
            home: Weak::new(),
            fresh: true,
        }
    }
}

impl Deref for PooledImage {
    type Target = RgbaImage;

    fn deref(&self) -> &RgbaImage {
        &self.image
    }
}

impl DerefMut for PooledImage {
    fn deref_mut(&mut self) -> &mut RgbaImage {
        &mut self.image
    }
}

/// A copy belongs to no pool: it is a fresh allocation the pool does not count.
impl Clone for PooledImage {
    fn clone(&self) -> Self {
        Self::from(self.image.clone())
    }
}

impl fmt::Debug for PooledImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledImage")
            .field("width_px", &self.image.width())
            .field("height_px", &self.image.height())
            .field("pooled", &(self.home.strong_count() > 0))
            .finish()
    }
}

impl Drop for PooledImage {
    fn drop(&mut self) {
        if let Some(home) = self.home.upgrade() {
            let image = std::mem::take(&mut self.image);
            home.give_back(image.into_raw());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZE: FrameSize = FrameSize::new(4, 3);

    #[test]
    fn a_returned_buffer_is_handed_out_again() {
        let pool = FramePool::new(SIZE, 2);
        let first = pool.take();
        assert!(first.was_fresh());
        assert_eq!(first.dimensions(), (4, 3));
        let address = first.as_raw().as_ptr();
        drop(first);
        assert_eq!(pool.stats().free_now, 1);
        let second = pool.take();
        assert!(!second.was_fresh());
        assert_eq!(second.as_raw().as_ptr(), address, "the same allocation");
        let stats = pool.stats();
        assert_eq!((stats.fresh, stats.reused, stats.free_now), (1, 1, 0));
    }

    #[test]
    fn an_empty_pool_allocates_and_a_full_one_frees() {
        let pool = FramePool::new(SIZE, 2);
        let held: Vec<PooledImage> = (0..5).map(|_| pool.take()).collect();
        assert_eq!(pool.stats().fresh, 5, "never waits for a buffer");
        drop(held);
        let stats = pool.stats();
        assert_eq!(stats.free_now, 2, "bounded");
        assert_eq!(stats.discarded, 3);
        let _a = pool.take();
        let _b = pool.take();
        let _c = pool.take();
        let stats = pool.stats();
        assert_eq!((stats.fresh, stats.reused), (6, 2));
    }

    #[test]
    fn the_buffer_returns_when_the_last_frame_holder_drops() {
        let pool = FramePool::new(SIZE, 2);
        let shared = Arc::new(pool.take());
        let viewer = Arc::clone(&shared);
        drop(shared);
        assert_eq!(pool.stats().free_now, 0, "a viewer still holds it");
        drop(viewer);
        assert_eq!(pool.stats().free_now, 1);
    }

    #[test]
    fn images_outliving_their_pool_or_of_no_pool_are_just_freed() {
        let pool = FramePool::new(SIZE, 2);
        let orphan = pool.take();
        drop(pool);
        drop(orphan);
        let loose = PooledImage::from(RgbaImage::new(2, 2));
        assert!(loose.was_fresh());
        let copy = loose.clone();
        assert_eq!(copy.dimensions(), (2, 2));
    }
}
