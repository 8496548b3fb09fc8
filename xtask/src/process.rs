//! Child processes the commands start (the server, the emulator): stopped when dropped, and
//! waited for until they serve.

use std::{
    io::{Read, Write},
    net::TcpStream,
    process::{Child, Command},
    thread,
    time::{Duration, Instant},
};

use anyhow::{bail, Result};

use crate::step::note;

/// A child process (the server, the emulator); stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `GET /readyz` until it answers 200, the process exits, or 60 s pass.
pub fn wait_until_ready(child: &mut Child, port: u16) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait()? {
            bail!("the server exited before it was ready ({status})");
        }
        if readyz(port).is_ok_and(|ok| ok) {
            note("ready");
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the server did not become ready within 60 s");
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until something accepts connections on `port` (the emulator binds before it serves).
pub fn wait_until_listening(child: &mut Child, port: u16) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait()? {
            bail!("the process exited before it listened ({status})");
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("nothing listened on port {port} within 30 s");
        }
        thread::sleep(Duration::from_millis(50));
    }
}

fn readyz(port: u16) -> std::io::Result<bool> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.write_all(b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head)?;
    Ok(head.starts_with(b"HTTP/1.1 200"))
}
