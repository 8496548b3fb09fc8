//! Connect's hosted onboarding form behind an Account Link (`/connect/onboarding/{token}`): the
//! individual's name, email and date of birth (one date input), a bank account (routing and
//! account number), and the Stripe Connected Account Agreement. Submitting it fills the account
//! (its requirements, capabilities and events follow) and returns to `return_url`; an expired or
//! used link sends the visitor to `refresh_url`, as Stripe does.
//! <https://docs.stripe.com/connect/hosted-onboarding>

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{json, Map, Value};

use super::{escape, page, problem};
use crate::connect::bank_accounts::{self, Details};
use crate::connect::{accounts, profile, OnboardingLink};
use crate::world::World;
use crate::Emulator;

/// Where a visit to a link goes.
enum Visit {
    /// The form, for this account.
    Form(Value),
    /// Expired or used: to `refresh_url`.
    Refresh(String),
    /// No such link.
    Unknown,
}

fn visit(world: &World, token: &str) -> (Visit, Option<OnboardingLink>) {
    let Some(link) = world.connect.links.get(token).cloned() else {
        return (Visit::Unknown, None);
    };
    if link.used || world.now() > link.expires_at {
        return (Visit::Refresh(link.refresh_url.clone()), Some(link));
    }
    match world.connected_account(&link.account) {
        Some(account) => (Visit::Form(account.clone()), Some(link)),
        None => (Visit::Unknown, None),
    }
}

/// `GET /connect/onboarding/{token}`
pub async fn show(State(emulator): State<Emulator>, Path(token): Path<String>) -> Response {
    match emulator.read(|world| visit(world, &token).0) {
        Visit::Form(account) => render(&account, &token, &HashMap::new(), None),
        Visit::Refresh(url) => Redirect::to(&url).into_response(),
        Visit::Unknown => gone(),
    }
}

/// `POST /connect/onboarding/{token}`: fills the account, then 303 to `return_url`; wrong input
/// shows the form again with what was wrong.
pub async fn submit(
    State(emulator): State<Emulator>,
    Path(token): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let ip = header("x-forwarded-for")
        .and_then(|forwarded| forwarded.split(',').next())
        .map(|first| first.trim().to_owned())
        .unwrap_or_else(|| peer.ip().to_string());
    let agent = header("user-agent").map(str::to_owned);
    let outcome = emulator.mutate(|world| {
        let (visit, link) = visit(world, &token);
        let account = match visit {
            Visit::Form(account) => account,
            Visit::Refresh(url) => return Ok(url),
            Visit::Unknown => return Err(None),
        };
        let link = link.expect("a form visit has its link");
        let filled =
            read_form(&form, &account).map_err(|message| Some((account.clone(), message)))?;
        onboard(world, account, filled, ip, agent);
        if let Some(stored) = world.connect.links.get_mut(&token) {
            stored.used = true;
        }
        Ok(link.return_url)
    });
    match outcome {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(Some((account, message))) => render(&account, &token, &form, Some(&message)),
        Err(None) => gone(),
    }
}

/// What the form gave, checked.
struct Filled {
    person: Map<String, Value>,
    bank: Details,
}

fn read_form(form: &HashMap<String, String>, account: &Value) -> Result<Filled, String> {
    let field = |name: &str| form.get(name).map(|value| value.trim()).unwrap_or_default();
    for (name, label) in [
        ("first_name", "first name"),
        ("last_name", "last name"),
        ("email", "email"),
        ("dob", "date of birth"),
    ] {
        if field(name).is_empty() {
            return Err(format!("Enter your {label}."));
        }
    }
    let date = birth_date(field("dob"))
        .ok_or_else(|| "Enter your date of birth as a date (YYYY-MM-DD).".to_owned())?;
    if form.get("tos").map(String::as_str) != Some("accepted") {
        return Err("Agree to the Stripe Connected Account Agreement to continue.".to_owned());
    }
    let mut bank = Map::new();
    bank.insert("routing_number".into(), json!(field("routing_number")));
    bank.insert("account_number".into(), json!(field("account_number")));
    bank.insert(
        "account_holder_name".into(),
        json!(format!("{} {}", field("first_name"), field("last_name"))),
    );
    bank.insert("account_holder_type".into(), json!("individual"));
    let bank = Details::parse(
        &bank,
        "bank_account",
        account["country"].as_str().unwrap_or("US"),
        account["default_currency"].as_str().unwrap_or("usd"),
    )
    .map_err(|error| error.message)?;
    let mut person = Map::new();
    for name in ["first_name", "last_name", "email"] {
        person.insert(name.into(), json!(field(name)));
    }
    person.insert(
        "dob".into(),
        json!({ "day": date.day(), "month": u8::from(date.month()), "year": date.year() }),
    );
    Ok(Filled { person, bank })
}

/// A `YYYY-MM-DD` date (what a date input sends) in the past.
fn birth_date(text: &str) -> Option<time::Date> {
    let mut parts = text.splitn(3, '-').map(str::parse::<i32>);
    let (Some(Ok(year)), Some(Ok(month)), Some(Ok(day))) =
        (parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = time::Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()?;
    (1900..=2100).contains(&year).then_some(date)
}

/// Fills the account from the form: the individual, a default bank account, the terms accepted
/// from the submitter's IP; then stores it with its events.
fn onboard(world: &mut World, before: Value, filled: Filled, ip: String, agent: Option<String>) {
    let id = before["id"].as_str().unwrap_or_default().to_owned();
    let now = world.now();
    let mut account = before.clone();
    if account["business_type"].is_null() {
        account["business_type"] = json!("individual");
    }
    profile::set_individual(&mut account, &filled.person, now);
    account["tos_acceptance"]["date"] = json!(now);
    account["tos_acceptance"]["ip"] = json!(ip);
    account["tos_acceptance"]["user_agent"] = json!(agent);
    let bank_id = world.new_id("ba");
    world.as_account(Some(&id), |world| {
        bank_accounts::attach(world, &filled.bank, bank_id, true, json!({}))
    });
    let account = accounts::save(world, Some(&before), account);
    crate::money::schedule::plan(world, &account);
}

/// The name the form greets the account by.
fn business_name(account: &Value) -> String {
    [
        &account["business_profile"]["name"],
        &account["settings"]["dashboard"]["display_name"],
        &account["email"],
        &account["id"],
    ]
    .into_iter()
    .find_map(|name| name.as_str().filter(|name| !name.is_empty()))
    .unwrap_or_default()
    .to_owned()
}

fn render(
    account: &Value,
    token: &str,
    form: &HashMap<String, String>,
    error: Option<&str>,
) -> Response {
    let person = &account["individual"];
    let value = |name: &str, stored: &Value| {
        escape(
            form.get(name)
                .map(String::as_str)
                .or(stored.as_str())
                .unwrap_or_default(),
        )
    };
    let dob = &person["dob"];
    let stored_dob = match (
        dob["year"].as_i64(),
        dob["month"].as_i64(),
        dob["day"].as_i64(),
    ) {
        (Some(year), Some(month), Some(day)) => json!(format!("{year:04}-{month:02}-{day:02}")),
        _ => Value::Null,
    };
    let name = escape(&business_name(account));
    let error = error
        .map(|message| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(message)))
        .unwrap_or_default();
    let body = format!(
        r#"<h1>Set up payouts for {name}</h1>
<p class="muted">Tell us about yourself and where to send your money. Test mode: use routing number 110000000 and account number 000123456789.</p>
{error}
<form method="post" action="/connect/onboarding/{token}">
<section><h2>Personal details</h2>
<div class="row"><div><label for="first_name">First name</label><input id="first_name" name="first_name" autocomplete="given-name" value="{first}" required></div>
<div><label for="last_name">Last name</label><input id="last_name" name="last_name" autocomplete="family-name" value="{last}" required></div></div>
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="email" value="{email}" required>
<label for="dob">Date of birth</label><input id="dob" name="dob" type="date" autocomplete="bday" value="{dob}" required></section>
<section><h2>Bank account for payouts</h2>
<label for="routing_number">Routing number</label><input id="routing_number" name="routing_number" inputmode="numeric" placeholder="110000000" value="{routing}" required>
<label for="account_number">Account number</label><input id="account_number" name="account_number" inputmode="numeric" placeholder="000123456789" value="{number}" required></section>
<section><p><input id="tos" name="tos" type="checkbox" value="accepted" required style="width:auto"> <label for="tos" style="display:inline">I agree to the Stripe Connected Account Agreement</label></p>
<button type="submit">Agree and submit</button></section>
</form>"#,
        first = value("first_name", &person["first_name"]),
        last = value("last_name", &person["last_name"]),
        email = value("email", &person["email"]),
        dob = value("dob", &stored_dob),
        routing = value("routing_number", &Value::Null),
        number = value("account_number", &Value::Null),
    );
    let status = if form.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    page(
        status,
        &format!("Set up payouts for {}", business_name(account)),
        &body,
    )
}

fn gone() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "Link not found",
        "This onboarding link does not exist. Ask the platform for a new one.",
    )
}
