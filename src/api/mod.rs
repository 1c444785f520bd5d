//! The `#[wasm_bindgen]` surface: each method checks its arguments, asks the core for a request,
//! sends it through the edge, and normalises the answer. The JS shell wraps these classes.

mod functions;
mod streams;
mod watch;

use std::rc::Rc;

use js_sys::{Function, Promise, Reflect};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use crate::core::retry::{self, Failure, Hints, Safety};
use crate::core::{
    self, api_error, normalize_batch, normalize_file, normalize_page_json, poll, read_json, read_json_borrowed, Config,
    Error, ErrorKind, Json, PageSummary, Request,
};
use crate::edge::convert;
use crate::edge::fetch::{self, Answer, NoReply, Transport};
use crate::edge::timer;

pub use streams::{WasmPager, WasmResults};
pub(crate) use watch::WatchOptions;

#[derive(Debug)]
pub(crate) struct Inner {
    config: Config,
    transport: Transport,
}

/// The client behind the shell's `BatchClient`.
#[wasm_bindgen]
#[derive(Debug)]
pub struct WasmClient {
    inner: Rc<Inner>,
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
            let signal = convert::signal(&options)?;
            inner.retrieve(&convert::id("batch id", &id)?, signal.as_ref(), None).await.map(|(batch, _)| batch)
        })
    }

    /// `GET /batches` -> a normalised page.
    pub fn list(&self, params: JsValue, options: JsValue) -> Promise {
        self.run(move |inner| async move {
            let request = inner.config.list(&convert::list_query(params)?)?;
            let signal = convert::signal(&options)?;
            let (answer, body) = inner.list(request, signal.as_ref()).await?;
            inner.page_js(&answer, &body).map(|(page, _)| page)
        })
    }

    /// `POST /batches` -> the new Batch. Never repeated unless the answer proves nothing was created.
    pub fn create(&self, params: JsValue, options: JsValue) -> Promise {
        self.run(move |inner| async move {
            let params = convert::json_arg("create parameters", &params)?;
            let input_file_id = params.get("input_file_id").and_then(Value::as_str).unwrap_or_default().to_owned();
            let request = inner.config.create(params)?;
            let signal = convert::signal(&options)?;
            inner.create(&request, &input_file_id, signal.as_ref()).await
        })
    }

    /// `POST /batches/{id}/cancel` -> the Batch, now `cancelling` (or already terminal).
    pub fn cancel(&self, id: JsValue, options: JsValue) -> Promise {
        self.run(move |inner| async move {
            let request = inner.config.cancel(&convert::id("batch id", &id)?)?;
            let signal = convert::signal(&options)?;
            let (answer, bytes) =
                inner.exchange(&request, &JsValue::UNDEFINED, Safety::Idempotent, signal.as_ref(), true, None).await?;
            normalize_batch(read_json(&answer.head, &bytes)?, inner.config.dialect)
        })
    }

    /// Multipart `POST /files` -> the FileObject.
    #[wasm_bindgen(js_name = uploadFile)]
    pub fn upload_file(&self, content: JsValue, options: JsValue) -> Promise {
        self.run(move |inner| async move {
            let (filename, purpose) = convert::upload_options(&options)?;
            let request = inner.config.upload(&filename, &purpose)?;
            let form = convert::form_data(&content, &filename, &purpose)?;
            let signal = convert::signal(&options)?;
            let (answer, bytes) = inner.exchange(&request, &form, Safety::Creates, signal.as_ref(), true, None).await?;
            normalize_file(read_json(&answer.head, &bytes)?)
        })
    }

    /// `GET /files/{id}/content` -> the raw `Response`, its body unread.
    #[wasm_bindgen(js_name = fileContent)]
    pub fn file_content(&self, file_id: JsValue, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let result = async {
                let signal = convert::signal(&options)?;
                let answer = inner.open_file(&convert::id("file id", &file_id)?, signal.as_ref()).await?;
                answer.link_signal(signal.as_ref());
                Ok(answer.response)
            };
            result.await.map_err(|e: Error| convert::error_to_js(&e, Some(inner.config.api_key())))
        })
    }

    /// Polls `GET /batches/{id}` until the batch is terminal.
    #[wasm_bindgen(js_name = waitFor)]
    pub fn wait_for(&self, id: JsValue, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let result = async {
                let id = convert::id("batch id", &id)?;
                inner.config.retrieve(&id)?;
                let wait = convert::wait_options(&options)?;
                inner.wait_for(&id, wait).await
            };
            match result.await {
                Ok(batch) => Ok(convert::to_js(&batch)),
                Err(Stop::Error(error)) => Err(convert::error_to_js(&error, Some(inner.config.api_key()))),
                Err(Stop::Thrown(value)) => Err(value),
            }
        })
    }

    /// Keeps batches fresh (see `core::watch`); resolves with the watched batches once all are terminal.
    pub fn watch(&self, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let result = async {
                let options = convert::watch_options(&options)?;
                inner.watch(options).await
            };
            match result.await {
                Ok(batches) => Ok(convert::to_js(&batches)),
                Err(Stop::Error(error)) => Err(convert::error_to_js(&error, Some(inner.config.api_key()))),
                Err(Stop::Thrown(value)) => Err(value),
            }
        })
    }

    /// The pages of `list`, for `listAll`.
    pub fn pager(&self, params: JsValue, options: JsValue) -> Result<WasmPager, JsValue> {
        let start = || Ok((convert::list_query(params)?, convert::signal(&options)?));
        start().map(|(query, signal)| WasmPager::new(self.inner.clone(), query, signal)).map_err(|e| self.error(&e))
    }

    /// The results of a batch's output and error files, for `results`.
    pub fn results(&self, batch: JsValue, options: JsValue) -> Result<WasmResults, JsValue> {
        let start = || Ok((streams::Target::from_js(&batch)?, convert::signal(&options)?));
        start().map(|(target, signal)| WasmResults::new(self.inner.clone(), target, signal)).map_err(|e| self.error(&e))
    }
}

impl WasmClient {
    /// Runs `work` as a Promise: a plain JS value on success, a scrubbed error on failure.
    fn run<F, Fut, T>(&self, work: F) -> Promise
    where
        F: FnOnce(Rc<Inner>) -> Fut,
        Fut: std::future::Future<Output = core::Result<T>> + 'static,
        T: convert::IntoJs,
    {
        let inner = self.inner.clone();
        let future = work(inner.clone());
        promise(async move {
            match future.await {
                Ok(value) => Ok(value.into_js()),
                Err(error) => Err(convert::error_to_js(&error, Some(inner.config.api_key()))),
            }
        })
    }

    fn error(&self, error: &Error) -> JsValue {
        convert::error_to_js(error, Some(self.inner.config.api_key()))
    }
}

/// What `waitFor` was asked to do.
pub(crate) struct WaitOptions {
    pub poll_interval_ms: u32,
    pub timeout_ms: Option<f64>,
    pub signal: Option<AbortSignal>,
    pub on_progress: Option<Function>,
}

impl Inner {
    pub(crate) fn api_key(&self) -> &core::ApiKey {
        self.config.api_key()
    }

    /// A batch, and the server's `openai-poll-after-ms` if it sent one.
    async fn retrieve(
        &self,
        id: &str,
        signal: Option<&AbortSignal>,
        deadline: Option<f64>,
    ) -> core::Result<(Value, Option<String>)> {
        let request = self.config.retrieve(id)?;
        let (answer, bytes) =
            self.exchange(&request, &JsValue::UNDEFINED, Safety::Idempotent, signal, true, deadline).await?;
        let batch = normalize_batch(read_json(&answer.head, &bytes)?, self.config.dialect)?;
        Ok((batch, answer.header("openai-poll-after-ms")))
    }

    /// `GET /batches`: the answer and its body, for [`Inner::page`] to read.
    pub(crate) async fn list(&self, request: Request, signal: Option<&AbortSignal>) -> core::Result<(Answer, Vec<u8>)> {
        self.exchange(&request, &JsValue::UNDEFINED, Safety::Idempotent, signal, true, None).await
    }

    /// A list answer as the page JS gets, and what paging needs to know of it. Pages in the shapes
    /// providers send are rewritten as text in one pass ([`core::rewrite_page`]); anything else
    /// takes the tree path, which also makes every error.
    pub(crate) fn page_js(&self, answer: &Answer, body: &[u8]) -> core::Result<(JsValue, PageSummary)> {
        if (200..300).contains(&answer.head.status) {
            let mut text = Vec::with_capacity(core::ascii_capacity(body.len()));
            if let Some(summary) = core::rewrite_page(body, self.config.dialect, &mut text) {
                // Text the scanner checked always parses; should it not, the tree path decides.
                if let Some(page) = convert::try_json_text_to_js(&text) {
                    return Ok((page, summary));
                }
            }
        }
        let page = self.page(answer, body)?;
        Ok((convert::json_to_js(&page, body.len()), PageSummary::of(&page)))
    }

    /// A list answer's body as a normalised page, borrowing from it.
    pub(crate) fn page<'a>(&self, answer: &Answer, body: &'a [u8]) -> core::Result<Json<'a>> {
        normalize_page_json(read_json_borrowed(&answer.head, body)?, self.config.dialect)
    }

    /// A file's content response, headers received, body unread.
    pub(crate) async fn open_file(&self, file_id: &str, signal: Option<&AbortSignal>) -> core::Result<Answer> {
        let request = self.config.file_content(file_id)?;
        let (answer, _) = self.exchange(&request, &JsValue::UNDEFINED, Safety::Idempotent, signal, false, None).await?;
        Ok(answer)
    }

    pub(crate) async fn batch_of(&self, id: &str, signal: Option<&AbortSignal>) -> core::Result<Value> {
        self.retrieve(id, signal, None).await.map(|(batch, _)| batch)
    }

    /// `POST /batches`, never making a second paid batch the caller did not ask for. After an
    /// answer that leaves open whether the batch was created (the connection broke, a timeout, an
    /// unreadable 2xx, a 500/502/504 from somewhere between us and the provider), it looks for a batch
    /// from the same input file created since the call began and returns that; only when there is
    /// none does it send once more.
    async fn create(
        &self,
        request: &Request,
        input_file_id: &str,
        signal: Option<&AbortSignal>,
    ) -> core::Result<Value> {
        let started_secs = js_sys::Date::now() / 1000.0;
        let body = JsValue::from_str(request.json.as_deref().unwrap_or("{}"));
        let mut resent = false;
        loop {
            let attempt = async {
                let (answer, bytes) = self.exchange(request, &body, Safety::Creates, signal, true, None).await?;
                normalize_batch(read_json(&answer.head, &bytes)?, self.config.dialect)
            };
            let error = match attempt.await {
                Ok(batch) => return Ok(batch),
                Err(error) if !ambiguous(&error) => return Err(error),
                Err(error) => error,
            };
            match self.find_created(input_file_id, started_secs, signal).await {
                Ok(Some(batch)) => return Ok(batch),
                Ok(None) if !resent && self.config.max_retries > 0 => resent = true,
                // Can't tell, or already sent twice: report rather than risk a duplicate.
                _ => return Err(error),
            }
        }
    }

    /// The newest batch on the first page of `list` made from `input_file_id` since `since_secs`
    /// (less two minutes for clock skew between us and the provider).
    async fn find_created(
        &self,
        input_file_id: &str,
        since_secs: f64,
        signal: Option<&AbortSignal>,
    ) -> core::Result<Option<Value>> {
        let request = self.config.list(&core::ListQuery { limit: Some(100), after: None })?;
        let (answer, body) = self.list(request, signal).await?;
        let page = self.page(&answer, &body)?;
        let created_at = |batch: &Json| match batch.get("created_at") {
            Some(Json::Number(n)) => n.as_f64(),
            _ => None,
        };
        let recent = |batch: &&Json| {
            batch.get("input_file_id").and_then(Json::as_str) == Some(input_file_id)
                && created_at(batch).is_some_and(|t| t >= since_secs - 120.0)
        };
        let data = match page.get("data") {
            Some(Json::Array(items)) => Some(items),
            _ => None,
        };
        let newest = data.into_iter().flatten().filter(recent).max_by(|a, b| {
            let at = |v: &Json| created_at(v).unwrap_or(0.0);
            at(a).total_cmp(&at(b))
        });
        Ok(newest.cloned().map(Value::from))
    }

    /// One request with the retries `safety` allows. A 2xx answer comes back with its body read
    /// when `read_body` (a body that breaks off counts as a failed attempt), else unread. With a
    /// `deadline` (ms since the epoch), no attempt runs past it and no retry starts that would end
    /// after it.
    async fn exchange(
        &self,
        request: &Request,
        body: &JsValue,
        safety: Safety,
        signal: Option<&AbortSignal>,
        read_body: bool,
        deadline: Option<f64>,
    ) -> core::Result<(Answer, Vec<u8>)> {
        let left = || deadline.map(|d| d - js_sys::Date::now());
        let mut retries = 0;
        loop {
            let timeout = match left() {
                Some(ms) => self.config.timeout_ms.min(ms.clamp(1.0, f64::from(u32::MAX)) as u32),
                None => self.config.timeout_ms,
            };
            let (failure, error, hints) = match fetch::send(&self.transport, request, body, timeout, signal).await {
                Err(no_reply) => {
                    let (failure, error) = self.no_reply(no_reply, timeout)?;
                    (failure, error, [None, None, None])
                }
                Ok(answer) => {
                    let ok = (200..300).contains(&answer.head.status);
                    if ok && !read_body {
                        return Ok((answer, Vec::new()));
                    }
                    let read = answer.bytes(timeout, signal).await;
                    let hints = [
                        answer.header("retry-after-ms"),
                        answer.header("retry-after"),
                        answer.header("x-should-retry"),
                    ];
                    match (ok, read) {
                        (true, Ok(bytes)) => return Ok((answer, bytes)),
                        (_, Err(NoReply::Aborted)) => return Err(aborted()),
                        (false, read) => {
                            let bytes = read.unwrap_or_default();
                            (Failure::Status(answer.head.status), api_error(&answer.head, &bytes), hints)
                        }
                        // The headers came but the body broke off: the server may have acted.
                        (true, Err(no_reply)) => {
                            let (failure, error) = self.no_reply(no_reply, timeout)?;
                            (
                                failure,
                                error.with_status(answer.head.status).with_request_id(answer.head.request_id.clone()),
                                hints,
                            )
                        }
                    }
                }
            };
            let [retry_after_ms, retry_after, should_retry] = &hints;
            let hints = Hints {
                retry_after_ms: retry_after_ms.as_deref(),
                retry_after: retry_after.as_deref(),
                should_retry: should_retry.as_deref(),
            };
            let (now, random) = (js_sys::Date::now(), js_sys::Math::random());
            match retry::next_delay(self.config.max_retries, retries, safety, failure, hints, now, random) {
                Some(ms) if left().is_none_or(|left| f64::from(ms) < left) => {
                    timer::sleep(ms, signal).await.map_err(|_| aborted())?;
                }
                _ => return Err(gave_up(error, retries)),
            }
            retries += 1;
        }
    }

    /// A failed attempt as a retry input and the error to report if we stop; aborts end at once.
    fn no_reply(&self, no_reply: NoReply, timeout_ms: u32) -> core::Result<(Failure, Error)> {
        match no_reply {
            NoReply::Aborted => Err(aborted()),
            NoReply::Timeout => Ok((Failure::Timeout, timed_out(timeout_ms))),
            NoReply::Connection(detail) => Ok((Failure::Connection, Error::new(
                ErrorKind::Connection,
                format!("could not reach the provider ({detail}): it is down or unreachable, or the browser blocked the request (CORS)"),
            ))),
        }
    }

    async fn wait_for(&self, id: &str, wait: WaitOptions) -> Result<Value, Stop> {
        let signal = wait.signal.as_ref();
        let started = js_sys::Date::now();
        let remaining = || wait.timeout_ms.map(|t| t - (js_sys::Date::now() - started));
        let deadline = wait.timeout_ms.map(|t| started + t);
        let mut failed_polls = 0;
        loop {
            let delay = match self.retrieve(id, signal, deadline).await {
                Ok((batch, poll_after)) => {
                    failed_polls = 0;
                    if let Some(callback) = &wait.on_progress {
                        callback.call1(&JsValue::UNDEFINED, &convert::to_js(&batch)).map_err(Stop::Thrown)?;
                    }
                    let terminal = batch.get("status").and_then(Value::as_str).is_some_and(core::status::is_terminal);
                    if terminal {
                        return Ok(batch);
                    }
                    poll::poll_delay(wait.poll_interval_ms, poll_after.as_deref())
                }
                Err(error) if transient(&error) && failed_polls < poll::MAX_FAILED_POLLS => {
                    failed_polls += 1;
                    let backoff = 500u32.saturating_mul(1 << failed_polls.min(4));
                    wait.poll_interval_ms.max(backoff)
                }
                Err(error) => return Err(error.into()),
            };
            let delay = match remaining() {
                Some(left) if left <= 0.0 => return Err(wait_timed_out(wait.timeout_ms).into()),
                Some(left) => delay.min(left.ceil() as u32),
                None => delay,
            };
            timer::sleep(delay, signal).await.map_err(|_| aborted())?;
            if remaining().is_some_and(|left| left <= 0.0) {
                return Err(wait_timed_out(wait.timeout_ms).into());
            }
        }
    }
}

/// Why `waitFor` stopped without a terminal batch: our error, or what the caller's `onProgress` threw
/// (handed back untouched, as JS code expects of a callback).
pub(crate) enum Stop {
    Error(Error),
    Thrown(JsValue),
}

impl From<Error> for Stop {
    fn from(error: Error) -> Self {
        Stop::Error(error)
    }
}

/// A failed create that may nevertheless have created the batch.
fn ambiguous(error: &Error) -> bool {
    match error.kind {
        ErrorKind::Connection | ErrorKind::Timeout => true,
        ErrorKind::InvalidResponse => error.status.is_some_and(|s| (200..300).contains(&s)),
        ErrorKind::Api => matches!(error.status, Some(500 | 502 | 504)),
        _ => false,
    }
}

/// A failure worth polling again after: the network, a timeout, a rate limit or a server error.
pub(crate) fn transient(error: &Error) -> bool {
    match error.kind {
        ErrorKind::Connection | ErrorKind::Timeout => true,
        ErrorKind::Api => error.status.is_some_and(|s| s == 429 || s >= 500),
        _ => false,
    }
}

pub(crate) fn aborted() -> Error {
    Error::new(ErrorKind::Aborted, "the request was aborted by its AbortSignal")
}

fn timed_out(ms: u32) -> Error {
    Error::new(ErrorKind::Timeout, format!("no answer from the provider within {ms} ms"))
}

fn wait_timed_out(ms: Option<f64>) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!("the batch was not finished within the {} ms waitFor timeout", core::number_text(ms.unwrap_or(0.0))),
    )
}

fn gave_up(mut error: Error, retries: u32) -> Error {
    if retries > 0 {
        error.message.push_str(&format!(" (gave up after {retries} retries)"));
    }
    error
}

/// The one instantiation of `future_to_promise` in the crate: every distinct future type would
/// otherwise get its own copy of that machinery (about 30 KB of wasm across the API).
pub(crate) fn promise(future: impl std::future::Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    let boxed: std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue, JsValue>>>> = Box::pin(future);
    wasm_bindgen_futures::future_to_promise(boxed)
}

/// `Reflect.get` that treats a throwing getter as absent.
pub(crate) fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).unwrap_or(JsValue::UNDEFINED)
}
