//! The catalog held in memory, so rendering the pricing page does not touch the database.
//!
//! Whoever changes the catalog sends `NOTIFY catalog_changed` in the same transaction; every
//! replica hears it (`crate::announcements`) and drops its copy, and the next reader loads a
//! fresh one. A generation
//! counter keeps a load that raced an invalidation from installing the stale result.

use std::sync::{Arc, RwLock};

use sqlx::PgPool;

use super::catalog::{self, Catalog};

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
