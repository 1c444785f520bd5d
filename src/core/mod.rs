//! The pure-Rust core: no JS types, tested natively with `cargo test`.
//!
//! Everything a provider sends passes through here on its way to the caller: [`read_json`] turns an
//! HTTP answer into JSON or a typed [`Error`], [`normalize_batch`] and [`normalize_page`] map each
//! provider's dialect onto the OpenAI shape, and [`retry::next_delay`] decides whether to try again.
// Untrusted input must never panic: a wasm panic traps and kills the whole instance.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

mod batch;
mod error;
mod file;
mod json;
mod page;
pub mod poll;
mod request;
mod response;
mod results;
pub mod retry;
mod rewrite;
mod secret;
pub mod status;
pub mod time;
mod validate;
pub mod watch;

pub use batch::{normalize_batch, normalize_batch_json, Dialect, TIMESTAMPS};
pub use error::{Error, ErrorKind, Result};
pub use file::normalize_file;
pub use json::{ascii_capacity, number_text, parse_value, Json, Object};
pub use page::{normalize_page, normalize_page_json, PageSummary, Pager};
pub use request::{check_id, encode, Config, ListQuery, Method, Options, Request, DEFAULT_BASE_URL};
pub use response::{api_error, read_json, read_json_borrowed, Head};
pub use results::{parse_line, parse_line_json, JsonArray, JsonlDecoder, Sink, Source, MAX_LINE_BYTES};
pub use rewrite::rewrite_page;
pub use secret::ApiKey;
pub use validate::{to_jsonl, validate_jsonl, Report, MAX_BYTES, MAX_LINES};
