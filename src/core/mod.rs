//! The pure-Rust core: no JS types, tested natively with `cargo test`.
//!
//! Everything a provider sends passes through here on its way to the caller: [`json`] checks and
//! reads it, [`providers`] map each provider's shapes onto the [`model`], and [`ops`] decide what
//! every call does next (send, retry, look up, wait) as plain state machines the edge drives.
// Untrusted input must never panic: a wasm panic traps and kills the whole instance.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod config;
pub mod error;
pub mod http;
pub mod ids;
pub use llm_batches_json as json;
pub mod jsonl;
pub mod model;
pub mod providers;
pub mod secret;
pub mod text;
pub mod validate;
pub mod webhook;

pub use config::{Config, ListQuery, Options, Runtime};
pub use error::{Error, ErrorKind, Result};
pub use json::{Json, Out};
pub mod ops;
