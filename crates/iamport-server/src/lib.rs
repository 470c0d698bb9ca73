//! Server stub for the PortOne V1 (iamport) REST API.
//!
//! Implement [`IamportApi`] and serve [`router`]: the generated router checks tokens, validates
//! inputs against the spec and answers every failure (bad input, unknown route, wrong method, oversized
//! body, panic) in the API's error envelope. Everything in [`generated_server`] comes from
//! `spec/iamport.yaml` via `cargo xtask codegen`; this file adds the envelope plumbing it calls.

#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, unused_imports)]
mod generated_server;

pub mod context;
pub mod envelope;

pub use generated_server::*;
