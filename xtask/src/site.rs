//! The site as `[workspace.metadata.leptos]` in Cargo.toml describes it, and its browser half built
//! without cargo-leptos: the WASM bundle (cargo, then wasm-bindgen), the stylesheet (sass) and the
//! static assets, laid out where cargo-leptos lays them, so the server finds them either way.
//!
//! `cargo xtask dev` and the end-to-end run build with this; `cargo xtask release` and the
//! benchmarks keep `cargo leptos build --release` (wasm-opt, JS minification, lightningcss).

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::{
    lint::Lint,
    step::{self, cargo},
    tools,
};

/// The WASM target the browser half compiles to.
const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The site's layout and build inputs, read from `[workspace.metadata.leptos]`.
#[derive(Debug)]
pub struct Site {
    root: PathBuf,
    /// The bundle's file stem (`tollgate` → `pkg/tollgate.js`, `.wasm`, `.css`).
    output_name: String,
    /// Where the server serves files from (absolute).
    site_root: PathBuf,
    /// The bundle's folder inside `site_root`.
    pkg_dir: String,
    lib_package: String,
    style_file: PathBuf,
    assets_dir: Option<PathBuf>,
    /// `host:port` the server listens on.
    pub site_addr: String,
    /// The live-reload WebSocket's port.
    pub reload_port: u16,
}

/// The fields of `[[workspace.metadata.leptos]]` this build reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Metadata {
    name: String,
    lib_package: String,
    site_root: PathBuf,
    site_pkg_dir: String,
    style_file: PathBuf,
    assets_dir: Option<PathBuf>,
    site_addr: String,
    reload_port: u16,
}

impl Site {
    /// Reads the site from the workspace's Cargo.toml (through `cargo metadata`).
    pub fn load(root: &Path) -> Result<Self> {
        Self::from_metadata(root, &step::workspace_metadata(root)?)
    }

    fn from_metadata(root: &Path, json: &str) -> Result<Self> {
        #[derive(Deserialize)]
        struct Workspace {
            metadata: Option<Leptos>,
        }
        #[derive(Deserialize)]
        struct Leptos {
            leptos: Vec<Metadata>,
        }
        let workspace: Workspace =
            serde_json::from_str(json).context("reading `cargo metadata` output")?;
        let Some(site) = workspace.metadata.and_then(|m| m.leptos.into_iter().next()) else {
            bail!("Cargo.toml has no [[workspace.metadata.leptos]] section");
        };
        Ok(Self {
            root: root.to_path_buf(),
            output_name: site.name,
            site_root: root.join(site.site_root),
            pkg_dir: site.site_pkg_dir,
            lib_package: site.lib_package,
            style_file: root.join(site.style_file),
            assets_dir: site.assets_dir.map(|dir| root.join(dir)),
            site_addr: site.site_addr,
            reload_port: site.reload_port,
        })
    }

    /// The folder the bundle is written to.
    pub fn pkg(&self) -> PathBuf {
        self.site_root.join(&self.pkg_dir)
    }

    /// The stylesheet as the pages link it, relative to the site root (`pkg/tollgate.css`).
    pub fn css_href(&self) -> String {
        format!("{}/{}.css", self.pkg_dir, self.output_name)
    }

    /// The Leptos settings the server reads at start-up (those cargo-leptos would set).
    pub fn server_env(&self, live_reload: bool) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("LEPTOS_OUTPUT_NAME", self.output_name.clone()),
            ("LEPTOS_SITE_ROOT", self.site_root.display().to_string()),
            ("LEPTOS_SITE_PKG_DIR", self.pkg_dir.clone()),
            ("LEPTOS_SITE_ADDR", self.site_addr.clone()),
            ("LEPTOS_RELOAD_PORT", self.reload_port.to_string()),
            ("LEPTOS_HASH_FILES", "false".to_owned()),
        ];
        if live_reload {
            env.push(("LEPTOS_WATCH", "true".to_owned()));
        }
        env
    }

    /// Compiles the browser half to WASM (debug profile, like `cargo leptos watch`).
    pub fn compile_wasm(&self, lint: Lint) -> Result<()> {
        let mut build = cargo(&self.root);
        build.args(["build", "--package", &self.lib_package, "--lib", "--locked"]);
        build.args(["--target", WASM_TARGET]);
        step::run(lint.apply(&mut build)?)
    }

    /// The compiled WASM file, before wasm-bindgen.
    fn compiled_wasm(&self) -> PathBuf {
        self.root
            .join("target")
            .join(WASM_TARGET)
            .join("debug")
            .join(format!("{}.wasm", self.lib_package.replace('-', "_")))
    }

    /// Generates the JS glue and the final WASM into `pkg/` with wasm-bindgen. Skipped when the
    /// bundle is newer than the compiled WASM (a restart with nothing changed).
    pub fn bindgen(&self) -> Result<()> {
        let input = self.compiled_wasm();
        let output = self.pkg().join(format!("{}.wasm", self.output_name));
        if is_newer(&output, &input) {
            return Ok(());
        }
        fs::create_dir_all(self.pkg()).context("creating the site's pkg folder")?;
        step::run(
            Command::new(tools::WASM_BINDGEN.bin)
                .args(["--target", "web", "--no-typescript"])
                .args(["--out-name", &self.output_name])
                .arg("--out-dir")
                .arg(self.pkg())
                .arg(&input),
        )?;
        // Leptos's `HydrationScripts` loads `<name>.wasm` (cargo-leptos renames it the same way).
        let generated = self.pkg().join(format!("{}_bg.wasm", self.output_name));
        fs::rename(&generated, &output)
            .with_context(|| format!("renaming {} to {}", generated.display(), output.display()))
    }

    /// Compiles the stylesheet with sass (from `end2end/node_modules`).
    pub fn style(&self) -> Result<()> {
        fs::create_dir_all(self.pkg()).context("creating the site's pkg folder")?;
        let output = self.pkg().join(format!("{}.css", self.output_name));
        step::run(
            Command::new(self.root.join("end2end/node_modules/.bin/sass"))
                .arg("--no-source-map")
                .arg(&self.style_file)
                .arg(&output),
        )
    }

    /// Copies the static assets (`public/`) into the site root.
    pub fn assets(&self) -> Result<()> {
        let Some(dir) = &self.assets_dir else {
            return Ok(());
        };
        copy_dir(dir, &self.site_root)
    }

    /// The whole browser half (WASM, stylesheet, assets) with content-hashed names, as
    /// production names them.
    pub fn build_hashed(&self, lint: Lint) -> Result<()> {
        self.compile_wasm(lint)?;
        self.bindgen()?;
        self.style()?;
        self.assets()?;
        self.hash_names()
    }

    /// Renames the bundle to content-hashed names and writes `hash.txt` beside the debug server
    /// binary, where Leptos looks for it. Earlier hashed copies are removed.
    fn hash_names(&self) -> Result<()> {
        let pkg = self.pkg();
        let mut lines = String::new();
        for ext in ["js", "wasm", "css"] {
            let plain = pkg.join(format!("{}.{ext}", self.output_name));
            let bytes = fs::read(&plain).with_context(|| format!("reading {}", plain.display()))?;
            let hash = format!("{:016x}", tools::fnv1a(&bytes));
            remove_hashed(&pkg, &self.output_name, ext)?;
            let hashed = pkg.join(format!("{}.{hash}.{ext}", self.output_name));
            fs::copy(&plain, &hashed).with_context(|| format!("writing {}", hashed.display()))?;
            lines.push_str(&format!("{ext}: {hash}\n"));
        }
        let hash_file = self.root.join("target/debug/hash.txt");
        fs::write(&hash_file, lines).with_context(|| format!("writing {}", hash_file.display()))
    }
}

/// Removes `<stem>.<hash>.<ext>` files (and their compressed copies) left by earlier builds.
fn remove_hashed(pkg: &Path, stem: &str, ext: &str) -> Result<()> {
    for entry in fs::read_dir(pkg).with_context(|| format!("reading {}", pkg.display()))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let Some(middle) = name
            .strip_prefix(&format!("{stem}."))
            .and_then(|rest| rest.split_once(&format!(".{ext}")).map(|(hash, _)| hash))
        else {
            continue;
        };
        if !middle.is_empty() && !middle.contains('.') {
            fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}

/// Whether `path` exists and was modified after `than`.
fn is_newer(path: &Path, than: &Path) -> bool {
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    matches!((modified(path), modified(than)), (Some(a), Some(b)) if a > b)
}

/// Copies every file under `from` into `to`, keeping the folder structure.
pub fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for entry in fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_site_is_read_from_the_workspace_metadata() {
        let json = r#"{"packages": [], "metadata": {"leptos": [{
            "name": "tollgate", "bin-package": "server", "lib-package": "frontend",
            "site-root": "target/site", "site-pkg-dir": "pkg", "style-file": "style/main.scss",
            "assets-dir": "public", "site-addr": "127.0.0.1:3000", "reload-port": 3001
        }]}}"#;

        let site = Site::from_metadata(Path::new("/clone"), json).unwrap();

        assert_eq!(site.pkg(), Path::new("/clone/target/site/pkg"));
        assert_eq!(site.css_href(), "pkg/tollgate.css");
        assert_eq!(
            site.compiled_wasm(),
            Path::new("/clone/target/wasm32-unknown-unknown/debug/frontend.wasm")
        );
        assert_eq!(site.reload_port, 3001);
        let env = site.server_env(true);
        assert!(env.contains(&("LEPTOS_WATCH", "true".to_owned())));
        assert!(env.contains(&("LEPTOS_SITE_ROOT", "/clone/target/site".to_owned())));
        assert!(!site
            .server_env(false)
            .iter()
            .any(|(name, _)| *name == "LEPTOS_WATCH"));
    }

    #[test]
    fn a_workspace_without_a_leptos_section_is_refused_with_its_name() {
        let error = Site::from_metadata(Path::new("/clone"), r#"{"metadata": null}"#).unwrap_err();

        assert!(error.to_string().contains("[[workspace.metadata.leptos]]"));
    }

    #[test]
    fn only_earlier_hashed_copies_are_removed() {
        let dir = std::env::temp_dir().join(format!("tollgate-site-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        for name in [
            "tollgate.js",
            "tollgate.abc.js",
            "tollgate.abc.js.br",
            "tollgate.abc.css",
            "other.abc.js",
        ] {
            fs::write(dir.join(name), "x").unwrap();
        }

        remove_hashed(&dir, "tollgate", "js").unwrap();

        let mut left: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(left, ["other.abc.js", "tollgate.abc.css", "tollgate.js"]);
    }
}
