//! A bounded queue that never blocks its producer: when full, the oldest item is dropped and
//! counted. Camera frames travel to workers this way — a late frame is worth less than a new one.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};

pub struct LossySender<T> {
    sender: Sender<T>,
    /// A receiver kept only to pull out the oldest item when the queue is full.
    oldest: Receiver<T>,
    dropped: Arc<AtomicU64>,
}

impl<T> Clone for LossySender<T> {
    fn clone(&self) -> Self {
        Self {
            sender: self.sender.clone(),
            oldest: self.oldest.clone(),
            dropped: Arc::clone(&self.dropped),
        }
    }
}

/// A queue of `capacity` items (at least 1); the counter counts dropped items.
pub fn lossy_queue<T>(capacity: usize) -> (LossySender<T>, Receiver<T>, Arc<AtomicU64>) {
    let (sender, receiver) = bounded(capacity.max(1));
    let dropped = Arc::new(AtomicU64::new(0));
    (
        LossySender {
            sender,
            oldest: receiver.clone(),
            dropped: Arc::clone(&dropped),
        },
        receiver,
        dropped,
    )
}

impl<T> LossySender<T> {
    /// Queues `item`, dropping the oldest queued items to make room; never blocks. (The sender
    /// holds a receiver of its own, so the queue stays open while any producer lives.)
    pub fn push(&self, mut item: T) {
        loop {
            match self.sender.try_send(item) {
                Ok(()) => return,
                Err(TrySendError::Disconnected(_)) => return,
                Err(TrySendError::Full(back)) => {
                    item = back;
                    if self.oldest.try_recv().is_ok() {
                        self.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_and_counts_the_rest() {
        let (sender, receiver, dropped) = lossy_queue(3);
        for value in 0..10 {
            sender.push(value);
        }
        assert_eq!(dropped.load(Ordering::Relaxed), 7);
        let kept: Vec<i32> = receiver.try_iter().collect();
        assert_eq!(kept, vec![7, 8, 9]);
    }
}
