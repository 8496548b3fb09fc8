//! `Stripe-Signature` checking on arbitrary headers and bodies: never panics, never accepts a
//! header it was not given by the secret's holder (forging HMAC-SHA256 is beyond a fuzzer, so any
//! acceptance is a parser bug), and always accepts a genuine one for the same body.
#![no_main]

use backend::stripe::signature::{sign, verify};
use libfuzzer_sys::fuzz_target;
use secrecy::SecretString;

const NOW: i64 = 1_800_000_000;
const SECRET: &str = "whsec_fuzz";

fuzz_target!(|data: &[u8]| {
    let secrets = [SecretString::from(SECRET)];
    // The first line is the header, the rest the body.
    let split = data
        .iter()
        .position(|&byte| byte == b'\n')
        .unwrap_or(data.len());
    let (header, payload) = data.split_at(split);
    let header = String::from_utf8_lossy(header);
    assert!(
        verify(payload, Some(&header), &secrets, NOW).is_err(),
        "accepted a forged header: {header}"
    );
    let genuine = sign(payload, SECRET, NOW);
    assert!(verify(payload, Some(&genuine), &secrets, NOW).is_ok());
});
