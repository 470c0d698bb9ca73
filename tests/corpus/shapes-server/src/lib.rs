//! The server stub generated from `xtask/corpus/shapes.yaml`, over the very runtime files of
//! `iamport-server` (a generator test: the corpus spec has every shape the generators support).

#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, unused_imports)]
mod generated_server;

#[path = "../../../../crates/iamport-server/src/context.rs"]
pub mod context;
#[path = "../../../../crates/iamport-server/src/envelope.rs"]
pub mod envelope;

pub use generated_server::*;
