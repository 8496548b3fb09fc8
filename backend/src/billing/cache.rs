//! The catalog held in memory, so rendering the pricing page does not touch the database.
//!
//! Whoever changes the catalog sends `NOTIFY catalog_changed` in the same transaction; every
//! replica [`listen`]s and drops its copy, and the next reader loads a fresh one. A generation
//! counter keeps a load that raced an invalidation from installing the stale result.

use std::{
    sync::{Arc, RwLock, Weak},
    time::Duration,
};

use secrecy::{ExposeSecret, SecretString};
use sqlx::{postgres::PgListener, PgPool};

use super::catalog::{self, Catalog, CHANGED_CHANNEL};

/// The cached catalog.
#[derive(Debug, Default)]
pub struct CatalogCache {
    inner: RwLock<Cached>,
}

#[derive(Debug, Default)]
struct Cached {
    generation: u64,
    catalog: Option<Arc<Catalog>>,
}

impl CatalogCache {
    /// The catalog, loaded from the database only when the cache is empty.
    pub async fn get(&self, db: &PgPool) -> Result<Arc<Catalog>, sqlx::Error> {
        let generation = {
            let cached = self.read();
            if let Some(catalog) = &cached.catalog {
                return Ok(catalog.clone());
            }
            cached.generation
        };
        let catalog = Arc::new(catalog::load(db).await?);
        let mut cached = self.inner.write().unwrap_or_else(|p| p.into_inner());
        if cached.generation == generation {
            cached.catalog = Some(catalog.clone());
        }
        Ok(catalog)
    }

    /// Which catalog this is: the number grows with every invalidation, so whatever was made
    /// from the catalog can be tagged with it and told apart when it changes.
    pub fn generation(&self) -> u64 {
        self.read().generation
    }

    /// Drops the cached catalog; the next [`CatalogCache::get`] reloads it.
    pub fn invalidate(&self) {
        let mut cached = self.inner.write().unwrap_or_else(|p| p.into_inner());
        cached.generation += 1;
        cached.catalog = None;
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Cached> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }
}

/// Invalidates `cache` whenever any replica announces a catalog change. Runs until the cache is
/// dropped; reconnects after losing the database, and invalidates then too (a notification may
/// have been missed while disconnected).
pub async fn listen(cache: Weak<CatalogCache>, database_url: SecretString) {
    loop {
        // Its own connection, not one of the pool's: it is held for good.
        match PgListener::connect(database_url.expose_secret()).await {
            Ok(mut listener) => {
                if let Err(error) = listener.listen(CHANGED_CHANNEL).await {
                    tracing::warn!(%error, "could not LISTEN for catalog changes");
                } else {
                    loop {
                        let Some(cache) = cache.upgrade() else { return };
                        // Anything may have changed before (or while) we were listening.
                        cache.invalidate();
                        drop(cache);
                        match listener.try_recv().await {
                            Ok(Some(_)) => continue,
                            // The connection dropped: reconnect and LISTEN again before the
                            // next invalidation, so no change falls into the gap.
                            Ok(None) => {
                                tracing::warn!("the catalog change listener lost its connection");
                                break;
                            }
                            Err(error) => {
                                tracing::warn!(%error, "lost the catalog change listener");
                                break;
                            }
                        }
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "could not connect the catalog change listener"),
        }
        if cache.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
