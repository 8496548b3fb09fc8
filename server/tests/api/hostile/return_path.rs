//! The `next` return path through the real sign-in and sign-up flows: the page is opened with a
//! hostile `?next=`, its form is posted with what the page put in it, and the redirect must stay
//! on this site. A same-site path is honoured.

use url::Url;

use crate::helpers::{location, spawn_app, TestApp, BASE_URL, PASSWORD};

/// Query strings, as an attacker would link to `/signin?…` or `/signup?…`.
const HOSTILE_QUERIES: &[&str] = &[
    "next=//evil.example",
    "next=https://evil.example",
    "next=/\\evil.example",
    "next=%2F%2Fevil.example",
    "next=/%5Cevil.example",
    "next=%2F%5Cevil.example",
    "next=javascript:alert(1)",
    "next=/%09/evil.example",
    "next=https:evil.example",
];

/// Values a crafted form posts directly, without the page.
const HOSTILE_VALUES: &[&str] = &[
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "javascript:alert(1)",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
];

/// Whether a browser following `location` from a page of this site stays on it.
fn same_site(location: &str) -> bool {
    let base = Url::parse(BASE_URL).unwrap();
    base.join(location)
        .is_ok_and(|url| url.origin() == base.origin())
}

/// The `next` value the page at `path` put in its form, if any (its HTML escapes undone).
async fn next_in_page(app: &TestApp, path: &str) -> Option<String> {
    let page = app.get_with(&app.new_browser(), path).await;
    assert_eq!(page.status(), 200, "{path}");
    let page = page.text().await.unwrap();
    let marker = r#"name="next" value=""#;
    let start = page.find(marker)? + marker.len();
    let value = page[start..].split('"').next().unwrap();
    Some(
        value
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#39;", "'")
            .replace("&amp;", "&"),
    )
}

/// Signs in (the account exists) in a new browser, posting `next` if given; the redirect.
async fn sign_in_going_to(app: &TestApp, next: Option<&str>) -> String {
    let mut form = vec![("email", "ada@example.com"), ("password", PASSWORD)];
    form.extend(next.map(|next| ("next", next)));
    let response = app
        .post_form_with(&app.new_browser(), "/api/sign_in", &form)
        .await;
    assert_eq!(response.status(), 302);
    location(&response)
}

/// Signs `email` up in a new browser, posting `next` if given; the redirect.
async fn sign_up_going_to(app: &TestApp, email: &str, next: Option<&str>) -> String {
    let mut form = vec![("email", email), ("password", PASSWORD)];
    form.extend(next.map(|next| ("next", next)));
    let response = app
        .post_form_with(&app.new_browser(), "/api/sign_up", &form)
        .await;
    assert_eq!(response.status(), 302);
    location(&response)
}

#[tokio::test]
async fn a_hostile_next_on_the_sign_in_page_ends_on_this_site() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;

    for query in HOSTILE_QUERIES {
        let next = next_in_page(&app, &format!("/signin?{query}")).await;

        let target = sign_in_going_to(&app, next.as_deref()).await;

        assert!(same_site(&target), "{query}: {target}");
        assert_eq!(target, "/account", "{query} (the page gave {next:?})");
    }
}

#[tokio::test]
async fn a_hostile_next_on_the_sign_up_page_ends_on_this_site() {
    let app = spawn_app().await;

    for (n, query) in HOSTILE_QUERIES.iter().enumerate() {
        let next = next_in_page(&app, &format!("/signup?{query}")).await;

        let target = sign_up_going_to(&app, &format!("user{n}@example.com"), next.as_deref()).await;

        assert!(same_site(&target), "{query}: {target}");
    }
}

#[tokio::test]
async fn a_hostile_next_posted_straight_to_sign_in_or_sign_up_ends_on_this_site() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;

    for (n, next) in HOSTILE_VALUES.iter().enumerate() {
        let after_sign_in = sign_in_going_to(&app, Some(next)).await;
        let after_sign_up =
            sign_up_going_to(&app, &format!("user{n}@example.com"), Some(next)).await;

        for target in [after_sign_in, after_sign_up] {
            assert!(same_site(&target), "{next:?}: {target}");
        }
    }
}

#[tokio::test]
async fn a_same_site_next_is_honoured_by_both_flows() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;

    let next = next_in_page(&app, "/signin?next=/account").await;
    assert_eq!(next.as_deref(), Some("/account"));
    assert_eq!(sign_in_going_to(&app, next.as_deref()).await, "/account");
    let next = next_in_page(&app, "/signup?next=%2Fpricing%3Fplan%3Dpro").await;
    assert_eq!(next.as_deref(), Some("/pricing?plan=pro"));
    assert_eq!(
        sign_up_going_to(&app, "grace@example.com", next.as_deref()).await,
        "/pricing?plan=pro"
    );
}
