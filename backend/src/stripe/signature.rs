//! Webhook signature verification: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]` over the raw
//! bytes `"{t}.{body}"`, HMAC-SHA256 with the endpoint secret, compared in constant time.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// How far a signature's timestamp may be from now (Stripe's default), in seconds.
pub const TOLERANCE_SECONDS: i64 = 300;

/// Why a webhook was refused. All are answered 400 and nothing is stored.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `Stripe-Signature` header.
    #[error("the Stripe-Signature header is missing")]
    Missing,
    /// The header has no timestamp or no `v1` signature, or they do not parse.
    #[error("the Stripe-Signature header is malformed")]
    Malformed,
    /// The timestamp is more than the tolerance away from now (a replay, or a wrong clock).
    #[error(
        "the signature's timestamp is {age} s away from now (tolerance {TOLERANCE_SECONDS} s)"
    )]
    Stale {
        /// Seconds between the timestamp and now.
        age: i64,
    },
    /// No `v1` signature matches any configured secret.
    #[error("no signature matches the configured webhook secrets")]
    Mismatch,
}

/// Checks `header` against the raw `payload` with each of `secrets` (several while rotating).
pub fn verify(
    payload: &[u8],
    header: Option<&str>,
    secrets: &[SecretString],
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let Some((key, value)) = part.trim().split_once('=') else {
            continue;
        };
        match key {
            "t" => {
                timestamp = Some(
                    value
                        .parse::<i64>()
                        .map_err(|_| SignatureError::Malformed)?,
                )
            }
            // Other schemes (`v0` in test mode) are not signatures we trust.
            "v1" => {
                if let Ok(bytes) = hex::decode(value) {
                    signatures.push(bytes);
                }
            }
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let age = now.saturating_sub(timestamp);
    if age.abs() > TOLERANCE_SECONDS {
        return Err(SignatureError::Stale { age });
    }
    for secret in secrets {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(payload);
        for signature in &signatures {
            // `verify_slice` compares in constant time.
            if mac.clone().verify_slice(signature).is_ok() {
                return Ok(());
            }
        }
    }
    Err(SignatureError::Mismatch)
}

/// A valid header for `payload`, as Stripe would send it (tests and the emulator's peers).
pub fn sign(payload: &[u8], secret: &str, timestamp: i64) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(payload);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"id":"evt_1","type":"product.created"}"#;
    const NOW: i64 = 1_800_000_000;

    fn secrets(list: &[&str]) -> Vec<SecretString> {
        list.iter().map(|s| SecretString::from(*s)).collect()
    }

    #[test]
    fn a_fresh_signature_over_the_raw_bytes_is_accepted() {
        let header = sign(BODY, "whsec_a", NOW - 10);
        assert_eq!(
            verify(BODY, Some(&header), &secrets(&["whsec_a"]), NOW),
            Ok(())
        );
    }

    #[test]
    fn a_header_made_by_the_official_stripe_sdk_verifies() {
        // `stripe.webhooks.generateTestHeaderString({payload, secret, timestamp})`, stripe-node
        // 23.1.0, run once for this test.
        let payload = br#"{"id":"evt_sdk","object":"event","type":"product.created"}"#;
        let header =
            "t=1800000000,v1=263300bf7e4712f02db14274c60a5f2dcdd40cf0683835298e545a6a43f6078f";
        let secrets = secrets(&["whsec_sdk_secret"]);
        assert_eq!(
            verify(payload, Some(header), &secrets, 1_800_000_000),
            Ok(())
        );
        assert_eq!(sign(payload, "whsec_sdk_secret", 1_800_000_000), header);
    }

    #[test]
    fn one_changed_byte_of_the_body_is_a_mismatch() {
        let header = sign(BODY, "whsec_a", NOW);
        let mut body = BODY.to_vec();
        body[5] ^= 1;
        assert_eq!(
            verify(&body, Some(&header), &secrets(&["whsec_a"]), NOW),
            Err(SignatureError::Mismatch)
        );
        // Re-serialised JSON (a space added) is not the signed payload either.
        let spaced = br#"{"id": "evt_1","type":"product.created"}"#;
        assert!(verify(spaced, Some(&header), &secrets(&["whsec_a"]), NOW).is_err());
    }

    #[test]
    fn any_of_several_signatures_and_any_of_several_secrets_will_do() {
        let good = sign(BODY, "whsec_new", NOW);
        let v1 = good.split_once("v1=").unwrap().1;
        let header = format!("t={NOW},v1={},v0=abcd,v1={v1}", "00".repeat(32));
        assert_eq!(
            verify(
                BODY,
                Some(&header),
                &secrets(&["whsec_old", "whsec_new"]),
                NOW
            ),
            Ok(())
        );
        assert_eq!(
            verify(BODY, Some(&header), &secrets(&["whsec_other"]), NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_signature_older_or_newer_than_five_minutes_is_stale() {
        let old = sign(BODY, "whsec_a", NOW - 301);
        assert_eq!(
            verify(BODY, Some(&old), &secrets(&["whsec_a"]), NOW),
            Err(SignatureError::Stale { age: 301 })
        );
        let edge = sign(BODY, "whsec_a", NOW - 300);
        assert_eq!(
            verify(BODY, Some(&edge), &secrets(&["whsec_a"]), NOW),
            Ok(())
        );
        let future = sign(BODY, "whsec_a", NOW + 301);
        assert!(matches!(
            verify(BODY, Some(&future), &secrets(&["whsec_a"]), NOW),
            Err(SignatureError::Stale { .. })
        ));
    }

    #[test]
    fn missing_or_malformed_headers_are_refused() {
        let s = secrets(&["whsec_a"]);
        assert_eq!(verify(BODY, None, &s, NOW), Err(SignatureError::Missing));
        for header in [
            "",
            "t=abc,v1=00",
            &format!("t={NOW}"),
            "v1=00",
            &format!("t={NOW},v0=00"),
        ] {
            assert_eq!(
                verify(BODY, Some(header), &s, NOW),
                Err(SignatureError::Malformed),
                "{header}"
            );
        }
        // A v1 that is not hex cannot match.
        assert_eq!(
            verify(BODY, Some(&format!("t={NOW},v1=zz")), &s, NOW),
            Err(SignatureError::Malformed)
        );
    }
}
