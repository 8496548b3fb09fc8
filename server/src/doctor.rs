//! `server doctor`: whether this deployment can take money, one `✓` or `✗` line per check with
//! the fix in words ([`backend::go_live::doctor`]); exits 1 on any `✗`. A configuration that
//! does not load is itself a `✗` line, not a start-up failure. `server healthcheck`: the
//! container's probe of `/healthz`.

use std::time::Duration;

use anyhow::Context;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// Loads the configuration, runs every check and prints them.
pub async fn run() -> anyhow::Result<()> {
    let config = match backend::Config::from_env() {
        Ok(config) => {
            println!("✓ configuration: loads (BASE_URL={})", config.base_url);
            config
        }
        Err(error) => {
            println!("✗ configuration: {error}");
            anyhow::bail!("the configuration does not load; nothing else was checked");
        }
    };
    let checks = backend::go_live::doctor::run(&config).await;
    for check in &checks {
        println!("{} {}", if check.passed { "✓" } else { "✗" }, check.line);
    }
    let failed = checks.iter().filter(|check| !check.passed).count();
    if failed > 0 {
        anyhow::bail!(
            "{failed} {} failed: this deployment cannot take money yet; fix what the ✗ lines say",
            if failed == 1 { "check" } else { "checks" }
        );
    }
    println!("This deployment can take money.");
    Ok(())
}

/// `GET http://127.0.0.1:{port}/healthz`, the port from `LEPTOS_SITE_ADDR` in the environment
/// (default 3000): nothing else of the configuration is needed. Fails unless the answer is 200
/// within 5 s.
pub async fn healthcheck() -> anyhow::Result<()> {
    let address = std::env::var("LEPTOS_SITE_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let port = address
        .trim()
        .parse::<std::net::SocketAddr>()
        .map(|address| address.port())
        .with_context(|| format!("LEPTOS_SITE_ADDR={address} is not an address:port"))?;
    let probe = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .with_context(|| format!("connecting to 127.0.0.1:{port}"))?;
        stream
            .write_all(
                format!(
                    "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
                )
                .as_bytes(),
            )
            .await
            .context("sending the request")?;
        let mut head = [0_u8; 12];
        stream
            .read_exact(&mut head)
            .await
            .context("reading the answer")?;
        anyhow::Ok(head)
    };
    let head = tokio::time::timeout(Duration::from_secs(5), probe)
        .await
        .context("no answer from /healthz within 5 s")??;
    // `HTTP/1.1 200`
    match std::str::from_utf8(&head[9..12]) {
        Ok("200") => Ok(()),
        status => anyhow::bail!(
            "/healthz answered {}",
            status.unwrap_or("something that is not HTTP")
        ),
    }
}
