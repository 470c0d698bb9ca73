//! The client and the mocks generated from `xtask/corpus/shapes.yaml`, over the very runtime files
//! of `iamport-client` (a generator test: the corpus spec has every shape the generators support).

#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, unused_imports)]
mod generated_client;

#[path = "../../../../crates/iamport-client/src/auth.rs"]
mod auth;
#[path = "../../../../crates/iamport-client/src/client.rs"]
mod client;
#[path = "../../../../crates/iamport-client/src/clock.rs"]
mod clock;
#[path = "../../../../crates/iamport-client/src/error.rs"]
mod error;
#[path = "../../../../crates/iamport-client/src/runtime.rs"]
mod runtime;
#[path = "../../../../crates/iamport-client/src/token.rs"]
mod token;
#[path = "../../../../crates/iamport-client/src/transport.rs"]
mod transport;

/// The generated mocks (their `crate::types` are this crate's).
#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, unused_imports)]
#[path = "generated_httpmock.rs"]
pub mod mocks;

pub use auth::{AccessToken, RequestAuth};
pub use client::{IamportClient, IamportClientBuilder};
pub use clock::{Clock, SystemClock};
pub use error::Error;
#[doc(hidden)]
#[cfg(feature = "schemars")]
pub use generated_client::__contract;
pub use generated_client::Client as RawClient;
pub use generated_client::{requests, types};
pub(crate) use runtime::TokenGrant;
pub use transport::RetryPolicy;
