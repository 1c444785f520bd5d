//! `watch`: list pages first, a retrieve only for watched batches not on them (see core::watch).

use js_sys::Function;
use serde_json::Value;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::{aborted, transient, Inner, Stop};
use crate::core::watch::Watcher;
use crate::core::{self, ErrorKind};
use crate::edge::{convert, timer};

/// A watch's settings, read from JS.
pub(crate) struct WatchOptions {
    pub ids: Option<Vec<String>>,
    pub poll_interval_ms: u32,
    pub signal: Option<AbortSignal>,
    pub on_update: Option<Function>,
    pub on_error: Option<Function>,
    pub on_cycle: Option<Function>,
}

/// Longest wait between cycles while the provider keeps failing.
const MAX_BACKOFF_MS: u32 = 300_000;

impl Inner {
    /// Runs until every watched batch is terminal (resolving with them, in the order of `ids`), or,
    /// without ids, until the signal aborts.
    pub(crate) async fn watch(&self, options: WatchOptions) -> Result<Value, Stop> {
        let signal = options.signal.as_ref();
        let mut watcher = Watcher::new(options.ids.clone());
        let mut latest = std::collections::HashMap::new();
        let mut failures = 0u32;
        loop {
            let cycle = self.watch_cycle(&mut watcher, &options, &mut latest).await;
            if let (Ok(()), Some(callback)) = (&cycle, &options.on_cycle) {
                callback.call0(&JsValue::UNDEFINED).map_err(Stop::Thrown)?;
            }
            let delay = match cycle {
                Ok(()) if watcher.finished() => {
                    let ids = options.ids.iter().flatten();
                    return Ok(Value::Array(ids.filter_map(|id| latest.remove(id)).collect()));
                }
                Ok(()) => {
                    failures = 0;
                    options.poll_interval_ms
                }
                Err(Stop::Error(error)) if transient(&error) => {
                    failures = failures.saturating_add(1);
                    report_error(&options, &error, self)?;
                    let factor = 1u32 << failures.min(10);
                    options.poll_interval_ms.saturating_mul(factor).min(MAX_BACKOFF_MS.max(options.poll_interval_ms))
                }
                Err(stop) => return Err(stop),
            };
            timer::sleep(delay, signal).await.map_err(|_| aborted())?;
        }
    }

    async fn watch_cycle(
        &self,
        watcher: &mut Watcher,
        options: &WatchOptions,
        latest: &mut std::collections::HashMap<String, Value>,
    ) -> Result<(), Stop> {
        let signal = options.signal.as_ref();
        watcher.begin_cycle();
        let mut previous = None;
        let report = |batch: Value, latest: &mut std::collections::HashMap<String, Value>| -> Result<(), Stop> {
            if let Some(callback) = &options.on_update {
                callback.call1(&JsValue::UNDEFINED, &convert::to_js(&batch)).map_err(Stop::Thrown)?;
            }
            if let Some(id) = batch.get("id").and_then(Value::as_str) {
                latest.insert(id.to_owned(), batch.clone());
            }
            Ok(())
        };
        while let Some(query) = watcher.next_page(previous.as_ref()) {
            let (answer, body) = self.list(self.config.list(&query)?, signal).await?;
            let page = Value::from(self.page(&answer, &body)?);
            for batch in watcher.observe_page(&page) {
                report(batch, latest)?;
            }
            previous = Some(page);
        }
        for id in watcher.missing() {
            match self.batch_of(&id, signal).await {
                Ok(batch) => {
                    if let Some(batch) = watcher.observe(batch) {
                        report(batch, latest)?;
                    }
                }
                // One id that does not exist must not end the watch of the others.
                Err(error) if error.kind == ErrorKind::Api && error.status == Some(404) => {
                    watcher.forget(&id);
                    report_error(options, &error, self)?;
                }
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }
}

fn report_error(options: &WatchOptions, error: &core::Error, inner: &Inner) -> Result<(), Stop> {
    if let Some(callback) = &options.on_error {
        let js = convert::error_to_js(error, Some(inner.api_key()));
        callback.call1(&JsValue::UNDEFINED, &js).map_err(Stop::Thrown)?;
    }
    Ok(())
}
