//! HTTP as the core sees it: the requests it asks the edge to send, the heads of the answers it
//! gets back, and the typed error an answer that is not a success becomes.

use std::fmt;

use super::error::{cut, Error, ErrorKind, Result};
use super::json::{self, strip_bom, Json, Kind};
use super::text;

/// HTTP methods the batch APIs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Reads.
    Get,
    /// Creates and cancels.
    Post,
    /// Deletes.
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// File content to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// What the caller handed to `uploadFile` (a string, bytes or a `Blob` the edge holds).
    Caller,
    /// Bytes we made (the JSONL of `submit`).
    Bytes(Vec<u8>),
}

/// A multipart body: text fields, then the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// `(name, value)` text fields, in order.
    pub fields: Vec<(&'static str, String)>,
    /// The name of the file field.
    pub file_field: &'static str,
    /// The file's name.
    pub filename: String,
    /// The file's bytes.
    pub content: Content,
}

/// A request body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Body {
    /// None.
    #[default]
    None,
    /// JSON text.
    Json(String),
    /// `multipart/form-data`, built by the edge with the platform's `FormData`.
    Form(Form),
    /// The file content itself (Gemini's resumable upload).
    Raw(Content),
}

/// One HTTP request, ready for `fetch`. `Debug` shows header names only (values hold the key).
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Body,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &names)
            .field("body", &self.body)
            .finish()
    }
}

impl Request {
    /// Adds (or replaces) a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.retain(|(n, _)| n != name);
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Removes a header.
    pub fn without(mut self, name: &str) -> Self {
        self.headers.retain(|(n, _)| n != name);
        self
    }

    /// A JSON body.
    pub fn json(self, text: String) -> Self {
        Request { body: Body::Json(text), ..self.header("content-type", "application/json") }
    }

    /// The host the request goes to, for messages.
    pub fn host(&self) -> &str {
        host_of(&self.url)
    }
}

/// The host (and port) of an absolute URL.
pub fn host_of(url: &str) -> &str {
    let rest = text::split_once(url, "://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

/// The answer headers the core reads, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    /// `x-request-id` (OpenAI and most others).
    RequestId,
    /// `request-id` (Anthropic).
    AnthropicRequestId,
    /// `apim-request-id` (Azure).
    AzureRequestId,
    /// `retry-after-ms`.
    RetryAfterMs,
    /// `retry-after`: seconds or an HTTP date.
    RetryAfter,
    /// `x-should-retry`: `true` or `false`, the server's own verdict.
    ShouldRetry,
    /// `openai-poll-after-ms`: when to poll a batch again.
    PollAfterMs,
    /// `x-goog-upload-url`: where Gemini's resumable upload goes next.
    UploadUrl,
    /// `content-length`.
    ContentLength,
}

impl Header {
    /// Every header the edge reads off an answer, in this order.
    pub const ALL: [Header; 9] = [
        Header::RequestId,
        Header::AnthropicRequestId,
        Header::AzureRequestId,
        Header::RetryAfterMs,
        Header::RetryAfter,
        Header::ShouldRetry,
        Header::PollAfterMs,
        Header::UploadUrl,
        Header::ContentLength,
    ];

    /// The header's name.
    pub const fn name(self) -> &'static str {
        match self {
            Header::RequestId => "x-request-id",
            Header::AnthropicRequestId => "request-id",
            Header::AzureRequestId => "apim-request-id",
            Header::RetryAfterMs => "retry-after-ms",
            Header::RetryAfter => "retry-after",
            Header::ShouldRetry => "x-should-retry",
            Header::PollAfterMs => "openai-poll-after-ms",
            Header::UploadUrl => "x-goog-upload-url",
            Header::ContentLength => "content-length",
        }
    }
}

/// What we keep of an answer besides its body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Head {
    /// HTTP status.
    pub status: u16,
    /// The headers of [`Header::ALL`], in that order (`None`: not sent).
    pub headers: Vec<Option<String>>,
}

impl Head {
    /// A head with a status and no headers.
    pub fn new(status: u16) -> Self {
        Head { status, headers: Vec::new() }
    }

    /// A header's value.
    pub fn get(&self, header: Header) -> Option<&str> {
        let i = Header::ALL.iter().position(|h| *h == header)?;
        self.headers.get(i)?.as_deref()
    }

    /// Sets a header's value (tests, and the edge when it reads them).
    pub fn set(&mut self, header: Header, value: &str) {
        if let Some(i) = Header::ALL.iter().position(|h| *h == header) {
            if self.headers.len() < Header::ALL.len() {
                self.headers.resize(Header::ALL.len(), None);
            }
            if let Some(slot) = self.headers.get_mut(i) {
                *slot = Some(value.to_owned());
            }
        }
    }

    /// A 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The provider's id for this answer, for support tickets.
    pub fn request_id(&self) -> Option<String> {
        let id = self.get(Header::RequestId).or_else(|| self.get(Header::AnthropicRequestId));
        id.or_else(|| self.get(Header::AzureRequestId)).map(str::to_owned)
    }
}

/// Largest JSON answer we read, in bytes: 256 MiB. A body this size takes about twice as much wasm
/// memory while it is normalised, and a JS string cannot be much longer (V8 stops at ~512 M
/// characters), so no JS client could read a larger one either. Past it the answer is an
/// `invalid_response`, and the body is not read further.
pub const MAX_BODY_BYTES: usize = 256 * 1024 * 1024;

/// Provider text kept for a message, in bytes: a 50 MB error page must not become a 50 MB message.
/// Far above what callers see ([`super::error::MAX_MESSAGE`]): secrets are redacted before that
/// final cut, so a key split by this one is cut away with it.
pub const MAX_DETAIL: usize = 8 * 1024;

/// The body of a 2xx answer as checked JSON (a leading BOM is dropped, as `response.text()` drops
/// it), or the error it really is: a 200 that carries only an `error` is the provider's error.
pub fn read_json<'a>(head: &Head, body: &'a [u8]) -> Result<Json<'a>> {
    if !head.ok() {
        return Err(api_error(head, body));
    }
    let text = strip_bom(body);
    let value = match Json::parse(text) {
        Ok(value) => value,
        Err(_) if text.iter().all(u8::is_ascii_whitespace) => {
            return Err(invalid(head, format!("the provider answered {} with an empty body", head.status)));
        }
        Err(e) => {
            return Err(invalid(head, format!("the provider's answer is not valid JSON ({})", e.describe(text))));
        }
    };
    if value.kind() == Kind::Object {
        // One pass over the top level: an `error` object or string with no `id` or `data` beside it.
        let (mut error, mut other) = (None, false);
        for (key, v) in value.entries() {
            match &*key.key_bytes() {
                b"error" => error = Some(v),
                b"id" | b"data" | b"name" => other = true,
                _ => {}
            }
        }
        if let (Some(e), false) = (error, other) {
            if matches!(e.kind(), Kind::Object | Kind::String) {
                return Err(error_from_json(head, value));
            }
        }
    }
    Ok(value)
}

/// The text of a 2xx answer (a leading BOM dropped, as `response.text()` drops it), or the error a
/// non-2xx answer is. The text is checked as it is walked, by whoever reads it.
pub fn read_body<'a>(head: &Head, body: &'a [u8]) -> Result<&'a [u8]> {
    if !head.ok() {
        return Err(api_error(head, body));
    }
    let text = strip_bom(body);
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid(head, format!("the provider answered {} with an empty body", head.status)));
    }
    Ok(text)
}

/// What reading a 2xx answer's `text` into our model failed as: the provider's own error when the
/// answer is one (`{"error": …}` with no `id`, `data` or `name` beside it: expired batches come as
/// 200s like that), else `error` with the answer's status and request id (a syntax error said
/// against the text).
pub fn answer_error(head: &Head, text: &[u8], error: Error) -> Error {
    if let Ok(value) = Json::parse(text) {
        if value.kind() == Kind::Object {
            let (mut found, mut other) = (None, false);
            for (key, v) in value.entries() {
                match &*key.key_bytes() {
                    b"error" => found = Some(v),
                    b"id" | b"data" | b"name" => other = true,
                    _ => {}
                }
            }
            if let (Some(e), false) = (found, other) {
                if matches!(e.kind(), Kind::Object | Kind::String) {
                    return error_from_json(head, value);
                }
            }
        }
    }
    if error.kind != ErrorKind::InvalidResponse {
        return error;
    }
    let message = match error.syntax {
        Some(syntax) => format!("the provider's answer is not valid JSON ({})", syntax.describe(text)),
        None => error.message,
    };
    invalid(head, message)
}

/// An `invalid_response` error for this answer.
pub fn invalid(head: &Head, message: String) -> Error {
    Error::invalid_response(message).with_status(head.status).with_request_id(head.request_id())
}

/// The wait a Google error body asks for: `error.details[].retryDelay` of a `RetryInfo`
/// (a protobuf Duration such as `"42s"` or `"0.5s"`), in milliseconds.
pub fn retry_info_ms(body: &[u8]) -> Option<f64> {
    let json = Json::parse(strip_bom(body)).ok()?;
    let details = json.get("error")?.get("details")?;
    details.items().find_map(|detail| {
        let delay = detail.get("retryDelay")?.as_str()?;
        let seconds = json::parse_f64(delay.trim().strip_suffix('s')?)?;
        (seconds.is_finite() && seconds >= 0.0).then_some(seconds * 1000.0)
    })
}

/// A non-2xx answer as an [`ErrorKind::Api`] error, whatever its body.
pub fn api_error(head: &Head, body: &[u8]) -> Error {
    match Json::parse(strip_bom(body)) {
        Ok(value) if value.kind() == Kind::Object => error_from_json(head, value),
        Ok(value) if value.kind() == Kind::String => {
            let text = value.as_str().unwrap_or_default();
            error(head, None, &text)
        }
        _ => {
            let text = String::from_utf8_lossy(body.get(..MAX_DETAIL * 4).unwrap_or(body));
            let snippet = plain_text(&text);
            let detail = if snippet.is_empty() {
                "no error message in the response".to_owned()
            } else {
                format!("the provider answered with a non-JSON body: {snippet}")
            };
            error(head, None, &detail)
        }
    }
}

/// OpenAI `{"error": {message, code, type}}`, Anthropic `{"type": "error", "error": {type, message}}`,
/// Google `{"error": {code, message, status}}`, PPInfra `{code: 404, reason, message}`, FastAPI
/// `{detail}`, Together `{"error": "text"}`, Mistral `{"object": "error", message, type, code}`.
fn error_from_json(head: &Head, value: Json<'_>) -> Error {
    let (message, code) = match value.get("error") {
        Some(e) if e.kind() == Kind::Object => {
            let code = code(e.get("code")).filter(|c| !c.chars().all(|c| c.is_ascii_digit()));
            let code = code.or_else(|| code_of(e.get("status"))).or_else(|| code_of(e.get("type")));
            (text(e.get("message")), code)
        }
        Some(e) if e.kind() == Kind::String => (e.as_str().map(|s| s.into_owned()), code(value.get("code"))),
        _ => {
            let code = match value.get("code") {
                Some(c) if c.kind() == Kind::String && c.text().len() > 2 => code_of(Some(c)),
                other => code_of(value.get("reason")).or_else(|| code_of(value.get("type"))).or_else(|| code(other)),
            };
            let message =
                text(value.get("message")).or_else(|| detail(value.get("detail"))).or_else(|| text(value.get("msg")));
            (message, code)
        }
    };
    let detail = message.unwrap_or_else(|| "no error message in the response".to_owned());
    error(head, code, &detail)
}

fn error(head: &Head, code: Option<String>, detail: &str) -> Error {
    let mut message = format!("{} {}: {}", head.status, reason(head.status), detail.trim());
    cut(&mut message, MAX_DETAIL);
    Error {
        kind: ErrorKind::Api,
        status: Some(head.status),
        code,
        request_id: head.request_id(),
        message,
        details: None,
        syntax: None,
    }
}

fn text(value: Option<Json<'_>>) -> Option<String> {
    let value = value?;
    match value.kind() {
        Kind::String => value.as_str().map(|s| s.into_owned()).filter(|s| !s.trim().is_empty()),
        Kind::Null => None,
        _ => Some(String::from_utf8_lossy(value.text()).into_owned()),
    }
}

/// FastAPI's `detail`: a string, or a list of `{ msg, loc }` (what a 422 carries).
fn detail(value: Option<Json<'_>>) -> Option<String> {
    let value = value?;
    if value.kind() == Kind::Array {
        let parts: Vec<String> =
            value.items().filter_map(|item| text(item.get("msg")).or_else(|| text(Some(item)))).collect();
        return (!parts.is_empty()).then(|| parts.join("; "));
    }
    text(Some(value))
}

fn code(value: Option<Json<'_>>) -> Option<String> {
    let value = value?;
    match value.kind() {
        Kind::String => value.as_str().map(|s| s.into_owned()).filter(|s| !s.is_empty()),
        Kind::Number => value.as_number().map(|n| n.text().to_owned()),
        _ => None,
    }
}

fn code_of(value: Option<Json<'_>>) -> Option<String> {
    code(value).filter(|c| c != "error")
}

/// Tags stripped and blanks collapsed, so an HTML error page reads as a sentence.
fn plain_text(text: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    let mut blank = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                blank = true;
            }
            _ if in_tag => {}
            c if c.is_whitespace() => blank = true,
            c => {
                if blank && !out.is_empty() {
                    out.push(' ');
                }
                blank = false;
                out.push(c);
                if out.len() > MAX_DETAIL {
                    break;
                }
            }
        }
    }
    out
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        529 => "Overloaded",
        _ => "HTTP error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(status: u16) -> Head {
        let mut head = Head::new(status);
        head.set(Header::RequestId, "req_1");
        head
    }

    #[test]
    fn success_is_json() {
        assert_eq!(read_json(&head(200), br#"{"id":"b"}"#).unwrap().get("id").unwrap().text(), br#""b""#);
        assert!(read_json(&head(200), b"\xef\xbb\xbf{\"id\":\"b\"}").is_ok(), "a BOM is dropped");
    }

    #[test]
    fn error_shapes_of_every_provider() {
        let table: &[(u16, &[u8], Option<&str>, &str)] = &[
            (404, br#"{"error":{"message":"No batch found with id 'x'.","type":"invalid_request_error","param":null,"code":"not_found"}}"#, Some("not_found"), "404 Not Found: No batch found with id 'x'."),
            (404, br#"{"code":404,"reason":"NOT_FOUND","message":"batch not found","metadata":{}}"#, Some("NOT_FOUND"), "404 Not Found: batch not found"),
            (422, br#"{"detail":"bad limit"}"#, None, "422 Unprocessable Entity: bad limit"),
            (422, br#"{"detail":[{"loc":["query","page"],"msg":"value is not a valid integer"}]}"#, None, "422 Unprocessable Entity: value is not a valid integer"),
            (500, br#"{"error":"boom","code":"E1"}"#, Some("E1"), "500 Internal Server Error: boom"),
            (503, b"", None, "503 Service Unavailable: no error message in the response"),
            (429, br#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#, Some("rate_limit_error"), "429 Too Many Requests: slow down"),
            (400, br#"{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}"#, Some("INVALID_ARGUMENT"), "400 Bad Request: bad"),
            (400, br#"{"object":"error","message":"no such job","type":"invalid_request_error","code":"1001"}"#, Some("1001"), "400 Bad Request: no such job"),
            (401, br#""Invalid token""#, None, "401 Unauthorized: Invalid token"),
            (400, br#"{"code":20012,"message":"bad input","data":"x"}"#, Some("20012"), "400 Bad Request: bad input"),
        ];
        for (status, body, code, message) in table {
            let err = read_json(&head(*status), body).unwrap_err();
            assert_eq!(err.kind, ErrorKind::Api);
            assert_eq!(err.status, Some(*status));
            assert_eq!(err.code.as_deref(), *code, "{}", String::from_utf8_lossy(body));
            assert_eq!(err.request_id.as_deref(), Some("req_1"));
            assert_eq!(err.message, *message);
        }
    }

    #[test]
    fn html_error_pages_become_short_sentences() {
        let page = format!(
            "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>{}</body></html>",
            "<p>x</p>".repeat(10_000)
        );
        let err = read_json(&head(502), page.as_bytes()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Api);
        assert!(
            err.message.starts_with(
                "502 Bad Gateway: the provider answered with a non-JSON body: 502 Bad Gateway 502 Bad Gateway"
            ),
            "{}",
            err.message
        );
        assert!(err.message.len() <= MAX_DETAIL + 3);
    }

    #[test]
    fn two_hundred_with_error_body_is_an_api_error() {
        let body = br#"{"error":{"message":"Batch expired","type":"invalid_request_error","code":"batch_expired"}}"#;
        let err = read_json(&head(200), body).unwrap_err();
        assert_eq!((err.kind, err.status, err.code.as_deref()), (ErrorKind::Api, Some(200), Some("batch_expired")));
        assert!(
            read_json(&head(200), br#"{"id":"b","error":"x"}"#).is_ok(),
            "a batch with an `error` field is a batch"
        );
        assert!(read_json(&head(200), br#"{"error":null,"x":1}"#).is_ok());
    }

    #[test]
    fn malformed_and_empty_bodies_are_invalid_responses() {
        for body in [&b"{\"id\": \"batch_"[..], b"", b"  \n", b"<html>", b"\xff\xfe"] {
            let err = read_json(&head(200), body).unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidResponse, "{body:?}");
            assert_eq!(err.status, Some(200));
        }
    }

    #[test]
    fn hosts_for_messages() {
        assert_eq!(host_of("https://api.openai.com/v1/batches"), "api.openai.com");
        assert_eq!(host_of("http://127.0.0.1:9/v1"), "127.0.0.1:9");
        assert_eq!(host_of("https://x.example?y"), "x.example");
    }
}
