//! Integration tests of `IamportClient` against the generated typed httpmock mocks.
//!
//! One test binary (modules below) to link once.

mod common;

mod calls;
mod errors;
mod hardening;
mod helpers;
mod hostile;
mod redaction;
mod token;
