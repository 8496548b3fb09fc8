//! Which sources changed, for `cargo xtask dev`'s rebuild loop. Each watched folder names what a
//! change in it rebuilds; the folders are polled (a few hundred files, a few times a second), so
//! the loop needs no file-notification library and works the same on every file system.

use std::{
    collections::HashMap,
    fs,
    path::{Path, PathBuf},
    time::SystemTime,
};

/// What has to be rebuilt.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rebuild {
    /// The server and the emulator (one cargo build).
    pub host: bool,
    /// The browser bundle.
    pub wasm: bool,
    /// The stylesheet.
    pub style: bool,
    /// The static files.
    pub assets: bool,
}

impl Rebuild {
    /// Whether anything has to be rebuilt.
    pub fn any(self) -> bool {
        self.host || self.wasm || self.style || self.assets
    }

    /// Adds what `other` rebuilds.
    pub fn add(&mut self, other: Self) {
        self.host |= other.host;
        self.wasm |= other.wasm;
        self.style |= other.style;
        self.assets |= other.assets;
    }
}

/// The first build: everything.
pub const EVERYTHING: Rebuild = Rebuild {
    host: true,
    wasm: true,
    style: true,
    assets: true,
};
const HOST: Rebuild = Rebuild {
    host: true,
    wasm: false,
    style: false,
    assets: false,
};
const BOTH: Rebuild = Rebuild {
    host: true,
    wasm: true,
    style: false,
    assets: false,
};
const WASM: Rebuild = Rebuild {
    host: false,
    wasm: true,
    style: false,
    assets: false,
};
const STYLE: Rebuild = Rebuild {
    host: false,
    wasm: false,
    style: true,
    assets: false,
};
const ASSETS: Rebuild = Rebuild {
    host: false,
    wasm: false,
    style: false,
    assets: true,
};

/// The watched paths (relative to the workspace root) and what a change in each rebuilds.
/// `app/` is compiled into both halves.
const WATCHED: &[(&str, Rebuild)] = &[
    ("Cargo.toml", BOTH),
    ("Cargo.lock", BOTH),
    ("app", BOTH),
    ("frontend", WASM),
    ("server", HOST),
    ("backend", HOST),
    ("migrations", HOST),
    (".sqlx", HOST),
    ("stripe-emulator/src", HOST),
    ("stripe-emulator/Cargo.toml", HOST),
    ("style", STYLE),
    ("public", ASSETS),
];

/// Folders never looked into.
const SKIPPED: &[&str] = &["target", "node_modules", ".git"];

/// The last seen state of every watched file.
pub struct Watcher {
    root: PathBuf,
    seen: HashMap<PathBuf, SystemTime>,
}

impl Watcher {
    /// Takes the current state as the starting point.
    pub fn new(root: &Path) -> Self {
        let mut watcher = Self {
            root: root.to_path_buf(),
            seen: HashMap::new(),
        };
        watcher.changes();
        watcher
    }

    /// What changed (a file added, edited or removed) since the last call.
    pub fn changes(&mut self) -> Rebuild {
        let mut now = HashMap::new();
        let mut rebuild = Rebuild::default();
        for (path, kind) in WATCHED {
            let mut files = Vec::new();
            collect(&self.root.join(path), &mut files);
            for (file, modified) in files {
                if self.seen.get(&file) != Some(&modified) {
                    rebuild.add(*kind);
                }
                now.insert(file, modified);
            }
        }
        for gone in self.seen.keys().filter(|file| !now.contains_key(*file)) {
            if let Some((_, kind)) = WATCHED
                .iter()
                .find(|(path, _)| gone.starts_with(self.root.join(path)))
            {
                rebuild.add(*kind);
            }
        }
        self.seen = now;
        rebuild
    }
}

/// Every file under `path` (or `path` itself) with its modification time.
fn collect(path: &Path, files: &mut Vec<(PathBuf, SystemTime)>) {
    let Ok(metadata) = fs::metadata(path) else {
        return;
    };
    if metadata.is_file() {
        if let Ok(modified) = metadata.modified() {
            files.push((path.to_path_buf(), modified));
        }
        return;
    }
    let Ok(entries) = fs::read_dir(path) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if SKIPPED.iter().any(|skip| name == *skip) {
            continue;
        }
        collect(&entry.path(), files);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A throwaway workspace with one file per watched kind.
    struct Workspace(PathBuf);

    impl Workspace {
        fn new(name: &str) -> Self {
            let root =
                std::env::temp_dir().join(format!("tollgate-watch-{name}-{}", std::process::id()));
            for dir in [
                "app/src",
                "server/src",
                "style",
                "public",
                "frontend/src",
                "target",
            ] {
                fs::create_dir_all(root.join(dir)).unwrap();
            }
            for file in [
                "app/src/lib.rs",
                "server/src/main.rs",
                "style/main.scss",
                "public/favicon.svg",
                "frontend/src/lib.rs",
            ] {
                fs::write(root.join(file), "first").unwrap();
            }
            Self(root)
        }

        /// Writes `file` with a modification time surely different from the last one.
        fn touch(&self, file: &str) {
            let path = self.0.join(file);
            fs::write(&path, "again").unwrap();
            let later = SystemTime::now() + std::time::Duration::from_secs(5);
            fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(later)
                .unwrap();
        }
    }

    impl Drop for Workspace {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn each_folder_rebuilds_what_it_feeds() {
        let workspace = Workspace::new("kinds");
        let mut watcher = Watcher::new(&workspace.0);
        assert_eq!(watcher.changes(), Rebuild::default());

        workspace.touch("style/main.scss");
        assert_eq!(watcher.changes(), STYLE);

        workspace.touch("server/src/main.rs");
        assert_eq!(watcher.changes(), HOST);

        workspace.touch("app/src/lib.rs");
        workspace.touch("public/favicon.svg");
        assert_eq!(
            watcher.changes(),
            Rebuild {
                assets: true,
                ..BOTH
            }
        );

        workspace.touch("frontend/src/lib.rs");
        assert_eq!(watcher.changes(), WASM);
        assert!(!watcher.changes().any());
    }

    #[test]
    fn added_and_removed_files_count_and_build_output_does_not() {
        let workspace = Workspace::new("files");
        let mut watcher = Watcher::new(&workspace.0);

        fs::write(workspace.0.join("app/src/new.rs"), "").unwrap();
        assert_eq!(watcher.changes(), BOTH);

        fs::remove_file(workspace.0.join("style/main.scss")).unwrap();
        assert_eq!(watcher.changes(), STYLE);

        fs::write(workspace.0.join("target/out.rs"), "").unwrap();
        fs::create_dir_all(workspace.0.join("server/target")).unwrap();
        fs::write(workspace.0.join("server/target/x"), "").unwrap();
        assert_eq!(watcher.changes(), Rebuild::default());
    }
}
