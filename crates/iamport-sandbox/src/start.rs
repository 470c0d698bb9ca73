//! `Sandbox::start()`: a sandbox on a free loopback port in this process, for a team's own
//! `#[tokio::test]`s, with a client that is ready to call it.

use std::net::SocketAddr;

use iamport_client::IamportClient;

use crate::clock::ClientClock;
use crate::{Control, Fixtures, Sandbox, SystemClock};

/// A running sandbox. Dropping it stops the server.
pub struct Started {
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    pub addr: SocketAddr,
    /// The API key pair the sandbox accepts (the fixtures' first).
    pub imp_key: String,
    pub imp_secret: String,
    /// A client for this sandbox with those credentials, on the sandbox's clock (its cached token
    /// expires when the sandbox's clock says so).
    pub client: IamportClient,
    /// Checkout, deposit, webhooks and clock.
    pub control: Control,
    pub sandbox: Sandbox,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl std::fmt::Debug for Started {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Started")
            .field("base_url", &self.base_url)
            .field("imp_key", &self.imp_key)
            .field("imp_secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// A sandbox on the built-in fixtures and the system clock (movable through `control`),
    /// serving on a free loopback port until the returned value is dropped.
    pub async fn start() -> std::io::Result<Started> {
        Self::start_with(&Fixtures::default_set()).await
    }

    /// [`Sandbox::start`] on other fixtures.
    pub async fn start_with(fixtures: &Fixtures) -> std::io::Result<Started> {
        let sandbox = Sandbox::new(fixtures, SystemClock);
        let credential = fixtures.credentials.0.first().cloned().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the fixtures have no credentials",
            )
        })?;
        let (addr, stop) = crate::spawn(sandbox.clone()).await?;
        let base_url = format!("http://{addr}");
        let client =
            IamportClient::builder(credential.imp_key.clone(), credential.imp_secret.clone())
                .base_url(base_url.clone())
                .clock(ClientClock(sandbox.clock().clone()))
                .build()
                .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(Started {
            base_url,
            addr,
            imp_key: credential.imp_key,
            imp_secret: credential.imp_secret,
            client,
            control: sandbox.control(),
            sandbox,
            _stop: stop,
        })
    }
}
