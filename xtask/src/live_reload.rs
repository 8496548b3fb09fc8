//! The live-reload channel the pages connect to in development: Leptos's `<AutoReload/>` script
//! opens `ws://<host>:<reload-port>/live_reload` and, on a message, reloads the page (`{"all":
//! true}`) or swaps one stylesheet (`{"css": "pkg/tollgate.css"}`). Only the server's half of
//! WebSocket is needed: the handshake and unmasked text frames; whatever the browser sends is
//! ignored, and a browser that went away is dropped at the next message.

use std::{
    io::{BufRead, BufReader, Write},
    net::{TcpListener, TcpStream},
    sync::{Arc, Mutex},
    thread,
};

use anyhow::{Context, Result};
use base64::Engine;
use sha1::{Digest, Sha1};

/// The GUID RFC 6455 appends to the client's key.
const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// What a connected page is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reload<'a> {
    /// Reload the whole page (the server or the bundle changed).
    Page,
    /// Swap the stylesheet whose link contains this path.
    Stylesheet(&'a str),
}

impl Reload<'_> {
    fn message(self) -> String {
        match self {
            Self::Page => r#"{"all":true}"#.to_owned(),
            Self::Stylesheet(href) => serde_json::json!({ "css": href }).to_string(),
        }
    }
}

/// The pages connected for live reload.
#[derive(Clone, Default)]
pub struct LiveReload {
    pages: Arc<Mutex<Vec<TcpStream>>>,
}

impl LiveReload {
    /// Accepts pages on `127.0.0.1:port` in the background.
    pub fn listen(port: u16) -> Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .with_context(|| format!("listening for live reload on 127.0.0.1:{port} (is another `cargo xtask dev` or `cargo leptos watch` running?)"))?;
        let live = Self::default();
        let pages = live.pages.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Ok(stream) = handshake(stream) {
                    pages.lock().expect("live-reload list").push(stream);
                }
            }
        });
        Ok(live)
    }

    /// Tells every connected page; returns how many heard it.
    pub fn send(&self, reload: Reload<'_>) -> usize {
        let frame = text_frame(&reload.message());
        let mut pages = self.pages.lock().expect("live-reload list");
        pages.retain_mut(|page| page.write_all(&frame).is_ok());
        pages.len()
    }
}

/// Answers a WebSocket upgrade request; the stream is then ready for frames.
fn handshake(stream: TcpStream) -> Result<TcpStream> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut key = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            anyhow::bail!("the connection closed during the handshake");
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("sec-websocket-key") {
                key = Some(value.trim().to_owned());
            }
        }
    }
    let key = key.context("not a WebSocket upgrade")?;
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\r\n",
        accept_key(&key)
    )?;
    Ok(stream)
}

/// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`.
fn accept_key(key: &str) -> String {
    let digest = Sha1::digest(format!("{key}{WEBSOCKET_GUID}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// One unmasked, final text frame (what a server sends).
fn text_frame(text: &str) -> Vec<u8> {
    let payload = text.as_bytes();
    let mut frame = vec![0x81];
    match payload.len() {
        len @ 0..=125 => frame.push(len as u8),
        len @ 126..=0xFFFF => {
            frame.push(126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            frame.push(127);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(payload);
    frame
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn the_accept_key_is_the_one_rfc_6455_gives_for_its_sample() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn a_connected_page_hears_a_reload_and_a_stylesheet_swap() {
        let port = TcpListener::bind(("127.0.0.1", 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let live = LiveReload::listen(port).unwrap();
        let mut page = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            page,
            "GET /live_reload HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .unwrap();
        let mut reader = BufReader::new(page);
        let mut status = String::new();
        reader.read_line(&mut status).unwrap();
        assert_eq!(status.trim_end(), "HTTP/1.1 101 Switching Protocols");
        let mut line = String::new();
        while line != "\r\n" {
            line.clear();
            reader.read_line(&mut line).unwrap();
        }
        // The page is registered once the handshake is answered.
        while live.send(Reload::Page) == 0 {
            thread::sleep(std::time::Duration::from_millis(10));
        }
        live.send(Reload::Stylesheet("pkg/tollgate.css"));

        let page = r#"{"all":true}"#;
        let css = r#"{"css":"pkg/tollgate.css"}"#;
        let mut frames = vec![0u8; 2 + page.len() + 2 + css.len()];
        reader.read_exact(&mut frames).unwrap();
        assert_eq!(frames, [text_frame(page), text_frame(css)].concat());
        assert_eq!(&frames[..2], &[0x81, page.len() as u8]);
    }

    #[test]
    fn long_messages_carry_their_length_in_two_bytes() {
        let text = "x".repeat(300);

        let frame = text_frame(&text);

        assert_eq!(&frame[..4], &[0x81, 126, 0x01, 0x2C]);
        assert_eq!(frame.len(), 4 + 300);
    }
}
