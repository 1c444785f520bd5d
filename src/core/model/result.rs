//! `BatchResult`: one line of a results file, `{ id, custom_id, response: { status_code,
//! request_id, body } | null, error: { code, message } | null, line, source }` plus the provider's
//! other keys, whatever the provider's line looks like.

use std::borrow::Cow;

use crate::core::json::{Json, Kind, Object, Out, Scanned, Scanner, SyntaxError};

/// Which file of a batch a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The output file (Anthropic's and Gemini's single results file too).
    Output,
    /// The error file.
    Error,
}

impl Source {
    /// The name in `BatchResult.source`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Output => "output",
            Source::Error => "error",
        }
    }
}

/// Where a line is.
#[derive(Debug, Clone, Copy)]
pub struct LineAt {
    /// 1-based line number in its file.
    pub number: u64,
    /// Its file.
    pub source: Source,
}

/// A `response` being written: `{ status_code, request_id, body }` plus the provider's other keys.
#[derive(Debug, Clone, Default)]
pub enum Response<'a> {
    /// `null`.
    #[default]
    Null,
    /// An OpenAI-style response object (its entries, as walked), normalised key by key.
    Object(Vec<(Json<'a>, Json<'a>)>),
    /// A response we build: a status code and the body as sent.
    Made {
        /// `status_code`.
        status_code: u16,
        /// `body`.
        body: Json<'a>,
    },
}

/// An `error` being written.
#[derive(Debug, Clone, Default)]
pub enum ErrorOut<'a> {
    /// `null`.
    #[default]
    Null,
    /// An error object or string as a provider sent it (normalised to `{ code, message }`).
    Sent(Json<'a>),
    /// An error we name: a code and a message.
    Made(Cow<'a, str>, Cow<'a, str>),
}

/// The modelled parts of a result line, and what becomes of each key of the provider's line.
#[derive(Debug, Default)]
pub struct ResultLine<'a> {
    /// The provider's line: its entries in order, as walked.
    pub entries: Vec<(Json<'a>, Json<'a>)>,
    /// `custom_id`, as [`text`] makes it.
    pub custom_id: Option<Json<'a>>,
    /// `id`.
    pub id: Option<Json<'a>>,
    /// `response`.
    pub response: Response<'a>,
    /// `error`.
    pub error: ErrorOut<'a>,
    /// Keys of the provider's line that are read into the parts above and not passed through.
    pub consumed: &'static [&'static str],
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Id,
    CustomId,
    Response,
    Error,
    Line,
    Source,
}

impl Part {
    /// In the order missing ones are appended.
    const ALL: [Part; 6] = [Part::CustomId, Part::Id, Part::Response, Part::Error, Part::Line, Part::Source];

    fn of(name: &[u8]) -> Option<Part> {
        Some(match name {
            b"id" => Part::Id,
            b"custom_id" => Part::CustomId,
            b"response" => Part::Response,
            b"error" => Part::Error,
            b"line" => Part::Line,
            b"source" => Part::Source,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Part::Id => "id",
            Part::CustomId => "custom_id",
            Part::Response => "response",
            Part::Error => "error",
            Part::Line => "line",
            Part::Source => "source",
        }
    }
}

impl<'a> ResultLine<'a> {
    /// The last value of `key` in the line (what `JSON.parse` keeps).
    pub fn get(&self, key: &str) -> Option<Json<'a>> {
        self.entries.iter().rev().find(|(k, _)| k.is_str(key)).map(|(_, v)| *v)
    }

    /// Writes the normalised line: the provider's entries with the parts in place.
    pub fn write(&self, at: LineAt, out: &mut Out) {
        let mut object = Object::begin(out);
        let mut written = 0u8;
        for &(key, value) in &self.entries {
            let name = key.key_bytes();
            if self.consumed.iter().any(|c| c.as_bytes() == &*name) {
                continue;
            }
            match Part::of(&name) {
                Some(part) => {
                    if written & (1 << part as u8) == 0 {
                        written |= 1 << part as u8;
                        object.key(out, part.name());
                        self.write_part(part, at, out);
                    }
                }
                None => {
                    object.raw_key(out, key);
                    out.raw(value);
                }
            }
        }
        for part in Part::ALL {
            if written & (1 << part as u8) == 0 {
                object.key(out, part.name());
                self.write_part(part, at, out);
            }
        }
        object.end(out);
    }

    /// Whether the line carries a response with a body object. A line with neither that nor an
    /// error gets an `invalid_response` error, so that `error: null` always means
    /// `response.body` is an object (the `.d.ts` union narrows on it).
    fn answered(&self) -> bool {
        let body = match &self.response {
            Response::Null => None,
            Response::Made { body, .. } => Some(*body),
            Response::Object(entries) => entries.iter().rev().find(|(k, _)| k.is_str("body")).map(|(_, v)| *v),
        };
        body.is_some_and(|b| b.kind() == Kind::Object)
    }

    fn write_part(&self, part: Part, at: LineAt, out: &mut Out) {
        match part {
            Part::Id => text(self.id, out),
            Part::CustomId => text(self.custom_id, out),
            Part::Response => write_response(&self.response, out),
            Part::Error if matches!(self.error, ErrorOut::Null) && !self.answered() => {
                let made = ErrorOut::Made(
                    Cow::Borrowed("invalid_response"),
                    Cow::Borrowed("the line has neither an error nor a response with a body object"),
                );
                write_error(&made, out);
            }
            Part::Error => write_error(&self.error, out),
            Part::Line => out.u64(at.number),
            Part::Source => out.string(at.source.as_str()),
        }
    }
}

/// Ids: a non-empty string as sent, a number as its digits, anything else `null`.
pub fn text(value: Option<Json<'_>>, out: &mut Out) {
    match value {
        Some(v) if v.kind() == Kind::String && v.text().len() > 2 => out.raw(v),
        Some(v) if v.kind() == Kind::Number => out.string(v.as_number().map_or("0", |n| n.text())),
        _ => out.null(),
    }
}

/// An HTTP status from a number or a numeric string.
pub fn status_code(value: Json<'_>) -> Option<u64> {
    match value.kind() {
        Kind::Number => value.as_number()?.as_u64(),
        Kind::String => value.as_str()?.trim().parse::<u64>().ok(),
        _ => None,
    }
}

fn write_response(response: &Response<'_>, out: &mut Out) {
    match response {
        Response::Null => out.null(),
        Response::Made { status_code, body } => {
            out.ascii(br#"{"status_code":"#);
            out.u64(u64::from(*status_code));
            out.ascii(br#","request_id":null,"body":"#);
            out.raw(*body);
            out.byte(b'}');
        }
        Response::Object(entries) => {
            let last = |key: &str| entries.iter().rev().find(|(k, _)| k.is_str(key)).map(|(_, v)| *v);
            let mut object = Object::begin(out);
            let mut written = 0u8; // status_code, request_id, body
            for &(key, value) in entries {
                let name = key.key_bytes();
                let i = match &*name {
                    b"status_code" => 0,
                    b"request_id" => 1,
                    b"body" => 2,
                    _ => {
                        object.raw_key(out, key);
                        out.raw(value);
                        continue;
                    }
                };
                if written & (1 << i) == 0 {
                    written |= 1 << i;
                    write_response_part(&mut object, &last, i, out);
                }
            }
            for i in 0..3 {
                if written & (1 << i) == 0 {
                    write_response_part(&mut object, &last, i, out);
                }
            }
            object.end(out);
        }
    }
}

fn write_response_part<'a>(object: &mut Object, last: &dyn Fn(&str) -> Option<Json<'a>>, i: u8, out: &mut Out) {
    match i {
        0 => {
            object.key(out, "status_code");
            match last("status_code").and_then(status_code) {
                Some(n) => out.u64(n),
                None => out.null(),
            }
        }
        1 => {
            object.key(out, "request_id");
            text(last("request_id"), out);
        }
        _ => {
            object.key(out, "body");
            out.raw_or_null(last("body"));
        }
    }
}

/// Whether `value` names an error: a non-empty object or a non-blank string.
pub fn is_error(value: Json<'_>) -> bool {
    match value.kind() {
        Kind::Object => value.entries().next().is_some(),
        Kind::String => value.as_str().is_some_and(|s| !s.trim().is_empty()),
        _ => false,
    }
}

/// `{ code, message }`: from an object (`code`, else `type`) or a string (the message). The error
/// of a response body stays whole in the body.
fn write_error(error: &ErrorOut<'_>, out: &mut Out) {
    match error {
        ErrorOut::Null => out.null(),
        ErrorOut::Made(code, message) => {
            out.ascii(br#"{"code":"#);
            out.string(code);
            out.ascii(br#","message":"#);
            out.string(message);
            out.byte(b'}');
        }
        ErrorOut::Sent(value) if value.kind() == Kind::String => {
            out.ascii(br#"{"code":null,"message":"#);
            out.raw(*value);
            out.byte(b'}');
        }
        ErrorOut::Sent(value) => {
            // OpenAI sends `"code": null` beside a useful `type`.
            let code = value.get("code").filter(|c| is_text(*c)).or_else(|| value.get("type").filter(|t| is_text(*t)));
            out.ascii(br#"{"code":"#);
            text(code, out);
            out.ascii(br#","message":"#);
            text(value.get("message"), out);
            out.byte(b'}');
        }
    }
}

fn is_text(value: Json<'_>) -> bool {
    (value.kind() == Kind::String && value.text().len() > 2) || value.kind() == Kind::Number
}

/// The OpenAI line (`{ id, custom_id, response, error }`), also what most other providers write,
/// walked once: `response` and its `body` are walked into for the `error` a body may carry, which is
/// surfaced when the line's own `error` says nothing.
pub fn openai_line<'a>(scan: &mut Scanner<'a>) -> Scanned<ResultLine<'a>> {
    let mut line = ResultLine::default();
    let mut response: Option<Vec<(Json<'a>, Json<'a>)>> = None;
    let mut body_error: Option<Json<'a>> = None;
    scan.object(|scan, key| {
        let value = if key.is_str("response") && scan.next_byte() == Some(b'{') {
            let mut entries = Vec::new();
            body_error = None;
            let walked = scan.object(|scan, k| {
                let v = if k.is_str("body") {
                    body_error = None;
                    if scan.next_byte() == Some(b'{') {
                        scan.object(|scan, bk| {
                            let bv = scan.value()?;
                            if bk.is_str("error") {
                                body_error = Some(bv);
                            }
                            Ok(bv)
                        })?
                    } else {
                        scan.value()?
                    }
                } else {
                    scan.value()?
                };
                entries.push((k, v));
                Ok(v)
            })?;
            response = Some(entries);
            walked
        } else {
            let value = scan.value()?;
            if key.is_str("response") {
                (response, body_error) = (None, None);
            }
            value
        };
        line.entries.push((key, value));
        Ok(value)
    })?;
    line.custom_id = line.get("custom_id");
    line.id = line.get("id");
    let own = line.get("error").filter(|e| is_error(*e));
    line.error = match own.or(body_error.filter(|e| is_error(*e))) {
        Some(e) => ErrorOut::Sent(e),
        None => ErrorOut::Null,
    };
    line.response = response.map_or(Response::Null, Response::Object);
    Ok(line)
}

/// A line that is not a JSON object: it still comes out, with its number and text, so nothing is
/// silently lost.
pub fn write_invalid(raw: &[u8], problem: &str, at: LineAt, out: &mut Out) {
    out.ascii(br#"{"id":null,"custom_id":null,"response":null,"error":{"code":"invalid_line","message":"#);
    out.string(problem);
    out.ascii(br#"},"line":"#);
    out.u64(at.number);
    out.ascii(br#","source":"#);
    out.string(at.source.as_str());
    out.ascii(br#","raw":"#);
    out.string(&String::from_utf8_lossy(raw));
    out.byte(b'}');
}

/// The message of an `invalid_line` for a syntax error.
pub fn syntax_problem(at: LineAt, error: SyntaxError, line: &[u8]) -> String {
    format!("line {} is not valid JSON ({})", at.number, error.describe(line))
}
