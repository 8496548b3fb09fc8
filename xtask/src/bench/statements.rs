//! The signed-in pages' statements as the app prepares them, taken from the query cache sqlx
//! keeps in `.sqlx/` (so they cannot drift from the code), written as pgbench scripts: what each
//! page costs the database alone, the ceiling its figure stands next to.

use std::{fs, path::Path};

use anyhow::{bail, Context, Result};

/// A statement of the app, told apart from every other by a piece of its text, and the pgbench
/// variables its parameters `$1`, `$2`, … are bound to.
pub struct Statement {
    pub marker: &'static str,
    pub parameters: &'static [&'static str],
}

/// Loading a session with its account (`backend::auth::session_store`): `:session`, `:now`.
pub const SESSION: Statement = Statement {
    marker: "FROM tower_sessions.session s",
    parameters: &["session", "now"],
};

/// What `/dashboard` reads (`backend::billing::overview::standing`): `:user`, `:now`,
/// `:holding` (the statuses that hold a plan).
pub const STANDING: Statement = Statement {
    marker: r#"AS "bought!""#,
    parameters: &["user", "now", "holding"],
};

/// What `/account` reads (`backend::billing::overview::account`): `:user`, `:now`.
pub const ACCOUNT: Statement = Statement {
    marker: r#"AS "has_customer!""#,
    parameters: &["user", "now"],
};

/// Writes `file`: `statements` in order, one pgbench transaction.
pub fn script(root: &Path, statements: &[Statement], file: &Path) -> Result<()> {
    let mut script = String::from("-- Written by `cargo xtask bench` from .sqlx/.\n");
    for statement in statements {
        let mut sql = find(root, statement.marker)?;
        // Highest first, so `$1` does not eat the start of `$10`.
        for (index, variable) in statement.parameters.iter().enumerate().rev() {
            sql = sql.replace(&format!("${}", index + 1), &format!(":{variable}"));
        }
        script.push_str(sql.trim());
        script.push_str(";\n");
    }
    fs::write(file, script).with_context(|| format!("writing {}", file.display()))
}

/// The one cached query whose text contains `marker`.
fn find(root: &Path, marker: &str) -> Result<String> {
    let mut found = Vec::new();
    for entry in fs::read_dir(root.join(".sqlx")).context("reading .sqlx/")? {
        let path = entry?.path();
        let text = fs::read_to_string(&path)?;
        let cached: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
        if let Some(query) = cached["query"].as_str().filter(|q| q.contains(marker)) {
            found.push(query.to_owned());
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        n => bail!("{n} statements in .sqlx/ contain {marker:?}; expected one"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_signed_in_page_statement_is_found_in_the_query_cache_with_its_parameters_named() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let file = std::env::temp_dir().join(format!("tollgate-bench-{}.sql", std::process::id()));

        script(root, &[SESSION, STANDING, ACCOUNT], &file).unwrap();
        let written = fs::read_to_string(&file).unwrap();
        fs::remove_file(&file).unwrap();

        assert_eq!(written.matches(";\n").count(), 3, "{written}");
        assert!(!written.contains('$'), "{written}");
        for variable in [":session", ":user", ":now", ":holding"] {
            assert!(written.contains(variable), "{variable} in {written}");
        }
    }
}
