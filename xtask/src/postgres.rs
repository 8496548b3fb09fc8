//! The project-local PostgreSQL cluster, used when `DATABASE_URL` is unset.
//!
//! Its `data/` and `postgres.log` live in `target/postgres`. It listens on 127.0.0.1 only, on its
//! own port (never 5432, which another server may hold), with trust authentication for the
//! `tollgate` role. Postgres refuses to run as root, so as root the cluster belongs to, and runs
//! as, the `postgres` user (or `nobody`). When that user cannot enter the clone (one under
//! `/root`, or in a `mktemp -d` directory), the cluster lives in
//! `/var/tmp/tollgate-postgres-<hash of the clone's path>/` instead, and `target/postgres/WHERE`
//! says so.

use std::{
    fs,
    net::TcpListener,
    os::unix::{ffi::OsStrExt, fs::DirBuilderExt, fs::PermissionsExt, process::CommandExt},
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{bail, Context, Result};

use crate::step::{self, note};

/// The role and database the app uses.
const ROLE: &str = "tollgate";
/// The port tried first; any free port is taken if it is busy.
const PREFERRED_PORT: u16 = 54329;
/// Where a root-run cluster goes when its user cannot enter the clone (it survives reboots,
/// unlike /tmp).
const OUTSIDE_PARENT: &str = "/var/tmp";

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
        let run_as = step::is_root().then(unprivileged_user).transpose()?;
        let dir = cluster_dir(root, run_as.as_deref())?;
        let data = dir.join("data");

        if !data.join("PG_VERSION").exists() {
            note(format!(
                "creating a local cluster in {} (one-time, a few seconds)",
                dir.strip_prefix(root).unwrap_or(&dir).display()
            ));
            fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
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
        // One psql for all of them (each `--command` is its own transaction, as DROP DATABASE
        // needs): a run leaves some 300.
        let drops: Vec<String> = names
            .iter()
            .map(|name| format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .collect();
        if !drops.is_empty() {
            self.query_each("postgres", &drops)?;
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
            eprintln!(
                "    warning: could not stop PostgreSQL; `{}` will",
                step::describe(&self.stop_command())
            );
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
        step::status(&mut self.stop_command()).is_ok_and(|s| s.success())
    }

    /// The `pg_ctl stop` [`Self::stop`] runs, and the warning names when it fails.
    fn stop_command(&self) -> Command {
        let mut stop = as_user(self.run_as.as_deref(), "pg_ctl");
        stop.arg("stop")
            .arg("--pgdata")
            .arg(&self.data)
            .args(["--mode", "fast", "--silent"]);
        stop
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
        self.query_each(database, &[sql])
    }

    /// Runs each statement of `statements` in turn (each its own transaction) in one psql;
    /// their rows, one per line, columns `|`-separated.
    fn query_each(&self, database: &str, statements: &[impl AsRef<str>]) -> Result<String> {
        let mut psql = Command::new("psql");
        psql.arg(self.url(database)).args([
            "--no-psqlrc",
            "--tuples-only",
            "--no-align",
            "--quiet",
            "-v",
            "ON_ERROR_STOP=1",
        ]);
        for sql in statements {
            psql.args(["--command", sql.as_ref()]);
        }
        let out = psql
            .output()
            .context("could not run psql (Debian: apt-get install postgresql-client)")?;
        if !out.status.success() {
            let what = match statements {
                [sql] => format!("`{}`", sql.as_ref()),
                _ => format!("({} statements)", statements.len()),
            };
            bail!(
                "psql {what} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// The directory for the cluster's `data/` and `postgres.log`: `target/postgres`, unless we are
/// root and `user` cannot get into the clone's `target/`; then one of `user`'s own outside it.
fn cluster_dir(root: &Path, user: Option<&str>) -> Result<PathBuf> {
    let local = root.join("target/postgres");
    let Some(user) = user else {
        return Ok(local);
    };
    let target = root.join("target");
    fs::create_dir_all(&target).context("creating target/")?;
    if holds_for(user, &["-x"], &target)? {
        return Ok(local);
    }
    let outside = outside_dir(root, user)?;
    let why = format!("the {user} user cannot enter {}", target.display());
    note(format!("{why}; the cluster lives in {}", outside.display()));
    fs::create_dir_all(&local).context("creating target/postgres")?;
    fs::write(
        local.join("WHERE"),
        format!("{}\n({why}.)\n", outside.display()),
    )
    .context("writing target/postgres/WHERE")?;
    Ok(outside)
}

/// This clone's directory under `/var/tmp`, owned by `user` with mode 0700, made if missing.
fn outside_dir(root: &Path, user: &str) -> Result<PathBuf> {
    let root = root
        .canonicalize()
        .with_context(|| format!("resolving {}", root.display()))?;
    let dir = outside_path(&root);
    let advice = format!(
        "set DATABASE_URL to an existing server, or clone somewhere the {user} user can enter"
    );
    match fs::symlink_metadata(&dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => bail!(
            "{} is not a directory; remove it, or {advice}",
            dir.display()
        ),
        Err(_) => {
            if let Err(error) = make_private_dir(&dir, user) {
                bail!(
                    "the {user} user cannot enter {} and {} could not be made for it ({error:#}); {advice}",
                    root.display(),
                    dir.display()
                );
            }
        }
    }
    if !holds_for(user, &["-O", "-w", "-x"], &dir)? {
        bail!(
            "{} is not the {user} user's own writable directory; remove it, or {advice}",
            dir.display()
        );
    }
    Ok(dir)
}

/// `/var/tmp/tollgate-postgres-<FNV-1a hash of the clone's canonical path>`: one per clone.
fn outside_path(canonical_root: &Path) -> PathBuf {
    let hash = fnv1a(canonical_root.as_os_str().as_bytes());
    Path::new(OUTSIDE_PARENT).join(format!("tollgate-postgres-{hash:016x}"))
}

/// The 64-bit FNV-1a hash: the same on every run and Rust version, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Makes `dir` (its parent must exist) with mode 0700, owned by `user`.
fn make_private_dir(dir: &Path, user: &str) -> Result<()> {
    fs::DirBuilder::new()
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))?;
    // The mode given above is narrowed by the umask, never widened; set it exactly.
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .with_context(|| format!("setting the mode of {}", dir.display()))?;
    chown(dir, Some(user))
}

/// Whether every one of `test`'s file checks (`-x`, `-w`, …) holds for `path` when `user` runs
/// it: what that user can really reach and write, path permissions included.
fn holds_for(user: &str, checks: &[&str], path: &Path) -> Result<bool> {
    let mut test = as_user(Some(user), "test");
    for (i, check) in checks.iter().enumerate() {
        if i > 0 {
            test.arg("-a");
        }
        test.arg(check).arg(path);
    }
    match test.status() {
        Ok(status) => Ok(status.success()),
        Err(error) => bail!(
            "running as root, PostgreSQL has to run as {user} through `runuser`, which could not be started ({error}); install util-linux, or set DATABASE_URL to an existing server"
        ),
    }
}

/// A command run as `user` (through `runuser`) when we are root, else as ourselves.
fn as_user(user: Option<&str>, program: &str) -> Command {
    match user {
        Some(user) => {
            let mut command = Command::new("runuser");
            // From a directory it can enter: initdb and pg_ctl complain if ours is not one.
            command.args(["-u", user, "--", program]).current_dir("/");
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
    bail!("running as root, but there is neither a `postgres` nor a `nobody` user to run PostgreSQL as; create one (`useradd --system postgres`), or set DATABASE_URL to an existing server")
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

    #[test]
    fn the_outside_directory_is_stable_per_clone_and_named_for_tollgate() {
        let clone = outside_path(Path::new("/root/tollgate"));

        assert_eq!(clone, outside_path(Path::new("/root/tollgate")));
        assert_ne!(clone, outside_path(Path::new("/root/tollgate-2")));
        assert_eq!(clone.parent(), Some(Path::new("/var/tmp")));
        let name = clone.file_name().unwrap().to_str().unwrap();
        let hash = name.strip_prefix("tollgate-postgres-").unwrap();
        assert_eq!(hash.len(), 16);
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()), "{name}");
        // The published FNV-1a test vector: the name never changes under a clone.
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn a_clone_in_a_directory_only_its_owner_can_enter_still_gets_a_working_cluster() {
        let mut clone = PrivateClone::new();
        let root = clone.root.clone();

        let pg = clone.pg.insert(Postgres::ensure(&root).unwrap());

        assert_eq!(pg.query("postgres", "SELECT 1").unwrap().trim(), "1");
        let dir = pg.data.parent().unwrap().to_owned();
        if step::is_root() {
            // Its user cannot enter the clone, so the cluster lives outside it.
            assert_eq!(dir, outside_path(&root.canonicalize().unwrap()));
            let mode = fs::metadata(&dir).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
            let pointer = fs::read_to_string(root.join("target/postgres/WHERE")).unwrap();
            assert_eq!(pointer.lines().next(), dir.to_str());
        } else {
            assert_eq!(dir, root.join("target/postgres"));
        }
        assert!(pg.stop(), "the cluster stops");
    }

    /// A fake clone inside a fresh mode-0700 directory (like `/root` or a `mktemp -d` one).
    /// Dropping it stops its cluster if it still runs and removes every directory made for it.
    struct PrivateClone {
        parent: PathBuf,
        root: PathBuf,
        pg: Option<Postgres>,
    }

    impl PrivateClone {
        fn new() -> Self {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            let parent = std::env::temp_dir().join(format!(
                "tollgate-xtask-test-{}-{nanos}",
                std::process::id()
            ));
            fs::DirBuilder::new().mode(0o700).create(&parent).unwrap();
            let root = parent.join("clone");
            fs::create_dir(&root).unwrap();
            Self {
                parent,
                root,
                pg: None,
            }
        }
    }

    impl Drop for PrivateClone {
        fn drop(&mut self) {
            if let Some(pg) = &self.pg {
                if pg.running_port().is_some() {
                    pg.stop();
                }
            }
            if let Ok(root) = self.root.canonicalize() {
                let _ = fs::remove_dir_all(outside_path(&root));
            }
            let _ = fs::remove_dir_all(&self.parent);
        }
    }
}
