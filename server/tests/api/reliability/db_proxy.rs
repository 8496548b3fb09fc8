//! A TCP proxy in front of Postgres that can go down: every open connection is cut and new ones
//! are refused, as clients see a database server restart. Tests share one Postgres cluster, so
//! restarting the real one would break every other test running at the time.

use std::net::SocketAddr;

use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
};
use url::Url;

/// A running proxy; stops accepting when dropped.
pub struct DbProxy {
    address: SocketAddr,
    up: watch::Sender<bool>,
    accept: tokio::task::JoinHandle<()>,
}

impl DbProxy {
    /// Proxies to the host and port of `database_url`.
    pub async fn start(database_url: &Url) -> Self {
        let upstream = format!(
            "{}:{}",
            database_url
                .host_str()
                .expect("the database URL has a host"),
            database_url.port().unwrap_or(5432)
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (up, watching) = watch::channel(true);
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if !*watching.borrow() {
                    drop(client); // refused: the server is down
                    continue;
                }
                let (upstream, mut down) = (upstream.clone(), watching.clone());
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let mut client = client;
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = down.wait_for(|up| !*up) => {} // cut: both sockets dropped
                    }
                });
            }
        });
        Self {
            address,
            up,
            accept,
        }
    }

    /// `database_url` with its host and port replaced by the proxy's.
    pub fn url(&self, database_url: &Url) -> Url {
        let mut url = database_url.clone();
        url.set_host(Some("127.0.0.1")).unwrap();
        url.set_port(Some(self.address.port())).unwrap();
        url
    }

    /// The database "stops": connections are cut, new ones refused.
    pub fn stop(&self) {
        self.up.send_replace(false);
    }

    /// The database "is back": connections are accepted again.
    pub fn start_again(&self) {
        self.up.send_replace(true);
    }
}

impl Drop for DbProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}
