//! Spawns the real application on port 0 against a fresh database created for the test.

use std::{net::SocketAddr, path::PathBuf};

use leptos::prelude::LeptosOptions;
use server::startup::Application;
use sqlx::{Connection, Executor, PgConnection};
use url::Url;

/// A running app and the database it owns.
pub struct TestApp {
    pub address: SocketAddr,
    pub client: reqwest::Client,
    pub database: TestDatabase,
    /// The site root (`target/site` equivalent) the app serves `/pkg` from.
    pub site_root: PathBuf,
}

impl TestApp {
    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request failed")
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

impl TestDatabase {
    pub async fn create() -> Self {
        let admin = std::env::var("DATABASE_URL").expect(
            "DATABASE_URL must point at a Postgres server the tests may create databases in; \
             `cargo xtask test` starts one and sets it",
        );
        let admin_url = Url::parse(&admin).expect("DATABASE_URL is a URL");
        // `cargo xtask test` drops leftover `test_*` databases before each run.
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(admin_url.as_str())
            .await
            .expect("connecting to DATABASE_URL");
        conn.execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
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
        let mut conn = PgConnection::connect(self.admin_url.as_str())
            .await
            .expect("connecting to DATABASE_URL");
        conn.execute(format!(r#"DROP DATABASE "{}" WITH (FORCE)"#, self.name).as_str())
            .await
            .expect("dropping the test database");
    }
}

/// Starts the app on a random port with a fresh, migrated database.
pub async fn spawn_app() -> TestApp {
    let database = TestDatabase::create().await;
    let db_url = database.url().to_string();
    let config = backend::Config::from_lookup(|name| match name {
        "DATABASE_URL" => Some(db_url.clone()),
        _ => None,
    })
    .expect("test configuration is valid");

    let site_root = std::env::temp_dir().join(format!("tollgate-site-{}", database.name));
    std::fs::create_dir_all(site_root.join("pkg")).expect("creating the test site root");
    let leptos = LeptosOptions::builder()
        .output_name("tollgate")
        .site_root(site_root.to_string_lossy().into_owned())
        .site_addr(SocketAddr::from(([127, 0, 0, 1], 0)))
        .build();

    let app = Application::build(config, leptos, true)
        .await
        .expect("building the application");
    let address = app.local_addr();
    tokio::spawn(app.run_until(std::future::pending()));

    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("building the HTTP client"),
        database,
        site_root,
    }
}
