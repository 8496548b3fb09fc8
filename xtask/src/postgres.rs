//! The project-local PostgreSQL cluster under `target/postgres`, used when `DATABASE_URL` is unset.
//!
//! It listens on 127.0.0.1 only, on its own port (never 5432, which another server may hold),
//! with trust authentication for the `tollgate` role. Postgres refuses to run as root, so as root
//! the cluster belongs to, and runs as, the `postgres` user (or `nobody`).

use std::{
    fs,
    net::TcpListener,
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{bail, Context, Result};

use crate::step::{self, note};

/// The role and database the app uses.
const ROLE: &str = "tollgate";
/// The port tried first; any free port is taken if it is busy.
const PREFERRED_PORT: u16 = 54329;

/// A running cluster.
pub struct Postgres {
    data: PathBuf,
    port: u16,
    run_as: Option<String>,
    /// Whether this process started it (and so should stop it).
    started_here: bool,
}

impl Postgres {
    /// Starts the cluster (creating it on first use), or reuses it if it is already running.
    pub fn ensure(root: &Path) -> Result<Self> {
        let dir = root.join("target/postgres");
        let data = dir.join("data");
        let run_as = step::is_root().then(unprivileged_user).transpose()?;

        if !data.join("PG_VERSION").exists() {
            note("creating a local cluster in target/postgres (one-time, a few seconds)");
            fs::create_dir_all(&data).context("creating target/postgres/data")?;
            chown(&dir, run_as.as_deref())?;
            step::run(
                as_user(run_as.as_deref(), "initdb")
                    .arg("--pgdata")
                    .arg(&data)
                    .args(["--username", ROLE, "--auth", "trust", "--encoding", "UTF8"])
                    .args(["--locale", "C.UTF-8", "--no-sync"])
                    .stdout(std::process::Stdio::null()),
            )?;
        }

        let mut pg = Self {
            data,
            port: 0,
            run_as,
            started_here: false,
        };
        if let Some(port) = pg.running_port() {
            pg.port = port;
            note(format!(
                "reusing the cluster already running on port {port}"
            ));
            return Ok(pg);
        }
        pg.port = free_port()?;
        pg.start()?;
        pg.started_here = true;
        Ok(pg)
    }

    /// The server's URL for `database` (its admin database is `postgres`).
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{ROLE}@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates `database` if it does not exist.
    pub fn create_database(&self, database: &str) -> Result<()> {
        let exists = self.psql(&format!(
            "SELECT 1 FROM pg_database WHERE datname = '{database}'"
        ))?;
        if exists.trim() != "1" {
            self.psql(&format!("CREATE DATABASE \"{database}\""))?;
        }
        Ok(())
    }

    /// Drops `database` (ending its connections) and creates it empty.
    pub fn recreate_database(&self, database: &str) -> Result<()> {
        self.psql(&format!(
            "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
        ))?;
        self.psql(&format!("CREATE DATABASE \"{database}\""))?;
        Ok(())
    }

    /// Drops every database whose name starts with `prefix` (left over from earlier test runs).
    pub fn drop_databases_like(&self, prefix: &str) -> Result<usize> {
        let names = self.psql(&format!(
            "SELECT datname FROM pg_database WHERE starts_with(datname, '{prefix}')"
        ))?;
        let names: Vec<&str> = names
            .lines()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect();
        for name in &names {
            self.psql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))?;
        }
        Ok(names.len())
    }

    /// Stops the cluster if this process started it.
    pub fn stop_if_started_here(&self) {
        if !self.started_here {
            return;
        }
        note("stopping the local PostgreSQL cluster");
        if !self.stop() {
            eprintln!("    warning: could not stop PostgreSQL; `pg_ctl stop -D target/postgres/data` will");
        }
    }

    /// Stops the running cluster, waits `seconds` and starts it again on the same port: the
    /// database restart `cargo xtask soak`'s outage test asks for (`cargo xtask pg-outage`).
    pub fn outage(root: &Path, seconds: u64) -> Result<()> {
        let pg = Self::ensure(root)?;
        note(format!("stopping PostgreSQL for {seconds} s"));
        if !pg.stop() {
            bail!("could not stop PostgreSQL");
        }
        std::thread::sleep(std::time::Duration::from_secs(seconds));
        pg.start()
    }

    /// `pg_ctl stop --mode fast`: every connection is ended. Whether it stopped.
    fn stop(&self) -> bool {
        step::status(
            as_user(self.run_as.as_deref(), "pg_ctl")
                .arg("stop")
                .arg("--pgdata")
                .arg(&self.data)
                .args(["--mode", "fast", "--silent"]),
        )
        .is_ok_and(|s| s.success())
    }

    fn start(&self) -> Result<()> {
        note(format!("starting PostgreSQL on 127.0.0.1:{}", self.port));
        let log = self
            .data
            .parent()
            .expect("data has a parent")
            .join("postgres.log");
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -c unix_socket_directories='' -c fsync=off",
            self.port
        );
        let mut start = as_user(self.run_as.as_deref(), "pg_ctl");
        start
            .arg("start")
            .arg("--pgdata")
            .arg(&self.data)
            .arg("--log")
            .arg(&log)
            .args(["--wait", "--silent", "-o", &options])
            // Its own process group: Ctrl-C in the terminal reaches us, and we stop it cleanly.
            .process_group(0);
        if !step::status(&mut start)?.success() {
            let tail = fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(10).collect();
            bail!(
                "PostgreSQL did not start; last lines of {}:\n{}",
                log.display(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        Ok(())
    }

    /// The port of the running cluster, from its `postmaster.pid`, if it is running.
    fn running_port(&self) -> Option<u16> {
        let running = step::status(
            as_user(self.run_as.as_deref(), "pg_ctl")
                .arg("status")
                .arg("--pgdata")
                .arg(&self.data)
                .stdout(std::process::Stdio::null()),
        )
        .is_ok_and(|s| s.success());
        if !running {
            return None;
        }
        // postmaster.pid: pid, data dir, start time, port, ...
        let pid_file = fs::read_to_string(self.data.join("postmaster.pid")).ok()?;
        pid_file.lines().nth(3)?.trim().parse().ok()
    }

    /// Runs one SQL statement against the `postgres` database; returns its unaligned output.
    fn psql(&self, sql: &str) -> Result<String> {
        self.query("postgres", sql)
    }

    /// Runs `sql` in `database` with psql; its rows, one per line, columns `|`-separated.
    pub fn query(&self, database: &str, sql: &str) -> Result<String> {
        let out = Command::new("psql")
            .arg(self.url(database))
            .args([
                "--no-psqlrc",
                "--tuples-only",
                "--no-align",
                "--quiet",
                "-v",
                "ON_ERROR_STOP=1",
            ])
            .args(["--command", sql])
            .output()
            .context("could not run psql (Debian: apt-get install postgresql-client)")?;
        if !out.status.success() {
            bail!(
                "psql `{sql}` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// A command run as `user` (through `runuser`) when we are root, else as ourselves.
fn as_user(user: Option<&str>, program: &str) -> Command {
    match user {
        Some(user) => {
            let mut command = Command::new("runuser");
            command.args(["-u", user, "--", program]);
            command
        }
        None => Command::new(program),
    }
}

/// The account a root-run cluster belongs to.
fn unprivileged_user() -> Result<String> {
    for user in ["postgres", "nobody"] {
        if step::status(
            Command::new("id")
                .arg(user)
                .stdout(std::process::Stdio::null()),
        )
        .is_ok_and(|s| s.success())
        {
            return Ok(user.to_owned());
        }
    }
    bail!("running as root, but there is neither a `postgres` nor a `nobody` user to run PostgreSQL as")
}

fn chown(dir: &Path, user: Option<&str>) -> Result<()> {
    if let Some(user) = user {
        step::run(
            Command::new("chown")
                .arg("-R")
                .arg(format!("{user}:"))
                .arg(dir),
        )?;
    }
    Ok(())
}

/// `PREFERRED_PORT` if it is free, else any free port.
fn free_port() -> Result<u16> {
    if TcpListener::bind(("127.0.0.1", PREFERRED_PORT)).is_ok() {
        return Ok(PREFERRED_PORT);
    }
    let listener = TcpListener::bind(("127.0.0.1", 0)).context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_preferred_port_is_passed_over_for_a_free_one() {
        // Hold the preferred port (or find it already held, e.g. by a running dev cluster).
        let _held = TcpListener::bind(("127.0.0.1", PREFERRED_PORT));

        let port = free_port().unwrap();

        assert_ne!(port, PREFERRED_PORT);
        assert_ne!(port, 5432);
        TcpListener::bind(("127.0.0.1", port)).expect("the chosen port is free");
    }
}
