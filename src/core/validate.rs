//! Checks a batch input before anything is uploaded, with line-precise messages; and the JSONL a
//! provider wants made from it.

use super::ids::IdSet;
use super::json::{strip_bom, Array, Json, Kind, Object, Out};
use super::providers::api::{IdRule, Limits, LineFormat, Provider};
use super::text::Quoted;

/// More problems than this are summarised in one last entry rather than listed.
const MAX_REPORTED: usize = 1_000;

/// Endpoints whose request bodies may leave `model` out (the provider picks one, or a stored
/// prompt names it).
const MODEL_OPTIONAL: [&str; 5] =
    ["/v1/responses", "/v1/moderations", "/v1/images/generations", "/v1/images/edits", "/v1/videos"];

/// What [`validate`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// Number of request lines.
    pub count: usize,
    /// Size of the input in bytes (without a BOM).
    pub bytes: usize,
    /// `(line, message)`; `line` 0 means the whole input. At most [`MAX_REPORTED`] problems, then
    /// one entry that says how many more there are.
    pub errors: Vec<(usize, String)>,
    /// How many problems there are in all, listed or not.
    pub problems: usize,
    /// The `url` of the requests (the endpoint the batch is for).
    pub endpoint: String,
}

impl Report {
    /// No problems found.
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// `{ ok, count, bytes, problems, errors: [{ line, message }] }` (line `null` for the whole input).
    pub fn to_json(&self) -> Out {
        let mut out = Out::default();
        let mut object = Object::begin(&mut out);
        object.key(&mut out, "ok");
        out.bool(self.ok());
        object.key(&mut out, "count");
        out.u64(self.count as u64);
        object.key(&mut out, "bytes");
        out.u64(self.bytes as u64);
        object.key(&mut out, "problems");
        out.u64(self.problems as u64);
        object.key(&mut out, "errors");
        let mut errors = Array::begin(&mut out);
        for (line, message) in &self.errors {
            errors.next(&mut out);
            let mut e = Object::begin(&mut out);
            e.key(&mut out, "line");
            if *line == 0 {
                out.null();
            } else {
                out.u64(*line as u64);
            }
            e.key(&mut out, "message");
            out.string(message);
            e.end(&mut out);
        }
        errors.end(&mut out);
        object.end(&mut out);
        out
    }
}

/// The `url` of the first request that has one: the endpoint a file is evidently meant for.
pub fn first_url(text: &[u8]) -> Option<String> {
    strip_bom(text).split(|&b| b == b'\n').find_map(|line| {
        let json = Json::parse(line.strip_suffix(b"\r").unwrap_or(line)).ok()?;
        json.get("url")?.as_str().map(|s| s.into_owned())
    })
}

/// Validates JSONL text meant for `endpoint` (e.g. `/v1/chat/completions`) against `provider`'s
/// limits: each line a JSON object with a unique non-empty `custom_id`, `method: "POST"`, `url`
/// equal to the endpoint and an object `body` naming a `model` (where the endpoint needs one); one
/// model per file; at most the provider's requests and bytes. A leading BOM is dropped.
pub fn validate(text: &[u8], endpoint: &str, provider: &Provider) -> Report {
    validate_with(text, endpoint, provider, true)
}

/// [`validate`], with the provider's limits on requests and bytes per batch checked only when
/// `whole` (`submitAll` splits the input to fit them instead).
pub fn validate_with(text: &[u8], endpoint: &str, provider: &Provider, whole: bool) -> Report {
    let text = strip_bom(text);
    let mut report =
        Report { count: 0, bytes: text.len(), errors: Vec::new(), problems: 0, endpoint: endpoint.to_owned() };
    let problem = |report: &mut Report, line: usize, message: String| {
        report.problems += 1;
        if report.problems <= MAX_REPORTED {
            report.errors.push((line, message));
        }
    };
    if !endpoint.starts_with('/') {
        problem(
            &mut report,
            0,
            format!("`endpoint` must be a path such as /v1/chat/completions, got {}", Quoted(endpoint)),
        );
    }
    match provider.lines {
        LineFormat::Params if endpoint != crate::core::providers::anthropic::MESSAGES => {
            let message = format!("{} batches hold /v1/messages requests, not {}", provider.label, Quoted(endpoint));
            problem(&mut report, 0, message);
        }
        LineFormat::KeyRequest if crate::core::providers::gemini::model_of(endpoint).is_none() => {
            let message = format!(
                "{}'s endpoint names the model: /v1beta/models/MODEL:generateContent, not {}",
                provider.label,
                Quoted(endpoint)
            );
            problem(&mut report, 0, message);
        }
        _ => {}
    }
    let limits =
        if whole { provider.limits } else { Limits { max_requests: None, max_bytes: None, ..provider.limits } };
    if let Some(max) = limits.max_bytes.filter(|max| text.len() as u64 > *max) {
        let message = format!("the file is {} bytes; {} takes at most {max}", text.len(), provider.label);
        problem(&mut report, 0, message);
    }
    let mut ids = IdSet::new();
    let mut model: Option<(String, usize)> = None;
    let body = text.strip_suffix(b"\n").map(|t| t.strip_suffix(b"\r").unwrap_or(t)).unwrap_or(text);
    if body.is_empty() {
        problem(&mut report, 0, "there are no requests".into());
    } else {
        for (index, line) in body.split(|&b| b == b'\n').enumerate() {
            let number = index + 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(u8::is_ascii_whitespace) {
                problem(&mut report, number, "blank line".into());
                continue;
            }
            report.count += 1;
            let value = match Json::parse(line) {
                Ok(value) if value.kind() == Kind::Object => value,
                Ok(_) => {
                    problem(&mut report, number, "not a JSON object".into());
                    continue;
                }
                Err(e) => {
                    problem(&mut report, number, format!("not valid JSON ({})", e.describe(line)));
                    continue;
                }
            };
            for message in check_request(value, endpoint, provider, &mut ids, &mut model, number) {
                problem(&mut report, number, message);
            }
        }
    }
    if let Some(max) = limits.max_requests.filter(|max| report.count as u64 > u64::from(*max)) {
        let message = format!("there are {} requests; {} takes at most {max}", report.count, provider.label);
        problem(&mut report, 0, message);
    }
    if report.problems > MAX_REPORTED {
        report.errors.push((0, format!("{} more problems not listed", report.problems - MAX_REPORTED)));
    }
    report
}

fn check_request(
    request: Json<'_>,
    endpoint: &str,
    provider: &Provider,
    ids: &mut IdSet,
    model: &mut Option<(String, usize)>,
    line: usize,
) -> Vec<String> {
    let mut errors = Vec::new();
    let (mut custom_id, mut method, mut url, mut body) = (None, None, None, None);
    for (key, value) in request.entries() {
        match &*key.key_bytes() {
            b"custom_id" => custom_id = Some(value),
            b"method" => method = Some(value),
            b"url" => url = Some(value),
            b"body" => body = Some(value),
            _ => {}
        }
    }
    match custom_id.and_then(|v| v.non_empty_str()) {
        Some(id) => {
            match provider.custom_ids {
                IdRule::Any => {}
                IdRule::Max(n) if id.chars().count() > n => {
                    errors.push(format!("`custom_id` is longer than the {n} characters {} allows", provider.label));
                }
                IdRule::Max(_) => {}
                IdRule::Word64 => {
                    let word =
                        id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                    if !word {
                        errors.push(format!(
                            "`custom_id` {}: {} takes 1 to 64 of a-z, A-Z, 0-9, _ and -",
                            Quoted(&id),
                            provider.label
                        ));
                    }
                }
            }
            if !ids.insert(id.as_bytes()) {
                errors.push(format!("duplicate custom_id {}", Quoted(&id)));
            }
        }
        None => errors.push("`custom_id` must be a non-empty string".into()),
    }
    if !method.is_some_and(|m| m.is_str("POST")) {
        errors.push("`method` must be \"POST\"".into());
    }
    match url.and_then(|u| u.as_str()) {
        Some(u) if u == endpoint => {}
        Some(u) => errors.push(format!("`url` is {} but the batch endpoint is {}", Quoted(&u), Quoted(endpoint))),
        None => errors.push("`url` must be a string".into()),
    }
    // Gemini names the model in the endpoint; a `model` in the body must agree with it.
    let url_model = crate::core::providers::gemini::model_of(endpoint);
    match body {
        Some(b) if b.kind() == Kind::Object => match b.get("model").and_then(|m| m.non_empty_str()) {
            Some(name) if url_model.is_some_and(|m| m != name.strip_prefix("models/").unwrap_or(&name)) => {
                errors.push(format!(
                    "`body.model` {} is not the model of the endpoint {}",
                    Quoted(&name),
                    Quoted(endpoint)
                ));
            }
            Some(name) => match model {
                None => *model = Some((name.into_owned(), line)),
                Some((first, first_line)) if provider.one_model && *first != name => errors.push(format!(
                    "model {} differs from {} on line {first_line}; a batch uses one model",
                    Quoted(&name),
                    Quoted(first)
                )),
                Some(_) => {}
            },
            None if (MODEL_OPTIONAL.contains(&endpoint) || url_model.is_some()) && b.get("model").is_none() => {}
            None => errors.push("`body.model` must be a non-empty string".into()),
        },
        _ => errors.push("`body` must be an object".into()),
    }
    errors
}

/// The JSONL the provider wants of checked requests: as given for OpenAI lines, `{ custom_id, body }`
/// for providers whose lines carry no method and url. A BOM is dropped; lines end with `\n`.
pub fn provider_lines(text: &[u8], format: LineFormat) -> Vec<u8> {
    let text = strip_bom(text);
    let mut out = Vec::with_capacity(text.len() + 1);
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let names = match format {
            LineFormat::OpenAi => None,
            LineFormat::Body => Some(("custom_id", "body")),
            LineFormat::Params => Some(("custom_id", "params")),
            LineFormat::KeyRequest => Some(("key", "request")),
        };
        match (names, Json::parse(line)) {
            (Some((id, body)), Ok(json)) => {
                let mut o = Out::default();
                let mut object = Object::begin(&mut o);
                object.key(&mut o, id);
                o.raw_or_null(json.get("custom_id"));
                object.key(&mut o, body);
                match (format, json.get("body")) {
                    // Gemini's model is in the URL, and a GenerateContentRequest has no `model`.
                    (LineFormat::KeyRequest, Some(b)) if b.kind() == Kind::Object => {
                        let mut request = Object::begin(&mut o);
                        for (key, value) in b.entries().filter(|(k, _)| !k.is_str("model")) {
                            request.raw_key(&mut o, key);
                            o.raw(value);
                        }
                        request.end(&mut o);
                    }
                    (_, b) => o.raw_or_null(b),
                }
                object.end(&mut o);
                out.extend_from_slice(o.as_bytes());
            }
            _ => out.extend_from_slice(line),
        }
        out.push(b'\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::providers::find;

    const EP: &str = "/v1/chat/completions";

    fn req(id: &str, model: &str) -> String {
        format!(r#"{{"custom_id":"{id}","method":"POST","url":"{EP}","body":{{"model":"{model}","messages":[]}}}}"#)
    }

    fn check(text: &str) -> Report {
        validate(text.as_bytes(), EP, find("openai").unwrap())
    }

    #[test]
    fn a_good_file() {
        let text = format!("{}\n{}\n", req("a", "gpt-4o-mini"), req("b", "gpt-4o-mini"));
        let report = check(&text);
        assert!(report.ok(), "{report:?}");
        assert_eq!((report.count, report.bytes), (2, text.len()));
        assert!(check(text.trim_end()).ok(), "no final newline is fine");
        assert!(check(&text.replace('\n', "\r\n")).ok(), "CRLF is fine");
        assert!(check(&format!("\u{feff}{text}")).ok(), "a BOM is dropped");
    }

    #[test]
    fn every_problem_names_its_line() {
        let lines = [
            req("a", "m1"),
            req("a", "m1"),
            "{oops".into(),
            r#"{"custom_id":"c","method":"GET","url":"/v1/embeddings","body":{"model":"m1"}}"#.into(),
            r#"{"custom_id":"","method":"POST","url":"/v1/chat/completions","body":[]}"#.into(),
            req("d", "m2"),
            "".into(),
            "[1]".into(),
            r#"{"custom_id":"e","method":"POST","url":"/v1/chat/completions","body":{"messages":[]}}"#.into(),
        ];
        let report = check(&lines.join("\n"));
        let got: Vec<(usize, &str)> = report.errors.iter().map(|(l, m)| (*l, m.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (2, "duplicate custom_id \"a\""),
                (3, "not valid JSON (expected a string key at column 2)"),
                (4, "`method` must be \"POST\""),
                (4, "`url` is \"/v1/embeddings\" but the batch endpoint is \"/v1/chat/completions\""),
                (5, "`custom_id` must be a non-empty string"),
                (5, "`body` must be an object"),
                (6, "model \"m2\" differs from \"m1\" on line 1; a batch uses one model"),
                (7, "blank line"),
                (8, "not a JSON object"),
                (9, "`body.model` must be a non-empty string"),
            ]
        );
        assert_eq!(report.count, 8);
    }

    #[test]
    fn model_is_optional_where_the_endpoint_says_so() {
        for endpoint in ["/v1/moderations", "/v1/images/generations", "/v1/responses"] {
            let line = format!(r#"{{"custom_id":"a","method":"POST","url":"{endpoint}","body":{{"input":"x"}}}}"#);
            assert!(validate(line.as_bytes(), endpoint, find("openai").unwrap()).ok(), "{endpoint}");
        }
    }

    #[test]
    fn limits_come_from_the_provider() {
        assert_eq!(check("").errors, vec![(0, "there are no requests".to_string())]);
        let many: Vec<String> = (0..=50_000).map(|i| req(&format!("r{i}"), "m")).collect();
        let report = check(&many.join("\n"));
        assert_eq!(report.errors, vec![(0, "there are 50001 requests; OpenAI takes at most 50000".to_string())]);
    }

    #[test]
    fn problems_are_capped() {
        let report = check(&"x\n".repeat(MAX_REPORTED + 5));
        assert_eq!(report.errors.len(), MAX_REPORTED + 1);
        assert_eq!(report.errors.last().unwrap().1, "5 more problems not listed");
        assert_eq!(report.problems, MAX_REPORTED + 5);
    }

    #[test]
    fn lines_for_providers_without_method_and_url() {
        let text = format!("\u{feff}{}\r\n\n{}", req("a", "m"), req("b", "m"));
        let body = provider_lines(text.as_bytes(), LineFormat::Body);
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "{\"custom_id\":\"a\",\"body\":{\"model\":\"m\",\"messages\":[]}}\n{\"custom_id\":\"b\",\"body\":{\"model\":\"m\",\"messages\":[]}}\n"
        );
        let same = provider_lines(text.as_bytes(), LineFormat::OpenAi);
        assert_eq!(String::from_utf8(same).unwrap(), format!("{}\n{}\n", req("a", "m"), req("b", "m")));
    }
}
