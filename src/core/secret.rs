//! The secrets a client holds (its API key, credentials in `defaultHeaders`), and scrubbing them out
//! of anything that could reach a log.

use super::text;
use std::fmt;

/// The client's secrets. `Debug` never shows them; [`Secrets::redact`] takes them out of a text.
#[derive(Clone, PartialEq, Eq)]
pub struct Secrets {
    values: Vec<String>,
}

/// Values shorter than this are not looked for: a header such as `x-retries: 3` is no secret, and
/// redacting every "3" would garble messages.
const MIN_SECRET: usize = 6;

impl Secrets {
    /// The secrets of a client with this key.
    pub fn new(key: &str) -> Self {
        let mut secrets = Secrets { values: Vec::new() };
        secrets.add(key);
        secrets
    }

    /// One more value to keep out of messages (a `defaultHeaders` value).
    pub fn add(&mut self, value: &str) {
        let value = value.trim();
        if value.len() >= MIN_SECRET && !self.values.iter().any(|v| v == value) {
            // Longest first, so a secret that contains another is taken out whole. (An insertion
            // rather than a sort: the list is a handful long, and a sort costs 3 KB of wasm.)
            let at = self.values.iter().position(|v| v.len() < value.len()).unwrap_or(self.values.len());
            self.values.insert(at, value.to_owned());
        }
    }

    /// `text` with every secret, and every bearer token, replaced by `[redacted]`. A provider or a
    /// proxy that echoes the request headers back must not leak them through us.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for value in &self.values {
            out = text::replace(&out, value, REDACTED);
        }
        redact_bearer(&out)
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets([{} redacted])", self.values.len())
    }
}

const REDACTED: &str = "[redacted]";

/// Replaces the token after any `Bearer ` (any case) with `[redacted]`.
fn redact_bearer(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut rest = 0usize;
    let mut search = 0usize;
    while let Some(found) = lower.get(search..).and_then(|s| text::find(s, "bearer ")) {
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
    fn debug_hides_them() {
        let secrets = Secrets::new("sk-live-123456");
        assert!(!format!("{secrets:?}").contains("sk-live"));
    }

    #[test]
    fn redacts_every_secret_and_bearer_tokens() {
        let mut secrets = Secrets::new("sk-live-123456");
        secrets.add("azure-key-abcdef");
        secrets.add("3");
        assert_eq!(secrets.redact("bad key sk-live-123456!"), "bad key [redacted]!");
        assert_eq!(secrets.redact("api-key azure-key-abcdef echoed"), "api-key [redacted] echoed");
        assert_eq!(secrets.redact("retry 3 times"), "retry 3 times", "short values are no secrets");
        assert_eq!(secrets.redact("got 'Bearer abc.def' from you"), "got 'Bearer [redacted]' from you");
        assert_eq!(secrets.redact("authorization: bearer sk-other"), "authorization: bearer [redacted]");
        assert_eq!(secrets.redact("no secrets here"), "no secrets here");
        assert_eq!(secrets.redact("Bearer "), "Bearer ");
        assert_eq!(secrets.redact("ünïcode Bearer tök and more"), "ünïcode Bearer [redacted] and more");
    }

    #[test]
    fn a_secret_inside_another_is_taken_out_whole() {
        let mut secrets = Secrets::new("abcdef");
        secrets.add("xxabcdefyy");
        assert_eq!(secrets.redact("[xxabcdefyy]"), "[[redacted]]");
    }
}
