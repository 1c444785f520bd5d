//! The client's settings and the checks on every argument. Nothing here sends anything: an
//! argument we refuse never reaches the network.

use std::fmt;

use super::error::{Error, Result};
use super::http::{host_of, Body, Method, Request};
use super::secret::Secrets;
use super::text::{self, Quoted};

/// Per-attempt timeout when the caller names none, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u32 = 60_000;
/// Retries after the first attempt when the caller names none.
pub const DEFAULT_MAX_RETRIES: u32 = 2;

/// The `anthropic-version` the client speaks.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// How a provider wants its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer KEY`.
    Bearer,
    /// `api-key: KEY` (Azure).
    ApiKeyHeader,
    /// `x-api-key: KEY` and `anthropic-version`.
    Anthropic,
    /// `x-goog-api-key: KEY`.
    Google,
}

/// What a provider brings to a client's settings.
#[derive(Debug, Clone, Copy)]
pub struct Defaults {
    /// Its name for messages ("OpenAI").
    pub label: &'static str,
    /// Where requests go without a `baseURL` (empty: it must be given).
    pub base_url: &'static str,
    /// How the key is sent.
    pub auth: Auth,
    /// Top-level `total`/`completed`/`failed` in its batches are its counts.
    pub top_level_counts: bool,
    /// The spellings to expect when the caller names no `dialect`.
    pub dialect: Dialect,
}

/// Where the client runs; a few things differ in a browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Runtime {
    /// A page or a web worker: CORS applies.
    Browser,
    /// Node.js, Deno, Bun, Cloudflare Workers, or native tests.
    #[default]
    Server,
}

/// Which spellings of the older OpenAI-compatible dialects to expect (the `dialect` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// Recognise every known spelling.
    #[default]
    Auto,
    /// OpenAI's own shape: top-level `total`/`completed`/`failed` are someone else's fields.
    OpenAi,
    /// PPInfra.
    PpInfra,
    /// token360.
    Token360,
}

impl Dialect {
    /// Parses the `dialect` option.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "auto" => Dialect::Auto,
            "openai" => Dialect::OpenAi,
            "ppinfra" => Dialect::PpInfra,
            "token360" => Dialect::Token360,
            _ => return None,
        })
    }
}

/// The options as the caller gave them, read out of JS but not yet checked.
#[derive(Debug, Default)]
pub struct Options {
    /// `apiKey`.
    pub api_key: Option<String>,
    /// `provider`.
    pub provider: Option<String>,
    /// `baseURL`.
    pub base_url: Option<String>,
    /// `apiVersion` (Azure resource deployments).
    pub api_version: Option<String>,
    /// `dialect`.
    pub dialect: Option<String>,
    /// `timeout`, in milliseconds.
    pub timeout_ms: Option<f64>,
    /// `maxRetries`.
    pub max_retries: Option<f64>,
    /// `defaultHeaders`; `None` removes a header we would otherwise send.
    pub default_headers: Vec<(String, Option<String>)>,
}

/// `list` parameters.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Page size.
    pub limit: Option<u32>,
    /// The id after which the page starts (or a provider's own cursor, when the pager follows one).
    pub after: Option<String>,
    /// A page number or page token, for providers that page that way (Mistral, Gemini).
    pub page: Option<String>,
}

/// Checked settings of one client. `Debug` shows header names only: values may hold secrets.
#[derive(Clone)]
pub struct Config {
    /// The provider's name, for messages.
    pub label: &'static str,
    top_level_counts: bool,
    base_url: String,
    query: Option<String>,
    secrets: Secrets,
    /// Spellings to expect from an OpenAI-compatible host.
    pub dialect: Dialect,
    /// Per-attempt timeout, in milliseconds.
    pub timeout_ms: u32,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Where the client runs.
    pub runtime: Runtime,
    headers: Vec<(String, String)>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Config")
            .field("provider", &self.label)
            .field("base_url", &self.base_url)
            .field("dialect", &self.dialect)
            .field("timeout_ms", &self.timeout_ms)
            .field("max_retries", &self.max_retries)
            .field("headers", &names)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Checks the caller's options for a provider with these `defaults`.
    pub fn new(options: Options, defaults: &Defaults, runtime: Runtime) -> Result<Self> {
        let api_key = match options.api_key {
            Some(key) if !key.trim().is_empty() => key,
            Some(_) => return Err(Error::invalid_argument("`apiKey` must be a non-empty string")),
            None => return Err(Error::invalid_argument("`apiKey` is required")),
        };
        check_header_value("`apiKey`", &api_key)?;
        let dialect = match options.dialect.as_deref() {
            None => defaults.dialect,
            Some(name) => Dialect::parse(name).ok_or_else(|| {
                Error::invalid_argument(format!(
                    "`dialect` must be \"auto\", \"openai\", \"ppinfra\" or \"token360\", got {}",
                    Quoted(name)
                ))
            })?,
        };
        let timeout_ms = match options.timeout_ms {
            None => DEFAULT_TIMEOUT_MS,
            Some(ms) if ms.is_finite() && (1.0..=f64::from(i32::MAX)).contains(&ms) => ms.round() as u32,
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
        let mut secrets = Secrets::new(&api_key);
        let base = match options.base_url.as_deref() {
            Some(url) => url,
            None if defaults.base_url.is_empty() => {
                return Err(Error::invalid_argument(format!(
                    "{} needs a `baseURL` (e.g. https://RESOURCE.openai.azure.com/openai/v1)",
                    defaults.label
                )))
            }
            None => defaults.base_url,
        };
        let mut base_url = check_base_url(base)?;
        let query = match options.api_version.as_deref() {
            None => None,
            Some(v) if !v.trim().is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b)) => {
                Some(format!("api-version={v}"))
            }
            Some(_) => return Err(Error::invalid_argument("`apiVersion` must be a version such as \"2024-10-21\"")),
        };
        if defaults.auth == Auth::ApiKeyHeader && path_of(&base_url).is_empty() {
            // An Azure endpoint without a path: the v1 API, or the dated one when a version is given.
            base_url.push_str(if query.is_some() { "/openai" } else { "/openai/v1" });
        }
        let mut headers = auth_headers(defaults.auth, &api_key, runtime);
        headers.push(("accept".to_owned(), "application/json".to_owned()));
        for (name, value) in options.default_headers {
            check_header_name(&name)?;
            let name = name.to_ascii_lowercase();
            if let Some(v) = &value {
                check_header_value(&format!("`defaultHeaders[{}]`", Quoted(&name)), v)?;
                secrets.add(v);
            }
            headers.retain(|(n, _)| *n != name);
            if let Some(value) = value {
                headers.push((name, value));
            }
        }
        let (label, top_level_counts) = (defaults.label, defaults.top_level_counts);
        Ok(Config {
            label,
            top_level_counts,
            base_url,
            query,
            secrets,
            dialect,
            timeout_ms,
            max_retries,
            runtime,
            headers,
        })
    }

    /// Everything secret the client was given, for redacting it from what leaves the client.
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// The base URL requests go under.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The host requests go to, for messages.
    pub fn host(&self) -> &str {
        host_of(&self.base_url)
    }

    /// Top-level `total`/`completed`/`failed` are this provider's counts.
    pub fn top_level_counts(&self) -> bool {
        match self.dialect {
            Dialect::Auto => true,
            Dialect::PpInfra => true,
            Dialect::OpenAi | Dialect::Token360 => self.top_level_counts,
        }
    }

    /// A request to `path` under the base URL (with `?api-version=` for an Azure deployment).
    pub fn request(&self, method: Method, path: &str) -> Request {
        let mut url = String::with_capacity(self.base_url.len() + path.len() + 24);
        url.push_str(&self.base_url);
        url.push_str(path);
        if let Some(query) = &self.query {
            url.push(if path.contains('?') { '&' } else { '?' });
            url.push_str(query);
        }
        self.request_to(method, url)
    }

    /// A request to an absolute URL the provider gave (a results URL, an upload URL), with the
    /// client's headers; `None` when it is not on the provider's own host (the key stays home).
    pub fn request_at(&self, method: Method, url: &str) -> Option<Request> {
        let scheme_end = text::find(&self.base_url, "://").unwrap_or(0) + 3;
        let same_host =
            host_of(url).eq_ignore_ascii_case(self.host()) && url.get(..scheme_end) == self.base_url.get(..scheme_end);
        // A provider's URL may carry a query (Gemini's upload session); the rest is checked as a base.
        let without_query = url.split(['?', '#']).next().unwrap_or(url);
        (same_host && check_base_url(without_query).is_ok()).then(|| self.request_to(method, url.to_owned()))
    }

    fn request_to(&self, method: Method, url: String) -> Request {
        Request { method, url, headers: self.headers.clone(), body: Body::None }
    }
}

/// The headers that carry the key, as the provider wants them.
fn auth_headers(auth: Auth, key: &str, runtime: Runtime) -> Vec<(String, String)> {
    let pair = |n: &str, v: &str| (n.to_owned(), v.to_owned());
    match auth {
        Auth::Bearer => vec![pair("authorization", &format!("Bearer {key}"))],
        Auth::ApiKeyHeader => vec![pair("api-key", key)],
        Auth::Google => vec![pair("x-goog-api-key", key)],
        Auth::Anthropic => {
            let mut headers = vec![pair("x-api-key", key), pair("anthropic-version", ANTHROPIC_VERSION)];
            if runtime == Runtime::Browser {
                // Without it Anthropic refuses a request that has an Origin; only browsers send one.
                headers.push(pair("anthropic-dangerous-direct-browser-access", "true"));
            }
            headers
        }
    }
}

/// Ids go into URL paths, so refuse what can't be one: empty, padded, control characters, the dot
/// segments a URL parser would resolve, and absurd lengths. For ids the caller passes; cursors the
/// provider hands back are only encoded.
pub fn check_id<'a>(what: &str, id: &'a str) -> Result<&'a str> {
    let problem = if id.trim().is_empty() {
        "must be a non-empty string"
    } else if id.trim() != id {
        "must not start or end with white space"
    } else if id.chars().any(char::is_control) {
        "must not contain control characters"
    } else if id == "." || id == ".." {
        "must not be a dot segment"
    } else if id.len() > 1024 {
        "is longer than 1024 bytes"
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

/// `name=value` pairs as a query string (`?a=1&b=2`), values encoded; empty for none.
pub fn query(pairs: &[(&str, Option<String>)]) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        if let Some(value) = value {
            out.push(if out.is_empty() { '?' } else { '&' });
            out.push_str(name);
            out.push('=');
            out.push_str(&encode(value));
        }
    }
    out
}

fn path_of(url: &str) -> &str {
    let rest = text::split_once(url, "://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("", |i| rest.get(i..).unwrap_or_default())
}

fn check_base_url(url: &str) -> Result<String> {
    let bad = |why: &str| Err(Error::invalid_argument(format!("`baseURL` {why}")));
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        url.get(8..)
    } else if lower.starts_with("http://") {
        url.get(7..)
    } else {
        return bad("must be an absolute http:// or https:// URL");
    };
    let rest = rest.unwrap_or_default();
    if rest.is_empty() || rest.starts_with('/') {
        return bad("has no host");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("must not contain white space");
    }
    if url.contains(['?', '#']) {
        return bad("must not have a query or fragment");
    }
    let authority = rest.split('/').next().unwrap_or(rest);
    if authority.contains('@') {
        // fetch() refuses such URLs, and the password would end up in messages.
        return bad(
            "must not contain a user name or password (fetch refuses them); send credentials in `defaultHeaders`",
        );
    }
    if !url.is_ascii() {
        return bad("must be ASCII (write an international host name in its xn-- form)");
    }
    Ok(url.trim_end_matches('/').to_owned())
}

fn check_header_name(name: &str) -> Result<()> {
    // Bytes, not `str::contains(char)`: for a char that is not ASCII, that runs a substring search.
    let token = |c: char| c.is_ascii_alphanumeric() || (c.is_ascii() && b"!#$%&'*+-.^_`|~".contains(&(c as u8)));
    if name.is_empty() || !name.chars().all(token) {
        return Err(Error::invalid_argument(format!("`defaultHeaders` has an invalid header name {}", Quoted(name))));
    }
    Ok(())
}

/// Header values must be Latin-1 without line breaks: `fetch` throws on anything else, and a key
/// it cannot send would only surface later as a connection error on every call.
fn check_header_value(what: &str, value: &str) -> Result<()> {
    if value.contains(['\r', '\n', '\0']) {
        return Err(Error::invalid_argument(format!("{what} contains a line break or NUL")));
    }
    if value.chars().any(|c| u32::from(c) > 0xFF) {
        return Err(Error::invalid_argument(format!(
            "{what} contains a character that cannot be sent in an HTTP header (beyond U+00FF)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ErrorKind;

    const OPENAI: Defaults = Defaults {
        label: "OpenAI",
        base_url: "https://api.openai.com/v1",
        auth: Auth::Bearer,
        top_level_counts: false,
        dialect: Dialect::Auto,
    };

    fn opts(f: impl FnOnce(&mut Options)) -> Result<Config> {
        let mut o = Options { api_key: Some("sk-test-1234".into()), ..Options::default() };
        f(&mut o);
        Config::new(o, &OPENAI, Runtime::Server)
    }

    #[test]
    fn defaults() {
        let c = opts(|_| {}).unwrap();
        assert_eq!(c.label, "OpenAI");
        assert_eq!((c.timeout_ms, c.max_retries), (60_000, 2));
        let r = c.request(Method::Get, "/batches/b");
        assert_eq!(r.url, "https://api.openai.com/v1/batches/b");
        assert!(r.headers.contains(&("authorization".into(), "Bearer sk-test-1234".into())));
    }

    #[test]
    fn options_are_checked() {
        type Change = Box<dyn FnOnce(&mut Options)>;
        let bad: Vec<(&str, Change)> = vec![
            ("no key", Box::new(|o| o.api_key = None)),
            ("blank key", Box::new(|o| o.api_key = Some("  ".into()))),
            ("key beyond latin-1", Box::new(|o| o.api_key = Some("sk-ключ".into()))),
            ("key with a line break", Box::new(|o| o.api_key = Some("sk\nx".into()))),
            ("no scheme", Box::new(|o| o.base_url = Some("api.openai.com/v1".into()))),
            ("ftp", Box::new(|o| o.base_url = Some("ftp://x".into()))),
            ("no host", Box::new(|o| o.base_url = Some("https://".into()))),
            ("query", Box::new(|o| o.base_url = Some("https://x/v1?a=b".into()))),
            ("password", Box::new(|o| o.base_url = Some("https://user:hunter2@x/v1".into()))),
            ("dialect", Box::new(|o| o.dialect = Some("anthropic".into()))),
            ("timeout", Box::new(|o| o.timeout_ms = Some(-1.0))),
            ("timeout NaN", Box::new(|o| o.timeout_ms = Some(f64::NAN))),
            ("retries", Box::new(|o| o.max_retries = Some(1.5))),
            ("header name", Box::new(|o| o.default_headers = vec![("bad name".into(), Some("x".into()))])),
            ("header value", Box::new(|o| o.default_headers = vec![("x-a".into(), Some("a\r\nb".into()))])),
            ("header beyond latin-1", Box::new(|o| o.default_headers = vec![("x-a".into(), Some("€".into()))])),
            ("api version", Box::new(|o| o.api_version = Some("a b".into()))),
        ];
        for (what, f) in bad {
            let err = opts(f).unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidArgument, "{what}");
            assert!(!err.message.contains("sk-test") && !err.message.contains("hunter2"), "{what}: {}", err.message);
        }
        let c = opts(|o| {
            o.base_url = Some("http://127.0.0.1:9/ppinfra/openai/v1/".into());
            o.default_headers = vec![("X-Team".into(), Some("a".into())), ("Accept".into(), None)];
        })
        .unwrap();
        let r = c.request(Method::Get, "/batches/b");
        assert_eq!(r.url, "http://127.0.0.1:9/ppinfra/openai/v1/batches/b");
        assert!(r.headers.contains(&("x-team".into(), "a".into())));
        assert!(!r.headers.iter().any(|(n, _)| n == "accept"));
    }

    #[test]
    fn ids_are_checked_and_encoded() {
        for bad in ["", "   ", " x", "x ", "a\nb", "\u{7f}", ".", ".."] {
            assert_eq!(check_id("batch id", bad).unwrap_err().kind, ErrorKind::InvalidArgument, "{bad:?}");
        }
        assert!(check_id("batch id", &"x".repeat(1025)).is_err());
        assert_eq!(encode("batch a/b?c#d"), "batch%20a%2Fb%3Fc%23d");
        assert_eq!(encode("bätch~1.x"), "b%C3%A4tch~1.x");
        assert_eq!(
            query(&[("limit", Some("5".into())), ("after", None), ("x", Some("a&b".into()))]),
            "?limit=5&x=a%26b"
        );
    }

    #[test]
    fn debug_output_hides_secrets() {
        let c = opts(|o| o.default_headers = vec![("x-secret".into(), Some("s3cr3t-value".into()))]).unwrap();
        let text = format!("{c:?} {c:#?} {:?}", c.request(Method::Get, "/x"));
        assert!(!text.contains("sk-test") && !text.contains("s3cr3t"), "{text}");
        assert!(text.contains("authorization"), "{text}");
    }

    #[test]
    fn absolute_urls_only_on_the_providers_host() {
        let c = opts(|o| o.base_url = Some("https://api.example.com/v1".into())).unwrap();
        assert!(c.request_at(Method::Get, "https://api.example.com/v1/x/results").is_some());
        assert!(c.request_at(Method::Get, "https://evil.example.net/steal").is_none());
        assert!(c.request_at(Method::Get, "http://api.example.com/v1/x").is_none(), "no downgrade");
    }
}
