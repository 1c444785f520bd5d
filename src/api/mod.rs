//! The `#[wasm_bindgen]` surface: each method reads its arguments (edge), builds the core's
//! operation, and drives it ([`drive`]). The JS shell wraps these classes.

mod drive;
mod functions;
mod stream;

use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::config::Runtime;
use crate::core::ops::calls::Call;
use crate::core::ops::create::Create;
use crate::core::ops::resubmit::{Resubmit, UsageOp};
use crate::core::ops::results::{Results, Target};
use crate::core::ops::submit::Submit;
use crate::core::ops::submit_all::SubmitAll;
use crate::core::ops::wait::Wait;
use crate::core::ops::watch::Watch;
use crate::core::ops::{Event, Op};
use crate::core::providers::api::Upload;
use crate::core::providers::{Cx, Setup};
use crate::core::secret::Secrets;
use crate::core::{Error, Result};
use crate::edge::convert;
use crate::edge::fetch::Transport;
use crate::edge::js::in_browser;
use drive::{drive, Io, Outcome, Stop};
pub use stream::WasmStream;

#[derive(Debug)]
pub(crate) struct Inner {
    setup: Setup,
    transport: Transport,
}

impl Inner {
    fn cx(&self) -> Cx<'_> {
        self.setup.cx()
    }

    fn secrets(&self) -> &Secrets {
        self.setup.config.secrets()
    }
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
        let build = || -> Result<Inner> {
            let (options, fetch) = convert::options(&options)?;
            let runtime = if in_browser() { Runtime::Browser } else { Runtime::Server };
            let setup = Setup::new(options, runtime)?;
            Ok(Inner { setup, transport: fetch.map_or(Transport::Global, Transport::Custom) })
        };
        build().map(|inner| WasmClient { inner: Rc::new(inner) }).map_err(|e| convert::error_to_js(&e, None))
    }

    /// Which provider this client talks to.
    #[wasm_bindgen(getter)]
    pub fn provider(&self) -> String {
        self.inner.setup.provider.name.to_owned()
    }

    /// One batch.
    pub fn retrieve(&self, id: JsValue, options: JsValue) -> Promise {
        self.call(&options, |cx, _| Ok(Box::new(Call::retrieve(cx, &convert::id("batch id", &id)?)?)))
    }

    /// One page of batches.
    pub fn list(&self, params: JsValue, options: JsValue) -> Promise {
        self.call(&options, |cx, _| Ok(Box::new(Call::list(cx, convert::list_query(&params)?)?)))
    }

    /// A new batch; never two.
    pub fn create(&self, params: JsValue, options: JsValue) -> Promise {
        self.call(&options, |_, _| {
            let params = convert::options_object("create parameters", &params)?;
            Ok(Box::new(Create::new(convert::stringify("create parameters", &params)?)))
        })
    }

    /// Cancels a batch.
    pub fn cancel(&self, id: JsValue, options: JsValue) -> Promise {
        self.call(&options, |cx, _| Ok(Box::new(Call::cancel(cx, &convert::id("batch id", &id)?)?)))
    }

    /// Uploads a file.
    #[wasm_bindgen(js_name = uploadFile)]
    pub fn upload_file(&self, content: JsValue, options: JsValue) -> Promise {
        self.call(&options, |cx, io| {
            let options = convert::options_object("upload options", &options)?;
            let options = convert::upload_options(&options)?;
            let (blob, bytes) = convert::content_blob(&content)?;
            let upload = Upload {
                filename: &options.filename,
                purpose: options.purpose.as_deref().unwrap_or(cx.provider.purpose),
                bytes,
                expires_after: options.expires_after.as_ref().map(|(anchor, s)| (anchor.as_str(), *s)),
            };
            let request = cx.api().upload(cx, &upload)?;
            io.content = blob;
            Ok(Box::new(Call::upload(request)))
        })
    }

    /// A file's content: the raw `Response`, body unread.
    #[wasm_bindgen(js_name = fileContent)]
    pub fn file_content(&self, file_id: JsValue, options: JsValue) -> Promise {
        self.call(&options, |cx, _| Ok(Box::new(Call::file_content(cx, &convert::id("file id", &file_id)?)?)))
    }

    /// Polls a batch until it is terminal.
    #[wasm_bindgen(js_name = waitFor)]
    pub fn wait_for(&self, id: JsValue, options: JsValue) -> Promise {
        self.call(&options, |cx, io| {
            let id = convert::id("batch id", &id)?;
            cx.api().retrieve(cx, &id)?;
            let (interval, timeout, callbacks) =
                convert::wait_options(&convert::options_object("waitFor options", &options)?)?;
            io.callbacks = callbacks;
            Ok(Box::new(Wait::new(id, interval, timeout)))
        })
    }

    /// Keeps batches fresh; resolves with the watched batches once all are terminal.
    pub fn watch(&self, options: JsValue) -> Promise {
        self.call(&options, |_, io| {
            let (ids, interval, callbacks) =
                convert::watch_options(&convert::options_object("watch options", &options)?)?;
            io.callbacks = callbacks;
            Ok(Box::new(Watch::new(ids, interval)))
        })
    }

    /// `validateRequests`, then an upload of the provider's JSONL, then `create`.
    pub fn submit(&self, requests: JsValue, options: JsValue) -> Promise {
        self.call(&options, |cx, _| {
            let text = convert::jsonl("submit", &requests)?;
            let options = convert::options_object("submit options", &options)?;
            let options = convert::stringify("submit options", &options)?;
            Ok(Box::new(Submit::new(cx, text.as_bytes(), options.as_bytes())?))
        })
    }

    /// A job larger than one batch: checked once, split by the provider's limits, submitted in order.
    #[wasm_bindgen(js_name = submitAll)]
    pub fn submit_all(&self, requests: JsValue, options: JsValue) -> Promise {
        self.call(&options, |cx, _| {
            let text = convert::jsonl("submitAll", &requests)?;
            let options = convert::options_object("submitAll options", &options)?;
            let options = convert::stringify("submitAll options", &options)?;
            Ok(Box::new(SubmitAll::new(cx, text.as_bytes(), options.as_bytes())?))
        })
    }

    /// The requests of an ended batch that have no successful result, as one new batch (or `null`).
    pub fn resubmit(&self, batch: JsValue, options: JsValue) -> Promise {
        self.call(&options, |_, _| {
            let target = targets(&batch)?.into_iter().next().filter(|_| !js_sys::Array::is_array(&batch));
            let target =
                target.ok_or_else(|| Error::invalid_argument("resubmit takes one batch (an id or a batch object)"))?;
            let options = convert::options_object("resubmit options", &options)?;
            let requests = js_sys::Reflect::get(&options, &"requests".into()).unwrap_or(JsValue::UNDEFINED);
            let requests = match requests.is_undefined() || requests.is_null() {
                true => None,
                false => Some(convert::jsonl("resubmit requests", &requests)?.into_bytes()),
            };
            let rest = js_sys::Object::assign(&js_sys::Object::new(), options.unchecked_ref());
            let _ = js_sys::Reflect::delete_property(&rest, &"requests".into());
            let options = convert::stringify("resubmit options", &rest)?;
            Ok(Box::new(Resubmit::new(target, requests, options.into_bytes())))
        })
    }

    /// Token usage of one or more batches, added up.
    pub fn usage(&self, batches: JsValue, options: JsValue) -> Promise {
        self.call(&options, |_, _| Ok(Box::new(UsageOp::new(targets(&batches)?))))
    }

    /// The pages of `list`, for `listAll`.
    pub fn pager(&self, params: JsValue, options: JsValue) -> Result<WasmStream, JsValue> {
        let query = convert::list_query(&params).map_err(|e| self.error(&e))?;
        self.stream(&options, Box::new(crate::core::ops::pager::Pager::new(query)))
    }

    /// The results of one or more batches, for `results`.
    pub fn results(&self, batches: JsValue, options: JsValue) -> Result<WasmStream, JsValue> {
        let targets = targets(&batches).map_err(|e| self.error(&e))?;
        self.stream(&options, Box::new(Results::new(targets)))
    }
}

/// What `results` was given: a batch id, a batch object, or an array of them.
fn targets(value: &JsValue) -> Result<Vec<Target>> {
    let one = |value: &JsValue| -> Result<Target> {
        if value.is_string() {
            return Ok(Target::Id(convert::id("batch id", value)?));
        }
        if !value.is_object() {
            return Err(Error::invalid_argument("results() takes a batch id, a batch object, or an array of them"));
        }
        Ok(Target::Batch(convert::stringify("the batch", value)?))
    };
    match value.dyn_ref::<js_sys::Array>() {
        Some(items) => items.iter().map(|item| one(&item)).collect(),
        None => Ok(vec![one(value)?]),
    }
}

impl WasmClient {
    /// Runs one call as a Promise: a plain JS value on success, a scrubbed error on failure.
    fn call<F>(&self, options: &JsValue, build: F) -> Promise
    where
        F: FnOnce(&Cx<'_>, &mut Io) -> Result<Box<dyn Op>>,
    {
        let inner = self.inner.clone();
        let mut io = Io::default();
        let op = convert::options_object("the options", options)
            .and_then(|options| convert::signal(&options))
            .and_then(|signal| {
                io.signal = signal;
                build(&inner.cx(), &mut io)
            });
        promise(async move {
            let result = match op {
                Ok(mut op) => drive(&inner, op.as_mut(), &mut io, Event::Start).await,
                Err(error) => Err(Stop::Error(error)),
            };
            let secrets = inner.secrets();
            match result {
                Ok(Outcome::Json(Some(text)) | Outcome::Yield(text)) => {
                    convert::json_to_js(&text).map_err(|e| convert::error_to_js(&e, Some(secrets)))
                }
                Ok(Outcome::Json(None)) => Ok(JsValue::NULL),
                Ok(Outcome::Response(response)) => Ok(response),
                Err(Stop::Error(error)) => Err(convert::error_to_js(&error, Some(secrets))),
                Err(Stop::Thrown(value)) => Err(value),
            }
        })
    }

    fn stream(&self, options: &JsValue, op: Box<dyn Op>) -> Result<WasmStream, JsValue> {
        let signal = convert::options_object("the options", options).and_then(|o| convert::signal(&o));
        let signal = signal.map_err(|e| self.error(&e))?;
        Ok(WasmStream::new(self.inner.clone(), op, Io::with_signal(signal)))
    }

    fn error(&self, error: &Error) -> JsValue {
        convert::error_to_js(error, Some(self.inner.secrets()))
    }
}

/// The one instantiation of `future_to_promise` in the crate: every distinct future type would
/// otherwise get its own copy of that machinery.
pub(crate) fn promise(
    future: impl std::future::Future<Output = std::result::Result<JsValue, JsValue>> + 'static,
) -> Promise {
    let boxed: std::pin::Pin<Box<dyn std::future::Future<Output = std::result::Result<JsValue, JsValue>>>> =
        Box::pin(future);
    wasm_bindgen_futures::future_to_promise(boxed)
}
