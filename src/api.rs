//! The `#[wasm_bindgen]` surface: each method checks its arguments, asks the core for a request,
//! sends it through the edge, and normalises the answer. The JS shell wraps this class.

use std::rc::Rc;

use js_sys::Promise;
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

use crate::core::retry::{self, Failure, Hints, Safety};
use crate::core::{self, api_error, normalize_batch, normalize_page, read_json, Config, Error, ErrorKind, Request};
use crate::edge::convert;
use crate::edge::fetch::{self, NoReply, Transport};
use crate::edge::timer;

struct Inner {
    config: Config,
    transport: Transport,
}

/// The client behind the shell's `BatchClient`.
#[wasm_bindgen]
pub struct WasmClient {
    inner: Rc<Inner>,
}

impl std::fmt::Debug for WasmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmClient").field("config", &self.inner.config).finish()
    }
}

#[wasm_bindgen]
impl WasmClient {
    /// Checks the options; throws an `invalid_argument` error for anything wrong.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<WasmClient, JsValue> {
        let build = || -> core::Result<Inner> {
            let (options, fetch) = convert::options(&options)?;
            let config = Config::new(options)?;
            let transport = fetch.map_or(Transport::Global, Transport::Custom);
            Ok(Inner { config, transport })
        };
        build().map(|inner| WasmClient { inner: Rc::new(inner) }).map_err(|e| convert::error_to_js(&e, None))
    }

    /// `GET /batches/{id}` -> a normalised Batch.
    pub fn retrieve(&self, id: JsValue, options: JsValue) -> Promise {
        self.run(move |inner| async move {
            let request = inner.config.retrieve(&convert::id("batch id", &id)?)?;
            let signal = convert::signal(&options)?;
            normalize_batch(inner.send(request, signal.as_ref()).await?, inner.config.dialect)
        })
    }

    /// `GET /batches` -> a normalised page.
    pub fn list(&self, params: JsValue, options: JsValue) -> Promise {
        self.run(move |inner| async move {
            let request = inner.config.list(&convert::list_query(params)?)?;
            let signal = convert::signal(&options)?;
            normalize_page(inner.send(request, signal.as_ref()).await?, inner.config.dialect)
        })
    }
}

impl WasmClient {
    /// Runs `work` as a Promise: a plain JS value on success, a scrubbed error on failure.
    fn run<F, Fut>(&self, work: F) -> Promise
    where
        F: FnOnce(Rc<Inner>) -> Fut,
        Fut: std::future::Future<Output = core::Result<Value>> + 'static,
    {
        let inner = self.inner.clone();
        let future = work(inner.clone());
        future_to_promise(async move {
            match future.await {
                Ok(value) => Ok(convert::to_js(&value)),
                Err(error) => Err(convert::error_to_js(&error, Some(inner.config.api_key()))),
            }
        })
    }
}

impl Inner {
    /// Sends an idempotent request, retrying as the policy allows, and reads the JSON answer.
    async fn send(&self, request: Request, signal: Option<&AbortSignal>) -> core::Result<Value> {
        let mut retries = 0;
        loop {
            let outcome = fetch::attempt(&self.transport, &request, self.config.timeout_ms, signal).await;
            let (failure, hints, error) = match outcome {
                Ok(reply) if (200..300).contains(&reply.head.status) => return read_json(&reply.head, &reply.body),
                Ok(reply) => (Failure::Status(reply.head.status), reply.hints, api_error(&reply.head, &reply.body)),
                Err(NoReply::Aborted) => return Err(aborted()),
                Err(NoReply::Timeout) => (
                    Failure::Timeout,
                    Default::default(),
                    Error::new(
                        ErrorKind::Timeout,
                        format!("no answer from the provider within {} ms", self.config.timeout_ms),
                    ),
                ),
                Err(NoReply::Connection(detail)) => (
                    Failure::Connection,
                    Default::default(),
                    Error::new(
                        ErrorKind::Connection,
                        format!("could not reach the provider ({detail}): it is down or unreachable, or the browser blocked the request (CORS)"),
                    ),
                ),
            };
            let [retry_after_ms, retry_after, should_retry] = &hints;
            let hints = Hints {
                retry_after_ms: retry_after_ms.as_deref(),
                retry_after: retry_after.as_deref(),
                should_retry: should_retry.as_deref(),
            };
            let now = js_sys::Date::now();
            let random = js_sys::Math::random();
            match retry::next_delay(self.config.max_retries, retries, Safety::Idempotent, failure, hints, now, random) {
                None => return Err(gave_up(error, retries)),
                Some(ms) => timer::sleep(ms, signal).await.map_err(|()| aborted())?,
            }
            retries += 1;
        }
    }
}

fn aborted() -> Error {
    Error::new(ErrorKind::Aborted, "the request was aborted by its AbortSignal")
}

fn gave_up(mut error: Error, retries: u32) -> Error {
    if retries > 0 {
        error.message.push_str(&format!(" (gave up after {retries} retries)"));
    }
    error
}

/// Whether a status (any provider spelling) or a batch object's status is terminal.
#[wasm_bindgen(js_name = isTerminal)]
pub fn is_terminal(value: JsValue) -> bool {
    let status = if value.is_object() {
        js_sys::Reflect::get(&value, &"status".into()).unwrap_or(JsValue::UNDEFINED)
    } else {
        value
    };
    status.as_string().is_some_and(|s| core::status::is_terminal(&s))
}
