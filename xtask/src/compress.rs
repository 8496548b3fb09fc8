//! Precompression of the dev bundle for the end-to-end run: a `.br` and a `.gz` beside each
//! WASM/JS/CSS file in `target/site/pkg`, which the server sends as-is to browsers that accept
//! them. (Release builds use `cargo leptos build --release --precompress`.) Fast settings: the
//! point is to exercise the serving path, not to win bytes on a debug bundle.

use std::{fs, io::Write, path::Path, time::SystemTime};

use anyhow::{Context, Result};

use crate::step::note;

/// File types worth compressing.
const EXTENSIONS: [&str; 3] = ["wasm", "js", "css"];

/// Writes `.br`/`.gz` for every asset in `pkg_dir` whose compressed copies are missing or stale,
/// and removes compressed copies whose source is gone.
pub fn precompress(pkg_dir: &Path) -> Result<()> {
    let mut written = 0;
    for entry in fs::read_dir(pkg_dir).with_context(|| format!("reading {}", pkg_dir.display()))? {
        let path = entry?.path();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if matches!(ext, "br" | "gz") {
            if !path.with_extension("").exists() {
                fs::remove_file(&path)?;
            }
            continue;
        }
        if !EXTENSIONS.contains(&ext) {
            continue;
        }
        let source_time = modified(&path)?;
        let br = sibling(&path, "br");
        let gz = sibling(&path, "gz");
        if is_fresh(&br, source_time) && is_fresh(&gz, source_time) {
            continue;
        }
        let bytes = fs::read(&path)?;
        fs::write(&br, brotli(&bytes)?)?;
        fs::write(&gz, gzip(&bytes)?)?;
        written += 1;
    }
    note(format!(
        "precompressed {written} file(s) in {}",
        pkg_dir.display()
    ));
    Ok(())
}

/// `a/b.wasm` → `a/b.wasm.br`.
fn sibling(path: &Path, ext: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    name.into()
}

fn modified(path: &Path) -> Result<SystemTime> {
    Ok(fs::metadata(path)?.modified()?)
}

fn is_fresh(path: &Path, source_time: SystemTime) -> bool {
    modified(path).is_ok_and(|t| t >= source_time)
}

/// Brotli at a fast quality.
fn brotli(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 5,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).context("brotli")?;
    Ok(out)
}

/// Gzip at the default level.
fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}
