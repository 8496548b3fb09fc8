//! Pinned tool installs. Each tool is checked first and installed only when it is missing or at
//! another version; nothing is ever downloaded from outside the package registries.
//!
//! Versions that work together here, and why, are in `../shared/TOOLCHAIN.md` (summarised in
//! the README).

use std::{
    ffi::OsString,
    fs,
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use anyhow::{bail, Context, Result};

use crate::step::{self, note, step};

/// A cargo-installed tool at a pinned version.
pub struct CargoTool {
    /// The crate to install.
    krate: &'static str,
    pub version: &'static str,
    /// The binary whose `--version` output must contain `version`.
    pub bin: &'static str,
    /// Extra `cargo install` arguments.
    args: &'static [&'static str],
    /// Measured first-install time on 2 cores, shown before installing.
    takes: &'static str,
}

/// A lighter release profile for tool installs: no LTO, many codegen units, no optimisation.
/// The tools only orchestrate builds, so their own speed hardly matters, and this cuts the
/// cargo-leptos install roughly in half (figures in the README).
const LIGHT_PROFILE: [(&str, &str); 5] = [
    ("CARGO_PROFILE_RELEASE_LTO", "false"),
    ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256"),
    ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0"),
    ("CARGO_PROFILE_RELEASE_DEBUG", "false"),
    ("CARGO_PROFILE_RELEASE_INCREMENTAL", "false"),
];

/// Only the release build uses it (wasm-opt, JS minification, lightningcss); development and the
/// tests build the site with [`crate::site`].
pub const CARGO_LEPTOS: CargoTool = CargoTool {
    krate: "cargo-leptos",
    version: "0.3.10",
    bin: "cargo-leptos",
    // `no_downloads`: fail rather than fetch sass/wasm-opt/wasm-bindgen from GitHub.
    args: &["--locked", "--features", "no_downloads"],
    takes: "about 5 minutes",
};

pub const WASM_BINDGEN: CargoTool = CargoTool {
    krate: "wasm-bindgen-cli",
    version: "0.2.130",
    bin: "wasm-bindgen",
    // Its lockfile names a crate version the registry lacks, so no --locked.
    args: &[],
    takes: "about 1 minute",
};

const SQLX_CLI: CargoTool = CargoTool {
    krate: "sqlx-cli",
    version: "0.8.6",
    bin: "sqlx",
    args: &[
        "--locked",
        "--no-default-features",
        "--features",
        "postgres,rustls",
    ],
    takes: "under a minute",
};

const CARGO_FUZZ: CargoTool = CargoTool {
    krate: "cargo-fuzz",
    version: "0.13.2",
    bin: "cargo-fuzz",
    args: &["--locked"],
    takes: "about 2 minutes",
};

/// What each command needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// `cargo xtask dev`: the wasm32 target, wasm-bindgen and the npm tools (sass).
    Dev,
    /// `cargo xtask release` and `soak`: also cargo-leptos.
    Release,
    /// `cargo xtask prepare`: also sqlx-cli.
    Sqlx,
    /// `cargo xtask test`: also sqlx-cli and a browser.
    Test,
    /// `cargo xtask bench`: everything.
    Bench,
}

impl Needs {
    fn cargo_leptos(self) -> bool {
        matches!(self, Self::Release | Self::Bench)
    }

    fn sqlx(self) -> bool {
        matches!(self, Self::Sqlx | Self::Test | Self::Bench)
    }

    fn browser(self) -> bool {
        matches!(self, Self::Test | Self::Bench)
    }
}

/// Installs whatever is missing for `needs`; returns the Chromium to use when it needs a browser.
pub fn ensure(root: &Path, needs: Needs) -> Result<Option<PathBuf>> {
    step("Checking the wasm32 target", ensure_wasm_target)?;
    ensure_cargo_tool(&WASM_BINDGEN)?;
    if needs.cargo_leptos() {
        ensure_cargo_tool(&CARGO_LEPTOS)?;
    }
    if needs.sqlx() {
        ensure_cargo_tool(&SQLX_CLI)?;
    }
    step(
        "Checking npm packages (sass, wasm-opt, Playwright, stripe SDK and CLI)",
        || ensure_npm(root),
    )?;
    if !needs.browser() {
        return Ok(None);
    }
    step("Checking Chromium", ensure_chromium).map(Some)
}

/// cargo-fuzz and the nightly toolchain it builds with (`cargo xtask soak`).
pub fn ensure_cargo_fuzz() -> Result<()> {
    ensure_cargo_tool(&CARGO_FUZZ)?;
    let toolchains =
        step::output(Command::new("rustup").args(["toolchain", "list"])).unwrap_or_default();
    if !toolchains.lines().any(|line| line.starts_with("nightly")) {
        bail!("fuzzing needs the nightly toolchain: `rustup toolchain install nightly`");
    }
    Ok(())
}

fn ensure_wasm_target() -> Result<()> {
    let installed = step::output(Command::new("rustup").args(["target", "list", "--installed"]))
        .unwrap_or_default();
    if installed
        .lines()
        .any(|t| t.trim() == "wasm32-unknown-unknown")
    {
        note("wasm32-unknown-unknown is installed");
        return Ok(());
    }
    note("installing wasm32-unknown-unknown with rustup (under a minute)");
    step::run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

fn ensure_cargo_tool(tool: &CargoTool) -> Result<()> {
    let name = format!("Checking {} {}", tool.krate, tool.version);
    step(&name, || {
        let found = step::output(Command::new(tool.bin).arg("--version"));
        if found.as_deref().is_some_and(|v| v.contains(tool.version)) {
            note(format!("{} {} is installed", tool.bin, tool.version));
            return Ok(());
        }
        match found {
            Some(other) => note(format!("found {}, need {}", other.trim(), tool.version)),
            None => note(format!("{} is not installed", tool.bin)),
        }
        note(format!(
            "installing {} {} with cargo install: first run only, {} on 2 cores",
            tool.krate, tool.version, tool.takes
        ));
        let mut install = Command::new("cargo");
        install
            .args(["install", tool.krate, "--version", tool.version])
            .args(tool.args)
            .envs(LIGHT_PROFILE);
        step::run(&mut install)
    })
}

/// The npm projects and a file that shows each is installed: `end2end/` (sass, binaryen's
/// wasm-opt, Playwright) and the emulator's conformance suite (the official `stripe` SDK and CLI).
const NPM_PROJECTS: &[(&str, &[&str])] = &[
    (
        "end2end",
        &[
            "node_modules/.bin/sass",
            "node_modules/.bin/wasm-opt",
            "node_modules/.bin/playwright",
        ],
    ),
    (
        "stripe-emulator/conformance",
        &[
            "node_modules/stripe/package.json",
            "node_modules/.bin/stripe",
        ],
    ),
];

/// Runs `npm ci` in each npm project whose `node_modules` does not match its lockfile.
fn ensure_npm(root: &Path) -> Result<()> {
    for (project, markers) in NPM_PROJECTS {
        let dir = root.join(project);
        let lock = fs::read(dir.join("package-lock.json"))
            .with_context(|| format!("reading {project}/package-lock.json"))?;
        let stamp_path = dir.join("node_modules/.tollgate-lock");
        let wanted = format!("{:x}", fnv1a(&lock));
        let have = fs::read_to_string(&stamp_path).unwrap_or_default();
        let present = markers.iter().all(|marker| dir.join(marker).exists());
        if have.trim() == wanted && present {
            note(format!("{project}/node_modules matches package-lock.json"));
            continue;
        }
        note(format!(
            "running npm ci in {project}/ (no browser download; each fetch is printed)"
        ));
        npm_ci(&dir).with_context(|| format!("installing {project}/node_modules"))?;
        fs::write(&stamp_path, wanted).context("writing the npm stamp")?;
    }
    Ok(())
}

/// How long one `npm ci` may take (seconds on a good day), and how often it is tried.
const NPM_CI_LIMIT: Duration = Duration::from_secs(5 * 60);
const NPM_CI_TRIES: u32 = 2;

/// `npm ci`, printing every registry fetch (a slow registry shows as slow lines, not silence),
/// stopped and tried again when it takes longer than `NPM_CI_LIMIT`.
fn npm_ci(dir: &Path) -> Result<()> {
    for attempt in 1..=NPM_CI_TRIES {
        let mut npm = Command::new("npm");
        npm.args(["ci", "--no-audit", "--no-fund", "--loglevel", "http"])
            .args(["--fetch-timeout", "60000", "--fetch-retries", "3"])
            .current_dir(dir)
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        match step::run_within(&mut npm, NPM_CI_LIMIT)? {
            step::Finished::Succeeded => return Ok(()),
            step::Finished::Failed(status) => bail!("`npm ci` failed ({status})"),
            step::Finished::TimedOut if attempt < NPM_CI_TRIES => note(format!(
                "npm ci did not finish within {} minutes; trying again",
                NPM_CI_LIMIT.as_secs() / 60
            )),
            step::Finished::TimedOut => {}
        }
    }
    bail!(
        "`npm ci` did not finish within {} minutes, {NPM_CI_TRIES} times: the npm registry is slow \
         or unreachable from here (`npm ping` tells; a proxy goes in ~/.npmrc)",
        NPM_CI_LIMIT.as_secs() / 60
    )
}

/// Debian's packages the browser tests need: the browser, and the only fonts it is shown
/// (`end2end/fonts.conf`), so screenshots render alike on every machine.
const BROWSER_PACKAGES: [&str; 3] = ["chromium", "fonts-dejavu-core", "fonts-dejavu-extra"];

/// A file from each font package: present means installed.
const PINNED_FONTS: [&str; 2] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-ExtraLight.ttf",
];

/// The Chromium that Playwright drives (`CHROMIUM_PATH`, else Debian's package) and the pinned
/// fonts, installed with apt when missing and we are root.
fn ensure_chromium() -> Result<PathBuf> {
    let debian = PathBuf::from("/usr/bin/chromium");
    let chromium = match std::env::var_os("CHROMIUM_PATH") {
        Some(path) => {
            let path = PathBuf::from(path);
            if !path.exists() {
                bail!("CHROMIUM_PATH={} does not exist", path.display());
            }
            note(format!("using CHROMIUM_PATH={}", path.display()));
            Some(path)
        }
        None => debian.exists().then(|| debian.clone()),
    };
    let fonts = PINNED_FONTS.iter().all(|font| Path::new(font).exists());
    if let (Some(chromium), true) = (&chromium, fonts) {
        note("Chromium and the pinned DejaVu fonts are installed");
        return Ok(chromium.clone());
    }
    if !step::is_root() {
        bail!(
            "Chromium or the fonts the screenshots are taken in are missing. Install Debian's \
             packages (`sudo apt-get install {}`); CHROMIUM_PATH may name another Chromium",
            BROWSER_PACKAGES.join(" ")
        );
    }
    note("installing Debian's chromium and DejaVu fonts with apt-get (about 1 minute)");
    step::run(Command::new("apt-get").arg("update").arg("-qq"))?;
    step::run(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(BROWSER_PACKAGES)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    Ok(chromium.unwrap_or(debian))
}

/// Installs Debian's `packages` with apt when one of `commands` is missing (as root; otherwise
/// says what to install): podman and runc for `cargo xtask image`, caddy and systemd-analyze for
/// the deployment files' checks.
pub fn ensure_debian(commands: &[&str], packages: &[&str]) -> Result<()> {
    let missing: Vec<&str> = commands
        .iter()
        .copied()
        .filter(|command| step::output(Command::new("which").arg(command)).is_none())
        .collect();
    if missing.is_empty() {
        note(format!("{} installed", commands.join(", ")));
        return Ok(());
    }
    if !step::is_root() {
        bail!(
            "{} missing: `sudo apt-get install {}`",
            missing.join(", "),
            packages.join(" ")
        );
    }
    note(format!(
        "{} missing: installing Debian's {} with apt-get (first run only)",
        missing.join(", "),
        packages.join(" ")
    ));
    step::run(Command::new("apt-get").arg("update").arg("-qq"))?;
    step::run(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// PyPI tools the deployment files are checked with, pinned: `kubernetes-validate` carries the
/// Kubernetes JSON schemas of each release (1.25 to 1.37), `check-jsonschema` the Compose
/// specification's schema; nothing is fetched when they run.
const PYTHON_TOOLS: [&str; 2] = ["kubernetes-validate==1.37.0", "check-jsonschema==0.39.0"];

/// A virtualenv under `target/deploy-check/venv` holding [`PYTHON_TOOLS`], made (from PyPI,
/// about 10 s) when missing or pinned differently; returns its `bin/`.
pub fn ensure_python_tools(root: &Path) -> Result<PathBuf> {
    let venv = root.join("target/deploy-check/venv");
    let stamp = venv.join(".tollgate-pins");
    let wanted = PYTHON_TOOLS.join(" ");
    if fs::read_to_string(&stamp).is_ok_and(|have| have == wanted) {
        note(format!("{wanted} installed"));
        return Ok(venv.join("bin"));
    }
    note(format!(
        "installing {wanted} into target/deploy-check/venv (first run only)"
    ));
    let _ = fs::remove_dir_all(&venv);
    // Debian's own Python: python3-venv is a Debian package.
    let python = ["/usr/bin/python3", "python3"]
        .into_iter()
        .find(|p| step::output(Command::new(p).args(["-c", "import venv, ensurepip"])).is_some())
        .context("no Python with venv: `apt-get install python3-venv`")?;
    step::run(Command::new(python).args(["-m", "venv"]).arg(&venv))?;
    step::run(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(PYTHON_TOOLS),
    )?;
    fs::write(&stamp, wanted).context("writing the venv's stamp")?;
    Ok(venv.join("bin"))
}

/// `PATH` with the npm tools first, so cargo-leptos finds npm's wasm-opt and sass (Debian's
/// wasm-opt produces a broken bundle) and never tries to download its own.
pub fn path_with_npm_bins(root: &Path) -> Result<OsString> {
    let mut dirs = vec![root.join("end2end/node_modules/.bin")];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).context("building PATH")
}

/// A stable 64-bit FNV-1a hash (the std hasher may change between Rust releases).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
