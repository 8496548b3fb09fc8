//! Waiting in memory, not in Postgres: requests of one user that must take turns (creating their
//! Stripe customer) queue here first, so only one of them at a time holds a pooled connection
//! while it waits on the database lock and on Stripe. Without it, a burst of one user's clicks
//! while Stripe is slow held every connection of the pool, and every other user's page failed.
//! The database's advisory lock still orders replicas; this orders one replica's requests.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use tokio::sync::OwnedMutexGuard;

/// One async mutex per key, kept only while someone holds or waits for it.
#[derive(Debug, Default)]
pub struct Turns {
    keys: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// A held turn; the next waiter goes when it is dropped.
pub struct Turn {
    key: String,
    turns: Arc<Turns>,
    guard: Option<OwnedMutexGuard<()>>,
}

impl Turns {
    /// Waits for `key`'s turn.
    pub async fn take(self: &Arc<Self>, key: String) -> Turn {
        let mutex = self.lock_keys().entry(key.clone()).or_default().clone();
        let guard = mutex.lock_owned().await;
        Turn {
            key,
            turns: self.clone(),
            guard: Some(guard),
        }
    }

    fn lock_keys(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<tokio::sync::Mutex<()>>>> {
        self.keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many keys are held or waited for (tests: none are kept once all turns ended).
    pub fn len(&self) -> usize {
        self.lock_keys().len()
    }

    /// Whether no key is held or waited for.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut keys = self.turns.lock_keys();
        // Forget the key unless someone else holds or waits for it (they hold a clone).
        if keys
            .get(&self.key)
            .is_some_and(|mutex| Arc::strong_count(mutex) == 1)
        {
            keys.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn turns_of_one_key_never_overlap_and_no_key_is_kept_afterwards() {
        let turns = Arc::new(Turns::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (turns, inside, most) = (turns.clone(), inside.clone(), most.clone());
                tokio::spawn(async move {
                    let _turn = turns.take("user-1".to_owned()).await;
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1, "one at a time");
        assert!(turns.is_empty(), "nothing left behind");
    }

    #[tokio::test]
    async fn different_keys_do_not_wait_for_each_other() {
        let turns = Arc::new(Turns::default());
        let _first = turns.take("user-1".to_owned()).await;
        let second = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            turns.take("user-2".to_owned()),
        )
        .await;
        assert!(
            second.is_ok(),
            "user-2 got its turn while user-1 held theirs"
        );
    }
}
