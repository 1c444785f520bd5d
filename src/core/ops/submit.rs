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

#[derive(Debug)]
enum Phase {
    Start,
    Uploading(Exchange),
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

impl Submit {
    /// Checks `requests` (OpenAI batch lines, JSONL) and reads the options (JSON text of an object:
    /// `endpoint`, `completion_window`, `metadata`, `filename`, and fields sent to `create` as given).
    /// Invalid requests are an `invalid_argument` error listing every problem; nothing is sent.
    pub fn new(cx: &Cx<'_>, requests: &[u8], options: &[u8]) -> Result<Self> {
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
        let report = validate(requests, &endpoint, cx.provider);
        if !report.ok() {
            let (first_line, first) = report.errors.first().cloned().unwrap_or_default();
            let at = if first_line == 0 { String::new() } else { format!("line {first_line}: ") };
            let more = match report.errors.len() {
                0 | 1 => String::new(),
                n => format!(" (and {} more problems)", n - 1),
            };
            let mut error = Error::invalid_argument(format!("the requests are invalid: {at}{first}{more}"));
            let json = report.to_json();
            let errors = Json::parse(json.as_bytes())
                .ok()
                .and_then(|r| r.get("errors"))
                .map(|e| String::from_utf8_lossy(e.text()).into_owned());
            error.details = errors;
            return Err(error);
        }
        let mut params = Out::default();
        let mut object = Object::begin(&mut params);
        for (key, value) in options.iter().flat_map(Json::entries) {
            if matches!(&*key.key_bytes(), b"endpoint" | b"filename" | b"signal" | b"input_file_id") || value.is_null()
            {
                continue;
            }
            object.raw_key(&mut params, key);
            params.raw(value);
        }
        object.key(&mut params, "endpoint");
        params.string(&endpoint);
        // input_file_id comes last, once the file is stored.
        Ok(Submit { lines: provider_lines(requests, cx.provider.lines), filename, params, phase: Phase::Start })
    }

    fn done(&mut self, result: Result<Option<super::Text>>) -> Action {
        self.phase = Phase::Finished;
        Action::Done(result)
    }

    fn uploading(&mut self, env: &Env<'_>, step: Step) -> Action {
        match step {
            Step::Act(action) => action,
            Step::Failed(failed) => self.done(Err(failed.error)),
            Step::Done(answered) => {
                let file = match finish(&env.cx, &Finish::File, &answered) {
                    Ok(file) => file,
                    Err(error) => return self.done(Err(error)),
                };
                let id = file.json().and_then(|f| f.get("id")).and_then(|i| i.as_str()).map(|s| s.into_owned());
                let Some(id) = id else { return self.done(Err(Error::invalid_response("the stored file has no id"))) };
                let mut params = std::mem::take(&mut self.params);
                params.ascii(b",\"input_file_id\":");
                params.string(&id);
                params.byte(b'}');
                let mut create = Box::new(Create::new(String::from_utf8_lossy(params.as_bytes()).into_owned()));
                let action = create.step(env, Event::Start);
                self.phase = Phase::Creating(create);
                action
            }
        }
    }
}

impl Op for Submit {
    fn step(&mut self, env: &Env<'_>, event: Event) -> Action {
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::Start => {
                let api = env.cx.api();
                let upload = Upload {
                    filename: &self.filename,
                    purpose: env.cx.provider.purpose,
                    bytes: self.lines.len() as u64,
                    expires_after: None,
                };
                let mut request = match api.upload(&env.cx, &upload) {
                    Ok(request) => request,
                    Err(error) => return self.done(Err(error)),
                };
                let lines = std::mem::take(&mut self.lines);
                match &mut request.body {
                    Body::Form(form) => form.content = Content::Bytes(lines),
                    body => *body = Body::Raw(Content::Bytes(lines)),
                }
                let mut exchange = Exchange::new(request, Safety::Creates);
                let step = exchange.start(env);
                self.phase = Phase::Uploading(exchange);
                self.uploading(env, step)
            }
            Phase::Uploading(mut exchange) => {
                let step = exchange.on(env, event);
                self.phase = Phase::Uploading(exchange);
                self.uploading(env, step)
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
