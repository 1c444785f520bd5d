//! `submit`: checked requests → the provider's input file → a batch (with `create`'s guarantee).

use super::calls::{finish, Finish};
use super::create::Create;
use super::exchange::{Exchange, Step};
use super::retry::Safety;
use super::{Action, Env, Event, Op};
use crate::core::error::{Error, Result};
use crate::core::http::{Body, Content};
use crate::core::json::{Json, Kind, Object, Out};
use crate::core::providers::api::Upload;
use crate::core::providers::Cx;
use crate::core::validate::{first_url, provider_lines, validate};

/// The endpoint a submit is for when neither the options nor the requests name one.
const DEFAULT_ENDPOINT: &str = "/v1/chat/completions";

/// How many times an uploaded file that is not processed yet is looked at before giving up (at
/// 0.5 s, 1 s, 2 s, then every 5 s: about 5 minutes).
const MAX_FILE_POLLS: u32 = 64;

#[derive(Debug)]
enum Phase {
    Start,
    /// The upload: its first request (`second: false`), or the second of a two-step one.
    Uploading {
        exchange: Exchange,
        second: bool,
    },
    /// Waiting for the stored file to be processed (`polls` looks so far).
    Waiting {
        id: String,
        polls: u32,
    },
    /// Looking at the file again.
    Polling {
        id: String,
        polls: u32,
        exchange: Exchange,
    },
    Creating(Box<Create>),
    Finished,
}

/// `submit` in progress.
#[derive(Debug)]
pub struct Submit {
    lines: Vec<u8>,
    filename: String,
    params: Out,
    phase: Phase,
}

/// What an uploaded file's `status` says about using it.
enum FileState {
    Ready,
    Processing,
    Failed(String),
}

fn file_state(file: Option<Json<'_>>) -> FileState {
    let status = file.and_then(|f| f.get("status")).and_then(|s| s.as_str()).map(|s| s.to_ascii_lowercase());
    match status.as_deref() {
        Some("pending" | "running" | "uploaded" | "processing" | "validating") => FileState::Processing,
        Some(bad @ ("error" | "failed" | "deleted" | "deleting")) => {
            let details = file
                .and_then(|f| f.get("status_details").or_else(|| f.get("error")))
                .filter(|d| !d.is_null())
                .map(|d| format!(": {}", String::from_utf8_lossy(d.text())))
                .unwrap_or_default();
            FileState::Failed(format!("the uploaded file is {bad}{details}; no batch was created"))
        }
        _ => FileState::Ready,
    }
}

/// What `submit` and `submitAll` read from their options.
#[derive(Debug)]
pub(crate) struct Plan<'a> {
    pub options: Option<Json<'a>>,
    pub endpoint: String,
    pub filename: String,
}

impl<'a> Plan<'a> {
    /// Reads the options (JSON text of an object: `endpoint`, `filename`, and fields sent to
    /// `create` as given); the endpoint defaults to the requests' own `url`.
    pub(crate) fn read(requests: &[u8], options: &'a [u8]) -> Result<Self> {
        let options = Json::parse(options).ok().filter(|o| o.kind() == Kind::Object);
        let option = |key: &str| options.and_then(|o| o.get(key)).filter(|v| !v.is_null());
        let endpoint = match option("endpoint") {
            Some(e) => e.as_str().ok_or_else(|| Error::invalid_argument("`endpoint` must be a string"))?.into_owned(),
            None => first_url(requests).unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned()),
        };
        let filename = match option("filename") {
            Some(f) => f.as_str().ok_or_else(|| Error::invalid_argument("`filename` must be a string"))?.into_owned(),
            None => "input.jsonl".to_owned(),
        };
        Ok(Plan { options, endpoint, filename })
    }

    /// The create parameters, left open for the input (`{ …options, endpoint` without the `}`):
    /// `part` = `(i, n)` adds `part: "i/n"` to `metadata` (Gemini: to `display_name`).
    pub(crate) fn params(&self, cx: &Cx<'_>, part: Option<(usize, usize)>) -> Out {
        let inline = !cx.api().uses_files();
        let label = part.map(|(i, n)| format!("{i}/{n}"));
        let metadata = cx.provider.limits.metadata_pairs > 0;
        let named = !metadata && cx.provider.lines == crate::core::providers::LineFormat::KeyRequest;
        let mut params = Out::default();
        let mut object = Object::begin(&mut params);
        let (mut wrote_label, mut wrote_name) = (false, false);
        for (key, value) in self.options.iter().flat_map(Json::entries) {
            let name = key.key_bytes();
            let ours = matches!(&*name, b"endpoint" | b"filename" | b"signal" | b"input_file_id" | b"requests")
                || matches!(&*name, b"maxRequests" | b"maxBytes");
            if ours || value.is_null() {
                continue;
            }
            match (&label, &*name) {
                (Some(label), b"metadata") if metadata && value.kind() == Kind::Object && !wrote_label => {
                    object.key(&mut params, "metadata");
                    let mut inner = Object::begin(&mut params);
                    for (k, v) in value.entries().filter(|(k, _)| !k.is_str("part")) {
                        inner.raw_key(&mut params, k);
                        params.raw(v);
                    }
                    inner.key(&mut params, "part");
                    params.string(label);
                    inner.end(&mut params);
                    wrote_label = true;
                }
                (Some(label), b"display_name") if named && !wrote_name => {
                    object.key(&mut params, "display_name");
                    params.string(&format!("{} (part {label})", value.as_str().unwrap_or_default()));
                    wrote_name = true;
                }
                _ => {
                    object.raw_key(&mut params, key);
                    params.raw(value);
                }
            }
        }
        if let Some(label) = &label {
            if metadata && !wrote_label {
                object.key(&mut params, "metadata");
                let mut inner = Object::begin(&mut params);
                inner.key(&mut params, "part");
                params.string(label);
                inner.end(&mut params);
            } else if named && !wrote_name {
                object.key(&mut params, "display_name");
                params.string(&format!("llm-batches part {label}"));
            }
        }
        if !inline {
            object.key(&mut params, "endpoint");
            params.string(&self.endpoint);
        }
        params
    }
}

/// The `invalid_argument` error of a failed check, every problem in `err.errors`.
pub(crate) fn invalid(report: &crate::core::validate::Report) -> Error {
    let (first_line, first) = report.errors.first().cloned().unwrap_or_default();
    let at = if first_line == 0 { String::new() } else { format!("line {first_line}: ") };
    let more = match report.errors.len() {
        0 | 1 => String::new(),
        n => format!(" (and {} more problems)", n - 1),
    };
    let mut error = Error::invalid_argument(format!("the requests are invalid: {at}{first}{more}"));
    let json = report.to_json();
    let errors = Json::parse(json.as_bytes()).ok().and_then(|r| r.get("errors"));
    error.details = errors.map(|e| Box::new(("errors", String::from_utf8_lossy(e.text()).into_owned())));
    error
}

impl Submit {
    /// Checks `requests` (OpenAI batch lines, JSONL) and reads the options (JSON text of an object:
    /// `endpoint`, `completion_window`, `metadata`, `filename`, and fields sent to `create` as given).
    /// Invalid requests are an `invalid_argument` error listing every problem; nothing is sent.
    pub fn new(cx: &Cx<'_>, requests: &[u8], options: &[u8]) -> Result<Self> {
        let plan = Plan::read(requests, options)?;
        let report = validate(requests, &plan.endpoint, cx.provider);
        if !report.ok() {
            return Err(invalid(&report));
        }
        // The input comes last: the file id once it is stored, or the requests themselves.
        let lines = provider_lines(requests, cx.provider.lines);
        Ok(Submit::prepared(lines, plan.filename.clone(), plan.params(cx, None)))
    }

    /// A submit of checked lines, already in the provider's format, with its create parameters
    /// (left open for the input).
    pub(crate) fn prepared(lines: Vec<u8>, filename: String, params: Out) -> Self {
        Submit { lines, filename, params, phase: Phase::Start }
    }

    fn done(&mut self, result: Result<Option<super::Text>>) -> Action {
        self.phase = Phase::Finished;
        Action::Done(result)
    }

    fn create(&mut self, env: &Env<'_>, input: impl FnOnce(&mut Out)) -> Action {
        let mut params = std::mem::take(&mut self.params);
        if params.as_bytes().last() != Some(&b'{') {
            params.byte(b',');
        }
        input(&mut params);
        params.byte(b'}');
        let mut create = Box::new(Create::new(String::from_utf8_lossy(params.as_bytes()).into_owned()));
        let action = create.step(env, Event::Start);
        self.phase = Phase::Creating(create);
        action
    }

    /// The requests inline in the create (Anthropic): `"requests": [line, …]`.
    fn create_inline(&mut self, env: &Env<'_>) -> Action {
        let lines = std::mem::take(&mut self.lines);
        self.create(env, |params| {
            params.ascii(b"\"requests\":[");
            let mut first = true;
            for line in lines.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                if !std::mem::replace(&mut first, false) {
                    params.byte(b',');
                }
                params.ascii(line);
            }
            params.byte(b']');
        })
    }

    fn create_from(&mut self, env: &Env<'_>, file_id: &str) -> Action {
        self.create(env, |params| {
            params.ascii(b"\"input_file_id\":");
            params.string(file_id);
        })
    }

    /// Sends `request` with the requests as its file content.
    fn send_upload(&mut self, env: &Env<'_>, mut request: crate::core::http::Request, second: bool) -> Action {
        let lines = std::mem::take(&mut self.lines);
        match &mut request.body {
            Body::Form(form) => form.content = Content::Bytes(lines),
            Body::Raw(content) => *content = Content::Bytes(lines),
            // The first step of a two-step upload carries no content: keep it for the second.
            _ => self.lines = lines,
        }
        let mut exchange = Exchange::new(request, Safety::Creates);
        let step = exchange.start(env);
        self.phase = Phase::Uploading { exchange, second };
        self.uploading(env, step, second)
    }

    fn uploading(&mut self, env: &Env<'_>, step: Step, second: bool) -> Action {
        let answered = match step {
            Step::Act(action) => return action,
            Step::Failed(failed) => return self.done(Err(failed.error)),
            Step::Done(answered) => answered,
        };
        if !second {
            match env.cx.api().upload_next(&env.cx, &answered.head) {
                Err(error) => return self.done(Err(error)),
                Ok(Some(request)) => return self.send_upload(env, request, true),
                Ok(None) => {}
            }
        }
        self.stored(env, &answered)
    }

    /// The file object answered: create from it, or wait until it is processed.
    fn stored(&mut self, env: &Env<'_>, answered: &super::exchange::Answered) -> Action {
        let file = match finish(&env.cx, &Finish::File, answered) {
            Ok(file) => file,
            Err(error) => return self.done(Err(error)),
        };
        let json = file.json();
        let id = json.and_then(|f| f.get("id")).and_then(|i| i.as_str()).map(|s| s.into_owned());
        let Some(id) = id else { return self.done(Err(Error::invalid_response("the stored file has no id"))) };
        let polls = match &self.phase {
            Phase::Polling { polls, .. } => *polls,
            _ => 0,
        };
        match file_state(json) {
            FileState::Ready => self.create_from(env, &id),
            FileState::Failed(message) => self.done(Err(Error::invalid_response(message))),
            FileState::Processing if polls >= MAX_FILE_POLLS => self.done(Err(Error::new(
                crate::core::ErrorKind::Timeout,
                format!("the uploaded file {id} was still being processed after {polls} looks; no batch was created"),
            ))),
            FileState::Processing => {
                let wait = super::retry::backoff(500, polls, 5_000, 0.0);
                self.phase = Phase::Waiting { id, polls };
                Action::Sleep(wait)
            }
        }
    }

    fn polling(&mut self, env: &Env<'_>, step: Step) -> Action {
        match step {
            Step::Act(action) => action,
            Step::Failed(failed) => self.done(Err(failed.error)),
            Step::Done(answered) => self.stored(env, &answered),
        }
    }
}

impl Op for Submit {
    fn step(&mut self, env: &Env<'_>, event: Event) -> Action {
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::Start if !env.cx.api().uses_files() => self.create_inline(env),
            Phase::Start => {
                let upload = Upload {
                    filename: &self.filename,
                    purpose: env.cx.provider.purpose,
                    bytes: self.lines.len() as u64,
                    expires_after: None,
                };
                match env.cx.api().upload(&env.cx, &upload) {
                    Ok(request) => self.send_upload(env, request, false),
                    Err(error) => self.done(Err(error)),
                }
            }
            Phase::Uploading { mut exchange, second } => {
                let step = exchange.on(env, event);
                self.phase = Phase::Uploading { exchange, second };
                self.uploading(env, step, second)
            }
            Phase::Waiting { id, polls } => match env.cx.api().retrieve_file(&env.cx, &id) {
                Ok(request) => {
                    let mut exchange = Exchange::new(request, Safety::Idempotent);
                    let step = exchange.start(env);
                    self.phase = Phase::Polling { id, polls: polls + 1, exchange };
                    self.polling(env, step)
                }
                Err(error) => self.done(Err(error)),
            },
            Phase::Polling { id, polls, mut exchange } => {
                let step = exchange.on(env, event);
                self.phase = Phase::Polling { id, polls, exchange };
                self.polling(env, step)
            }
            Phase::Creating(mut create) => {
                let action = create.step(env, event);
                self.phase = Phase::Creating(create);
                action
            }
            Phase::Finished => Action::Done(Err(Error::invalid_argument("this submit has finished"))),
        }
    }
}
