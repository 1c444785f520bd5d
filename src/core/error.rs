//! The one error type of the crate. The edge turns it into a JS `BatchError`.

use std::fmt;

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
        }
    }
}

/// An error with everything a caller needs to decide what to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Which of the six kinds.
    pub kind: ErrorKind,
    /// HTTP status, when the provider answered.
    pub status: Option<u16>,
    /// The provider's error code (`not_found`, `rate_limit_exceeded`, `NOT_FOUND`, ...).
    pub code: Option<String>,
    /// The provider's `x-request-id`, for support tickets.
    pub request_id: Option<String>,
    /// Human-readable; never contains the API key (see [`crate::core::secret`]).
    pub message: String,
}

impl Error {
    /// An error of `kind` with only a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, status: None, code: None, request_id: None, message: message.into() }
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
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Result with the crate's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
