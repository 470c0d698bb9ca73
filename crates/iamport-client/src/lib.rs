//! Typed client for the PortOne V1 (iamport) REST API.
//!
//! [`IamportClient`] has one method per operation and returns the payload itself. It fetches the
//! access token on first use, caches it, refreshes it 30 seconds before it expires (measured from
//! the server's own `now`/`expired_at`, so a skewed local clock does not matter), lets concurrent
//! callers share one refresh, and after a 401 refreshes once and retries once.
//!
//! Every failure is one [`Error`] that keeps the HTTP status, the envelope's `code` and `message`
//! (HTTP 200 with a non-zero `code` is an error too), or the start of the raw body of an answer
//! that is not the envelope (a proxy's HTML 502), and the server's `Retry-After`. The API secret
//! and tokens never show in `Debug`, `Display` or logs, whatever the server sends back.
//!
//! Redirects are never followed ([`Error::Redirect`]), response bodies are read up to a limit
//! ([`IamportClientBuilder::max_response_bytes`]), and an opt-in [`RetryPolicy`] repeats what is
//! safe to repeat.
//!
//! ```no_run
//! use iamport_client::{Error, IamportClient};
//!
//! # async fn run() -> Result<(), Error> {
//! let client = IamportClient::new("imp_key", "imp_secret")?;
//! match client.query_cash_amount("imp_448280090638").await {
//!     Ok(amount) => println!(
//!         "{} won issuable, {} of it paid with Npoint",
//!         amount.amount_total, amount.amount_by_npoint
//!     ),
//!     Err(e @ Error::Api { .. }) => eprintln!(
//!         "refused: HTTP {:?}, code {:?}: {:?}",
//!         e.status(),
//!         e.code(),
//!         e.message()
//!     ),
//!     Err(e) if e.is_retryable() => eprintln!("try again later: {e}"),
//!     Err(e) => return Err(e),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Every method is generated from `spec/iamport.yaml` by `cargo xtask codegen`: required inputs are
//! arguments, optional ones are setters on the returned request (so an optional parameter added to
//! the spec breaks no caller), and `.await` sends it. The generated low-level client (progenitor's)
//! stays reachable as [`RawClient`] for the raw envelopes: [`IamportClient::raw`] (no token) and
//! [`IamportClient::authorized_raw`] (with the cached token).
//!
//! # Helpers
//!
//! - Sub-merchants: [`IamportClientBuilder::tier`] sends `Tier: <code>` on every call (`getToken`
//!   aside); a call's own `.tier(..)` wins.
//! - Fixed IP addresses: [`IamportClientBuilder::static_base_url`] sends requests to
//!   [`IamportClient::STATIC_BASE_URL`].
//! - Paging: [`pages`] walks a paged listing as one [`Stream`](futures_core::Stream) of its items
//!   ([`paging`]).
//! - Verification: [`IamportClient::verify_payment`] after the checkout ([`verify`]), and
//!   [`Webhook::parse`] with [`IamportClient::verify_webhook`] for notices ([`webhook`]).
//!
//! ```no_run
//! use iamport_client::{Error, IamportClient};
//!
//! # async fn run() -> Result<(), Error> {
//! let client = IamportClient::builder("imp_key", "imp_secret")
//!     .static_base_url() // https://static-api.iamport.kr, for an outbound IP allow-list
//!     .tier("AB1") // every call is for sub-merchant AB1...
//!     .build()?;
//! let payment = client
//!     .get_payment_by_imp_uid("imp_448280090638")
//!     .tier("XY9") // ...but this one, for XY9
//!     .await?;
//! # let _ = payment;
//! # Ok(())
//! # }
//! ```

#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, unused_imports)]
mod generated_client;

mod auth;
mod client;
mod clock;
mod error;
pub mod paging;
mod runtime;
mod token;
mod transport;
pub mod verify;
pub mod webhook;

pub use auth::{AccessToken, RequestAuth};
pub use client::{IamportClient, IamportClientBuilder};
pub use clock::{Clock, SystemClock};
pub use error::Error;
#[doc(hidden)]
#[cfg(feature = "schemars")]
pub use generated_client::__contract;
pub use generated_client::{requests, types};
pub use paging::{Page, Pages, pages};
pub(crate) use runtime::TokenGrant;
pub use transport::RetryPolicy;
pub use verify::VerifyError;
pub use webhook::{Webhook, WebhookError};

/// The generated (progenitor) client: one builder per operation, returning the raw envelope in a
/// [`ResponseValue`](raw::ResponseValue). Its `inner` is a [`RequestAuth`].
pub use generated_client::Client as RawClient;

/// The generated client and the support types its methods use.
pub mod raw {
    pub use crate::RequestAuth;
    pub use crate::generated_client::{ByteStream, Client, ClientInfo, Error, ResponseValue};
}

// The client is shared across tasks.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<IamportClient>();
    assert_send_sync::<Error>();
    assert_send_sync::<RawClient>();
};
