//! Every batch API behind one client: the table of providers (name, base URL, key variable,
//! limits, quirks) and, per API family, one module that knows its paths, its request shapes and
//! how its answers map onto our model.
//!
//! Adding an OpenAI-compatible host is a row in [`PROVIDERS`]; adding an API family is one module
//! implementing [`Api`] and its rows.

pub mod openai;

use super::config::{Config, ListQuery};
use super::error::{Error, Result};
use super::http::Request;
use super::json::{Json, Out};
use super::jsonl::LineReader;
use super::model::page::{IdText, PageEntries, PageSummary};
use super::model::Source;

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

/// What one batch may hold, and the windows a provider accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Requests per batch.
    pub max_requests: u32,
    /// Bytes per input file (or per inline request body).
    pub max_bytes: u64,
    /// Accepted `completion_window` values (the first is the default); empty: the provider takes none.
    pub windows: &'static [&'static str],
    /// How many metadata pairs a batch may carry (0: no metadata).
    pub metadata_pairs: u8,
}

/// How an OpenAI-compatible host pages its list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// `?limit=&after=<last id>` (OpenAI).
    After,
    /// `?cursor=` with the cursor from `paging.next_cursor` (Groq).
    Cursor,
    /// Everything in one answer (Together).
    None,
}

/// How an input line looks on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFormat {
    /// `{ custom_id, method, url, body }` as given.
    OpenAi,
    /// `{ custom_id, body }` (Mistral, Together).
    Body,
}

/// One provider: a row of the table.
#[derive(Debug)]
pub struct Provider {
    /// The `provider` option's value, the CLI's `--provider`.
    pub name: &'static str,
    /// How people write it.
    pub label: &'static str,
    /// Where requests go without a `baseURL` (empty: it must be given, e.g. an Azure resource).
    pub base_url: &'static str,
    /// The environment variable the CLI reads the key from.
    pub key_env: &'static str,
    /// How the key is sent.
    pub auth: Auth,
    /// The API family.
    pub api: &'static dyn Api,
    /// Limits per batch.
    pub limits: Limits,
    /// Top-level `total`/`completed`/`failed` in its batches (PPInfra, Novita, Zhipu).
    pub top_level_counts: bool,
    /// How its list pages.
    pub paging: Paging,
    /// Its input lines.
    pub lines: LineFormat,
    /// The `purpose` of an input file.
    pub purpose: &'static str,
    /// What differs, in a sentence (the README's table and `www/` read this).
    pub notes: &'static str,
    /// Its batch API documents.
    pub docs: &'static str,
}

/// Where a batch's results are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultsAt {
    /// A file of the Files API.
    File(Source, String),
    /// A URL to read with the same auth (Anthropic's `results_url`).
    Url(Source, String),
}

/// What an API family does differently. The defaults are OpenAI's.
pub trait Api: Sync + std::fmt::Debug {
    /// `GET` one batch.
    fn retrieve(&self, config: &Config, id: &str) -> Result<Request>;
    /// `GET` a page of batches.
    fn list(&self, config: &Config, query: &ListQuery) -> Result<Request>;
    /// Creates a batch from the caller's parameters (JSON text of an object): the request, and
    /// what identifies this call's batch if it has to be looked for later.
    fn create(&self, config: &Config, params: Json<'_>, marker: Option<&str>) -> Result<Request>;
    /// Cancels a batch.
    fn cancel(&self, config: &Config, id: &str) -> Result<Request>;
    /// Uploads a file (multipart, or the first step of a resumable upload).
    fn upload(&self, config: &Config, filename: &str, purpose: &str, bytes: u64) -> Result<Request>;
    /// Reads a file's content.
    fn file_content(&self, config: &Config, file_id: &str) -> Result<Request>;
    /// Normalises one batch into `out`; answers its id's text. A batch without an id or a status
    /// is an `invalid_response`.
    fn batch<'a>(&self, config: &Config, body: Json<'a>, out: &mut Out) -> Result<IdText<'a>>;
    /// Normalises a page of batches into `out`.
    fn page<'a>(&self, config: &Config, body: Json<'a>, query: &ListQuery, out: &mut Out) -> Result<PageSummary>;
    /// Normalises an uploaded file's object into `out`.
    fn file(&self, config: &Config, body: Json<'_>, out: &mut Out) -> Result<()>;
    /// Reads one line of a results file.
    fn result_line(&self) -> LineReader;
    /// Where a normalised batch's results are.
    fn results_at(&self, batch: Json<'_>) -> Vec<ResultsAt>;
    /// The next page's query after `summary`, `None` at the end.
    fn next_page(&self, config: &Config, query: &ListQuery, summary: &PageSummary) -> Option<ListQuery> {
        let _ = config;
        summary.has_more.then(|| ListQuery { after: summary.last_id.clone(), ..query.clone() })
    }
    /// Whether batches are made from an uploaded file (else the requests go inline, as Anthropic's).
    fn uses_files(&self) -> bool {
        true
    }
    /// The answer of `create` as a batch (Together wraps it in `{ job, warning }`).
    fn created<'a>(&self, body: Json<'a>) -> Json<'a> {
        body
    }
}

/// A provider's page, with the page entries it may need for its cursor.
pub(crate) fn page_with<'a>(
    config: &Config,
    api: &dyn Api,
    body: Json<'a>,
    layout: super::model::Layout,
    out: &mut Out,
) -> Result<(PageSummary, PageEntries<'a>)> {
    super::model::page::write_page(body, layout, |item, out| api.batch(config, item, out), out)
}

/// The provider named `name`.
pub fn find(name: &str) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.name == name)
}

/// The names, for messages.
pub fn names() -> String {
    let names: Vec<String> = PROVIDERS.iter().map(|p| format!("\"{}\"", p.name)).collect();
    names.join(", ")
}

/// `invalid_argument` for a method a provider does not have.
pub fn unsupported(provider: &Provider, what: &str) -> Error {
    Error::invalid_argument(format!("{} has no {what}; nothing was sent", provider.label))
}

/// The table as JSON, for the package's `PROVIDERS` export (the CLI and `www/` read it).
pub fn table_json() -> String {
    let mut out = Out::default();
    out.byte(b'[');
    for (i, p) in PROVIDERS.iter().enumerate() {
        if i > 0 {
            out.byte(b',');
        }
        let mut o = super::json::Object::begin(&mut out);
        for (key, value) in [
            ("name", p.name),
            ("label", p.label),
            ("baseURL", p.base_url),
            ("keyEnv", p.key_env),
            ("purpose", p.purpose),
            ("notes", p.notes),
            ("docs", p.docs),
        ] {
            o.key(&mut out, key);
            out.string(value);
        }
        o.key(&mut out, "auth");
        out.string(match p.auth {
            Auth::Bearer => "Authorization: Bearer",
            Auth::ApiKeyHeader => "api-key",
            Auth::Anthropic => "x-api-key",
            Auth::Google => "x-goog-api-key",
        });
        o.key(&mut out, "maxRequests");
        out.u64(u64::from(p.limits.max_requests));
        o.key(&mut out, "maxBytes");
        out.u64(p.limits.max_bytes);
        o.key(&mut out, "windows");
        let mut windows = super::json::Array::begin(&mut out);
        for w in p.limits.windows {
            windows.next(&mut out);
            out.string(w);
        }
        windows.end(&mut out);
        o.key(&mut out, "metadata");
        out.bool(p.limits.metadata_pairs > 0);
        o.key(&mut out, "files");
        out.bool(p.api.uses_files());
        o.end(&mut out);
    }
    out.byte(b']');
    String::from_utf8(out.into_parts().0).unwrap_or_default()
}

const MB: u64 = 1_000_000;

/// Every provider.
pub static PROVIDERS: &[Provider] = &[Provider {
    name: "openai",
    label: "OpenAI",
    base_url: "https://api.openai.com/v1",
    key_env: "OPENAI_API_KEY",
    auth: Auth::Bearer,
    api: &openai::OpenAi,
    limits: Limits { max_requests: 50_000, max_bytes: 200 * MB, windows: &["24h"], metadata_pairs: 16 },
    top_level_counts: false,
    paging: Paging::After,
    lines: LineFormat::OpenAi,
    purpose: "batch",
    notes: "the reference shape; `model` and `usage` on batches created since September 2025",
    docs: "https://platform.openai.com/docs/api-reference/batch",
}];
