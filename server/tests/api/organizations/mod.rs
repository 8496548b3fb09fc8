//! Organizations: invitations (once, for 7 days, for the invited address only), roles, the
//! last-owner rule, leaving, and one organization's people out of another's reach.
//!
//! - [`billing`]: subscribing as an organization, seats following the members (coalesced, and
//!   reconciled nightly), deletion cancelling the subscription, owners-only billing.

mod billing;

use serde_json::Value;

use crate::helpers::{
    form_error, link_in, location, spawn_app, without_markers, TestApp, PASSWORD,
};

/// Signs `email` up in a new browser; the browser.
pub(crate) async fn person(app: &TestApp, email: &str) -> reqwest::Client {
    let browser = app.new_browser();
    crate::partners::sign_up_with(app, &browser, email).await;
    browser
}

/// The id of `email`'s account.
async fn user_id(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar::<_, uuid::Uuid>("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap()
        .to_string()
}

/// Creates an organization as `browser`, who acts for it afterwards; its id.
pub(crate) async fn create(app: &TestApp, browser: &reqwest::Client, name: &str) -> uuid::Uuid {
    let response = app
        .post_form_with(browser, "/api/create_organization", &[("name", name)])
        .await;
    assert_eq!(
        location(&response),
        "/organization?notice=organization-created",
        "{:?}",
        form_error(&response)
    );
    sqlx::query_scalar("SELECT id FROM organizations WHERE name = $1")
        .bind(name)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// Posts a server function as `browser`; the form error it came back with, if any.
pub(crate) async fn act(
    app: &TestApp,
    browser: &reqwest::Client,
    function: &str,
    form: &[(&str, &str)],
) -> Option<Value> {
    let response = app
        .post_form_with(browser, &format!("/api/{function}"), form)
        .await;
    assert_eq!(response.status(), 302, "{function} redirects");
    form_error(&response)
}

/// Invites `email` as `role`; the token of the link mailed (the `n`th mail to the address).
pub(crate) async fn invite(
    app: &TestApp,
    browser: &reqwest::Client,
    email: &str,
    role: &str,
    n: usize,
) -> String {
    let error = act(
        app,
        browser,
        "invite_member",
        &[("email", email), ("role", role)],
    )
    .await;
    assert_eq!(error, None, "the invitation is sent");
    let (subject, text, _) = app.mail_to(email, n).await;
    assert!(subject.starts_with("Join "), "{subject}");
    let link = link_in(&text);
    assert!(link.starts_with("/invitations/accept?token="), "{link}");
    link.trim_start_matches("/invitations/accept?token=")
        .to_owned()
}

/// Accepts the invitation `token` as `browser`; the form error, if refused.
pub(crate) async fn accept(app: &TestApp, browser: &reqwest::Client, token: &str) -> Option<Value> {
    act(app, browser, "accept_invitation", &[("token", token)]).await
}

/// The roles in the organization, by address.
async fn roles(app: &TestApp, organization: uuid::Uuid) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.organization_id = $1 ORDER BY u.email",
    )
    .bind(organization)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

fn form_message(error: &Option<Value>) -> String {
    error
        .as_ref()
        .and_then(|error| error["Form"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[tokio::test]
async fn an_invitation_joins_once_and_only_for_the_invited_address() {
    let app = spawn_app().await;
    let ada = person(&app, "ada@example.com").await;
    let acme = create(&app, &ada, "Acme").await;
    let token = invite(&app, &ada, "bob@example.com", "member", 1).await;

    // Opening the link signed out shows whose invitation it is and changes nothing.
    let page = without_markers(
        app.page(&format!("/invitations/accept?token={token}"))
            .await,
    );
    assert!(page.contains("Join Acme"), "{page}");
    assert!(page.contains("Create an account"), "{page}");

    // Eve, signed in with another address, cannot use Bob's link; it still works for Bob.
    let eve = person(&app, "eve@example.com").await;
    let refused = accept(&app, &eve, &token).await;
    assert!(
        form_message(&refused).contains("another email address"),
        "{refused:?}"
    );

    let bob = person(&app, "bob@example.com").await;
    assert_eq!(accept(&app, &bob, &token).await, None);
    assert_eq!(
        roles(&app, acme).await,
        [
            ("ada@example.com".to_owned(), "owner".to_owned()),
            ("bob@example.com".to_owned(), "member".to_owned())
        ]
    );
    // Spent: a second use is refused.
    let again = accept(&app, &bob, &token).await;
    assert!(form_message(&again).contains("already used"), "{again:?}");
    // Bob acts for Acme now, and its page lists both.
    let page = without_markers(
        app.get_with(&bob, "/organization")
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(page.contains("<h1>Acme</h1>"), "{page}");
    assert!(page.contains("ada@example.com") && page.contains("bob@example.com"));
}

#[tokio::test]
async fn an_invitation_expires_after_seven_days_and_a_new_one_replaces_the_old() {
    let app = spawn_app().await;
    let ada = person(&app, "ada@example.com").await;
    create(&app, &ada, "Acme").await;
    let first = invite(&app, &ada, "bob@example.com", "member", 1).await;
    let expires: i64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM expires_at - created_at)::bigint FROM invitations",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(expires, 7 * 86_400, "valid for 7 days");

    let second = invite(&app, &ada, "bob@example.com", "admin", 2).await;
    let bob = person(&app, "bob@example.com").await;
    let replaced = accept(&app, &bob, &first).await;
    assert!(form_message(&replaced).contains("invalid"), "{replaced:?}");

    // Eight days on, the newer link has expired too.
    sqlx::query("UPDATE invitations SET expires_at = now() - interval '1 day', created_at = created_at - interval '8 days'")
        .execute(&app.db)
        .await
        .unwrap();
    let expired = accept(&app, &bob, &second).await;
    assert!(form_message(&expired).contains("expired"), "{expired:?}");
    let page = without_markers(
        app.page(&format!("/invitations/accept?token={second}"))
            .await,
    );
    assert!(
        page.contains("invalid, already used, withdrawn or expired"),
        "{page}"
    );
}

#[tokio::test]
async fn members_cannot_manage_members_and_admins_cannot_touch_owners() {
    let app = spawn_app().await;
    let ada = person(&app, "ada@example.com").await;
    let acme = create(&app, &ada, "Acme").await;
    let bob_token = invite(&app, &ada, "bob@example.com", "member", 1).await;
    let cleo_token = invite(&app, &ada, "cleo@example.com", "admin", 1).await;
    let bob = person(&app, "bob@example.com").await;
    let cleo = person(&app, "cleo@example.com").await;
    assert_eq!(accept(&app, &bob, &bob_token).await, None);
    assert_eq!(accept(&app, &cleo, &cleo_token).await, None);
    let (ada_id, bob_id) = (
        user_id(&app, "ada@example.com").await,
        user_id(&app, "bob@example.com").await,
    );

    // A member invites nobody.
    let refused = act(
        &app,
        &bob,
        "invite_member",
        &[("email", "dan@example.com"), ("role", "member")],
    )
    .await;
    assert!(
        form_message(&refused).contains("owners and admins"),
        "{refused:?}"
    );
    // An admin cannot remove or demote the owner, nor make anyone owner.
    let refused = act(&app, &cleo, "remove_member", &[("member", &ada_id)]).await;
    assert!(form_message(&refused).contains("owners"), "{refused:?}");
    let refused = act(&app, &cleo, "transfer_ownership", &[("member", &bob_id)]).await;
    assert!(form_message(&refused).contains("owners"), "{refused:?}");
    // …but manages members.
    assert_eq!(
        act(
            &app,
            &cleo,
            "change_role",
            &[("member", &bob_id), ("role", "admin")]
        )
        .await,
        None
    );
    assert_eq!(
        roles(&app, acme).await,
        [
            ("ada@example.com".to_owned(), "owner".to_owned()),
            ("bob@example.com".to_owned(), "admin".to_owned()),
            ("cleo@example.com".to_owned(), "admin".to_owned())
        ]
    );
    assert_eq!(
        act(&app, &cleo, "remove_member", &[("member", &bob_id)]).await,
        None
    );
    assert_eq!(roles(&app, acme).await.len(), 2);
    // Bob, removed, acts for himself again at once.
    let page = without_markers(
        app.get_with(&bob, "/organization")
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(page.contains("<h1>Organizations</h1>"), "{page}");
}

#[tokio::test]
async fn the_last_owner_cannot_leave_or_delete_their_account_until_ownership_moves() {
    let app = spawn_app().await;
    let ada = person(&app, "ada@example.com").await;
    let acme = create(&app, &ada, "Acme").await;
    let token = invite(&app, &ada, "bob@example.com", "member", 1).await;
    let bob = person(&app, "bob@example.com").await;
    assert_eq!(accept(&app, &bob, &token).await, None);

    let refused = act(&app, &ada, "leave_organization", &[]).await;
    assert!(
        form_message(&refused).contains("needs an owner"),
        "{refused:?}"
    );
    let refused = act(&app, &ada, "delete_account", &[("password", PASSWORD)]).await;
    let message = refused
        .as_ref()
        .map(|e| e["Field"]["message"].to_string())
        .unwrap_or_default();
    assert!(message.contains("only owner of Acme"), "{refused:?}");

    let bob_id = user_id(&app, "bob@example.com").await;
    assert_eq!(
        act(&app, &ada, "transfer_ownership", &[("member", &bob_id)]).await,
        None
    );
    assert_eq!(
        roles(&app, acme).await,
        [
            ("ada@example.com".to_owned(), "admin".to_owned()),
            ("bob@example.com".to_owned(), "owner".to_owned())
        ]
    );
    assert_eq!(act(&app, &ada, "leave_organization", &[]).await, None);
    assert_eq!(roles(&app, acme).await.len(), 1);
}

#[tokio::test]
async fn a_member_of_one_organization_cannot_reach_anothers_people() {
    let app = spawn_app().await;
    let ada = person(&app, "ada@example.com").await;
    let acme = create(&app, &ada, "Acme").await;
    let zed = person(&app, "zed@example.com").await;
    let globex = create(&app, &zed, "Globex").await;
    let zed_id = user_id(&app, "zed@example.com").await;

    // Ada cannot act for Globex, nor remove its owner while acting for Acme.
    let response = app
        .post_form_with(
            &ada,
            "/api/switch_account",
            &[("account", &globex.to_string())],
        )
        .await;
    assert!(
        form_error(&response).is_some(),
        "switching to someone else's organization is refused"
    );
    let refused = act(&app, &ada, "remove_member", &[("member", &zed_id)]).await;
    assert!(refused.is_some());
    assert_eq!(roles(&app, globex).await.len(), 1);
    let page = without_markers(
        app.get_with(&ada, "/organization")
            .await
            .text()
            .await
            .unwrap(),
    );
    assert!(
        !page.contains("zed@example.com") && !page.contains("Globex"),
        "{page}"
    );
    // Nor withdraw its invitations.
    invite(&app, &zed, "yan@example.com", "member", 1).await;
    let invitation: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM invitations WHERE organization_id = $1")
            .bind(globex)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(act(
        &app,
        &ada,
        "revoke_invitation",
        &[("invitation", &invitation.to_string())]
    )
    .await
    .is_some());
    let open: i64 = sqlx::query_scalar("SELECT count(*) FROM invitations WHERE revoked_at IS NULL")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(open, 1);
    let _ = acme;
}
