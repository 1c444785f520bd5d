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

use serde_json::Value;

use super::batch::{json_kind, string_or_null};
use super::json::{Json, Object};
use super::rewrite::LineRewriter;

/// Which file a result line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The batch's `output_file_id`.
    Output,
    /// The batch's `error_file_id`.
    Error,
}

impl Source {
    pub(crate) fn as_str(self) -> &'static str {
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
    pub fn push(&mut self, mut chunk: &[u8], out: &mut impl Sink) {
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
    pub fn finish(&mut self, out: &mut impl Sink) {
        if !self.partial.is_empty() && !self.skipping {
            self.line += 1;
            let line = std::mem::take(&mut self.partial);
            self.emit_line(&line, out);
        }
        self.skipping = false;
    }

    fn append(&mut self, bytes: &[u8], out: &mut impl Sink) {
        if self.skipping {
            return;
        }
        if self.partial.len().saturating_add(bytes.len()) > MAX_LINE_BYTES {
            self.partial = Vec::new();
            self.skipping = true;
            let message = format!("line is longer than {MAX_LINE_BYTES} bytes; skipped");
            out.add(invalid_line(self.line + 1, self.source, message, None));
            return;
        }
        self.partial.extend_from_slice(bytes);
    }

    fn emit_line(&self, raw: &[u8], out: &mut impl Sink) {
        let mut line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if self.line == 1 {
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        // Blank means JSON's own white space only; any other byte makes a line worth reporting.
        if line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')) {
            return;
        }
        out.add_line(line, self.line, self.source);
    }
}

/// Where a [`JsonlDecoder`] puts the results it decodes.
pub trait Sink {
    /// Takes one result.
    fn add(&mut self, result: Json<'_>);

    /// Takes one non-blank line of the file, to be normalised as [`parse_line_json`] does.
    fn add_line(&mut self, line: &[u8], number: u64, source: Source) {
        self.add(parse_line_json(line, number, source));
    }
}

impl Sink for Vec<Value> {
    fn add(&mut self, result: Json<'_>) {
        self.push(result.into());
    }
}

/// Results written straight into the text of one JSON array, ready for one `JSON.parse`: no
/// `Value` tree is built, and a whole chunk of lines crosses into JS at once.
#[derive(Debug, Default)]
pub struct JsonArray {
    text: Vec<u8>,
    len: usize,
    lines: LineRewriter,
}

impl JsonArray {
    /// An empty array with room for `bytes` of text.
    pub fn with_capacity(bytes: usize) -> Self {
        JsonArray { text: Vec::with_capacity(bytes), len: 0, lines: LineRewriter::default() }
    }

    /// Opens the next element: `[` before the first, `,` before the others.
    fn next_item(&mut self) {
        self.text.push(if self.len == 0 { b'[' } else { b',' });
        self.len += 1;
    }

    /// How many results it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The array's JSON text (ASCII, see [`Json::write_ascii`]).
    pub fn into_text(mut self) -> Vec<u8> {
        if self.len == 0 {
            self.text.push(b'[');
        }
        self.text.push(b']');
        self.text
    }
}

impl Sink for JsonArray {
    fn add(&mut self, result: Json<'_>) {
        self.next_item();
        result.write_ascii(&mut self.text);
    }

    /// Lines in the shapes providers write are rewritten as text ([`LineRewriter`]); the rest
    /// take the tree path.
    fn add_line(&mut self, line: &[u8], number: u64, source: Source) {
        self.next_item();
        if !self.lines.rewrite(line, number, source, &mut self.text) {
            parse_line_json(line, number, source).write_ascii(&mut self.text);
        }
    }
}

/// One line of an output or error file as a `BatchResult`.
pub fn parse_line(line: &[u8], number: u64, source: Source) -> Value {
    parse_line_json(line, number, source).into()
}

/// [`parse_line`] as a [`Json`] value borrowing from `line`.
pub fn parse_line_json(line: &[u8], number: u64, source: Source) -> Json<'_> {
    match serde_json::from_slice::<Json>(line) {
        Ok(Json::Object(map)) => normalize_result(map, number, source),
        Ok(other) => invalid_line(
            number,
            source,
            format!("line {number} is JSON but not an object ({})", json_kind(&other)),
            Some(line),
        ),
        Err(e) => invalid_line(number, source, format!("line {number} is not valid JSON ({e})"), Some(line)),
    }
}

/// In place: the modelled fields are rewritten where they stand in the (sorted) object.
fn normalize_result(mut map: Object<'_>, number: u64, source: Source) -> Json<'_> {
    // Sorted, for `update_each`; `error` comes after, as it may need the normalised response.
    map.update_each(&["custom_id", "id", "line", "response", "source"], |i, value| match i {
        0 | 1 => string_or_null(value),
        2 => Json::from(number),
        3 => match value {
            Some(Json::Object(response)) => Json::Object(normalize_response(response)),
            _ => Json::Null,
        },
        _ => Json::str(source.as_str()),
    });
    map.update("error", |own| error_object(own).unwrap_or_default());
    if matches!(map.get("error"), Some(Json::Null)) {
        // Some providers leave `error` null and put the real one in the response body.
        let body_error = map.get("response").and_then(|r| r.get("body")).and_then(|b| b.get("error")).cloned();
        if let Some(found) = body_error.and_then(|e| error_object(Some(e))) {
            map.insert("error", found);
        }
    }
    Json::Object(map)
}

fn normalize_response(mut map: Object<'_>) -> Object<'_> {
    map.update_each(&["body", "request_id", "status_code"], |i, value| match i {
        0 => value.unwrap_or_default(),
        1 => string_or_null(value),
        _ => status_code(value),
    });
    map
}

/// An HTTP status as a number: from a number or a numeric string; else `null`.
pub(crate) fn status_code(value: Option<Json<'_>>) -> Json<'_> {
    let status = match value {
        Some(Json::Number(n)) => n.as_u64(),
        Some(Json::String(s)) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    status.map_or(Json::Null, Json::from)
}

/// `{ code, message }` from an error object or string; `None` for null, `{}` and `""`.
pub(crate) fn error_object(value: Option<Json<'_>>) -> Option<Json<'_>> {
    let (code, message) = match value? {
        Json::Object(mut map) => {
            if map.is_empty() {
                return None;
            }
            // OpenAI sends `"code": null` beside a useful `type`.
            let code = match string_or_null(map.remove("code")) {
                Json::Null => string_or_null(map.remove("type")),
                code => code,
            };
            let message = string_or_null(map.remove("message"));
            (code, message)
        }
        Json::String(s) if !s.trim().is_empty() => (Json::Null, Json::String(s)),
        _ => return None,
    };
    let mut out = Object::with_capacity(2);
    out.insert("code", code);
    out.insert("message", message);
    Some(Json::Object(out))
}

/// A line we could not read: it still comes out, with its number, so nothing is silently lost.
fn invalid_line(number: u64, source: Source, message: String, raw: Option<&[u8]>) -> Json<'_> {
    let mut error = Object::with_capacity(2);
    error.insert("code", Json::str("invalid_line"));
    error.insert("message", Json::String(message.into()));
    let mut out = Object::with_capacity(7);
    out.insert("id", Json::Null);
    out.insert("custom_id", Json::Null);
    out.insert("response", Json::Null);
    out.insert("error", Json::Object(error));
    out.insert("line", Json::from(number));
    out.insert("source", Json::str(source.as_str()));
    if let Some(raw) = raw {
        out.insert("raw", Json::String(String::from_utf8_lossy(raw)));
    }
    Json::Object(out)
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
