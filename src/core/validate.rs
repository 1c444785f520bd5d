//! Checks a batch input file before anything is uploaded, with line-precise messages.

use std::collections::HashSet;

use serde_json::{Map, Value};

/// Most request lines one batch input file may hold (OpenAI's limit).
pub const MAX_LINES: usize = 50_000;
/// Largest batch input file, in bytes (OpenAI's 200 MB).
pub const MAX_BYTES: usize = 200 * 1024 * 1024;
/// More problems than this are summarised in one last entry rather than listed.
const MAX_REPORTED: usize = 1_000;

/// What [`validate_jsonl`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Number of request lines.
    pub count: usize,
    /// Size of the file in bytes.
    pub bytes: usize,
    /// `(line, message)`; `line` 0 means the whole file.
    pub errors: Vec<(usize, String)>,
}

impl Report {
    /// No problems found.
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// `{ ok, count, bytes, errors: [{ line, message }] }` (line `null` for the whole file).
    pub fn to_json(&self) -> Value {
        let errors = self
            .errors
            .iter()
            .map(|(line, message)| {
                let mut e = Map::new();
                e.insert("line".into(), if *line == 0 { Value::Null } else { Value::from(*line) });
                e.insert("message".into(), Value::from(message.as_str()));
                Value::Object(e)
            })
            .collect();
        let mut out = Map::new();
        out.insert("ok".into(), Value::Bool(self.ok()));
        out.insert("count".into(), Value::from(self.count));
        out.insert("bytes".into(), Value::from(self.bytes));
        out.insert("errors".into(), Value::Array(errors));
        Value::Object(out)
    }
}

/// Validates JSONL text meant for `endpoint` (e.g. `/v1/chat/completions`): each line a JSON
/// object with a unique non-empty `custom_id`, `method: "POST"`, `url` equal to the endpoint and an
/// object `body` naming a `model`; one model per file; at most [`MAX_LINES`] lines and [`MAX_BYTES`].
pub fn validate_jsonl(text: &str, endpoint: &str) -> Report {
    let mut report = Report { count: 0, bytes: text.len(), errors: Vec::new() };
    let mut problems = 0usize;
    let mut problem = |report: &mut Report, line: usize, message: String| {
        problems += 1;
        if problems <= MAX_REPORTED {
            report.errors.push((line, message));
        }
    };
    if !endpoint.starts_with('/') {
        problem(&mut report, 0, format!("`endpoint` must be a path such as /v1/chat/completions, got {endpoint:?}"));
    }
    if text.len() > MAX_BYTES {
        problem(&mut report, 0, format!("the file is {} bytes; the limit is {MAX_BYTES}", text.len()));
    }
    let mut ids = HashSet::new();
    let mut model: Option<(String, usize)> = None;
    let body = text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).unwrap_or(text);
    if body.is_empty() {
        problem(&mut report, 0, "the file has no requests".into());
    } else {
        for (index, line) in body.split('\n').enumerate() {
            let number = index + 1;
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() {
                problem(&mut report, number, "blank line".into());
                continue;
            }
            report.count += 1;
            let value = match super::json::parse_value(line.as_bytes()) {
                Ok(Value::Object(map)) => map,
                Ok(_) => {
                    problem(&mut report, number, "not a JSON object".into());
                    continue;
                }
                Err(e) => {
                    problem(&mut report, number, format!("not valid JSON ({e})"));
                    continue;
                }
            };
            for message in check_request(&value, endpoint, &mut ids, &mut model, number) {
                problem(&mut report, number, message);
            }
        }
    }
    if report.count > MAX_LINES {
        let message = format!("the file has {} requests; the limit is {MAX_LINES}", report.count);
        problem(&mut report, 0, message);
    }
    if problems > MAX_REPORTED {
        report.errors.push((0, format!("{} more problems not listed", problems - MAX_REPORTED)));
    }
    report
}

fn check_request(
    request: &Map<String, Value>,
    endpoint: &str,
    ids: &mut HashSet<String>,
    model: &mut Option<(String, usize)>,
    line: usize,
) -> Vec<String> {
    let mut errors = Vec::new();
    match request.get("custom_id") {
        Some(Value::String(id)) if !id.is_empty() => {
            if !ids.insert(id.clone()) {
                errors.push(format!("duplicate custom_id {id:?}"));
            }
        }
        _ => errors.push("`custom_id` must be a non-empty string".into()),
    }
    if request.get("method").and_then(Value::as_str) != Some("POST") {
        errors.push("`method` must be \"POST\"".into());
    }
    match request.get("url").and_then(Value::as_str) {
        Some(url) if url == endpoint => {}
        Some(url) => errors.push(format!("`url` is {url:?} but the batch endpoint is {endpoint:?}")),
        None => errors.push("`url` must be a string".into()),
    }
    match request.get("body") {
        Some(Value::Object(body)) => match body.get("model").and_then(Value::as_str) {
            Some(name) if !name.is_empty() => match model {
                None => *model = Some((name.to_owned(), line)),
                Some((first, first_line)) if first != name => errors.push(format!(
                    "model {name:?} differs from {first:?} on line {first_line}; a batch uses one model"
                )),
                Some(_) => {}
            },
            _ => errors.push("`body.model` must be a non-empty string".into()),
        },
        _ => errors.push("`body` must be an object".into()),
    }
    errors
}

/// JSONL text of `requests`, one compact JSON object per line, ending with a newline.
pub fn to_jsonl(requests: &[Value]) -> String {
    let mut out = String::new();
    for request in requests {
        out.push_str(&request.to_string());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const EP: &str = "/v1/chat/completions";

    fn req(id: &str, model: &str) -> Value {
        json!({"custom_id": id, "method": "POST", "url": EP, "body": {"model": model, "messages": []}})
    }

    #[test]
    fn a_good_file() {
        let text = to_jsonl(&[req("a", "gpt-4o-mini"), req("b", "gpt-4o-mini")]);
        let report = validate_jsonl(&text, EP);
        assert!(report.ok(), "{report:?}");
        assert_eq!((report.count, report.bytes), (2, text.len()));
        assert_eq!(report.to_json()["ok"], true);
        assert!(validate_jsonl(text.trim_end(), EP).ok(), "no final newline is fine");
        assert!(validate_jsonl(&text.replace('\n', "\r\n"), EP).ok(), "CRLF is fine");
    }

    #[test]
    fn every_problem_names_its_line() {
        let lines = [
            req("a", "m1").to_string(),
            req("a", "m1").to_string(),
            "{oops".into(),
            json!({"custom_id": "c", "method": "GET", "url": "/v1/embeddings", "body": {"model": "m1"}}).to_string(),
            json!({"custom_id": "", "method": "POST", "url": EP, "body": []}).to_string(),
            req("d", "m2").to_string(),
            "".into(),
            "[1]".into(),
            json!({"custom_id": "e", "method": "POST", "url": EP, "body": {"messages": []}}).to_string(),
        ];
        let report = validate_jsonl(&lines.join("\n"), EP);
        let got: Vec<(usize, &str)> = report.errors.iter().map(|(l, m)| (*l, m.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (2, "duplicate custom_id \"a\""),
                (3, "not valid JSON (key must be a string at line 1 column 2)"),
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
        assert_eq!(report.to_json()["errors"][0], json!({"line": 2, "message": "duplicate custom_id \"a\""}));
    }

    #[test]
    fn file_level_limits() {
        assert_eq!(validate_jsonl("", EP).errors, vec![(0, "the file has no requests".to_string())]);
        assert!(!validate_jsonl(&to_jsonl(&[req("a", "m")]), "v1/chat").ok());
        let many: Vec<Value> = (0..=MAX_LINES).map(|i| req(&format!("r{i}"), "m")).collect();
        let report = validate_jsonl(&to_jsonl(&many), EP);
        assert_eq!(
            report.errors,
            vec![(0, format!("the file has {} requests; the limit is {MAX_LINES}", MAX_LINES + 1))]
        );
        assert_eq!(report.to_json()["errors"][0]["line"], json!(null));
    }

    #[test]
    fn problems_are_capped() {
        let text = "x\n".repeat(MAX_REPORTED + 5);
        let report = validate_jsonl(&text, EP);
        assert_eq!(report.errors.len(), MAX_REPORTED + 1);
        assert_eq!(report.errors.last().unwrap().1, "5 more problems not listed");
    }
}
