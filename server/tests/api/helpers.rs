//! Spawns the real application on port 0 against a fresh database created for the test.

use std::{collections::HashMap, net::SocketAddr, path::Path};

use leptos::prelude::LeptosOptions;
use server::startup::Application;
use sqlx::{Connection, Executor, PgConnection};
use url::Url;

/// The `BASE_URL` test apps are configured with: forms must come from this origin, and mailed
/// links start with it.
pub const BASE_URL: &str = "http://tollgate.test";

/// The webhook signing secret test apps are configured with.
pub const WEBHOOK_SECRET: &str = "whsec_tollgate_test";
/// The Connect endpoint's signing secret (`/webhooks/stripe/connect`).
pub const CONNECT_WEBHOOK_SECRET: &str = "whsec_tollgate_connect_test";

/// The trial ledger's key test apps are configured with.
pub const TRIAL_LEDGER_KEY: &str = "tollgate-test-trial-ledger-key-0123456789";

/// The subject of the mail that confirms a new account's address (sent at every sign-up, it is
/// left out of [`TestApp::mail_to`] and [`TestApp::mail_count`]).
pub const ADDRESS_CONFIRMATION: &str = "Confirm your Tollgate email address";

/// A password that satisfies the rules.
pub const PASSWORD: &str = "correct horse battery";

/// Settings that make a test app a production one: no development helpers, and mail sent over
/// SMTP (to a port where nothing listens; a production app will not start without SMTP).
pub const PRODUCTION: &[(&str, &str)] =
    &[("DEV_MODE", "false"), ("SMTP_URL", "smtp://127.0.0.1:1")];

/// A running app and the database it owns.
pub struct TestApp {
    pub address: SocketAddr,
    /// The configured `BASE_URL` (forms are sent with it as their `Origin`).
    pub base_url: String,
    /// A browser-like client: keeps cookies, does not follow redirects.
    pub client: reqwest::Client,
    pub database: TestDatabase,
    /// A pool on the test's database, for looking behind the app's back.
    pub db: sqlx::PgPool,
    /// The site root (`target/site` equivalent) the app serves `/pkg` from; removed on drop.
    site_root: EmptyDir,
    /// The configuration it was started with, for replicas.
    env: HashMap<String, String>,
    /// The state the running app serves with (its counters are the app's).
    pub served: backend::AppState,
}

impl TestApp {
    /// The site root (`target/site` equivalent) the app serves `/pkg` from.
    pub fn site_root(&self) -> &Path {
        self.site_root.path()
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// The backend's state as the app has it (its configuration, a pool on its database), for
    /// calling backend services directly.
    pub fn state(&self) -> backend::AppState {
        let config = backend::Config::from_lookup(|name| self.env.get(name).cloned())
            .expect("test configuration is valid");
        backend::AppState::new(config, self.db.clone()).expect("building the state")
    }

    /// Starts another replica: the `server` binary in its own process, on the same database
    /// with the same configuration.
    pub async fn replica(&self) -> ServerProcess {
        ServerProcess::start(self.env.clone()).await
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request failed")
    }

    /// The HTML of a page, without Leptos's hydration markers (`<!>`), for matching.
    pub async fn page(&self, path: &str) -> String {
        without_markers(self.get(path).await.text().await.expect("a body"))
    }

    /// A new browser (its own cookie jar) against the same app.
    pub fn new_browser(&self) -> reqwest::Client {
        browser()
    }

    /// Submits a form as a browser without JavaScript does: urlencoded, `Accept: text/html`,
    /// `Origin` of the site.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.post_form_with(&self.client, path, form).await
    }

    pub async fn post_form_with(
        &self,
        client: &reqwest::Client,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.form_request(client, path, form)
            .send()
            .await
            .expect("request failed")
    }

    /// As [`TestApp::post_form_with`], through the one trusted reverse proxy the app must be
    /// configured with (`TRUSTED_PROXY_HOPS=1`), which saw the client at `client_ip`.
    pub async fn post_form_from(
        &self,
        client: &reqwest::Client,
        client_ip: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.form_request(client, path, form)
            .header("x-forwarded-for", client_ip)
            .send()
            .await
            .expect("request failed")
    }

    fn form_request(
        &self,
        client: &reqwest::Client,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        client
            .post(self.url(path))
            .header("accept", "text/html,application/xhtml+xml")
            .header("origin", &self.base_url)
            .header("referer", format!("{}/form", self.base_url))
            .form(form)
    }

    /// `GET path` with the given client.
    pub async fn get_with(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client
            .get(self.url(path))
            .send()
            .await
            .expect("request failed")
    }

    /// Signs up `email` with [`PASSWORD`] (the client is then signed in).
    pub async fn sign_up(&self, email: &str) -> reqwest::Response {
        let response = self
            .post_form(
                "/api/sign_up",
                &[
                    ("email", email),
                    ("password", PASSWORD),
                    ("display_name", ""),
                ],
            )
            .await;
        assert_eq!(response.status(), 302, "sign-up redirects");
        response
    }

    /// Signs in with the given client.
    pub async fn sign_in_with(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        self.post_form_with(
            client,
            "/api/sign_in",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// The account page's HTML if the client is signed in; `None` if it is sent to sign in.
    pub async fn account_page(&self, client: &reqwest::Client) -> Option<String> {
        let response = self.get_with(client, "/account").await;
        match response.status().as_u16() {
            200 => Some(without_markers(response.text().await.unwrap())),
            302 => None,
            other => panic!("unexpected status {other} for /account"),
        }
    }

    /// Opens a mailed email-change link with `client` (the page changes nothing) and presses its
    /// button; the response to the button's `POST`.
    pub async fn confirm_email_with(
        &self,
        client: &reqwest::Client,
        link: &str,
    ) -> reqwest::Response {
        let page = self.get_with(client, link).await;
        assert_eq!(page.status(), 200, "the link opens a page");
        let html = page.text().await.expect("a body");
        assert!(html.contains("Confirm my new email address"), "{html}");
        let token = url::Url::parse("http://x")
            .unwrap()
            .join(link)
            .unwrap()
            .query_pairs()
            .find(|(key, _)| key == "token")
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default();
        self.post_form_with(client, "/account/confirm-email", &[("token", &token)])
            .await
    }

    /// Waits (up to 10 s) for the `n`th mail to `to` in the dev outbox, and returns
    /// `(subject, text body, html body)`. Mail is sent in the background. The address
    /// confirmation every sign-up mails is not counted ([`TestApp::confirm_address_with`]).
    pub async fn mail_to(&self, to: &str, n: usize) -> (String, String, String) {
        self.nth_mail(to, n, false).await
    }

    /// The `n`th mail to `to` of the kind asked for: the address confirmation or the others.
    async fn nth_mail(&self, to: &str, n: usize, confirmation: bool) -> (String, String, String) {
        for _ in 0..100 {
            let mails: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT subject, text_body, html_body FROM dev_outbox \
                 WHERE to_address = $1 AND (subject = $2) = $3 ORDER BY id",
            )
            .bind(to)
            .bind(ADDRESS_CONFIRMATION)
            .bind(confirmation)
            .fetch_all(&self.db)
            .await
            .unwrap();
            if let Some(mail) = mails.into_iter().nth(n - 1) {
                return mail;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no mail number {n} to {to} arrived");
    }

    /// How many mails went to `to` so far, the sign-up's address confirmation left out.
    pub async fn mail_count(&self, to: &str) -> i64 {
        sqlx::query_scalar(
            "SELECT count(*) FROM dev_outbox WHERE to_address = $1 AND subject <> $2",
        )
        .bind(to)
        .bind(ADDRESS_CONFIRMATION)
        .fetch_one(&self.db)
        .await
        .unwrap()
    }

    /// Follows the `n`th address confirmation link mailed to `email` with `client` (the first
    /// comes at sign-up); the response (a redirect to the account page, with a notice).
    pub async fn confirm_address_with(
        &self,
        client: &reqwest::Client,
        email: &str,
        n: usize,
    ) -> reqwest::Response {
        let (_, text, _) = self.nth_mail(email, n, true).await;
        self.get_with(client, &link_in(&text)).await
    }

    /// `GET path` from a browser that accepts `accept_encoding`.
    pub async fn get_encoded(&self, path: &str, accept_encoding: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("accept-encoding", accept_encoding)
            .send()
            .await
            .expect("request failed")
    }
}

/// A database created for one test (`test_<uuid>`), in the server `DATABASE_URL` points at.
pub struct TestDatabase {
    pub name: String,
    admin_url: Url,
}

/// The advisory lock held while one test process looks for the template and makes it.
const TEMPLATE_LOCK: &str = "hashtext('tollgate test template')";

/// The migrated database every test's database is copied from, made once per set of migrations.
static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

impl TestDatabase {
    /// A database holding every migration: a copy of a template migrated once per run, which
    /// is much cheaper than migrating each test's database (the app's own migration at start-up
    /// then finds nothing to do).
    pub async fn create() -> Self {
        let admin_url = admin_url();
        let template = TEMPLATE.get_or_init(|| migrated_template(&admin_url)).await;
        Self::create_as(admin_url, &format!(r#"TEMPLATE "{template}""#)).await
    }

    /// An empty database, for tests of what migrating one does.
    pub async fn create_empty() -> Self {
        Self::create_as(admin_url(), "").await
    }

    async fn create_as(admin_url: Url, options: &str) -> Self {
        // `cargo xtask test` drops leftover `test_*` databases before each run.
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        admin(&admin_url)
            .await
            .execute(format!(r#"CREATE DATABASE "{name}" {options}"#).as_str())
            .await
            .expect("creating the test database");
        Self { name, admin_url }
    }

    /// The URL of this test's database.
    pub fn url(&self) -> Url {
        let mut url = self.admin_url.clone();
        url.set_path(&self.name);
        url
    }

    /// Drops the database out from under the app, ending its connections.
    pub async fn drop_now(&self) {
        admin(&self.admin_url)
            .await
            .execute(format!(r#"DROP DATABASE "{}" WITH (FORCE)"#, self.name).as_str())
            .await
            .expect("dropping the test database");
    }
}

/// The server `DATABASE_URL` points at, where tests create their databases.
fn admin_url() -> Url {
    let admin = std::env::var("DATABASE_URL").expect(
        "DATABASE_URL must point at a Postgres server the tests may create databases in; \
         `cargo xtask test` starts one and sets it",
    );
    Url::parse(&admin).expect("DATABASE_URL is a URL")
}

async fn admin(admin_url: &Url) -> PgConnection {
    PgConnection::connect(admin_url.as_str())
        .await
        .expect("connecting to DATABASE_URL")
}

/// A passing test's database is dropped as the test ends, so a run holds only the databases of
/// the tests still running rather than a ~9 MB copy of the template for every test it ran. A
/// failed test's database is kept to look at; the next `cargo xtask test` drops it.
impl Drop for TestDatabase {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // `drop` cannot await and may run inside the test's runtime: the statement gets a
        // thread and a runtime of its own.
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("building a runtime to drop the test database")
                .block_on(async move {
                    admin(&admin_url)
                        .await
                        .execute(
                            format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str(),
                        )
                        .await
                })
        })
        .join()
        .expect("dropping the test database");
        if let Err(error) = dropped {
            eprintln!("the test database {} was left behind: {error}", self.name);
        }
    }
}

/// The name of a database holding exactly the migrations the app was built with (named for
/// their checksums, so an edited migration gets a new template), migrated here unless another
/// test process already did. It is built under a temporary name and renamed when complete, so
/// a run stopped halfway never leaves a half-migrated template behind.
async fn migrated_template(admin_url: &Url) -> String {
    use sha2::{Digest, Sha256};
    let mut digest = Sha256::new();
    for migration in backend::db::MIGRATOR.iter() {
        digest.update(migration.version.to_be_bytes());
        digest.update(&migration.checksum);
    }
    // Within Postgres's 63-byte names.
    let name = &format!("test_template_{:x}", digest.finalize())[..40];
    let mut conn = admin(admin_url).await;
    conn.execute(format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})").as_str())
        .await
        .expect("locking the test template");
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await
            .expect("looking for the test template");
    if !exists {
        let building = TestDatabase::create_as(admin_url.clone(), "").await;
        let pool = sqlx::PgPool::connect(building.url().as_str())
            .await
            .expect("connecting to the test template");
        backend::db::migrate(&pool)
            .await
            .expect("migrating the test template");
        pool.close().await;
        conn.execute(format!(r#"ALTER DATABASE "{}" RENAME TO "{name}""#, building.name).as_str())
            .await
            .expect("naming the migrated test template");
    }
    conn.execute(format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})").as_str())
        .await
        .expect("unlocking the test template");
    name.to_owned()
}

/// Removes the empty comments Leptos places between text nodes (`Ada<!></li>`).
pub fn without_markers(html: String) -> String {
    html.replace("<!>", "")
}

/// The link (starting with [`BASE_URL`]) in a mail's text, with the base URL removed.
pub fn link_in(text: &str) -> String {
    let link = text
        .split_whitespace()
        .find(|word| word.starts_with(BASE_URL))
        .expect("the mail has a link");
    link.trim_start_matches(BASE_URL).to_owned()
}

/// The decoded `__err` a failed form post was redirected back with (Leptos's form redirects).
pub fn form_error(response: &reqwest::Response) -> Option<serde_json::Value> {
    use base64::{engine::general_purpose::URL_SAFE, Engine};
    let location = response.headers().get("location")?.to_str().ok()?;
    let url = Url::parse("http://x").unwrap().join(location).ok()?;
    let (_, err) = url.query_pairs().find(|(key, _)| key == "__err")?;
    let bytes = URL_SAFE.decode(err.as_bytes()).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The `Location` a response redirects to.
pub fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// A browser-like client: a cookie jar, no automatic redirects, asks for HTML.
fn browser() -> reqwest::Client {
    browser_with_jar(true)
}

/// As a browser, but without a cookie jar: the test sends exactly the `Cookie` it means to.
pub fn cookieless_browser() -> reqwest::Client {
    browser_with_jar(false)
}

fn browser_with_jar(jar: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .default_headers(browser_headers())
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(jar)
        .build()
        .expect("building the HTTP client")
}

/// What a browser sends with a navigation: `Accept: text/html` (Leptos answers redirects to
/// such requests with a real 302).
pub fn browser_headers() -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "accept",
        "text/html,application/xhtml+xml"
            .parse()
            .expect("a valid header"),
    );
    headers
}

/// Starts the app on a random port with a fresh, migrated database, in dev mode (the outbox
/// mailer, `/dev/mailbox`) and with rate limits high enough not to matter.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// As [`spawn_app`], with some configuration variables set (or overridden).
pub async fn spawn_app_with(vars: &[(&str, &str)]) -> TestApp {
    spawn_app_on(TestDatabase::create().await, vars).await
}

/// As [`spawn_app_with`], on `database` (whose `url()` tests use; `vars` may give the app
/// another way to it).
pub async fn spawn_app_on(database: TestDatabase, vars: &[(&str, &str)]) -> TestApp {
    let db_url = database.url().to_string();
    let env: HashMap<String, String> = [
        ("DATABASE_URL", db_url.as_str()),
        ("BASE_URL", BASE_URL),
        ("DEV_MODE", "true"),
        ("RATE_LIMIT_PER_IP_PER_MINUTE", "10000"),
        ("RATE_LIMIT_PER_ACCOUNT_PER_MINUTE", "10000"),
        ("RATE_LIMIT_ACCOUNT_FAILURES_PER_HOUR", "10000"),
        ("RATE_LIMIT_RESET_MAILS_PER_HOUR", "10000"),
        // Nothing listens here: tests that talk to Stripe start an emulator and override it.
        ("STRIPE_API_BASE", "http://127.0.0.1:9"),
        ("STRIPE_SECRET_KEY", "sk_test_tollgate"),
        ("TRIAL_LEDGER_KEY", TRIAL_LEDGER_KEY),
        ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET),
        ("PARTNERS_ENABLED", "true"),
        ("STRIPE_CONNECT_WEBHOOK_SECRET", CONNECT_WEBHOOK_SECRET),
        // Tests run the pay run themselves.
        ("PARTNER_PAY_RUN_DAILY", "false"),
        // A kept signed-in page ends when Postgres's announcement of a change arrives,
        // milliseconds after the commit: a test that changes an account behind the app's back
        // (a webhook's worker, its own SQL) and looks at once would race it. `kept_pages.rs`
        // tests the cache with it on.
        ("SIGNED_IN_PAGE_CACHE_SECONDS", "0"),
    ]
    .into_iter()
    .chain(vars.iter().copied())
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let instance = start(&env).await;
    let db = sqlx::PgPool::connect(database.url().as_str())
        .await
        .expect("connecting to the test database");
    TestApp {
        address: instance.address,
        base_url: instance.base_url,
        client: browser(),
        database,
        db,
        site_root: instance.site_root,
        served: instance.served,
        env,
    }
}

/// One running instance of the app.
struct Instance {
    address: SocketAddr,
    base_url: String,
    site_root: EmptyDir,
    served: backend::AppState,
}

/// Builds and starts the app with exactly the configuration `env`, on port 0.
async fn start(env: &HashMap<String, String>) -> Instance {
    let config = backend::Config::from_lookup(|name| env.get(name).cloned())
        .expect("test configuration is valid");
    let base_url = config.base_url.as_str().trim_end_matches('/').to_owned();

    let site_root = empty_dir();
    std::fs::create_dir(site_root.path().join("pkg")).expect("creating the test site root");
    let leptos = LeptosOptions::builder()
        .output_name("tollgate")
        .site_root(site_root.path().to_string_lossy().into_owned())
        .site_addr(SocketAddr::from(([127, 0, 0, 1], 0)))
        .build();

    let app = Application::build(config, leptos, true)
        .await
        .expect("building the application");
    let address = app.local_addr();
    let served = app.state().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    Instance {
        address,
        base_url,
        site_root,
        served,
    }
}

/// The `server` binary serving, as an operator runs it: its own process (another replica, for
/// a [`TestApp`]), configured by nothing but `vars`, in an empty directory. Killed when dropped
/// unless it was terminated.
pub struct ServerProcess {
    pub address: SocketAddr,
    child: Option<std::process::Child>,
    _dir: EmptyDir,
}

impl ServerProcess {
    /// Starts `server serve` on a free port; returns once it listens.
    pub async fn start(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        use std::io::{BufRead, BufReader};

        let dir = empty_dir();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .arg("serve")
            .current_dir(dir.path())
            .env_clear()
            .envs(vars)
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("starting the server binary");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout is piped")).lines();
        let address = tokio::task::spawn_blocking(move || {
            let listening = lines
                .by_ref()
                .map_while(Result::ok)
                .filter_map(|line| serde_json::from_str::<serde_json::Value>(&line).ok())
                .find(|log| log["message"] == "listening")
                .expect("the server says where it listens");
            // Keep reading, or a full pipe would stall the server's logging.
            std::thread::spawn(move || lines.for_each(drop));
            listening["address"]
                .as_str()
                .and_then(|address| address.parse().ok())
                .expect("an address")
        })
        .await
        .expect("reading the server's logs");
        Self {
            address,
            child: Some(child),
            _dir: dir,
        }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("still running");
        let sent = std::process::Command::new("kill")
            .arg(child.id().to_string())
            .status()
            .expect("running kill");
        assert!(sent.success(), "SIGTERM sent");
        tokio::task::spawn_blocking(move || child.wait())
            .await
            .expect("waiting for the server")
            .expect("the server's exit status")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A new empty directory in the system's temporary folder.
pub fn empty_dir() -> EmptyDir {
    let dir = std::env::temp_dir().join(format!("tollgate-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir(&dir).expect("creating a temporary directory");
    EmptyDir(dir)
}

/// A directory removed with everything in it when the value is dropped.
pub struct EmptyDir(std::path::PathBuf);

impl EmptyDir {
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for EmptyDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The statements the app (and the test) send to Postgres while `work` runs — one round trip
/// each — by the summary sqlx logs for each (a `sqlx::query` event per statement executed).
///
/// A subscriber that records them is this thread's default while `work` runs. A `#[tokio::test]`
/// runs on a current-thread runtime, where the app spawned by [`spawn_app`] and the test's HTTP
/// client run too: every statement of the requests is seen, and none of another test's.
pub async fn statements_during<T>(work: impl std::future::Future<Output = T>) -> (T, Vec<String>) {
    use tracing_subscriber::layer::SubscriberExt;

    assert_eq!(
        tokio::runtime::Handle::current().runtime_flavor(),
        tokio::runtime::RuntimeFlavor::CurrentThread,
        "statements are counted on the test's own thread"
    );
    let statements = StatementLog::default();
    let subscriber = tracing_subscriber::registry().with(statements.clone());
    let output = {
        let _counting = tracing::subscriber::set_default(subscriber);
        work.await
    };
    let seen = statements.0.lock().expect("the statement log").clone();
    (output, seen)
}

/// As [`statements_during`] for three runs of `request` in a row: its output and statements in
/// the run with the fewest. A background task's periodic work (the mail outbox sender, the
/// session clean-up) or the session's renewal (at most once a minute) may fall into one run.
pub async fn fewest_statements<T, F, Fut>(mut request: F) -> (T, Vec<String>)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut fewest = statements_during(request()).await;
    for _ in 1..3 {
        let run = statements_during(request()).await;
        if run.1.len() < fewest.1.len() {
            fewest = run;
        }
    }
    fewest
}

/// Records the summary of each `sqlx::query` event (see [`statements_during`]).
#[derive(Clone, Default)]
struct StatementLog(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for StatementLog {
    fn enabled(
        &self,
        metadata: &tracing::Metadata<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        metadata.target() == "sqlx::query"
    }

    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut summary = Summary(String::new());
        event.record(&mut summary);
        self.0.lock().expect("the statement log").push(summary.0);
    }
}

/// The `summary` field of a `sqlx::query` event: the statement's first words.
struct Summary(String);

impl tracing::field::Visit for Summary {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "summary" {
            value.clone_into(&mut self.0);
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" {
            self.0 = format!("{value:?}");
        }
    }
}

/// Awaits every future, concurrently.
pub async fn join_all_spawned<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(handles.len());
    for handle in handles {
        outputs.push(handle.await.expect("the task finished"));
    }
    outputs
}
