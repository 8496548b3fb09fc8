//! Clients that hold many addresses: an IPv6 client controls its whole /64, so the per-client
//! limit is keyed on it; an IPv4-mapped IPv6 address is its IPv4 client.

use crate::helpers::{spawn_app_with, TestApp, PASSWORD};

async fn sign_in_from(app: &TestApp, ip: &str) -> u16 {
    app.post_form_from(
        &app.new_browser(),
        ip,
        "/api/sign_in",
        &[("email", "ada@example.com"), ("password", PASSWORD)],
    )
    .await
    .status()
    .as_u16()
}

#[tokio::test]
async fn addresses_in_one_ipv6_slash_64_share_one_limit() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_PER_IP_PER_MINUTE", "2"),
        ("TRUSTED_PROXY_HOPS", "1"),
    ])
    .await;

    let first = sign_in_from(&app, "2001:db8:1:2::1").await;
    let second = sign_in_from(&app, "2001:db8:1:2::2").await;
    let neighbour = sign_in_from(&app, "2001:db8:1:2:ffff:ffff:ffff:ffff").await;
    let next_network = sign_in_from(&app, "2001:db8:1:3::1").await;

    assert_eq!([first, second], [302, 302]);
    assert_eq!(neighbour, 429, "another address in the same /64");
    assert_eq!(next_network, 302);
}

#[tokio::test]
async fn an_ipv4_mapped_address_shares_its_ipv4_clients_limit() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_PER_IP_PER_MINUTE", "2"),
        ("TRUSTED_PROXY_HOPS", "1"),
    ])
    .await;

    let mapped = sign_in_from(&app, "::ffff:192.0.2.1").await;
    let plain = sign_in_from(&app, "192.0.2.1").await;
    let mapped_again = sign_in_from(&app, "::ffff:192.0.2.1").await;

    assert_eq!([mapped, plain], [302, 302]);
    assert_eq!(mapped_again, 429);
}
