//! A test emulator on a random port and the one client every test drives it with: the API with
//! the test key, and the hosted pages as a browser would (forms posted, redirects seen or followed).

use serde_json::Value;
use stripe_emulator::{Config, Running};

pub const KEY: &str = "sk_test_emulator";

pub struct Emulator {
    pub running: Running,
    pub client: reqwest::Client,
    /// For hosted page forms whose redirect the test looks at instead of following.
    unfollowed: reqwest::Client,
}

/// A hosted page's answer to a submitted form, its redirect not followed.
pub struct Submitted {
    pub status: u16,
    /// Where it redirects to, if it does.
    pub location: Option<String>,
    pub body: String,
}

impl Emulator {
    pub async fn start() -> Self {
        Self::with(Config {
            tick: None,
            seed: Some(42),
            ..Config::default()
        })
        .await
    }

    pub async fn with(config: Config) -> Self {
        let running = stripe_emulator::spawn(config)
            .await
            .expect("emulator starts");
        Self {
            running,
            client: reqwest::Client::new(),
            unfollowed: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client without redirects"),
        }
    }

    /// A hosted page (Checkout, portal, 3-D Secure) as a browser GETs it: its HTML.
    pub async fn page(&self, url: &str) -> String {
        let response = self.client.get(url).send().await.expect("page request");
        response.text().await.expect("page body")
    }

    /// Posts a hosted page's form as a browser would, without following the redirect.
    pub async fn submit(&self, url: &str, form: &[(&str, &str)]) -> Submitted {
        let response = self
            .unfollowed
            .post(url)
            .form(form)
            .send()
            .await
            .expect("form post");
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|value| value.to_str().expect("a text Location").to_owned());
        Submitted {
            status,
            location,
            body: response.text().await.expect("form answer body"),
        }
    }

    /// Posts a hosted page's form and follows its redirect: the status and page landed on.
    pub async fn submit_and_follow(&self, url: &str, form: &[(&str, &str)]) -> (u16, String) {
        let response = self
            .client
            .post(url)
            .form(form)
            .send()
            .await
            .expect("form post");
        let status = response.status().as_u16();
        (status, response.text().await.expect("page body"))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base_url)
    }

    /// POSTs form parameters; returns the status and JSON body.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let response = self
            .client
            .post(self.url(path))
            .bearer_auth(KEY)
            .form(form)
            .send()
            .await
            .expect("request");
        (
            response.status().as_u16(),
            response.json().await.expect("JSON body"),
        )
    }

    /// POSTs and expects 200.
    pub async fn ok(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let (status, body) = self.post(path, form).await;
        assert_eq!(status, 200, "POST {path} {form:?} answered {body}");
        body
    }

    /// Calls the API as a connected account (`Stripe-Account`); a `form` makes it a POST.
    pub async fn as_account(
        &self,
        account: &str,
        path: &str,
        form: Option<&[(&str, &str)]>,
    ) -> (u16, Value) {
        let request = match form {
            Some(form) => self.client.post(self.url(path)).form(form),
            None => self.client.get(self.url(path)),
        };
        let response = request
            .bearer_auth(KEY)
            .header("stripe-account", account)
            .send()
            .await
            .expect("request");
        (
            response.status().as_u16(),
            response.json().await.expect("JSON body"),
        )
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(self.url(path))
            .bearer_auth(KEY)
            .send()
            .await
            .expect("request");
        (
            response.status().as_u16(),
            response.json().await.expect("JSON body"),
        )
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .delete(self.url(path))
            .bearer_auth(KEY)
            .send()
            .await
            .expect("request");
        (
            response.status().as_u16(),
            response.json().await.expect("JSON body"),
        )
    }

    pub async fn fetch(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "GET {path} answered {body}");
        body
    }

    pub async fn advance_days(&self, days: i64) {
        self.running.emulator.advance(days * 86_400);
    }

    /// A product with one monthly price of `amount` cents; returns the price id.
    pub async fn monthly_price(&self, name: &str, amount: i64) -> String {
        let product = self.ok("/v1/products", &[("name", name)]).await;
        let amount = amount.to_string();
        let price = self
            .ok(
                "/v1/prices",
                &[
                    ("product", product["id"].as_str().unwrap()),
                    ("currency", "usd"),
                    ("unit_amount", &amount),
                    ("recurring[interval]", "month"),
                ],
            )
            .await;
        price["id"].as_str().unwrap().to_owned()
    }

    /// Subscribes `customer` to `price`, with any other parameters.
    pub async fn subscribe(&self, customer: &str, price: &str, extra: &[(&str, &str)]) -> Value {
        let mut form = vec![("customer", customer), ("items[0][price]", price)];
        form.extend_from_slice(extra);
        self.ok("/v1/subscriptions", &form).await
    }

    /// A subscription's latest renewal invoice (`billing_reason: subscription_cycle`).
    pub async fn renewal(&self, subscription: &str) -> Value {
        let invoices = self
            .fetch(&format!(
                "/v1/invoices?subscription={subscription}&limit=100"
            ))
            .await;
        invoices["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|invoice| invoice["billing_reason"] == "subscription_cycle")
            .expect("a renewal invoice")
            .clone()
    }

    /// A customer whose default card is the given test PaymentMethod (`pm_card_visa`, …).
    pub async fn customer_with(&self, payment_method: &str) -> String {
        let customer = self
            .ok(
                "/v1/customers",
                &[
                    ("email", "jenny@example.com"),
                    ("payment_method", payment_method),
                ],
            )
            .await;
        let id = customer["id"].as_str().unwrap().to_owned();
        let methods = self
            .fetch(&format!("/v1/customers/{id}/payment_methods"))
            .await;
        let pm = methods["data"][0]["id"].as_str().unwrap().to_owned();
        self.ok(
            &format!("/v1/customers/{id}"),
            &[("invoice_settings[default_payment_method]", &pm)],
        )
        .await;
        id
    }

    /// A card payment of `amount` cents in USD confirmed at once with a test PaymentMethod
    /// (`pm_card_visa`, `pm_card_createDispute`); returns its Charge.
    pub async fn pay(&self, amount: i64, payment_method: &str) -> Value {
        let amount = amount.to_string();
        let intent = self
            .ok(
                "/v1/payment_intents",
                &[
                    ("amount", amount.as_str()),
                    ("currency", "usd"),
                    ("allowed_payment_method_types[]", "card"),
                    ("payment_method", payment_method),
                    ("confirm", "true"),
                ],
            )
            .await;
        assert_eq!(intent["status"], "succeeded", "{intent}");
        let charge = intent["latest_charge"].as_str().unwrap();
        self.fetch(&format!("/v1/charges/{charge}")).await
    }

    /// The account's balance: (available, pending) in USD.
    pub async fn usd_balance(&self) -> (i64, i64) {
        let balance = self.fetch("/v1/balance").await;
        let usd = |side: &str| {
            balance[side]
                .as_array()
                .unwrap()
                .iter()
                .find(|funds| funds["currency"] == "usd")
                .map_or(0, |funds| funds["amount"].as_i64().unwrap())
        };
        (usd("available"), usd("pending"))
    }

    /// Uploads a file (`POST /v1/files`, multipart); returns the status and JSON body.
    pub async fn try_upload(&self, purpose: &str, name: &str, bytes: &[u8]) -> (u16, Value) {
        self.upload_form(&[("purpose", purpose)], name, bytes).await
    }

    /// Posts a `multipart/form-data` body to `/v1/files`: text fields, then the `file` part
    /// (without a file name when `name` is empty).
    pub async fn upload_form(
        &self,
        fields: &[(&str, &str)],
        name: &str,
        bytes: &[u8],
    ) -> (u16, Value) {
        const BOUNDARY: &str = "emulator-test-boundary";
        let body = multipart(BOUNDARY, fields, name, bytes);
        let response = self
            .client
            .post(self.url("/v1/files"))
            .bearer_auth(KEY)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body)
            .send()
            .await
            .expect("upload");
        (
            response.status().as_u16(),
            response.json().await.expect("JSON body"),
        )
    }

    /// Uploads a file and expects 200.
    pub async fn upload(&self, purpose: &str, name: &str, bytes: &[u8]) -> Value {
        let (status, body) = self.try_upload(purpose, name, bytes).await;
        assert_eq!(status, 200, "upload {purpose} {name} answered {body}");
        body
    }

    /// The event types emitted so far, oldest first.
    pub async fn event_types(&self) -> Vec<String> {
        let events = self.fetch("/v1/events?limit=100").await;
        let mut types: Vec<String> = events["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|event| event["type"].as_str().unwrap().to_owned())
            .collect();
        types.reverse();
        types
    }
}

/// A `multipart/form-data` body with `boundary`: the text fields, then the `file` part (without
/// a file name when `name` is empty).
pub fn multipart(boundary: &str, fields: &[(&str, &str)], name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for (field, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    let filename = if name.is_empty() {
        String::new()
    } else {
        format!("; filename=\"{name}\"")
    };
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"{filename}\r\nContent-Type: application/octet-stream\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}
