//! The deployment files' checks `cargo xtask test` runs: every Kubernetes manifest in
//! `deploy/kubernetes/` listed in its `kustomization.yaml` and valid for a pinned Kubernetes
//! release (strict), `deploy/compose.yaml` against the Compose specification, the `Caddyfile`
//! with Caddy's own parser, and the systemd unit with `systemd-analyze verify` — offline once the
//! tools are installed.

use std::{
    collections::BTreeSet,
    fs,
    os::unix::fs::PermissionsExt,
    path::Path,
    process::{Command, Stdio},
};

use anyhow::{ensure, Context, Result};

use crate::{
    step::{self, note},
    tools,
};

/// The Kubernetes release the manifests are checked against (strict: unknown fields fail).
const KUBERNETES_VERSION: &str = "1.31.0";
/// Manifests that are deliberately left out of `kustomization.yaml`.
const NOT_IN_KUSTOMIZATION: [&str; 1] = ["secret.example.yaml"];

/// Checks `deploy/`: every Kubernetes manifest listed in `kustomization.yaml` and valid for
/// [`KUBERNETES_VERSION`] (kubernetes-validate, strict), `compose.yaml` against the Compose
/// specification's schema, the `Caddyfile` with Caddy's own parser, and `tollgate.service`
/// with `systemd-analyze verify`. Everything runs offline once the tools are installed.
pub fn check_deploy_files(root: &Path) -> Result<()> {
    let bin = tools::ensure_python_tools(root)?;
    tools::ensure_debian(&["caddy", "systemd-analyze"], &["caddy", "systemd"])?;
    let deploy = root.join("deploy");
    let kubernetes = deploy.join("kubernetes");

    let mut manifests: Vec<String> = fs::read_dir(&kubernetes)
        .context("reading deploy/kubernetes")?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".yaml") && name != "kustomization.yaml")
        .collect();
    manifests.sort();
    let kustomization = fs::read_to_string(kubernetes.join("kustomization.yaml"))
        .context("reading deploy/kubernetes/kustomization.yaml")?;
    let listed = kustomization_resources(&kustomization);
    let expected: BTreeSet<String> = manifests
        .iter()
        .filter(|name| !NOT_IN_KUSTOMIZATION.contains(&name.as_str()))
        .cloned()
        .collect();
    ensure!(
        listed == expected,
        "kustomization.yaml lists {listed:?}; deploy/kubernetes holds {expected:?}"
    );
    note(format!(
        "kustomization.yaml lists all {} manifests",
        listed.len()
    ));

    let out = Command::new(bin.join("kubernetes-validate"))
        .args(["--strict", "--kubernetes-version", KUBERNETES_VERSION])
        .args(&manifests)
        .current_dir(&kubernetes)
        .output()
        .context("running kubernetes-validate")?;
    let report =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    // An unknown kind or apiVersion is only a warning to kubernetes-validate: fail on it too.
    let passed = report
        .lines()
        .filter(|l| l.starts_with("INFO") && l.contains(" passed "))
        .count();
    ensure!(
        out.status.success() && passed == manifests.len() && !report.contains("WARN"),
        "kubernetes-validate (Kubernetes {KUBERNETES_VERSION}, strict):\n{report}"
    );
    note(format!(
        "{passed} manifests valid for Kubernetes {KUBERNETES_VERSION} (strict schemas)"
    ));

    step::run(
        Command::new(bin.join("check-jsonschema"))
            .args(["--builtin-schema", "vendor.compose-spec"])
            .arg(deploy.join("compose.yaml"))
            .stdout(Stdio::null()),
    )
    .context("compose.yaml does not follow the Compose specification")?;
    note("compose.yaml follows the Compose specification's schema");

    let caddy = Command::new("caddy")
        .args(["adapt", "--adapter", "caddyfile", "--validate", "--config"])
        .arg(deploy.join("Caddyfile"))
        .output()
        .context("running caddy")?;
    let warnings: Vec<String> = String::from_utf8_lossy(&caddy.stderr)
        .lines()
        .filter(|l| l.contains("\"level\":\"warn\"") || l.contains("\"level\":\"error\""))
        .map(str::to_owned)
        .collect();
    ensure!(
        caddy.status.success() && warnings.is_empty(),
        "caddy rejects deploy/Caddyfile:\n{}\n{}",
        String::from_utf8_lossy(&caddy.stderr),
        warnings.join("\n")
    );
    note("Caddyfile valid (caddy adapt --validate)");

    verify_unit(&deploy.join("tollgate.service"))?;
    note("tollgate.service verified (systemd-analyze verify)");
    Ok(())
}

/// The file names under `resources:` in a kustomization.
fn kustomization_resources(kustomization: &str) -> BTreeSet<String> {
    kustomization
        .lines()
        .skip_while(|line| line.trim_end() != "resources:")
        .skip(1)
        .take_while(|line| {
            line.starts_with(' ') || line.trim().is_empty() || line.trim_start().starts_with('#')
        })
        .filter_map(|line| line.trim().strip_prefix("- "))
        .map(|name| name.trim().to_owned())
        .collect()
}

/// `systemd-analyze verify` in a scratch root holding the system's units and a stand-in
/// executable where the unit expects the server, so nothing needs installing; any message fails.
fn verify_unit(unit: &Path) -> Result<()> {
    let scratch = std::env::temp_dir().join(format!("tollgate-unit-{}", std::process::id()));
    let result = (|| {
        let server = scratch.join("opt/tollgate/server");
        let units = scratch.join("etc/systemd/system");
        fs::create_dir_all(server.parent().expect("has a parent"))?;
        fs::create_dir_all(&units)?;
        fs::create_dir_all(scratch.join("usr/lib/systemd"))?;
        step::run(
            Command::new("cp")
                .args(["-r", "/usr/lib/systemd/system"])
                .arg(scratch.join("usr/lib/systemd/")),
        )?;
        fs::write(&server, "#!/bin/sh\n")?;
        fs::set_permissions(&server, PermissionsExt::from_mode(0o755))?;
        let installed = units.join("tollgate.service");
        fs::copy(unit, &installed)?;
        let out = Command::new("systemd-analyze")
            .arg("verify")
            .arg(format!("--root={}", scratch.display()))
            .arg(&installed)
            .output()
            .context("running systemd-analyze")?;
        let said = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        ensure!(
            out.status.success() && said.trim().is_empty(),
            "systemd-analyze verify deploy/tollgate.service:\n{said}"
        );
        Ok(())
    })();
    let _ = fs::remove_dir_all(&scratch);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kustomization_lists_every_manifest_but_the_example_secret() {
        let root = crate::workspace_root().join("deploy/kubernetes");
        let listed =
            kustomization_resources(&fs::read_to_string(root.join("kustomization.yaml")).unwrap());
        let mut on_disk: BTreeSet<String> = fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".yaml") && n != "kustomization.yaml")
            .collect();
        for left_out in NOT_IN_KUSTOMIZATION {
            assert!(on_disk.remove(left_out), "{left_out} is missing");
        }

        assert_eq!(listed, on_disk);
    }
}
