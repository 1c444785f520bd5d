//! Batch output and error files: JSONL decoded incrementally from byte chunks, each line
//! normalised into a `BatchResult`. Memory holds one partial line, whatever the file's size.
//!
//! ```
//! use llm_batches::core::{JsonlDecoder, Source};
//! let mut decoder = JsonlDecoder::new(Source::Output);
//! let mut out = Vec::new();
//! decoder.push(b"{\"custom_id\":\"a\",\"response\":{\"status_code\":200,\"body\":{}}}\n{\"custom", &mut out);
//! decoder.push(b"_id\":\"b\"}", &mut out);
//! decoder.finish(&mut out);
//! assert_eq!(out.len(), 2);
//! assert_eq!(out[1]["custom_id"], "b");
//! assert_eq!(out[1]["line"], 2);
//! ```

use serde_json::{Map, Value};

/// Which file a result line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The batch's `output_file_id`.
    Output,
    /// The batch's `error_file_id`.
    Error,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Output => "output",
            Source::Error => "error",
        }
    }
}

/// A line longer than this is reported as invalid and skipped, so memory stays bounded even
/// for a file without newlines.
pub const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;

/// Splits a byte stream into JSONL lines and normalises each.
#[derive(Debug)]
pub struct JsonlDecoder {
    source: Source,
    partial: Vec<u8>,
    /// Lines completed so far (the 1-based number of the last one).
    line: u64,
    /// The current line overflowed [`MAX_LINE_BYTES`]; drop bytes until its end.
    skipping: bool,
}

impl JsonlDecoder {
    /// A decoder for one file.
    pub fn new(source: Source) -> Self {
        JsonlDecoder { source, partial: Vec::new(), line: 0, skipping: false }
    }

    /// Feeds a chunk; appends a result for every line it completes. Lines may split anywhere,
    /// inside a UTF-8 character too: only complete lines are decoded.
    pub fn push(&mut self, mut chunk: &[u8], out: &mut Vec<Value>) {
        while let Some(newline) = chunk.iter().position(|&b| b == b'\n') {
            let (head, rest) = chunk.split_at(newline);
            chunk = rest.get(1..).unwrap_or_default();
            if self.partial.is_empty() && !self.skipping {
                self.line += 1;
                self.emit_line(head, out);
            } else {
                self.append(head, out);
                self.line += 1;
                let line = std::mem::take(&mut self.partial);
                if !std::mem::take(&mut self.skipping) {
                    self.emit_line(&line, out);
                }
            }
        }
        self.append(chunk, out);
    }

    /// Ends the file: a last line without a newline is still a line.
    pub fn finish(&mut self, out: &mut Vec<Value>) {
        if !self.partial.is_empty() && !self.skipping {
            self.line += 1;
            let line = std::mem::take(&mut self.partial);
            self.emit_line(&line, out);
        }
        self.skipping = false;
    }

    fn append(&mut self, bytes: &[u8], out: &mut Vec<Value>) {
        if self.skipping {
            return;
        }
        if self.partial.len().saturating_add(bytes.len()) > MAX_LINE_BYTES {
            self.partial = Vec::new();
            self.skipping = true;
            let message = format!("line is longer than {MAX_LINE_BYTES} bytes; skipped");
            out.push(invalid_line(self.line + 1, self.source, message, None));
            return;
        }
        self.partial.extend_from_slice(bytes);
    }

    fn emit_line(&self, raw: &[u8], out: &mut Vec<Value>) {
        let mut line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if self.line == 1 {
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        // Blank means JSON's own white space only; any other byte makes a line worth reporting.
        if line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')) {
            return;
        }
        out.push(parse_line(line, self.line, self.source));
    }
}

/// One line of an output or error file as a `BatchResult`.
pub fn parse_line(line: &[u8], number: u64, source: Source) -> Value {
    match serde_json::from_slice::<Value>(line) {
        Ok(Value::Object(map)) => normalize_result(map, number, source),
        Ok(other) => invalid_line(
            number,
            source,
            format!("line {number} is JSON but not an object ({})", super::batch::json_type(&other)),
            Some(line),
        ),
        Err(e) => invalid_line(number, source, format!("line {number} is not valid JSON ({e})"), Some(line)),
    }
}

fn normalize_result(mut raw: Map<String, Value>, number: u64, source: Source) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), string_or_null(raw.remove("id")));
    out.insert("custom_id".into(), string_or_null(raw.remove("custom_id")));
    let response = match raw.remove("response") {
        Some(Value::Object(response)) => Some(normalize_response(response)),
        _ => None,
    };
    let mut error = error_object(raw.remove("error"));
    if error.is_none() {
        // Some providers leave `error` null and put the real one in the response body.
        error = response
            .as_ref()
            .and_then(|r| r.get("body"))
            .and_then(|b| b.get("error"))
            .cloned()
            .and_then(|e| error_object(Some(e)));
    }
    out.insert("response".into(), response.map_or(Value::Null, Value::Object));
    out.insert("error".into(), error.unwrap_or(Value::Null));
    out.insert("line".into(), Value::from(number));
    out.insert("source".into(), Value::from(source.as_str()));
    for (key, value) in raw {
        out.entry(key).or_insert(value);
    }
    Value::Object(out)
}

fn normalize_response(mut raw: Map<String, Value>) -> Map<String, Value> {
    let status = match raw.remove("status_code") {
        Some(Value::Number(n)) => n.as_u64().map(Value::from),
        Some(Value::String(s)) => s.trim().parse::<u64>().ok().map(Value::from),
        _ => None,
    };
    let mut out = Map::new();
    out.insert("status_code".into(), status.unwrap_or(Value::Null));
    out.insert("request_id".into(), string_or_null(raw.remove("request_id")));
    out.insert("body".into(), raw.remove("body").unwrap_or(Value::Null));
    for (key, value) in raw {
        out.entry(key).or_insert(value);
    }
    out
}

/// `{ code, message }` from an error object or string; `None` for null, `{}` and `""`.
fn error_object(value: Option<Value>) -> Option<Value> {
    let (code, message) = match value? {
        Value::Object(mut map) => {
            if map.is_empty() {
                return None;
            }
            // OpenAI sends `"code": null` beside a useful `type`.
            let code = match string_or_null(map.remove("code")) {
                Value::Null => string_or_null(map.remove("type")),
                code => code,
            };
            let message = string_or_null(map.remove("message"));
            (code, message)
        }
        Value::String(s) if !s.trim().is_empty() => (Value::Null, Value::String(s)),
        _ => return None,
    };
    let mut out = Map::new();
    out.insert("code".into(), code);
    out.insert("message".into(), message);
    Some(Value::Object(out))
}

fn string_or_null(value: Option<Value>) -> Value {
    match value {
        Some(Value::String(s)) if !s.is_empty() => Value::String(s),
        Some(Value::Number(n)) => Value::String(n.to_string()),
        _ => Value::Null,
    }
}

/// A line we could not read: it still comes out, with its number, so nothing is silently lost.
fn invalid_line(number: u64, source: Source, message: String, raw: Option<&[u8]>) -> Value {
    let mut error = Map::new();
    error.insert("code".into(), Value::from("invalid_line"));
    error.insert("message".into(), Value::String(message));
    let mut out = Map::new();
    out.insert("id".into(), Value::Null);
    out.insert("custom_id".into(), Value::Null);
    out.insert("response".into(), Value::Null);
    out.insert("error".into(), Value::Object(error));
    out.insert("line".into(), Value::from(number));
    out.insert("source".into(), Value::from(source.as_str()));
    if let Some(raw) = raw {
        out.insert("raw".into(), Value::String(String::from_utf8_lossy(raw).into_owned()));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const OK: &str = r#"{"id":"batch_req_1","custom_id":"r1","response":{"status_code":200,"request_id":"req_1","body":{"choices":[{"message":{"content":"héllo 👋"}}]}},"error":null}"#;

    fn decode_in_chunks(bytes: &[u8], size: usize) -> Vec<Value> {
        let mut decoder = JsonlDecoder::new(Source::Output);
        let mut out = Vec::new();
        for chunk in bytes.chunks(size) {
            decoder.push(chunk, &mut out);
        }
        decoder.finish(&mut out);
        out
    }

    #[test]
    fn a_normal_line() {
        let out = decode_in_chunks(format!("{OK}\n").as_bytes(), 1 << 16);
        assert_eq!(
            out,
            vec![
                json!({"id": "batch_req_1", "custom_id": "r1", "response": {"status_code": 200, "request_id": "req_1",
                "body": {"choices": [{"message": {"content": "héllo 👋"}}]}}, "error": null, "line": 1, "source": "output"})
            ]
        );
    }

    #[test]
    fn every_chunking_gives_the_same_results() {
        let file = format!("\u{feff}{OK}\r\n\r\n{{not json\n  \n{OK}\n[1,2]\n{OK}");
        let whole = decode_in_chunks(file.as_bytes(), usize::MAX);
        assert_eq!(whole.len(), 5);
        let lines: Vec<_> = whole.iter().map(|r| r["line"].as_u64().unwrap()).collect();
        assert_eq!(lines, [1, 3, 5, 6, 7]);
        assert_eq!(whole[1]["error"]["code"], "invalid_line");
        assert_eq!(whole[1]["raw"], "{not json");
        assert_eq!(whole[3]["error"]["code"], "invalid_line");
        assert_eq!(whole[4]["custom_id"], "r1");
        // Splitting anywhere — inside "👋" and "é", between \r and \n — changes nothing.
        for size in 1..40 {
            assert_eq!(decode_in_chunks(file.as_bytes(), size), whole, "chunk size {size}");
        }
    }

    #[test]
    fn error_in_the_response_body_is_surfaced() {
        let line = br#"{"id":"x","custom_id":"c","response":{"status_code":"400","body":{"error":{"message":"bad model","type":"invalid_request_error"}}},"error":null}"#;
        let r = parse_line(line, 4, Source::Error);
        assert_eq!(r["error"], json!({"code": "invalid_request_error", "message": "bad model"}));
        assert_eq!(r["response"]["status_code"], 400);
        assert_eq!(r["source"], "error");
        assert_eq!(r["line"], 4);
    }

    #[test]
    fn error_file_shapes() {
        let r = parse_line(
            br#"{"custom_id":7,"response":null,"error":{"code":"expired","message":"not run"}}"#,
            1,
            Source::Error,
        );
        assert_eq!(r["custom_id"], "7");
        assert_eq!(r["response"], json!(null));
        assert_eq!(r["error"], json!({"code": "expired", "message": "not run"}));
        let r = parse_line(br#"{"custom_id":"a","error":"boom","extra":1}"#, 1, Source::Error);
        assert_eq!(r["error"], json!({"code": null, "message": "boom"}));
        assert_eq!(r["extra"], 1);
        let r = parse_line(br#"{"custom_id":"a","error":{}}"#, 1, Source::Output);
        assert_eq!(r["error"], json!(null));
        // A null code gives way to the type, as OpenAI's body errors carry it.
        let r = parse_line(
            br#"{"custom_id":"a","response":{"status_code":500,"body":{"error":{"code":null,"type":"server_error","message":"m"}}}}"#,
            1,
            Source::Output,
        );
        assert_eq!(r["error"], json!({"code": "server_error", "message": "m"}));
    }

    #[test]
    fn invalid_utf8_is_an_invalid_line_not_a_crash() {
        let out = decode_in_chunks(b"{\"custom_id\":\"\xff\xfe\"}\n", 3);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0]["error"]["code"], "invalid_line");
    }

    #[test]
    fn an_endless_line_is_skipped_with_bounded_memory() {
        let mut decoder = JsonlDecoder::new(Source::Output);
        let mut out = Vec::new();
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..(MAX_LINE_BYTES >> 20) + 2 {
            decoder.push(&chunk, &mut out);
            assert!(decoder.partial.len() <= MAX_LINE_BYTES);
        }
        decoder.push(format!("\n{OK}\n").as_bytes(), &mut out);
        decoder.finish(&mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0]["error"]["code"], "invalid_line");
        assert_eq!(out[0]["line"], 1);
        assert_eq!(out[1]["line"], 2);
        assert_eq!(out[1]["custom_id"], "r1");
    }
}
