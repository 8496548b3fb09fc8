//! The optional state file: the whole world as JSON, written atomically after each change and
//! read back at start, so a restarted emulator keeps its catalog, customers and subscriptions.

use std::path::Path;

use anyhow::Context;

use crate::world::World;

/// Reads saved state; `None` when the file does not exist yet.
pub fn load(path: &Path) -> anyhow::Result<Option<World>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).with_context(|| {
            format!(
                "{} is not an emulator state file; move it away to start fresh",
                path.display()
            )
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("could not read {}", path.display())),
    }
}

/// Serializes the world (under the lock, so the snapshot is consistent).
pub fn snapshot(world: &World) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(world)
}

/// Writes a snapshot atomically: a temporary file beside the target, then a rename.
pub fn save(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path)
}
