//! Card PaymentMethods: the fingerprint names the card number, as Stripe's does within an account.

use crate::helpers::Emulator;

/// The `card.fingerprint` of a new card PaymentMethod made from `card` parameters.
async fn fingerprint(emulator: &Emulator, card: &[(&str, &str)]) -> String {
    let form: Vec<(&str, &str)> = [("type", "card")]
        .into_iter()
        .chain(card.iter().copied())
        .collect();
    let method = emulator.ok("/v1/payment_methods", &form).await;
    method["card"]["fingerprint"]
        .as_str()
        .expect("a card has a fingerprint")
        .to_owned()
}

#[tokio::test]
async fn the_same_card_number_always_has_the_same_fingerprint_and_another_number_another() {
    let emulator = Emulator::start().await;
    let typed = fingerprint(
        &emulator,
        &[
            ("card[number]", "4242 4242 4242 4242"),
            ("card[exp_month]", "12"),
            ("card[exp_year]", "2031"),
        ],
    )
    .await;
    let again = fingerprint(
        &emulator,
        &[
            ("card[number]", "4242424242424242"),
            ("card[exp_month]", "3"),
            ("card[exp_year]", "2033"),
        ],
    )
    .await;
    let token = fingerprint(&emulator, &[("card[token]", "tok_visa")]).await;
    let other = fingerprint(&emulator, &[("card[token]", "tok_mastercard")]).await;
    assert_eq!(typed, again, "another expiry is the same card");
    assert_eq!(typed, token, "tok_visa is the 4242 card");
    assert_ne!(typed, other);
    assert_eq!(typed.len(), 16);
    assert!(typed.chars().all(|c| c.is_ascii_alphanumeric()), "{typed}");

    let restarted = Emulator::start().await;
    assert_eq!(
        fingerprint(&restarted, &[("card[token]", "tok_visa")]).await,
        typed,
        "the account's fingerprints do not depend on what else it holds"
    );
}
