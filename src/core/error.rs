//! The one error type of the crate. The edge turns it into a JS `BatchError`.

use std::fmt;

use super::json::SyntaxError;
use super::secret::Secrets;

/// What went wrong, coarse enough to branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The provider answered with an error (non-2xx, or a 2xx carrying an `error` body).
    Api,
    /// No answer: DNS, refused, reset, CORS, a dropped connection.
    Connection,
    /// An attempt took longer than the client's `timeout`.
    Timeout,
    /// The caller's `AbortSignal` fired.
    Aborted,
    /// The provider answered 2xx with something we cannot read as the documented shape.
    InvalidResponse,
    /// The caller passed something we refuse to send.
    InvalidArgument,
    /// A webhook whose signature, timestamp or body does not check out.
    InvalidSignature,
}

impl ErrorKind {
    /// The wire name used in JS (`err.kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Api => "api",
            ErrorKind::Connection => "connection",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Aborted => "aborted",
            ErrorKind::InvalidResponse => "invalid_response",
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::InvalidSignature => "invalid_signature",
        }
    }
}

/// An error with everything a caller needs to decide what to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Which kind.
    pub kind: ErrorKind,
    /// HTTP status, when the provider answered.
    pub status: Option<u16>,
    /// The provider's error code (`not_found`, `rate_limit_exceeded`, `NOT_FOUND`, ...).
    pub code: Option<String>,
    /// The provider's `x-request-id`, for support tickets.
    pub request_id: Option<String>,
    /// Human-readable, as long as the provider made it (up to 8 KiB); what a caller sees is
    /// [`Error::public_message`], with the key taken out and then cut short.
    pub message: String,
    /// A field of the error with JSON text for its value: `errors` (the problems behind `submit`'s
    /// `invalid_argument`) or `batches` (what a `submitAll` made before it failed). Boxed: errors
    /// travel in every `Result`.
    pub details: Option<Box<(&'static str, String)>>,
    /// Where an answer stopped being JSON, until the message can say it against the answer's text.
    pub syntax: Option<SyntaxError>,
}

impl Error {
    /// An error of `kind` with only a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, status: None, code: None, request_id: None, message: message.into(), details: None, syntax: None }
    }

    /// Shorthand for [`ErrorKind::InvalidArgument`].
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }

    /// Shorthand for [`ErrorKind::InvalidResponse`].
    pub fn invalid_response(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidResponse, message)
    }

    /// Attaches the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Attaches the request id the provider gave this answer.
    pub fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.request_id = request_id;
        self
    }

    /// The message as callers see it: the client's secrets (and any bearer token) redacted first,
    /// then cut to [`MAX_MESSAGE`] bytes. In that order, a key that a provider echoes across the
    /// cut cannot leave a piece of itself behind.
    pub fn public_message(&self, secrets: Option<&Secrets>) -> String {
        let mut text = secrets.map_or_else(|| self.message.clone(), |s| s.redact(&self.message));
        cut(&mut text, MAX_MESSAGE);
        text
    }

    /// Appends a sentence to the message.
    pub fn with_note(mut self, note: &str) -> Self {
        self.message.push_str(note);
        self
    }
}

/// Longest message a caller sees, in bytes (plus the `…` that marks a cut).
pub const MAX_MESSAGE: usize = 500;

/// Cuts `text` to at most `max` bytes on a char boundary, marking the cut with `…`.
pub(crate) fn cut(text: &mut String, max: usize) {
    if text.len() > max {
        let mut at = max;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.truncate(at);
        text.push('…');
    }
}

/// A provider's text that is not JSON: an `invalid_response` (see [`Error::syntax`]).
impl From<SyntaxError> for Error {
    fn from(error: SyntaxError) -> Self {
        let mut out =
            Error::invalid_response(format!("the provider's answer is not valid JSON (at byte {})", error.offset));
        out.syntax = Some(error);
        out
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Result with the crate's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_across_the_cut_is_redacted_before_cutting() {
        let key = "sk-test-SECRET-0123456789abcdef0123456789abcdef";
        let secrets = Secrets::new(key);
        for pad in 440..520 {
            let message = format!("{}Incorrect API key provided: {} (see the docs)", "x".repeat(pad), key);
            let error = Error::new(ErrorKind::Api, message);
            let shown = error.public_message(Some(&secrets));
            assert!(shown.len() <= MAX_MESSAGE + '…'.len_utf8(), "{pad}: {} bytes", shown.len());
            assert!(!shown.contains("sk-test-SECRET-0"), "pad {pad}: {shown}");
        }
    }

    #[test]
    fn cutting_keeps_char_boundaries() {
        let mut text = "é".repeat(400);
        cut(&mut text, MAX_MESSAGE);
        assert!(text.len() <= MAX_MESSAGE + 3);
        assert!(text.ends_with('…'));
        let mut short = String::from("short");
        cut(&mut short, MAX_MESSAGE);
        assert_eq!(short, "short");
    }
}
