//! `cargo xtask image [--save FILE] [--check]`: the production container image, assembled from
//! the release build without pulling any base image (`FROM scratch`: the server, the shared
//! libraries `ldd` names, the site) and built with podman; `--check` runs it against the local
//! PostgreSQL cluster; and the test that the root `Dockerfile` builds the same image. The checks
//! of the other deployment files are in [`crate::deploy`].

use std::{
    fs,
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{bail, ensure, Context, Result};

use crate::{
    postgres::Postgres,
    release,
    step::{self, note, step},
    tools::{self, Needs},
};

/// The image's name; it is also tagged with the commit's short hash.
const NAME: &str = "tollgate";
/// Where the server lives in the image; cargo-leptos's `hash.txt` (the hashed asset names) must
/// be beside it, as `server/src/cli.rs` looks for it next to the executable.
const SERVER: &str = "/server";
const HASH_FILE: &str = "/hash.txt";
/// `target/site`, served from `LEPTOS_SITE_ROOT`.
const SITE: &str = "/site";
const PORT: u16 = 3000;
/// `nobody`: no root, no capabilities, nothing of its own to write.
const USER: &str = "65534:65534";
/// `server healthcheck` GETs `/healthz` on `LEPTOS_SITE_ADDR`'s port and exits 0 or 1 (no shell,
/// no curl); it gives up after 5 s itself, within the engine's 6.
const HEALTHCHECK: &str =
    r#"--interval=10s --timeout=6s --start-period=5s --retries=3 CMD ["/server", "healthcheck"]"#;

/// The database `--check` runs the image against (made afresh each time).
const CHECK_DATABASE: &str = "tollgate_image_check";

/// What `cargo xtask image` was asked for.
#[derive(Debug)]
pub struct Options {
    /// Also write the image as an OCI archive here.
    pub save: Option<PathBuf>,
    /// Then run it and probe it.
    pub check: bool,
}

pub fn run(root: &Path, options: Options) -> Result<()> {
    let started = Instant::now();
    tools::ensure(root, Needs::Release)?;
    release::build(root)?;
    step("Checking podman and runc", || {
        tools::ensure_debian(&["podman", "runc"], &["podman", "runc"])
    })?;
    let tags = tags(root);
    let context = std::env::temp_dir().join(format!("tollgate-image-{}", std::process::id()));
    let built = step("Assembling the image's files (FROM scratch)", || {
        assemble(root, &context)
    })
    .and_then(|()| {
        step(&format!("podman build -t {}", tags.join(" -t ")), || {
            let mut build = podman(root)?;
            build.args(["build", "--format", "docker", "--file"]);
            build.arg(context.join("Containerfile"));
            for tag in &tags {
                build.args(["--tag", tag]);
            }
            step::run(build.arg(&context))
        })
    });
    let _ = fs::remove_dir_all(&context);
    built?;
    let size = step::output(
        podman(root)?
            .args(["image", "inspect", "--format", "{{.Size}}"])
            .arg(&tags[0]),
    )
    .and_then(|s| s.trim().parse::<u64>().ok())
    .context("reading the image's size")?;
    note(format!(
        "{} built: {:.1} MB ({:.0} s in all)",
        tags.join(", "),
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    ));
    if let Some(file) = &options.save {
        step(
            &format!("podman save (OCI archive) to {}", file.display()),
            || {
                step::run(
                    podman(root)?
                        .args(["save", "--format", "oci-archive", "--output"])
                        .arg(file)
                        .arg(&tags[0]),
                )
            },
        )?;
    }
    if options.check {
        let pg = step("Starting the local PostgreSQL cluster", || {
            Postgres::ensure(root)
        })?;
        let checked = step(
            "Running the image: /readyz, /healthz, a page and its stylesheet, SIGTERM",
            || check(root, &pg, &tags[0]),
        );
        pg.stop_if_started_here();
        checked?;
    }
    Ok(())
}

/// `tollgate:latest` and `tollgate:<short hash>` (`-dirty` with uncommitted changes).
fn tags(root: &Path) -> Vec<String> {
    let mut tags = vec![format!("{NAME}:latest")];
    let git = |args: &[&str]| step::output(Command::new("git").args(args).current_dir(root));
    if let Some(hash) = git(&["rev-parse", "--short", "HEAD"]) {
        let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
            .is_some_and(|s| !s.trim().is_empty());
        let suffix = if dirty { "-dirty" } else { "" };
        tags.push(format!("{NAME}:{}{suffix}", hash.trim()));
    }
    tags
}

/// `podman` as it runs here: runc and cgroupfs (the VM's hybrid cgroups defeat crun and systemd)
/// and no default ulimits (the VM refuses `setrlimit`), set in `target/image/containers.conf`.
fn podman(root: &Path) -> Result<Command> {
    let conf = root.join("target/image/containers.conf");
    if !conf.exists() {
        fs::create_dir_all(conf.parent().expect("has a parent"))?;
        fs::write(&conf, "[containers]\ndefault_ulimits = []\n")
            .context("writing target/image/containers.conf")?;
    }
    let mut podman = Command::new("podman");
    podman
        .env("CONTAINERS_CONF", conf)
        .args(["--runtime", "runc", "--cgroup-manager", "cgroupfs"]);
    Ok(podman)
}

/// Lays out the build context in `context`: `Containerfile`, `rootfs/` (the dynamic loader and
/// the libraries `ldd` names, at their own paths, and `/etc/passwd` naming `nobody`), `server`,
/// `hash.txt` and `site/`.
fn assemble(root: &Path, context: &Path) -> Result<()> {
    let _ = fs::remove_dir_all(context);
    let rootfs = context.join("rootfs");
    fs::create_dir_all(rootfs.join("etc"))
        .with_context(|| format!("creating {}", context.display()))?;
    let server = root.join("target/release/server");
    let hash = root.join("target/release/hash.txt");
    ensure!(
        hash.exists(),
        "target/release/hash.txt is missing: the release build hashes asset names"
    );
    let ldd = step::output(Command::new("ldd").arg(&server))
        .context("`ldd target/release/server` failed")?;
    let libraries = shared_libraries(&ldd);
    ensure!(
        !libraries.is_empty(),
        "ldd names no libraries: is target/release/server dynamically linked?"
    );
    for library in &libraries {
        let inside = rootfs.join(library.strip_prefix("/").expect("ldd paths are absolute"));
        fs::create_dir_all(inside.parent().expect("has a parent"))?;
        // fs::copy follows symbolic links: the file itself goes in, under the name ldd gave.
        fs::copy(library, &inside).with_context(|| format!("copying {}", library.display()))?;
        note(format!("{}", library.display()));
    }
    fs::write(
        rootfs.join("etc/passwd"),
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
    )?;
    fs::write(rootfs.join("etc/group"), "nogroup:x:65534:\n")?;
    // Without its symbol table (34 of 83 MB): panics still say what and where, backtraces
    // lose the function names. The Dockerfile strips it alike.
    step::run(
        Command::new("strip")
            .arg("--strip-all")
            .arg(&server)
            .arg("-o")
            .arg(context.join("server")),
    )
    .context("stripping the server (binutils)")?;
    fs::copy(&hash, context.join("hash.txt")).context("copying hash.txt")?;
    crate::site::copy_dir(&root.join("target/site"), &context.join("site"))?;
    fs::write(context.join("Containerfile"), containerfile(&libraries))?;
    Ok(())
}

/// The paths `ldd` resolved (`libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)`) and the
/// loader (`/lib64/ld-linux-x86-64.so.2 (0x…)`); the kernel's vDSO has no file.
fn shared_libraries(ldd: &str) -> Vec<PathBuf> {
    ldd.lines()
        .filter_map(|line| {
            let line = line.trim();
            let path = match line.split_once(" => ") {
                Some((_, resolved)) => resolved.split_whitespace().next()?,
                None => line.split_whitespace().next()?,
            };
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect()
}

/// The generated Containerfile. What a container sees (paths, user, environment, port,
/// health check, command) must match the root `Dockerfile`'s runtime stage: a test compares them.
fn containerfile(libraries: &[PathBuf]) -> String {
    let listed: String = libraries
        .iter()
        .map(|library| format!("#   {}\n", library.display()))
        .collect();
    format!(
        "# Generated by `cargo xtask image` (xtask/src/image.rs); nothing is pulled.\n\
         # rootfs/ holds the loader and the libraries `ldd target/release/server` names:\n\
         {listed}\
         # and an /etc/passwd naming nobody (65534). The server trusts webpki-roots, compiled in:\n\
         # no CA file is needed.\n\
         FROM scratch\n\
         COPY rootfs/ /\n\
         COPY server {SERVER}\n\
         COPY hash.txt {HASH_FILE}\n\
         COPY site/ {SITE}/\n\
         ENV LEPTOS_SITE_ROOT={SITE}\n\
         ENV LEPTOS_SITE_ADDR=0.0.0.0:{PORT}\n\
         USER {USER}\n\
         EXPOSE {PORT}\n\
         HEALTHCHECK {HEALTHCHECK}\n\
         ENTRYPOINT [\"{SERVER}\"]\n\
         CMD [\"serve\"]\n"
    )
}

/// Runs `image` with `--network host` against a fresh database of `pg`, as production would
/// (read-only, no capabilities, the minimum configuration, Stripe pointed at a closed local
/// port), checks `/readyz`, `/healthz`, the home page and its stylesheet, then stops it with
/// SIGTERM and expects exit 0.
fn check(root: &Path, pg: &Postgres, image: &str) -> Result<()> {
    pg.recreate_database(CHECK_DATABASE)?;
    let port = TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port();
    let container = Container(
        format!("tollgate-image-check-{}", std::process::id()),
        root.to_owned(),
    );
    let env = [
        format!("DATABASE_URL={}", pg.url(CHECK_DATABASE)),
        format!("LEPTOS_SITE_ADDR=127.0.0.1:{port}"),
        "STRIPE_SECRET_KEY=sk_test_x".into(),
        "STRIPE_WEBHOOK_SECRET=whsec_x".into(),
        // Nothing leaves the machine: Stripe and SMTP point at a closed local port.
        "STRIPE_API_BASE=http://127.0.0.1:9".into(),
        "SMTP_URL=smtp://127.0.0.1:9".into(),
        format!("TRIAL_LEDGER_KEY={}", "0".repeat(64)),
    ];
    let mut run = podman(root)?;
    run.args([
        "run",
        "--detach",
        "--name",
        &container.0,
        "--network",
        "host",
    ])
    .args([
        "--read-only",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
    ]);
    for variable in &env {
        run.args(["--env", variable]);
    }
    quietly(run.arg(image).arg("serve"))?;
    let started = Instant::now();
    loop {
        if get(port, "/readyz").is_ok_and(|(status, _)| status == 200) {
            note(format!(
                "GET /readyz: 200 after {:.1} s",
                started.elapsed().as_secs_f64()
            ));
            break;
        }
        if !container.running()? {
            bail!(
                "the container exited before it was ready:\n{}",
                container.logs()
            );
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!(
                "/readyz did not answer 200 within 60 s:\n{}",
                container.logs()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let (status, _) = get(port, "/healthz")?;
    ensure!(status == 200, "GET /healthz answered {status}");
    note("GET /healthz: 200");
    let (status, page) = get(port, "/")?;
    ensure!(status == 200, "GET / answered {status}");
    let stylesheet = stylesheet(&page).context("the home page names no /pkg/ stylesheet")?;
    let (status, _) = get(port, &stylesheet)?;
    ensure!(
        status == 200,
        "GET {stylesheet} answered {status}: is the site in the image?"
    );
    note(format!("GET /: 200, GET {stylesheet}: 200"));
    healthcheck(root, &container)?;
    let stop = Instant::now();
    quietly(
        podman(root)?
            .args(["stop", "--time", "30"])
            .arg(&container.0),
    )?;
    let code = step::output(
        podman(root)?
            .args(["inspect", "--format", "{{.State.ExitCode}}"])
            .arg(&container.0),
    )
    .unwrap_or_default();
    ensure!(
        code.trim() == "0",
        "after SIGTERM the server exited with {}:\n{}",
        code.trim(),
        container.logs()
    );
    note(format!(
        "SIGTERM: drained and exited 0 in {:.1} s",
        stop.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// Runs the image's HEALTHCHECK (`server healthcheck`) once, as the engine would.
fn healthcheck(root: &Path, container: &Container) -> Result<()> {
    quietly(podman(root)?.args(["healthcheck", "run"]).arg(&container.0))
        .context("the image's HEALTHCHECK failed")?;
    note("HEALTHCHECK (server healthcheck): healthy");
    Ok(())
}

/// Runs a podman command, showing its output only if it fails: without systemd, podman logs an
/// error for every container with a HEALTHCHECK (it cannot set up the timer that would run it)
/// and goes on.
fn quietly(command: &mut Command) -> Result<()> {
    let out = command
        .output()
        .with_context(|| format!("could not start `{}`", step::describe(command)))?;
    ensure!(
        out.status.success(),
        "`{}` failed ({}): {}",
        step::describe(command),
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(())
}

/// A container started by `--check`; removed when dropped, whatever happened.
struct Container(String, PathBuf);

impl Container {
    fn running(&self) -> Result<bool> {
        let state = step::output(
            podman(&self.1)?
                .args(["inspect", "--format", "{{.State.Running}}"])
                .arg(&self.0),
        );
        Ok(state.is_some_and(|s| s.trim() == "true"))
    }

    fn logs(&self) -> String {
        podman(&self.1)
            .ok()
            .and_then(|mut podman| {
                podman
                    .args(["logs", "--tail", "30"])
                    .arg(&self.0)
                    .output()
                    .ok()
            })
            .map(|out| {
                String::from_utf8_lossy(&out.stdout).into_owned()
                    + &String::from_utf8_lossy(&out.stderr)
            })
            .unwrap_or_default()
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        if let Ok(mut podman) = podman(&self.1) {
            let _ = podman
                .args(["rm", "--force", "--time", "5"])
                .arg(&self.0)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// `GET path` on 127.0.0.1:`port`: the status and the raw response (chunks and all).
fn get(port: u16, path: &str) -> Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .context("not an HTTP response")?;
    Ok((status, response))
}

/// The first `/pkg/….css` the page links to.
fn stylesheet(page: &str) -> Option<String> {
    let start = page.find("/pkg/")?;
    let end = start + page[start..].find(".css")? + ".css".len();
    Some(page[start..end].to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    /// What a container of an image sees, read from a Containerfile's last stage: where the
    /// program's files are copied to (the base layer `/` aside), the environment, user, port,
    /// health check, entry point and command.
    #[derive(Debug, PartialEq, Eq)]
    struct Runtime {
        copied_to: BTreeSet<String>,
        env: BTreeMap<String, String>,
        directives: BTreeMap<String, String>,
    }

    fn runtime(containerfile: &str) -> Runtime {
        // Continuation lines joined, comments dropped.
        let joined = containerfile
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
            .replace("\\\n", " ");
        let last_stage = joined
            .rsplit_once("\nFROM ")
            .map_or(joined.as_str(), |(_, stage)| stage);
        let mut runtime = Runtime {
            copied_to: BTreeSet::new(),
            env: BTreeMap::new(),
            directives: BTreeMap::new(),
        };
        for line in last_stage.lines().skip(1) {
            let Some((keyword, rest)) = line.trim().split_once(char::is_whitespace) else {
                continue;
            };
            let rest = rest.split_whitespace().collect::<Vec<_>>().join(" ");
            match keyword.to_ascii_uppercase().as_str() {
                "COPY" => {
                    let to = rest
                        .rsplit(' ')
                        .next()
                        .unwrap_or_default()
                        .trim_end_matches('/');
                    if !to.is_empty() {
                        runtime.copied_to.insert(to.to_owned());
                    }
                }
                "ENV" => {
                    for pair in rest.split(' ') {
                        if let Some((name, value)) = pair.split_once('=') {
                            runtime.env.insert(name.to_owned(), value.to_owned());
                        }
                    }
                }
                other => {
                    runtime.directives.insert(other.to_owned(), rest);
                }
            }
        }
        runtime
    }

    fn dockerfile() -> String {
        fs::read_to_string(crate::workspace_root().join("Dockerfile")).unwrap()
    }

    #[test]
    fn the_dockerfile_and_the_xtask_image_give_containers_the_same_files_user_env_port_and_healthcheck(
    ) {
        let xtask = runtime(&containerfile(&[PathBuf::from(
            "/lib/x86_64-linux-gnu/libc.so.6",
        )]));
        let docker = runtime(&dockerfile());

        assert_eq!(docker, xtask);
        assert_eq!(
            xtask.copied_to,
            [SERVER, HASH_FILE, SITE].map(String::from).into()
        );
        assert_eq!(xtask.directives["USER"], USER);
        assert_eq!(xtask.directives["EXPOSE"], PORT.to_string());
        assert_eq!(xtask.env["LEPTOS_SITE_ROOT"], SITE);
    }

    #[test]
    fn the_dockerfile_builds_with_the_pinned_tools_and_the_release_flags() {
        let dockerfile = dockerfile();

        for pin in [
            format!("cargo-leptos --version {}", tools::CARGO_LEPTOS.version),
            format!("wasm-bindgen-cli --version {}", tools::WASM_BINDGEN.version),
            "cargo leptos build --release --precompress --cargo-locked".to_owned(),
            "LEPTOS_HASH_FILES=true".to_owned(),
            "SQLX_OFFLINE=true".to_owned(),
            "strip --strip-all target/release/server".to_owned(),
        ] {
            assert!(dockerfile.contains(&pin), "the Dockerfile lacks `{pin}`");
        }
    }

    #[test]
    fn ldd_output_gives_the_libraries_and_the_loader_but_not_the_vdso() {
        let ldd = "\tlinux-vdso.so.1 (0x00007f40c3b74000)\n\
                   \tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007f40c3b43000)\n\
                   \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f40c1a1e000)\n\
                   \t/lib64/ld-linux-x86-64.so.2 (0x00007f40c3b76000)\n";

        assert_eq!(
            shared_libraries(ldd),
            [
                "/lib/x86_64-linux-gnu/libgcc_s.so.1",
                "/lib/x86_64-linux-gnu/libc.so.6",
                "/lib64/ld-linux-x86-64.so.2"
            ]
            .map(PathBuf::from)
        );
    }

    #[test]
    fn the_home_page_stylesheet_is_found() {
        let page =
            r#"<link rel="stylesheet" href="/pkg/tollgate.a1b2c3.css"><script src="/pkg/x.js">"#;
        assert_eq!(
            stylesheet(page).as_deref(),
            Some("/pkg/tollgate.a1b2c3.css")
        );
    }
}
