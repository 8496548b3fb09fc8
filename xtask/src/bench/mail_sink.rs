//! A local SMTP server that accepts every message and keeps none: the benchmark server runs as in
//! production (`DEV_MODE` off), which will not start without an `SMTP_URL`.

use std::{
    io::{BufRead, BufReader, Write},
    net::{TcpListener, TcpStream},
    thread,
};

use anyhow::{Context, Result};

/// Listens on a free local port, answering each connection on its own thread, for as long as
/// the process runs; returns the `SMTP_URL` that reaches it.
pub fn start() -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding the mail sink")?;
    let url = format!("smtp://{}", listener.local_addr()?);
    thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            thread::spawn(move || {
                // A client that hangs up mid-conversation just ends its thread.
                let _ = converse(stream);
            });
        }
    });
    Ok(url)
}

/// Says yes to every command; after `DATA`, reads up to the lone `.` and drops the message.
fn converse(stream: TcpStream) -> std::io::Result<()> {
    let mut write = stream.try_clone()?;
    let mut lines = BufReader::new(stream).lines();
    write.write_all(b"220 bench mail sink\r\n")?;
    while let Some(line) = lines.next() {
        let verb = line?.to_ascii_uppercase();
        let reply: &[u8] = if verb.starts_with("DATA") {
            write.write_all(b"354 go ahead\r\n")?;
            for body in lines.by_ref() {
                if body? == "." {
                    break;
                }
            }
            b"250 dropped\r\n"
        } else if verb.starts_with("QUIT") {
            return write.write_all(b"221 bye\r\n");
        } else {
            b"250 ok\r\n"
        };
        write.write_all(reply)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};

    #[test]
    fn the_sink_takes_a_whole_message_and_says_goodbye() {
        let url = super::start().unwrap();
        let stream = std::net::TcpStream::connect(url.trim_start_matches("smtp://")).unwrap();
        let mut write = stream.try_clone().unwrap();
        let mut replies = BufReader::new(stream).lines().map(Result::unwrap);
        let mut say = |line: &str| {
            write.write_all(format!("{line}\r\n").as_bytes()).unwrap();
        };

        assert!(replies.next().unwrap().starts_with("220"));
        for (line, expected) in [
            ("EHLO bench", "250"),
            ("MAIL FROM:<a@example.com>", "250"),
            ("RCPT TO:<b@example.com>", "250"),
            ("DATA", "354"),
        ] {
            say(line);
            assert!(replies.next().unwrap().starts_with(expected), "{line}");
        }
        say("Subject: hello\r\n\r\nbody\r\n.");
        assert!(replies.next().unwrap().starts_with("250"));
        say("QUIT");
        assert!(replies.next().unwrap().starts_with("221"));
    }
}
