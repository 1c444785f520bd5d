//! The client's settings, the checks on every argument, and the HTTP requests they become.
//! Nothing here sends anything: an argument we refuse never reaches the network.

use std::fmt;

use serde_json::Value;

use super::batch::Dialect;
use super::error::{Error, Result};
use super::secret::ApiKey;

/// Where requests go when the caller names no `baseURL`.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// Per-attempt timeout when the caller names none, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u32 = 60_000;
/// Retries after the first attempt when the caller names none.
pub const DEFAULT_MAX_RETRIES: u32 = 2;

/// The options as the caller gave them, already read out of JS but not yet checked.
#[derive(Debug, Default)]
pub struct Options {
    /// `apiKey`.
    pub api_key: Option<String>,
    /// `baseURL`.
    pub base_url: Option<String>,
    /// `dialect`.
    pub dialect: Option<String>,
    /// `timeout`, in milliseconds.
    pub timeout_ms: Option<f64>,
    /// `maxRetries`.
    pub max_retries: Option<f64>,
    /// `defaultHeaders`; `None` removes a header we would otherwise send.
    pub default_headers: Vec<(String, Option<String>)>,
}

/// Checked settings of one client. `Debug` shows header names only: values may hold secrets.
#[derive(Clone)]
pub struct Config {
    base_url: String,
    api_key: ApiKey,
    /// The provider dialect to expect.
    pub dialect: Dialect,
    /// Per-attempt timeout, in milliseconds.
    pub timeout_ms: u32,
    /// Retries after the first attempt.
    pub max_retries: u32,
    headers: Vec<(String, String)>,
}

/// `list` parameters.
#[derive(Debug, Default)]
pub struct ListQuery {
    /// Page size.
    pub limit: Option<u32>,
    /// The id after which the page starts.
    pub after: Option<String>,
}

/// HTTP methods the Batch API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Reads.
    Get,
    /// Creates and cancels.
    Post,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One HTTP request, ready for `fetch`. `Debug` shows header names only.
#[derive(Clone)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    /// Header names and values (the `Authorization` value holds the key: never log a Request).
    pub headers: Vec<(String, String)>,
    /// A JSON body (`create`); multipart bodies are built by the edge.
    pub json: Option<String>,
}

fn header_names(headers: &[(String, String)]) -> Vec<&str> {
    headers.iter().map(|(name, _)| name.as_str()).collect()
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key)
            .field("dialect", &self.dialect)
            .field("timeout_ms", &self.timeout_ms)
            .field("max_retries", &self.max_retries)
            .field("headers", &header_names(&self.headers))
            .finish()
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &header_names(&self.headers))
            .field("json", &self.json)
            .finish()
    }
}

impl Config {
    /// Checks the caller's options.
    pub fn new(options: Options) -> Result<Self> {
        let api_key = match options.api_key {
            Some(key) if !key.trim().is_empty() => key,
            Some(_) => return Err(Error::invalid_argument("`apiKey` must be a non-empty string")),
            None => return Err(Error::invalid_argument("`apiKey` is required")),
        };
        if api_key.chars().any(|c| c.is_control()) {
            return Err(Error::invalid_argument("`apiKey` contains control characters"));
        }
        let base_url = check_base_url(options.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        let dialect = match options.dialect.as_deref() {
            None => Dialect::Auto,
            Some(name) => Dialect::parse(name).ok_or_else(|| {
                Error::invalid_argument(format!(
                    "`dialect` must be \"auto\", \"openai\", \"ppinfra\" or \"token360\", got {name:?}"
                ))
            })?,
        };
        let timeout_ms = match options.timeout_ms {
            None => DEFAULT_TIMEOUT_MS,
            Some(ms) if ms.is_finite() && ms >= 1.0 && ms <= f64::from(i32::MAX) => ms.round() as u32,
            Some(_) => {
                return Err(Error::invalid_argument(
                    "`timeout` must be a number of milliseconds between 1 and 2147483647",
                ))
            }
        };
        let max_retries = match options.max_retries {
            None => DEFAULT_MAX_RETRIES,
            Some(n) if (0.0..=100.0).contains(&n) && n.fract() == 0.0 => n as u32,
            Some(_) => return Err(Error::invalid_argument("`maxRetries` must be a whole number from 0 to 100")),
        };
        let mut headers = vec![
            ("authorization".to_owned(), format!("Bearer {api_key}")),
            ("accept".to_owned(), "application/json".to_owned()),
        ];
        for (name, value) in options.default_headers {
            check_header(&name, value.as_deref())?;
            let name = name.to_ascii_lowercase();
            headers.retain(|(n, _)| *n != name);
            if let Some(value) = value {
                headers.push((name, value));
            }
        }
        Ok(Config { base_url, api_key: ApiKey::new(api_key), dialect, timeout_ms, max_retries, headers })
    }

    /// The key, for redacting it from anything that leaves the client.
    pub fn api_key(&self) -> &ApiKey {
        &self.api_key
    }

    /// `GET /batches/{id}`.
    pub fn retrieve(&self, id: &str) -> Result<Request> {
        let id = check_id("batch id", id)?;
        Ok(self.request(Method::Get, &format!("/batches/{}", encode(id))))
    }

    /// `GET /batches?limit=&after=`.
    pub fn list(&self, query: &ListQuery) -> Result<Request> {
        let mut path = String::from("/batches");
        let mut sep = '?';
        if let Some(limit) = query.limit {
            if limit == 0 {
                return Err(Error::invalid_argument("`limit` must be at least 1"));
            }
            path.push(sep);
            path.push_str(&format!("limit={limit}"));
            sep = '&';
        }
        if let Some(after) = &query.after {
            let after = check_id("`after`", after)?;
            path.push(sep);
            path.push_str("after=");
            path.push_str(&encode(after));
        }
        Ok(self.request(Method::Get, &path))
    }

    /// `POST /batches` with the checked parameters. Fields we don't know are sent as given, so a
    /// provider's extra options still reach it.
    pub fn create(&self, params: Value) -> Result<Request> {
        let Value::Object(mut body) = params else {
            return Err(Error::invalid_argument("create parameters must be an object"));
        };
        match body.get("input_file_id") {
            Some(Value::String(id)) => {
                check_id("`input_file_id`", id)?;
            }
            _ => return Err(Error::invalid_argument("`input_file_id` must be a file id string")),
        }
        match body.get("endpoint") {
            Some(Value::String(e)) if e.starts_with('/') && !e.contains(char::is_whitespace) => {}
            _ => return Err(Error::invalid_argument("`endpoint` must be a path such as \"/v1/chat/completions\"")),
        }
        match body.get("completion_window") {
            None | Some(Value::Null) => {
                body.insert("completion_window".into(), Value::from("24h"));
            }
            Some(Value::String(w)) if !w.trim().is_empty() => {}
            _ => return Err(Error::invalid_argument("`completion_window` must be a string such as \"24h\"")),
        }
        match body.get("metadata") {
            None => {}
            Some(Value::Null) => {
                body.remove("metadata");
            }
            Some(Value::Object(m)) if m.values().all(Value::is_string) => {}
            Some(_) => return Err(Error::invalid_argument("`metadata` must be an object whose values are strings")),
        }
        match body.get("output_expires_after") {
            None | Some(Value::Object(_)) => {}
            Some(Value::Null) => {
                body.remove("output_expires_after");
            }
            Some(_) => {
                return Err(Error::invalid_argument(
                    "`output_expires_after` must be an object such as { anchor: \"created_at\", seconds: 86400 }",
                ))
            }
        }
        let mut request = self.request(Method::Post, "/batches");
        request.headers.push(("content-type".into(), "application/json".into()));
        request.json = Some(Value::Object(body).to_string());
        Ok(request)
    }

    /// `POST /batches/{id}/cancel`.
    pub fn cancel(&self, id: &str) -> Result<Request> {
        let id = check_id("batch id", id)?;
        Ok(self.request(Method::Post, &format!("/batches/{}/cancel", encode(id))))
    }

    /// `POST /files` (the edge attaches the multipart body); checks `filename` and `purpose`.
    pub fn upload(&self, filename: &str, purpose: &str) -> Result<Request> {
        if filename.trim().is_empty() || filename.contains(['\r', '\n', '"', '\0']) {
            return Err(Error::invalid_argument("`filename` must be a non-empty name without quotes or line breaks"));
        }
        if purpose.trim().is_empty() {
            return Err(Error::invalid_argument("`purpose` must be a non-empty string such as \"batch\""));
        }
        Ok(self.request(Method::Post, "/files"))
    }

    /// `GET /files/{id}/content`.
    pub fn file_content(&self, file_id: &str) -> Result<Request> {
        let id = check_id("file id", file_id)?;
        let mut request = self.request(Method::Get, &format!("/files/{}/content", encode(id)));
        request.headers.retain(|(name, _)| name != "accept");
        Ok(request)
    }

    fn request(&self, method: Method, path: &str) -> Request {
        Request { method, url: format!("{}{path}", self.base_url), headers: self.headers.clone(), json: None }
    }
}

/// Ids go into URL paths, so refuse what can't be one: empty, padded, control characters,
/// the dot segments a URL parser would resolve, and absurd lengths.
pub fn check_id<'a>(what: &str, id: &'a str) -> Result<&'a str> {
    let problem = if id.trim().is_empty() {
        "must be a non-empty string"
    } else if id.trim() != id {
        "must not start or end with white space"
    } else if id.chars().any(char::is_control) {
        "must not contain control characters"
    } else if id == "." || id == ".." {
        "must not be a dot segment"
    } else if id.len() > 512 {
        "is longer than 512 bytes"
    } else {
        return Ok(id);
    };
    Err(Error::invalid_argument(format!("{what} {problem}")))
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn encode(text: &str) -> String {
    let hex = |n: u8| char::from(if n < 10 { b'0' + n } else { b'A' + (n - 10) });
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(hex(b >> 4));
            out.push(hex(b & 15));
        }
    }
    out
}

fn check_base_url(url: &str) -> Result<String> {
    let bad = |why: &str| Err(Error::invalid_argument(format!("`baseURL` {why}")));
    let lower = url.to_ascii_lowercase();
    let rest = match lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://")) {
        Some(rest) => rest,
        None => return bad("must be an absolute http:// or https:// URL"),
    };
    if rest.is_empty() || rest.starts_with('/') {
        return bad("has no host");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("must not contain white space");
    }
    if url.contains(['?', '#']) {
        return bad("must not have a query or fragment");
    }
    Ok(url.trim_end_matches('/').to_owned())
}

fn check_header(name: &str, value: Option<&str>) -> Result<()> {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return Err(Error::invalid_argument(format!("`defaultHeaders` has an invalid header name {name:?}")));
    }
    if value.is_some_and(|v| v.contains(['\r', '\n', '\0'])) {
        return Err(Error::invalid_argument(format!("`defaultHeaders[{name:?}]` contains a line break")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ErrorKind;

    fn config() -> Config {
        Config::new(Options { api_key: Some("sk-test".into()), ..Options::default() }).unwrap()
    }

    #[test]
    fn defaults() {
        let c = config();
        assert_eq!(c.dialect, Dialect::Auto);
        assert_eq!((c.timeout_ms, c.max_retries), (60_000, 2));
        let r = c.retrieve("batch_1").unwrap();
        assert_eq!(r.url, "https://api.openai.com/v1/batches/batch_1");
        assert_eq!(r.method, Method::Get);
        assert!(r.headers.contains(&("authorization".into(), "Bearer sk-test".into())));
    }

    #[test]
    fn ids_are_checked_and_encoded() {
        let c = config();
        for bad in ["", "   ", " x", "x ", "a\nb", "\u{7f}", ".", "..", &"x".repeat(513)] {
            let err = c.retrieve(bad).unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidArgument, "{bad:?}");
        }
        assert_eq!(c.retrieve("batch a/b?c#d").unwrap().url, "https://api.openai.com/v1/batches/batch%20a%2Fb%3Fc%23d");
        assert_eq!(c.retrieve("bätch~1.x").unwrap().url, "https://api.openai.com/v1/batches/b%C3%A4tch~1.x");
        assert_eq!(c.retrieve("...").unwrap().url, "https://api.openai.com/v1/batches/...");
    }

    #[test]
    fn list_query() {
        let c = config();
        assert_eq!(c.list(&ListQuery::default()).unwrap().url, "https://api.openai.com/v1/batches");
        let q = ListQuery { limit: Some(5), after: Some("b 1&x".into()) };
        assert_eq!(c.list(&q).unwrap().url, "https://api.openai.com/v1/batches?limit=5&after=b%201%26x");
        let q = ListQuery { limit: None, after: Some("b".into()) };
        assert_eq!(c.list(&q).unwrap().url, "https://api.openai.com/v1/batches?after=b");
        assert!(c.list(&ListQuery { limit: Some(0), after: None }).is_err());
        assert!(c.list(&ListQuery { limit: None, after: Some("".into()) }).is_err());
    }

    #[test]
    fn options_are_checked() {
        let opts = |f: fn(&mut Options)| {
            let mut o = Options { api_key: Some("sk-test".into()), ..Options::default() };
            f(&mut o);
            Config::new(o)
        };
        let bad: [fn(&mut Options); 12] = [
            |o| o.api_key = None,
            |o| o.api_key = Some("  ".into()),
            |o| o.base_url = Some("api.openai.com/v1".into()),
            |o| o.base_url = Some("ftp://x".into()),
            |o| o.base_url = Some("https://".into()),
            |o| o.base_url = Some("https://x/v1?a=b".into()),
            |o| o.dialect = Some("anthropic".into()),
            |o| o.timeout_ms = Some(-1.0),
            |o| o.timeout_ms = Some(f64::NAN),
            |o| o.max_retries = Some(1.5),
            |o| o.default_headers = vec![("bad name".into(), Some("x".into()))],
            |o| o.default_headers = vec![("x-a".into(), Some("a\r\nb".into()))],
        ];
        for (i, f) in bad.iter().enumerate() {
            let err = opts(*f).unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidArgument, "case {i}");
            assert!(!err.message.contains("sk-test"));
        }
        let c = opts(|o| {
            o.base_url = Some("http://127.0.0.1:9/ppinfra/openai/v1/".into());
            o.default_headers = vec![("X-Team".into(), Some("a".into())), ("Accept".into(), None)];
        })
        .unwrap();
        let r = c.retrieve("b").unwrap();
        assert_eq!(r.url, "http://127.0.0.1:9/ppinfra/openai/v1/batches/b");
        assert!(r.headers.contains(&("x-team".into(), "a".into())));
        assert!(!r.headers.iter().any(|(n, _)| n == "accept"));
    }

    #[test]
    fn create_checks_and_fills_in() {
        let c = config();
        let ok = serde_json::json!({"input_file_id": "file_1", "endpoint": "/v1/chat/completions",
                                    "metadata": {"job": "nightly"}, "remark": "provider extra"});
        let r = c.create(ok).unwrap();
        assert_eq!((r.method, r.url.as_str()), (Method::Post, "https://api.openai.com/v1/batches"));
        let body: Value = serde_json::from_str(r.json.as_deref().unwrap()).unwrap();
        assert_eq!(body["completion_window"], "24h");
        assert_eq!(body["remark"], "provider extra");
        assert!(r.headers.contains(&("content-type".into(), "application/json".into())));
        let bad = [
            serde_json::json!(null),
            serde_json::json!({"endpoint": "/v1/chat/completions"}),
            serde_json::json!({"input_file_id": "", "endpoint": "/v1/chat/completions"}),
            serde_json::json!({"input_file_id": "f", "endpoint": "v1/chat"}),
            serde_json::json!({"input_file_id": "f", "endpoint": "/v1/x", "completion_window": 24}),
            serde_json::json!({"input_file_id": "f", "endpoint": "/v1/x", "metadata": {"n": 1}}),
            serde_json::json!({"input_file_id": "f", "endpoint": "/v1/x", "output_expires_after": 5}),
        ];
        for params in bad {
            assert_eq!(c.create(params.clone()).unwrap_err().kind, ErrorKind::InvalidArgument, "{params}");
        }
    }

    #[test]
    fn cancel_upload_and_content_paths() {
        let c = config();
        let r = c.cancel("batch/1").unwrap();
        assert_eq!((r.method, r.url.as_str()), (Method::Post, "https://api.openai.com/v1/batches/batch%2F1/cancel"));
        assert!(c.cancel("").is_err());
        assert_eq!(c.upload("input.jsonl", "batch").unwrap().url, "https://api.openai.com/v1/files");
        assert!(c.upload("", "batch").is_err());
        assert!(c.upload("a\"b", "batch").is_err());
        assert!(c.upload("in.jsonl", " ").is_err());
        assert_eq!(c.file_content("file-x").unwrap().url, "https://api.openai.com/v1/files/file-x/content");
        assert!(c.file_content("..").is_err());
    }

    #[test]
    fn debug_output_hides_the_key() {
        let c = config();
        let texts = [format!("{c:?}"), format!("{c:#?}"), format!("{:?}", c.retrieve("b").unwrap())];
        for text in texts {
            assert!(!text.contains("sk-test"), "{text}");
            assert!(text.contains("authorization"), "{text}");
        }
    }
}
