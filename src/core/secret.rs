//! The API key, and scrubbing it out of anything that could reach a log.

use std::fmt;

/// The API key. `Debug` and `Display` never show it; only [`ApiKey::expose`] does, for the one
/// `Authorization` header it is meant for.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: String) -> Self {
        ApiKey(key)
    }

    /// The key itself: only for building the `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of this key, and every bearer token, replaced by `[redacted]`.
    /// A provider or proxy that echoes the request headers back must not leak the key through us.
    pub fn redact(&self, text: &str) -> String {
        let mut out = if self.0.len() >= 4 { text.replace(&self.0, REDACTED) } else { text.to_owned() };
        out = redact_bearer(&out);
        out
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

const REDACTED: &str = "[redacted]";

/// Replaces the token after any `Bearer ` (any case) with `[redacted]`.
fn redact_bearer(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut rest = 0usize;
    let mut search = 0usize;
    while let Some(found) = lower.get(search..).and_then(|s| s.find("bearer ")) {
        let token_start = search + found + "bearer ".len();
        let token_len = text
            .get(token_start..)
            .map(|t| t.find(|c: char| c.is_whitespace() || c == '"' || c == '\'').unwrap_or(t.len()))
            .unwrap_or(0);
        if let Some(kept) = text.get(rest..token_start) {
            out.push_str(kept);
        }
        if token_len > 0 {
            out.push_str(REDACTED);
        }
        rest = token_start + token_len;
        search = rest;
    }
    if let Some(tail) = text.get(rest..) {
        out.push_str(tail);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_key() {
        let key = ApiKey::new("sk-live-123456".into());
        assert!(!format!("{key:?}").contains("sk-live"));
        assert!(!format!("{key}").contains("sk-live"));
        assert_eq!(key.expose(), "sk-live-123456");
    }

    #[test]
    fn redacts_key_and_bearer_tokens() {
        let key = ApiKey::new("sk-live-123456".into());
        assert_eq!(key.redact("bad key sk-live-123456!"), "bad key [redacted]!");
        assert_eq!(key.redact("got 'Bearer abc.def' from you"), "got 'Bearer [redacted]' from you");
        assert_eq!(key.redact("authorization: bearer sk-other"), "authorization: bearer [redacted]");
        assert_eq!(key.redact("no secrets here"), "no secrets here");
        assert_eq!(key.redact("Bearer "), "Bearer ");
        assert_eq!(key.redact("ünïcode Bearer tök and more"), "ünïcode Bearer [redacted] and more");
    }
}
