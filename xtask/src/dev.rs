//! `cargo xtask dev`: set up what is missing, then serve the app with live reload.

use std::{path::Path, process::Command};

use anyhow::Result;

use crate::{
    postgres::Postgres,
    step::{self, note, step},
    tools::{self, Needs},
};

/// The database the dev server uses in the local cluster.
const DEV_DATABASE: &str = "tollgate";

pub fn run(root: &Path) -> Result<()> {
    tools::ensure(root, Needs::Build)?;
    // Ctrl-C reaches cargo-leptos and us alike; we wait for it to exit, then clean up.
    ctrlc::set_handler(|| {}).expect("installing the Ctrl-C handler");

    let database = DatabaseUrl::resolve(root)?;
    let path = tools::path_with_npm_bins(root)?;
    println!("\n==> Serving on http://127.0.0.1:3000 (Ctrl-C stops everything this started)");
    note("the first build takes about 10 minutes on 2 cores; later rebuilds a few seconds");
    let result = step::run(
        Command::new("cargo")
            .args(["leptos", "watch"])
            .current_dir(root)
            .env("PATH", path)
            .env("DATABASE_URL", &database.url)
            // /dev/mailbox shows the mail the app would send (no SMTP server needed).
            .env("DEV_MODE", "true"),
    );
    database.stop();
    // cargo-leptos exits non-zero when interrupted; that is how dev normally ends.
    if let Err(error) = result {
        note(format!("cargo leptos watch ended: {error:#}"));
    }
    Ok(())
}

/// The dev database: `DATABASE_URL` from the environment or `.env` if set, else the local cluster.
struct DatabaseUrl {
    url: String,
    local: Option<Postgres>,
}

impl DatabaseUrl {
    fn resolve(root: &Path) -> Result<Self> {
        if let Ok(url) = std::env::var("DATABASE_URL") {
            note("using DATABASE_URL from the environment");
            return Ok(Self { url, local: None });
        }
        let from_dotenv = dotenvy::from_path_iter(root.join(".env"))
            .into_iter()
            .flatten()
            .flatten()
            .find_map(|(key, value)| (key == "DATABASE_URL").then_some(value));
        if let Some(url) = from_dotenv {
            note("using DATABASE_URL from .env");
            return Ok(Self { url, local: None });
        }
        step("Starting the local PostgreSQL cluster", || {
            let pg = Postgres::ensure(root)?;
            pg.create_database(DEV_DATABASE)?;
            note(format!("DATABASE_URL={}", pg.url(DEV_DATABASE)));
            Ok(Self {
                url: pg.url(DEV_DATABASE),
                local: Some(pg),
            })
        })
    }

    fn stop(&self) {
        if let Some(pg) = &self.local {
            pg.stop_if_started_here();
        }
    }
}
