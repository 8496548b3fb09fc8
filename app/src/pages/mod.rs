//! One module per route.

pub mod account;
pub mod admin;
pub mod checkout_success;
pub mod confirm_email;
pub mod dashboard;
pub mod forgot_password;
pub mod home;
pub mod invitation;
pub mod not_found;
pub mod organization;
pub mod partners;
pub mod pricing;
pub mod reset_password;
pub mod signin;
pub mod signup;

/// Percent-encodes a value for a query string.
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}
