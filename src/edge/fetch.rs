//! HTTP through the global `fetch` (or the caller's), one attempt at a time, bounded by a timeout
//! and the caller's `AbortSignal`; bodies read whole with a size cap, or left open as a stream.

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal};

use super::js::{self, describe, refused, Response};
use super::timer::bounded;
use crate::core::http::{Body as RequestBody, Content, Head, Header, Request};
use crate::core::ops::{Body, NoReply, Read, Reply};

#[wasm_bindgen(module = "/js/read.js")]
extern "C" {
    /// A body being read (js/read.js): its stream and the reader that holds its lock.
    #[derive(Debug)]
    type BodyHandle;
    /// Locks `stream` for reading.
    #[wasm_bindgen(catch, js_name = openBody)]
    fn open_body(stream: &JsValue) -> Result<BodyHandle, JsValue>;
    /// Reads chunks until `min` bytes came or the body ended.
    #[wasm_bindgen(js_name = readChunks)]
    fn read_chunks(body: &BodyHandle, min: u32, ms: u32, signal: Option<&AbortSignal>, stalled: &JsValue) -> Promise;
    /// Cancels the body, ignoring how that ends.
    #[wasm_bindgen(js_name = cancelBody)]
    fn cancel_body(body: &BodyHandle);
}

/// A body is read about this much at a time (one wasm round trip), whatever its chunk size: the
/// results' yield size, so that a yield takes one read.
const READ_BYTES: u32 = 64 * 1024;

#[wasm_bindgen]
extern "C" {
    // The global `fetch`, not `window.fetch`: there is no window in Workers, Node or web workers.
    #[wasm_bindgen(catch, js_name = fetch)]
    fn global_fetch(url: &str, init: &Object) -> Result<Promise, JsValue>;
}

/// An error answer's body is read up to this for its message (a 50 MB error page is not read whole).
const ERROR_BODY_BYTES: usize = 64 * 1024;

/// Who performs the HTTP request.
#[derive(Debug)]
pub enum Transport {
    /// `globalThis.fetch`, looked up at call time (tests and polyfills may replace it).
    Global,
    /// The `fetch` option: any function with fetch's signature.
    Custom(Function),
}

/// An answer whose body was left open: the `Response`, and a reader over its body once one is
/// wanted (until then the body is untouched, for `fileContent` to hand over).
#[derive(Debug)]
pub struct Open {
    /// The `Response` itself (what `fileContent` resolves with).
    pub response: Response,
    reader: Option<BodyReader>,
    controller: AbortController,
    /// The request's own signal follows the caller's (`AbortSignal.any`), so the body does too.
    follows_caller: bool,
}

impl Open {
    /// The reader over the body (which locks it).
    pub fn reader(&mut self) -> &mut BodyReader {
        let response = &self.response;
        self.reader
            .get_or_insert_with(|| BodyReader::new(response).unwrap_or(BodyReader { reader: None, broken: None }))
    }

    /// The next piece of the body.
    pub async fn next(&mut self, timeout_ms: u32, signal: Option<&AbortSignal>) -> Result<Option<Vec<u8>>, NoReply> {
        self.reader().next(timeout_ms, signal).await
    }

    /// Lets the caller's signal abort the body after we hand the `Response` over. Where the request
    /// was made with `AbortSignal.any([ours, the caller's])` that holds already, with no listener on
    /// the caller's signal; elsewhere a `once` listener does it (`controller.abort` bound to
    /// `undefined`, so the stream fails with a plain `AbortError`, not the event).
    pub fn link_signal(&self, signal: Option<&AbortSignal>) {
        if self.follows_caller {
            return;
        }
        if let (Some(signal), Some(abort)) = (signal, js::method(&self.controller, "abort")) {
            let options = web_sys::AddEventListenerOptions::new();
            options.set_once(true);
            let _ = signal.add_event_listener_with_callback_and_add_event_listener_options(
                "abort",
                abort.bind1(&self.controller, &JsValue::UNDEFINED).unchecked_ref(),
                &options,
            );
        }
    }
}

/// Sends `request` once (its upload `content` is what the caller handed over, for
/// [`Content::Caller`]), waits for its headers, and reads the body as `read` says.
pub async fn send(
    transport: &Transport,
    request: &Request,
    content: &JsValue,
    timeout_ms: u32,
    read: Read,
    signal: Option<&AbortSignal>,
) -> (Reply, Option<Open>) {
    match attempt(transport, request, content, timeout_ms, read, signal).await {
        Ok(done) => done,
        Err(no_reply) => (Reply::None(no_reply), None),
    }
}

async fn attempt(
    transport: &Transport,
    request: &Request,
    content: &JsValue,
    timeout_ms: u32,
    read: Read,
    signal: Option<&AbortSignal>,
) -> Result<(Reply, Option<Open>), NoReply> {
    if signal.is_some_and(AbortSignal::aborted) {
        return Err(NoReply::Aborted);
    }
    let connection = |e: &JsValue| NoReply::Connection { detail: describe(e), refused: refused(e) };
    let controller = AbortController::new().map_err(|e| connection(&e))?;
    let body = request_body(&request.body, content).map_err(|e| connection(&e))?;
    // The request follows the caller's signal too, without a listener we would have to remove.
    let combined = signal.and_then(|s| js::abort_signal_any(&js_sys::Array::of2(&controller.signal(), s)).ok());
    let follows_caller = combined.is_some();
    let init = request_init(request, &body, &combined.unwrap_or_else(|| controller.signal()));
    let started = match transport {
        Transport::Global => global_fetch(&request.url, &init),
        Transport::Custom(f) => {
            f.call2(&js_sys::global(), &JsValue::from_str(&request.url), &init).map(|v| Promise::resolve(&v))
        }
    };
    let started = started.map_err(|e| connection(&e))?;
    let response = match bounded(started, Some(timeout_ms), signal).await {
        Ok(response) => response,
        Err(e) => {
            // Stop the request itself, not just our wait for it.
            controller.abort();
            return Err(e);
        }
    };
    let response: Response = response.unchecked_into();
    let status = response.status().as_f64().filter(|s| (100.0..=599.0).contains(s));
    let Some(status) = status else {
        return Err(NoReply::Connection {
            detail: "`fetch` resolved with something that is not a Response".into(),
            refused: false,
        });
    };
    let mut head = Head::new(status as u16);
    let headers = response.headers();
    head.headers = Header::ALL.iter().map(|h| headers.get(h.name()).ok().and_then(|v| v.as_string())).collect();
    let mut open = Open { response, reader: None, controller, follows_caller };
    let body = match (head.ok(), read) {
        (true, Read::Stream) => return Ok((Reply::Answer(head, Body::Open), Some(open))),
        (true, Read::Whole(max)) => read_whole(&mut open, &head, max, timeout_ms, signal).await,
        (false, _) => match open.reader().read_up_to(ERROR_BODY_BYTES, timeout_ms, signal).await {
            Ok(bytes) => Body::Read(bytes),
            Err(NoReply::Aborted) => Body::Failed(NoReply::Aborted),
            // An error page that breaks off still says what it says so far.
            Err(_) => Body::Read(Vec::new()),
        },
    };
    if let Some(reader) = open.reader.as_mut() {
        reader.cancel();
    }
    Ok((Reply::Answer(head, body), None))
}

/// A whole 2xx body, at most `max` bytes: with a `content-length`, through `arrayBuffer()` (one
/// copy into wasm memory); without one, chunk by chunk with a running count.
async fn read_whole(open: &mut Open, head: &Head, max: usize, timeout_ms: u32, signal: Option<&AbortSignal>) -> Body {
    let length = head.get(Header::ContentLength).and_then(|l| l.trim().parse::<u64>().ok());
    match length {
        Some(n) if n > max as u64 => {
            open.controller.abort();
            Body::TooLarge(n)
        }
        Some(_) => {
            let read = match open.response.array_buffer() {
                Ok(read) => read,
                Err(e) => return Body::Failed(NoReply::Connection { detail: describe(&e), refused: false }),
            };
            match bounded(read, Some(timeout_ms), signal).await {
                Ok(buffer) => Body::Read(Uint8Array::new(&buffer).to_vec()),
                Err(e) => {
                    open.controller.abort();
                    Body::Failed(e)
                }
            }
        }
        None => match open.reader().read_up_to(max + 1, timeout_ms, signal).await {
            Ok(bytes) if bytes.len() > max => {
                open.controller.abort();
                Body::TooLarge(bytes.len() as u64)
            }
            Ok(bytes) => Body::Read(bytes),
            Err(e) => {
                open.controller.abort();
                Body::Failed(e)
            }
        },
    }
}

/// The request body as JS: a JSON string, a `FormData`, or the file content itself.
fn request_body(body: &RequestBody, caller: &JsValue) -> Result<JsValue, JsValue> {
    let content = |content: &Content| -> Result<JsValue, JsValue> {
        match content {
            Content::Caller => super::convert::blob(caller),
            Content::Bytes(bytes) => super::convert::blob(&Uint8Array::from(bytes.as_slice()).into()),
        }
    };
    match body {
        RequestBody::None => Ok(JsValue::UNDEFINED),
        RequestBody::Json(text) => Ok(JsValue::from_str(text)),
        RequestBody::Raw(c) => content(c),
        RequestBody::Form(form) => {
            let data = web_sys::FormData::new()?;
            for (name, value) in &form.fields {
                data.append_with_str(name, value)?;
            }
            let file: web_sys::Blob = content(&form.content)?.unchecked_into();
            data.append_with_blob_and_filename(form.file_field, &file, &form.filename)?;
            Ok(data.into())
        }
    }
}

fn request_init(request: &Request, body: &JsValue, signal: &AbortSignal) -> Object {
    let headers = js::object();
    for (name, value) in &request.headers {
        let _ = Reflect::set(&headers, &name.into(), &value.into());
    }
    let init = js::object();
    let _ = Reflect::set(&init, &"method".into(), &request.method.as_str().into());
    let _ = Reflect::set(&init, &"headers".into(), &headers);
    let _ = Reflect::set(&init, &"signal".into(), signal);
    if !body.is_undefined() {
        let _ = Reflect::set(&init, &"body".into(), body);
    }
    init
}

/// Reads a response body chunk by chunk; cancelled when dropped.
#[derive(Debug)]
pub struct BodyReader {
    reader: Option<BodyHandle>,
    /// Why the body cannot be read on, once the bytes before it have been handed out.
    broken: Option<NoReply>,
}

impl BodyReader {
    /// A reader over `response`'s body; a response without a body reads as empty.
    fn new(response: &Response) -> Result<Self, JsValue> {
        let body = response.body();
        if body.is_null() || body.is_undefined() {
            return Ok(BodyReader { reader: None, broken: None });
        }
        Ok(BodyReader { reader: Some(open_body(&body)?), broken: None })
    }

    /// The next piece of the body (the chunks that came, up to about [`READ_BYTES`]), `None` at the
    /// end. A read that stalls for `timeout_ms` is a timeout.
    pub async fn next(&mut self, timeout_ms: u32, signal: Option<&AbortSignal>) -> Result<Option<Vec<u8>>, NoReply> {
        if let Some(error) = self.broken.take() {
            self.cancel();
            return Err(error);
        }
        let Some(reader) = &self.reader else { return Ok(None) };
        if signal.is_some_and(AbortSignal::aborted) {
            self.cancel();
            return Err(NoReply::Aborted);
        }
        let stalled: JsValue = Object::new().into();
        let chunks = match JsFuture::from(read_chunks(reader, READ_BYTES, timeout_ms, signal, &stalled)).await {
            Ok(chunks) => chunks.unchecked_into::<Array>(),
            Err(e) => {
                self.cancel();
                return Err(if signal.is_some_and(AbortSignal::aborted) {
                    NoReply::Aborted
                } else if e == stalled {
                    NoReply::Timeout
                } else {
                    // The request was sent: a body that breaks off is never "refused".
                    NoReply::Connection { detail: describe(&e), refused: false }
                });
            }
        };
        let mut out = Vec::new();
        for chunk in chunks.iter() {
            if chunk.is_null() {
                self.reader = None;
                break;
            }
            let Some(bytes) = chunk.dyn_ref::<Uint8Array>() else {
                // What came before it is handed out first; the error comes with the next call.
                self.broken = Some(NoReply::Connection {
                    detail: "the response body produced a chunk that is not bytes".into(),
                    refused: false,
                });
                break;
            };
            let at = out.len();
            out.resize(at + bytes.length() as usize, 0);
            bytes.copy_to(&mut out[at..]);
        }
        if out.is_empty() {
            return match self.broken.take() {
                Some(error) => {
                    self.cancel();
                    Err(error)
                }
                // An empty chunk before the end is still not the end.
                None if self.reader.is_some() => Ok(Some(out)),
                None => Ok(None),
            };
        }
        Ok(Some(out))
    }

    /// The body's first `max` bytes (or all of it, if shorter).
    async fn read_up_to(
        &mut self,
        max: usize,
        timeout_ms: u32,
        signal: Option<&AbortSignal>,
    ) -> Result<Vec<u8>, NoReply> {
        let mut out = Vec::new();
        while out.len() < max {
            match self.next(timeout_ms, signal).await? {
                Some(chunk) => out.extend_from_slice(&chunk),
                None => break,
            }
        }
        Ok(out)
    }

    /// Stops the stream and releases the connection.
    pub fn cancel(&mut self) {
        if let Some(reader) = self.reader.take() {
            cancel_body(&reader);
        }
    }
}

impl Drop for BodyReader {
    fn drop(&mut self) {
        self.cancel();
    }
}
