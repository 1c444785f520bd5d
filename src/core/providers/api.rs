//! What every API family implements ([`Api`]) and what a provider is ([`Provider`]): the
//! vocabulary the family modules and the table share.

use std::borrow::Cow;

use super::super::config::{check_id, encode, Auth, Config, Dialect, ListQuery};
use super::super::error::{Error, Result};
use super::super::http::{Head, Method, Request};
use super::super::json::{Json, Kind, Out, Scanner};
use super::super::jsonl::LineReader;
use super::super::model::file::write_openai_file;
use super::super::model::page::{IdText, PageEntries, PageSummary};
use super::super::model::result::openai_line;
use super::super::model::Source;

/// What one batch may hold, and the windows a provider accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Requests per batch (`None`: the provider documents no limit).
    pub max_requests: Option<u32>,
    /// Bytes per input file or inline request body (`None`: none documented).
    pub max_bytes: Option<u64>,
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
    /// `?page=`: a page number (Mistral) or a page token (Gemini), from the previous page.
    Page,
}

/// How an input line looks on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFormat {
    /// `{ custom_id, method, url, body }` as given.
    OpenAi,
    /// `{ custom_id, body }` (Mistral, Together).
    Body,
    /// `{ custom_id, params }`, inline in the create request (Anthropic).
    Params,
    /// `{ key, request }` (Gemini: `key` is the custom_id, `request` the body).
    KeyRequest,
}

/// What a provider allows as a `custom_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdRule {
    /// Any non-empty string.
    Any,
    /// At most this many characters.
    Max(usize),
    /// 1 to 64 of `a-z A-Z 0-9 _ -` (Anthropic).
    Word64,
}

/// What `cancel` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// The batch.
    Batch,
    /// Nothing of use (Gemini's `{}`): the batch is retrieved after.
    Nothing,
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
    /// The spellings to expect when the caller names no `dialect` (OpenAI's row: all of them).
    pub dialect: Dialect,
    /// How its list pages.
    pub paging: Paging,
    /// Its input lines.
    pub lines: LineFormat,
    /// Its `custom_id` rule.
    pub custom_ids: IdRule,
    /// Every request of a batch must name the same model.
    pub one_model: bool,
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

/// The metadata key of the marker `create` adds to a batch, so that after an ambiguous failure the
/// call can find the very batch it made (see `core::ops::create`). Families with metadata put it there.
pub const MARKER_KEY: &str = "llm_batches_call";

/// How many metadata pairs a create's parameters hold (the marker not counted).
pub fn metadata_pairs(params: Json<'_>) -> usize {
    params.get("metadata").map_or(0, |m| m.entries().filter(|(k, _)| !k.is_str(MARKER_KEY)).count())
}

/// A client as an API family sees it: whose API, and with which settings.
#[derive(Debug, Clone, Copy)]
pub struct Cx<'a> {
    /// The provider.
    pub provider: &'static Provider,
    /// The client's settings.
    pub config: &'a Config,
}

impl Cx<'_> {
    /// The provider's API family.
    pub fn api(&self) -> &'static dyn Api {
        self.provider.api
    }
}

/// A file to upload: its name, purpose and size (the content goes in the request body later).
#[derive(Debug, Clone, Copy)]
pub struct Upload<'a> {
    /// The file name the provider records.
    pub filename: &'a str,
    /// `purpose` (`batch` for input files).
    pub purpose: &'a str,
    /// Size in bytes, when known (resumable uploads announce it); 0 when not.
    pub bytes: u64,
    /// The spec's `expires_after`: `(anchor, seconds)`, e.g. `("created_at", 86400)`.
    pub expires_after: Option<(&'a str, u64)>,
}

/// What an API family does differently. The defaults are OpenAI's.
pub trait Api: Sync + std::fmt::Debug {
    /// `GET` one batch.
    fn retrieve(&self, cx: &Cx<'_>, id: &str) -> Result<Request>;
    /// `GET` a page of batches.
    fn list(&self, cx: &Cx<'_>, query: &ListQuery) -> Result<Request>;
    /// Creates a batch from the caller's parameters (JSON text of an object): the request, and
    /// what identifies this call's batch if it has to be looked for later.
    fn create(&self, cx: &Cx<'_>, params: Json<'_>, marker: Option<&str>) -> Result<Request>;
    /// Cancels a batch.
    fn cancel(&self, cx: &Cx<'_>, id: &str) -> Result<Request>;
    /// What the cancel answers.
    fn cancelled(&self) -> Cancelled {
        Cancelled::Batch
    }
    /// Uploads a file (multipart, or the first step of a resumable upload).
    fn upload(&self, cx: &Cx<'_>, upload: &Upload<'_>) -> Result<Request>;
    /// The second request of a two-step upload (Gemini's resumable one), from the head of the
    /// first answer; `None` when the first answer is the file already.
    fn upload_next(&self, cx: &Cx<'_>, head: &Head) -> Result<Option<Request>> {
        let _ = (cx, head);
        Ok(None)
    }
    /// `GET` a file object (to wait until an upload is processed).
    fn retrieve_file(&self, cx: &Cx<'_>, file_id: &str) -> Result<Request> {
        let id = check_id("file id", file_id)?;
        Ok(cx.config.request(Method::Get, &format!("/files/{}", encode(id))))
    }
    /// Reads a file's content (by default `GET /files/{id}/content`, as OpenAI's).
    fn file_content(&self, cx: &Cx<'_>, file_id: &str) -> Result<Request> {
        let id = check_id("file id", file_id)?;
        Ok(cx.config.request(Method::Get, &format!("/files/{}/content", encode(id))).without("accept"))
    }
    /// Walks one batch at the cursor (checking it as it goes) and writes it normalised into `out`;
    /// answers its id's text. A batch without an id or a status is an `invalid_response`. It walks
    /// the whole value, or nothing when it refuses it at once (or fails on a syntax error).
    fn batch<'a>(&self, cx: &Cx<'_>, scan: &mut Scanner<'a>, out: &mut Out) -> Result<IdText<'a>>;
    /// Walks a page of batches at the cursor and writes it normalised into `out`.
    fn page<'a>(&self, cx: &Cx<'_>, scan: &mut Scanner<'a>, query: &ListQuery, out: &mut Out) -> Result<PageSummary>;
    /// Walks an uploaded file's object at the cursor and writes it normalised into `out` (by
    /// default an OpenAI file object).
    fn file(&self, cx: &Cx<'_>, scan: &mut Scanner<'_>, out: &mut Out) -> Result<()> {
        let _ = cx;
        write_openai_file(scan, out)
    }
    /// Reads one line of a results file (by default OpenAI's line).
    fn result_line(&self) -> LineReader {
        openai_line
    }
    /// Where a normalised batch's results are: by default its output file, then its error file.
    fn results_at(&self, batch: Json<'_>) -> Vec<ResultsAt> {
        let file = |key: &str| batch.get(key).and_then(|v| v.non_empty_str()).map(Cow::into_owned);
        let output = file("output_file_id").map(|id| ResultsAt::File(Source::Output, id));
        let error = file("error_file_id").map(|id| ResultsAt::File(Source::Error, id));
        output.into_iter().chain(error).collect()
    }
    /// The next page's query after `summary`, `None` at the end.
    fn next_page(&self, cx: &Cx<'_>, query: &ListQuery, summary: &PageSummary) -> Option<ListQuery> {
        let _ = cx;
        summary.has_more.then(|| ListQuery { after: summary.last_id.clone(), ..query.clone() })
    }
    /// Whether batches are made from an uploaded file (else the requests go inline, as Anthropic's).
    fn uses_files(&self) -> bool {
        true
    }
    /// Whether a create with these parameters can carry this call's marker.
    fn marker_room(&self, cx: &Cx<'_>, params: Json<'_>) -> bool {
        params.kind() == Kind::Object && metadata_pairs(params) < usize::from(cx.provider.limits.metadata_pairs)
    }
    /// Where the marker goes, for messages.
    fn marker_place(&self) -> &'static str {
        "metadata.llm_batches_call ="
    }
    /// Whether the normalised `batch` carries `marker`.
    fn marked(&self, batch: Json<'_>, marker: &str) -> bool {
        batch.get("metadata").and_then(|m| m.get(MARKER_KEY)).is_some_and(|v| v.is_str(marker))
    }
}

/// A provider's page, with the page entries it may need for its cursor.
pub(crate) fn page_with<'a>(
    cx: &Cx<'_>,
    scan: &mut Scanner<'a>,
    layout: super::super::model::Layout,
    out: &mut Out,
) -> Result<(PageSummary, PageEntries<'a>)> {
    super::super::model::page::write_page(scan, layout, |item, out| cx.api().batch(cx, item, out), out)
}

/// `invalid_argument` for a method a provider does not have.
pub fn unsupported(provider: &Provider, what: &str) -> Error {
    Error::invalid_argument(format!("{} has no {what}; nothing was sent", provider.label))
}
