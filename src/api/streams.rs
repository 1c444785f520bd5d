//! The pull-based objects behind the shell's async iterators: `listAll` pulls pages from a
//! [`WasmPager`], `results` pulls arrays of results from a [`WasmResults`]. Each `next()` returns a
//! Promise of the next batch of items, or `null` at the end.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::Promise;
use serde_json::Value;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::{get, promise, Inner};
use crate::core::{self, Error, JsonArray, JsonlDecoder, ListQuery, Pager, Source};
use crate::edge::convert;
use crate::edge::fetch::{BodyReader, NoReply};

/// Runs one `next()` step over state that is taken out while the step runs, so two overlapping
/// calls get a clear error instead of a borrow panic.
fn step<S: 'static, F, Fut>(cell: &Rc<RefCell<Option<S>>>, inner: &Rc<Inner>, work: F) -> Promise
where
    F: FnOnce(S) -> Fut + 'static,
    Fut: std::future::Future<Output = (S, core::Result<Option<JsValue>>)> + 'static,
{
    let (cell, inner) = (cell.clone(), inner.clone());
    promise(async move {
        let taken = cell.borrow_mut().take();
        let Some(state) = taken else {
            let busy = Error::invalid_argument("next() was called again before the previous call settled");
            return Err(convert::error_to_js(&busy, Some(inner.api_key())));
        };
        let (state, result) = work(state).await;
        *cell.borrow_mut() = Some(state);
        match result {
            Ok(Some(value)) => Ok(value),
            Ok(None) => Ok(JsValue::NULL),
            Err(error) => Err(convert::error_to_js(&error, Some(inner.api_key()))),
        }
    })
}

struct PagerState {
    pager: Pager,
    signal: Option<AbortSignal>,
}

/// Pages of `list`, following `last_id` until `has_more` is false.
#[wasm_bindgen]
pub struct WasmPager {
    inner: Rc<Inner>,
    state: Rc<RefCell<Option<PagerState>>>,
}

impl std::fmt::Debug for WasmPager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmPager").field("client", &self.inner).finish_non_exhaustive()
    }
}

impl WasmPager {
    pub(crate) fn new(inner: Rc<Inner>, query: ListQuery, signal: Option<AbortSignal>) -> Self {
        let state = PagerState { pager: Pager::new(query), signal };
        WasmPager { inner, state: Rc::new(RefCell::new(Some(state))) }
    }
}

#[wasm_bindgen]
impl WasmPager {
    /// The next page, or `null` after the last.
    pub fn next(&self) -> Promise {
        let inner = self.inner.clone();
        step(&self.state, &self.inner, move |mut state: PagerState| async move {
            let result = async {
                let Some(query) = state.pager.next_query() else { return Ok(None) };
                let request = inner.config.list(&query)?;
                let (answer, body) = inner.list(request, state.signal.as_ref()).await?;
                let (page, summary) = inner.page_js(&answer, &body)?;
                state.pager.advance_summary(&summary)?;
                Ok(Some(page))
            }
            .await;
            (state, result)
        })
    }
}

/// What `results` was given: a batch id, or a batch object already at hand.
pub(crate) enum Target {
    Id(String),
    Files(Vec<(Source, String)>),
}

impl Target {
    pub(crate) fn from_js(value: &JsValue) -> core::Result<Self> {
        if let Some(id) = value.as_string() {
            core::check_id("batch id", &id)?;
            return Ok(Target::Id(id));
        }
        if !value.is_object() {
            return Err(Error::invalid_argument("results() takes a batch id or a batch object"));
        }
        let file = |key: &str| get(value, key).as_string().filter(|s| !s.is_empty());
        Ok(Target::Files(files(file("output_file_id"), file("error_file_id"))))
    }
}

fn files(output: Option<String>, error: Option<String>) -> Vec<(Source, String)> {
    let output = output.map(|id| (Source::Output, id));
    let error = error.map(|id| (Source::Error, id));
    output.into_iter().chain(error).collect()
}

struct ResultsState {
    target: Option<Target>,
    files: VecDeque<(Source, String)>,
    current: Option<(BodyReader, JsonlDecoder)>,
    signal: Option<AbortSignal>,
}

/// The results of a batch: its output file, then its error file, streamed and parsed line by line.
#[wasm_bindgen]
pub struct WasmResults {
    inner: Rc<Inner>,
    state: Rc<RefCell<Option<ResultsState>>>,
}

impl std::fmt::Debug for WasmResults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmResults").field("client", &self.inner).finish_non_exhaustive()
    }
}

impl WasmResults {
    pub(crate) fn new(inner: Rc<Inner>, target: Target, signal: Option<AbortSignal>) -> Self {
        let state = ResultsState { target: Some(target), files: VecDeque::new(), current: None, signal };
        WasmResults { inner, state: Rc::new(RefCell::new(Some(state))) }
    }
}

#[wasm_bindgen]
impl WasmResults {
    /// The next results (an array of at least one), or `null` after the last.
    pub fn next(&self) -> Promise {
        let inner = self.inner.clone();
        step(&self.state, &self.inner, move |mut state: ResultsState| async move {
            let result = next_results(&inner, &mut state).await;
            if result.is_err() {
                // A broken stream is not resumed: later calls end the iteration.
                state.current = None;
                state.files.clear();
            }
            (state, result)
        })
    }

    /// Stops reading and releases the connection (a `break` out of `for await` ends up here).
    pub fn close(&self) {
        if let Ok(mut state) = self.state.try_borrow_mut() {
            if let Some(state) = state.as_mut() {
                state.current = None;
                state.files.clear();
                state.target = None;
            }
        }
    }
}

async fn next_results(inner: &Inner, state: &mut ResultsState) -> core::Result<Option<JsValue>> {
    let signal = state.signal.clone();
    let signal = signal.as_ref();
    match state.target.take() {
        Some(Target::Files(files)) => state.files.extend(files),
        Some(Target::Id(id)) => {
            let batch = inner.batch_of(&id, signal).await?;
            let file = |key: &str| batch.get(key).and_then(Value::as_str).map(str::to_owned);
            state.files.extend(files(file("output_file_id"), file("error_file_id")));
        }
        None => {}
    }
    let timeout = inner.config.timeout_ms;
    loop {
        let Some((reader, decoder)) = state.current.as_mut() else {
            let Some((source, file_id)) = state.files.pop_front() else { return Ok(None) };
            let answer = inner.open_file(&file_id, signal).await?;
            let reader = BodyReader::new(&answer).map_err(|e| stream_error(e, timeout))?;
            state.current = Some((reader, JsonlDecoder::new(source)));
            continue;
        };
        let out = match reader.next(timeout, signal).await.map_err(|e| stream_error(e, timeout))? {
            Some(chunk) => {
                let mut out = JsonArray::with_capacity(core::ascii_capacity(chunk.len()));
                decoder.push(&chunk, &mut out);
                out
            }
            None => {
                let mut out = JsonArray::default();
                decoder.finish(&mut out);
                state.current = None;
                out
            }
        };
        if !out.is_empty() {
            return Ok(Some(convert::json_text_to_js(&out.into_text())));
        }
    }
}

fn stream_error(no_reply: NoReply, timeout_ms: u32) -> Error {
    match no_reply {
        NoReply::Aborted => super::aborted(),
        NoReply::Timeout => {
            Error::new(core::ErrorKind::Timeout, format!("the file stream stalled: no data for {timeout_ms} ms"))
        }
        NoReply::Connection(detail) => {
            Error::new(core::ErrorKind::Connection, format!("the file stream broke off ({detail})"))
        }
    }
}
