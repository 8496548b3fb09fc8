//! Connect: what a call with `Stripe-Account` makes and sees is the connected account's alone,
//! an account the platform does not have is refused, the ownership survives a restart, and
//! transfers move money between the two ledgers.

use stripe_emulator::Config;

use crate::helpers::Emulator;

/// A Custom account that can take payments and be paid out.
async fn ready_account(emulator: &Emulator) -> String {
    let account = emulator
        .ok(
            "/v1/accounts",
            &[
                ("type", "custom"),
                ("business_type", "individual"),
                ("capabilities[transfers][requested]", "true"),
                ("individual[first_name]", "Jenny"),
                ("individual[last_name]", "Rosen"),
                ("individual[email]", "jenny@example.com"),
                ("individual[dob][day]", "1"),
                ("individual[dob][month]", "2"),
                ("individual[dob][year]", "1990"),
                ("tos_acceptance[date]", "1700000000"),
                ("tos_acceptance[ip]", "203.0.113.7"),
                ("external_account[object]", "bank_account"),
                ("external_account[country]", "US"),
                ("external_account[currency]", "usd"),
                ("external_account[routing_number]", "110000000"),
                ("external_account[account_number]", "000123456789"),
            ],
        )
        .await;
    assert_eq!(account["payouts_enabled"], true, "{account}");
    account["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn objects_made_as_a_connected_account_are_invisible_to_the_platform_and_back() {
    let emulator = Emulator::start().await;
    let account = ready_account(&emulator).await;
    let (status, theirs) = emulator
        .as_account(
            &account,
            "/v1/customers",
            Some(&[("email", "theirs@example.com")]),
        )
        .await;
    assert_eq!(status, 200, "{theirs}");
    let ours = emulator
        .ok("/v1/customers", &[("email", "ours@example.com")])
        .await;

    let id = theirs["id"].as_str().unwrap();
    assert_eq!(emulator.get(&format!("/v1/customers/{id}")).await.0, 404);
    let (_, listed) = emulator.as_account(&account, "/v1/customers", None).await;
    let emails: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|customer| customer["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["theirs@example.com"]);
    let ours = ours["id"].as_str().unwrap();
    let (status, _) = emulator
        .as_account(&account, &format!("/v1/customers/{ours}"), None)
        .await;
    assert_eq!(status, 404);

    let (_, events) = emulator.as_account(&account, "/v1/events", None).await;
    let event = &events["data"][0];
    assert_eq!(event["type"], "customer.created");
    assert_eq!(event["account"], account.as_str());
    let platform = emulator.fetch("/v1/events?type=customer.created").await;
    assert_eq!(platform["data"].as_array().unwrap().len(), 1);
    assert!(platform["data"][0].get("account").is_none());
}

#[tokio::test]
async fn a_stripe_account_the_platform_does_not_have_is_refused_with_403() {
    let emulator = Emulator::start().await;
    let (status, body) = emulator
        .as_account("acct_1Unknown", "/v1/balance", None)
        .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "account_invalid");
    assert_eq!(
        body["error"]["message"],
        "The provided key 'sk_test_****ator' does not have access to account 'acct_1Unknown' (or that account does not exist). Application access may have been revoked."
    );
    // A connected account's own objects are not accounts the platform has.
    let account = ready_account(&emulator).await;
    let (_, customer) = emulator
        .as_account(&account, "/v1/customers", Some(&[]))
        .await;
    let (status, _) = emulator
        .as_account(customer["id"].as_str().unwrap(), "/v1/balance", None)
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_restarted_emulator_keeps_each_object_with_its_account() {
    let dir = std::env::temp_dir().join(format!("stripe-emulator-connect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("state.json");
    let _ = std::fs::remove_file(&path);
    let config = || Config {
        tick: None,
        state_file: Some(path.clone()),
        ..Config::default()
    };
    let first = Emulator::with(config()).await;
    let account = ready_account(&first).await;
    let (_, customer) = first.as_account(&account, "/v1/customers", Some(&[])).await;
    drop(first);

    let second = Emulator::with(config()).await;
    let path = format!("/v1/customers/{}", customer["id"].as_str().unwrap());
    assert_eq!(second.as_account(&account, &path, None).await.0, 200);
    assert_eq!(second.get(&path).await.0, 404);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_transfer_and_its_reversal_move_money_between_the_two_ledgers() {
    let emulator = Emulator::start().await;
    let account = ready_account(&emulator).await;
    emulator.pay(10_000, "pm_card_bypassPending").await;
    let (platform_before, _) = emulator.usd_balance().await;
    let transfer = emulator
        .ok(
            "/v1/transfers",
            &[
                ("amount", "4000"),
                ("currency", "usd"),
                ("destination", &account),
            ],
        )
        .await;
    assert_eq!(emulator.usd_balance().await.0, platform_before - 4000);
    let (_, balance) = emulator.as_account(&account, "/v1/balance", None).await;
    assert_eq!(balance["available"][0]["amount"], 4000);

    let id = transfer["id"].as_str().unwrap();
    emulator
        .ok(
            &format!("/v1/transfers/{id}/reversals"),
            &[("amount", "1500")],
        )
        .await;
    assert_eq!(emulator.usd_balance().await.0, platform_before - 2500);
    let (_, balance) = emulator.as_account(&account, "/v1/balance", None).await;
    assert_eq!(balance["available"][0]["amount"], 2500);
    let (_, transactions) = emulator
        .as_account(&account, "/v1/balance_transactions", None)
        .await;
    let kinds: Vec<&str> = transactions["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|transaction| transaction["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["payment_refund", "payment"]);
}
