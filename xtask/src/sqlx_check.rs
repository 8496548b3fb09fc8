//! The check that the committed `.sqlx/` (the query data offline builds compile against) matches
//! the queries and the migrated schema, made inside the test build. The query macros run online
//! against a freshly migrated database and write what they found to `target/sqlx-check/`, which
//! is then compared with `.sqlx/` the way `cargo sqlx prepare --check` compares — without the
//! separate `cargo check` of every dependency that command runs.

use std::{
    collections::BTreeSet,
    fs,
    path::{Path, PathBuf},
    process::Command,
    time::SystemTime,
};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::step::{self, note};

/// Where the build writes the query data it found.
const CHECK_DIR: &str = "target/sqlx-check";

/// A check in progress: the output folder is empty and the crates with queries will recompile.
pub struct SqlxCheck {
    root: PathBuf,
    dir: PathBuf,
    database_url: String,
}

impl SqlxCheck {
    /// Empties the output folder and marks the sources of every workspace crate that uses sqlx
    /// as changed, so their query macros run in the coming build (what `cargo sqlx prepare`
    /// does too). `database_url` must point at a freshly migrated database.
    pub fn start(root: &Path, database_url: String) -> Result<Self> {
        let dir = root.join(CHECK_DIR);
        if dir.exists() {
            fs::remove_dir_all(&dir).with_context(|| format!("emptying {CHECK_DIR}"))?;
        }
        fs::create_dir_all(&dir).with_context(|| format!("creating {CHECK_DIR}"))?;
        for source in sources_using_sqlx(root)? {
            fs::File::options()
                .write(true)
                .open(&source)
                .and_then(|file| file.set_modified(SystemTime::now()))
                .with_context(|| format!("marking {} as changed", source.display()))?;
        }
        Ok(Self {
            root: root.to_path_buf(),
            dir,
            database_url,
        })
    }

    /// Runs `command`'s query macros online against the migrated database, writing what they
    /// found into the check folder. The tests read the same `DATABASE_URL` as the server to
    /// create their own databases in, which any database on it serves for.
    pub fn apply<'a>(&self, command: &'a mut Command) -> &'a mut Command {
        command
            .env("SQLX_OFFLINE", "false")
            .env("DATABASE_URL", &self.database_url)
            .env("SQLX_OFFLINE_DIR", &self.dir)
    }

    /// Compares what the build found with `.sqlx/`: every query it found must be there with the
    /// same description; queries only in `.sqlx/` are named (unused, harmless).
    pub fn verify(&self) -> Result<()> {
        let committed = self.root.join(".sqlx");
        let found = query_files(&self.dir)?;
        let have = query_files(&committed)?;
        if found.is_empty() {
            bail!("the build wrote no query data into {CHECK_DIR}: were the query macros run?");
        }
        let missing: Vec<_> = found.difference(&have).collect();
        if !missing.is_empty() {
            bail!(
                ".sqlx/ lacks {} quer{} the code has ({}): run `cargo xtask prepare` and commit .sqlx/",
                missing.len(),
                if missing.len() == 1 { "y" } else { "ies" },
                join(&missing)
            );
        }
        let differing: Vec<_> = found
            .iter()
            .filter(|name| {
                read_json(&self.dir.join(name)).ok() != read_json(&committed.join(name)).ok()
            })
            .collect();
        if !differing.is_empty() {
            bail!(
                ".sqlx/ describes {} quer{} differently from the migrated schema ({}): run \
                 `cargo xtask prepare` and commit .sqlx/",
                differing.len(),
                if differing.len() == 1 { "y" } else { "ies" },
                join(&differing)
            );
        }
        let unused: Vec<_> = have.difference(&found).collect();
        if !unused.is_empty() {
            note(format!(
                "{} file(s) in .sqlx/ no query uses ({}); `cargo xtask prepare` removes them",
                unused.len(),
                join(&unused)
            ));
        }
        note(format!(
            ".sqlx/ matches all {} queries and the migrated schema",
            found.len()
        ));
        Ok(())
    }
}

/// The source roots (lib and bin targets) of workspace crates with a normal dependency on sqlx.
fn sources_using_sqlx(root: &Path) -> Result<Vec<PathBuf>> {
    let json = step::workspace_metadata(root)?;
    let metadata: Value = serde_json::from_str(&json).context("reading `cargo metadata`")?;
    Ok(sqlx_users(&metadata))
}

fn sqlx_users(metadata: &Value) -> Vec<PathBuf> {
    let packages = metadata["packages"].as_array().into_iter().flatten();
    packages
        .filter(|package| {
            package["dependencies"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|dep| dep["name"] == "sqlx" && dep["kind"].is_null())
        })
        .flat_map(|package| package["targets"].as_array().into_iter().flatten())
        .filter(|target| {
            target["kind"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|kind| kind == "lib" || kind == "bin")
        })
        .filter_map(|target| target["src_path"].as_str().map(PathBuf::from))
        .collect()
}

/// The `query-*.json` file names in `dir`.
fn query_files(dir: &Path) -> Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.starts_with("query-") && name.ends_with(".json") {
            names.insert(name);
        }
    }
    Ok(names)
}

fn read_json(path: &Path) -> Result<Value> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// The first few names, for a message.
fn join(names: &[&String]) -> String {
    let shown: Vec<&str> = names.iter().take(3).map(|name| name.as_str()).collect();
    let more = names.len().saturating_sub(shown.len());
    if more == 0 {
        shown.join(", ")
    } else {
        format!("{} and {more} more", shown.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder under the system's temporary folder, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let dir =
                std::env::temp_dir().join(format!("tollgate-sqlx-{name}-{}", std::process::id()));
            fs::create_dir_all(dir.join(".sqlx")).unwrap();
            fs::create_dir_all(dir.join(CHECK_DIR)).unwrap();
            Self(dir)
        }

        fn write(&self, folder: &str, name: &str, json: &str) {
            fs::write(self.0.join(folder).join(name), json).unwrap();
        }

        fn check(&self) -> SqlxCheck {
            SqlxCheck {
                root: self.0.clone(),
                dir: self.0.join(CHECK_DIR),
                database_url: String::new(),
            }
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn matching_data_passes_whatever_its_formatting() {
        let scratch = Scratch::new("same");
        scratch.write(
            ".sqlx",
            "query-a.json",
            r#"{"query": "SELECT 1", "nullable": [false]}"#,
        );
        scratch.write(
            CHECK_DIR,
            "query-a.json",
            "{\n  \"nullable\": [false],\n  \"query\": \"SELECT 1\"\n}",
        );

        scratch.check().verify().unwrap();
    }

    #[test]
    fn a_query_missing_from_sqlx_or_described_differently_fails_naming_it() {
        let scratch = Scratch::new("stale");
        scratch.write(".sqlx", "query-a.json", r#"{"nullable": [false]}"#);
        scratch.write(CHECK_DIR, "query-a.json", r#"{"nullable": [true]}"#);
        let error = scratch.check().verify().unwrap_err().to_string();
        assert!(
            error.contains("differently") && error.contains("query-a.json"),
            "{error}"
        );

        scratch.write(CHECK_DIR, "query-a.json", r#"{"nullable": [false]}"#);
        scratch.write(CHECK_DIR, "query-b.json", r#"{}"#);
        let error = scratch.check().verify().unwrap_err().to_string();
        assert!(
            error.contains("lacks 1 query") && error.contains("query-b.json"),
            "{error}"
        );
    }

    #[test]
    fn a_build_that_wrote_nothing_is_not_taken_for_a_pass() {
        let scratch = Scratch::new("empty");
        scratch.write(".sqlx", "query-a.json", "{}");

        assert!(scratch.check().verify().is_err());
    }

    #[test]
    fn the_crates_to_recompile_are_those_with_a_normal_dependency_on_sqlx() {
        let metadata = serde_json::json!({"packages": [
            {"dependencies": [{"name": "sqlx", "kind": null}],
             "targets": [{"kind": ["lib"], "src_path": "/w/backend/src/lib.rs"},
                         {"kind": ["test"], "src_path": "/w/backend/tests/t.rs"}]},
            {"dependencies": [{"name": "sqlx", "kind": "dev"}],
             "targets": [{"kind": ["bin"], "src_path": "/w/server/src/main.rs"}]},
        ]});

        assert_eq!(
            sqlx_users(&metadata),
            [PathBuf::from("/w/backend/src/lib.rs")]
        );
    }
}
