//! Mail through SMTP when `SMTP_URL` is set: a minimal SMTP server on a random port receives it.

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
    sync::mpsc,
};

use crate::helpers::{location, spawn_app_with, ADDRESS_CONFIRMATION};

/// Accepts SMTP sessions and sends each message's DATA down the channel.
async fn fake_smtp_server() -> (u16, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.to_ascii_uppercase();
                    let reply: &[u8] = if verb.starts_with("EHLO") || verb.starts_with("HELO") {
                        b"250 fake\r\n"
                    } else if verb.starts_with("DATA") {
                        write.write_all(b"354 go on\r\n").await.unwrap();
                        let mut data = String::new();
                        while let Ok(Some(line)) = lines.next_line().await {
                            if line == "." {
                                break;
                            }
                            data.push_str(&line);
                            data.push('\n');
                        }
                        let _ = tx.send(data);
                        b"250 queued\r\n"
                    } else if verb.starts_with("QUIT") {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, rx)
}

#[tokio::test]
async fn with_smtp_url_set_mail_goes_out_over_smtp_with_text_and_html_bodies() {
    let (port, mut received) = fake_smtp_server().await;
    let smtp_url = format!("smtp://127.0.0.1:{port}");
    let app = spawn_app_with(&[
        ("SMTP_URL", &smtp_url),
        ("MAIL_FROM", "Tollgate <no-reply@tollgate.test>"),
    ])
    .await;
    app.sign_up("ada@example.com").await;

    app.post_form("/api/forgot_password", &[("email", "ada@example.com")])
        .await;

    // Sign-up also mailed the address confirmation (each is sent in the background).
    let data = loop {
        let data = tokio::time::timeout(std::time::Duration::from_secs(10), received.recv())
            .await
            .expect("the SMTP server received a message")
            .unwrap();
        if !data.contains(&format!("Subject: {ADDRESS_CONFIRMATION}")) {
            break data;
        }
    };
    assert!(
        data.contains("From: Tollgate <no-reply@tollgate.test>"),
        "{data}"
    );
    assert!(data.contains("To: ada@example.com"), "{data}");
    assert!(
        data.contains("Subject: Reset your Tollgate password"),
        "{data}"
    );
    assert!(data.contains("multipart/alternative"), "{data}");
    assert!(
        data.contains("text/plain") && data.contains("text/html"),
        "{data}"
    );
    assert_eq!(
        app.mail_count("ada@example.com").await,
        0,
        "nothing in the outbox"
    );
}

#[tokio::test]
async fn an_unreachable_smtp_server_does_not_change_the_answer_to_forgot_password() {
    // Port 1 on localhost: connection refused.
    let app = spawn_app_with(&[("SMTP_URL", "smtp://127.0.0.1:1")]).await;
    app.sign_up("ada@example.com").await;

    let response = app
        .post_form("/api/forgot_password", &[("email", "ada@example.com")])
        .await;

    assert_eq!(location(&response), "/forgot-password?sent=1");
}
