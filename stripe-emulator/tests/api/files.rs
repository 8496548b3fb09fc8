//! Files: multipart uploads held to Stripe's size and type rules per purpose, retrieved, listed,
//! their contents served at `url`, and file links.

use crate::helpers::{multipart, Emulator, KEY};

/// The smallest PNG's signature and a little more.
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

#[tokio::test]
async fn an_upload_is_a_file_whose_url_serves_its_bytes() {
    let emulator = Emulator::start().await;
    let file = emulator
        .upload("dispute_evidence", "receipt.pdf", b"%PDF-1.4 receipt")
        .await;
    let id = file["id"].as_str().unwrap();
    assert!(id.starts_with("file_"));
    assert_eq!(file["object"], "file");
    assert_eq!(file["purpose"], "dispute_evidence");
    assert_eq!(file["type"], "pdf");
    assert_eq!(file["filename"], "receipt.pdf");
    assert_eq!(file["size"], 16);
    let url = file["url"].as_str().unwrap();
    assert_eq!(url, emulator.url(&format!("/v1/files/{id}/contents")));
    let contents = emulator
        .client
        .get(url)
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(contents.status(), 200);
    assert_eq!(contents.headers()["content-type"], "application/pdf");
    assert_eq!(
        contents.bytes().await.unwrap().as_ref(),
        b"%PDF-1.4 receipt"
    );
    let without_key = emulator.client.get(url).send().await.unwrap();
    assert_eq!(without_key.status(), 401);

    assert_eq!(emulator.fetch(&format!("/v1/files/{id}")).await["id"], id);
    emulator.upload("business_logo", "logo.png", PNG).await;
    let evidence = emulator.fetch("/v1/files?purpose=dispute_evidence").await;
    assert_eq!(evidence["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        emulator.fetch("/v1/files").await["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn uploads_above_the_purposes_limit_or_of_another_type_are_refused() {
    let emulator = Emulator::start().await;
    let mut big = b"%PDF-1.4 ".to_vec();
    big.resize(5 * 1024 * 1024 + 1, b'x');
    let (status, body) = emulator
        .try_upload("dispute_evidence", "big.pdf", &big)
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["param"], "file");
    let mut fits = b"%PDF-1.4 ".to_vec();
    fits.resize(5 * 1024 * 1024, b'x');
    assert_eq!(
        emulator
            .try_upload("dispute_evidence", "fits.pdf", &fits)
            .await
            .0,
        200
    );
    let logo = vec![0x89; 512 * 1024 + 1];
    assert_eq!(
        emulator
            .try_upload("business_logo", "logo.png", &logo)
            .await
            .0,
        400
    );

    let (status, body) = emulator
        .try_upload("dispute_evidence", "notes.txt", b"hello")
        .await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("pdf, jpg, png"));
    let (status, body) = emulator.try_upload("dispute_evidence", "", b"").await;
    assert_eq!(status, 400, "{body}");
    let purpose = emulator.try_upload("selfie", "me.png", PNG).await;
    assert_eq!(purpose.0, 400);
    assert_eq!(purpose.1["error"]["param"], "purpose");
}

#[tokio::test]
async fn a_file_link_serves_the_file_without_a_key() {
    let emulator = Emulator::start().await;
    let (status, file) = emulator
        .upload_form(
            &[
                ("purpose", "dispute_evidence"),
                ("file_link_data[create]", "true"),
            ],
            "shot.png",
            PNG,
        )
        .await;
    assert_eq!(status, 200, "{file}");
    let link = &file["links"]["data"][0];
    assert_eq!(link["object"], "file_link");
    let served = emulator
        .client
        .get(link["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap().as_ref(), PNG);
}

#[tokio::test]
async fn an_upload_retried_with_its_idempotency_key_is_one_file_and_other_bytes_are_refused() {
    let emulator = Emulator::start().await;
    let send = |bytes: &'static [u8], boundary: &'static str| {
        let body = multipart(boundary, &[("purpose", "dispute_evidence")], "a.pdf", bytes);
        emulator
            .client
            .post(emulator.url("/v1/files"))
            .bearer_auth(KEY)
            .header("idempotency-key", "upload-1")
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
    };
    let first: serde_json::Value = send(b"%PDF-1.4 a", "one")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let again: serde_json::Value = send(b"%PDF-1.4 a", "two")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first["id"], again["id"]);
    let other = send(b"%PDF-1.4 b", "three").await.unwrap();
    assert_eq!(other.status(), 400);
}
