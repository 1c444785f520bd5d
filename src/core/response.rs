//! Reading an HTTP answer: JSON for 2xx, a typed [`Error`] for everything else.

use serde_json::Value;

use super::error::{cut, Error, ErrorKind, Result};
use super::json::Json;

/// What we keep of a response besides its body.
#[derive(Debug, Clone, Default)]
pub struct Head {
    /// HTTP status.
    pub status: u16,
    /// `x-request-id`, when sent.
    pub request_id: Option<String>,
}

/// Provider text kept for a message, in bytes: a 50 MB error page must not become a 50 MB message.
/// Far above what callers see ([`super::error::MAX_MESSAGE`]): the key is redacted before that
/// final cut, so a key split by this one is cut away with it.
const MAX_DETAIL: usize = 8 * 1024;

/// The body of a successful answer as JSON, or the error it really is.
pub fn read_json(head: &Head, body: &[u8]) -> Result<Value> {
    read_json_borrowed(head, body).map(Value::from)
}

/// [`read_json`] as a [`Json`] value borrowing from `body` (the path of every normalised answer).
pub fn read_json_borrowed<'a>(head: &Head, body: &'a [u8]) -> Result<Json<'a>> {
    if !(200..300).contains(&head.status) {
        return Err(api_error(head, body));
    }
    let value: Json<'a> = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(e) if body.iter().all(u8::is_ascii_whitespace) => {
            let _ = e;
            return Err(invalid(head, format!("the provider answered {} with an empty body", head.status)));
        }
        Err(e) => return Err(invalid(head, format!("the provider's answer is not valid JSON ({e})"))),
    };
    // Some providers answer 200 with `{"error": ...}` (expired batches do this).
    if let Json::Object(map) = &value {
        let is_error = matches!(map.get("error"), Some(Json::Object(_) | Json::String(_)))
            && map.get("id").is_none()
            && map.get("data").is_none();
        if is_error {
            return Err(error_from_json(head, &value.into()));
        }
    }
    Ok(value)
}

fn invalid(head: &Head, message: String) -> Error {
    Error::invalid_response(message).with_status(head.status).with_request_id(head.request_id.clone())
}

/// A non-2xx answer as an [`ErrorKind::Api`] error, whatever its body.
pub fn api_error(head: &Head, body: &[u8]) -> Error {
    match super::json::parse_value(body) {
        Ok(value @ Value::Object(_)) => error_from_json(head, &value),
        _ => {
            let text = String::from_utf8_lossy(body);
            let snippet = plain_text(&text);
            let detail = if snippet.is_empty() {
                "no error message in the response".to_owned()
            } else {
                format!("the provider answered with a non-JSON body: {snippet}")
            };
            error(head, None, &detail)
        }
    }
}

/// OpenAI `{"error": {message, code, type}}`, PPInfra `{code: 404, reason, message}`,
/// FastAPI `{detail}`, or `{"error": "text"}`.
fn error_from_json(head: &Head, value: &Value) -> Error {
    let (message, code) = match value.get("error") {
        Some(Value::Object(e)) => (text(e.get("message")), code(e.get("code")).or_else(|| code(e.get("type")))),
        Some(Value::String(s)) => (Some(s.clone()), code(value.get("code"))),
        _ => {
            let code = match value.get("code") {
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                other => code(value.get("reason")).or_else(|| code(other)),
            };
            let message =
                text(value.get("message")).or_else(|| text(value.get("detail"))).or_else(|| text(value.get("msg")));
            (message, code)
        }
    };
    let detail = message.unwrap_or_else(|| "no error message in the response".to_owned());
    error(head, code, &detail)
}

fn error(head: &Head, code: Option<String>, detail: &str) -> Error {
    let mut message = format!("{} {}: {}", head.status, reason(head.status), detail.trim());
    cut(&mut message, MAX_DETAIL);
    Error { kind: ErrorKind::Api, status: Some(head.status), code, request_id: head.request_id.clone(), message }
}

fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Null | Value::String(_) => None,
        other => Some(other.to_string()),
    }
}

fn code(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Tags stripped and blanks collapsed, so an HTML error page reads as a sentence.
fn plain_text(text: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    let mut blank = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                blank = true;
            }
            _ if in_tag => {}
            c if c.is_whitespace() => blank = true,
            c => {
                if blank && !out.is_empty() {
                    out.push(' ');
                }
                blank = false;
                out.push(c);
                if out.len() > MAX_DETAIL {
                    break;
                }
            }
        }
    }
    out
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "HTTP error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(status: u16) -> Head {
        Head { status, request_id: Some("req_1".into()) }
    }

    #[test]
    fn success_is_json() {
        assert_eq!(read_json(&head(200), br#"{"id":"b"}"#).unwrap()["id"], "b");
    }

    #[test]
    fn openai_error_shape() {
        let body = br#"{"error":{"message":"No batch found with id 'x'.","type":"invalid_request_error","param":null,"code":"not_found"}}"#;
        let err = read_json(&head(404), body).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Api);
        assert_eq!(err.status, Some(404));
        assert_eq!(err.code.as_deref(), Some("not_found"));
        assert_eq!(err.request_id.as_deref(), Some("req_1"));
        assert_eq!(err.message, "404 Not Found: No batch found with id 'x'.");
    }

    #[test]
    fn ppinfra_error_shape() {
        let body = br#"{"code":404,"reason":"NOT_FOUND","message":"batch not found","metadata":{}}"#;
        let err = read_json(&head(404), body).unwrap_err();
        assert_eq!(err.code.as_deref(), Some("NOT_FOUND"));
        assert_eq!(err.message, "404 Not Found: batch not found");
    }

    #[test]
    fn other_error_shapes() {
        let err = read_json(&head(422), br#"{"detail":"bad limit"}"#).unwrap_err();
        assert_eq!((err.code, err.message.as_str()), (None, "422 Unprocessable Entity: bad limit"));
        let err = read_json(&head(500), br#"{"error":"boom","code":"E1"}"#).unwrap_err();
        assert_eq!((err.code.as_deref(), err.message.as_str()), (Some("E1"), "500 Internal Server Error: boom"));
        let err = read_json(&head(503), b"").unwrap_err();
        assert_eq!(err.message, "503 Service Unavailable: no error message in the response");
    }

    #[test]
    fn html_error_pages_become_short_sentences() {
        let page = format!(
            "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>{}</body></html>",
            "<p>x</p>".repeat(10_000)
        );
        let err = read_json(&head(502), page.as_bytes()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Api);
        assert!(
            err.message.starts_with(
                "502 Bad Gateway: the provider answered with a non-JSON body: 502 Bad Gateway 502 Bad Gateway"
            ),
            "{}",
            err.message
        );
        assert!(err.message.len() <= MAX_DETAIL + 3);
    }

    #[test]
    fn two_hundred_with_error_body_is_an_api_error() {
        let body = br#"{"error":{"message":"Batch expired","type":"invalid_request_error","code":"batch_expired"}}"#;
        let err = read_json(&head(200), body).unwrap_err();
        assert_eq!((err.kind, err.status, err.code.as_deref()), (ErrorKind::Api, Some(200), Some("batch_expired")));
        // A batch that merely has an `error`-named field is still a batch.
        assert!(read_json(&head(200), br#"{"id":"b","error":"x"}"#).is_ok());
    }

    #[test]
    fn malformed_and_empty_bodies_are_invalid_responses() {
        for body in [&b"{\"id\": \"batch_"[..], b"", b"  \n", b"<html>", b"\xff\xfe"] {
            let err = read_json(&head(200), body).unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidResponse, "{body:?}");
            assert_eq!(err.status, Some(200));
        }
    }

    #[test]
    fn long_messages_are_cut_on_a_char_boundary() {
        let body = format!(r#"{{"error":{{"message":"{}"}}}}"#, "é".repeat(8000));
        let err = read_json(&head(400), body.as_bytes()).unwrap_err();
        assert!(err.message.len() <= MAX_DETAIL + 3);
        assert!(err.message.ends_with('…'));
        assert!(err.public_message(None).len() <= crate::core::error::MAX_MESSAGE + 3);
    }
}
