//! Token usage added up across batches: `{ requests, input_tokens, output_tokens, total_tokens,
//! cached_tokens }`, from a batch's own `usage` (OpenAI) or, where a provider sends none, from each
//! result's response body in whichever shape its API writes: OpenAI's chat (`prompt_tokens`,
//! `completion_tokens`) and Responses (`input_tokens`, `output_tokens`) usage, Anthropic's
//! (`input_tokens` plus the cache reads and writes), Gemini's `usageMetadata`.

use super::counts::count;
use crate::core::json::{Json, Kind, Object, Out};

/// The sums.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Requests counted.
    pub requests: u64,
    /// Input tokens (Anthropic: with the cache reads and writes).
    pub input_tokens: u64,
    /// Output tokens (Gemini: with the thinking tokens).
    pub output_tokens: u64,
    /// Input and output.
    pub total_tokens: u64,
    /// Input tokens read from a cache.
    pub cached_tokens: u64,
}

fn n(value: Option<Json<'_>>) -> Option<u64> {
    value.and_then(count)
}

impl Usage {
    /// Adds a usage object of any known shape (`requests` is the caller's to count); false when
    /// `usage` is none of them.
    pub fn add(&mut self, usage: Json<'_>) -> bool {
        if usage.kind() != Kind::Object {
            return false;
        }
        let get = |key: &str| n(usage.get(key));
        let nested = |outer: &str, inner: &str| n(usage.get(outer).and_then(|o| o.get(inner)));
        let (input, output, cached, total) = if let Some(prompt) = get("promptTokenCount") {
            // Gemini.
            let output = get("candidatesTokenCount").unwrap_or(0) + get("thoughtsTokenCount").unwrap_or(0);
            let total = get("totalTokenCount").unwrap_or(prompt + output);
            (prompt, output, get("cachedContentTokenCount").unwrap_or(0), total)
        } else if let Some(prompt) = get("prompt_tokens") {
            // OpenAI's chat and completions (and embeddings, without completion tokens).
            let output = get("completion_tokens").unwrap_or(0);
            let cached = nested("prompt_tokens_details", "cached_tokens").unwrap_or(0);
            (prompt, output, cached, get("total_tokens").unwrap_or(prompt + output))
        } else if let Some(input) = get("input_tokens") {
            let output = get("output_tokens").unwrap_or(0);
            match (get("cache_read_input_tokens"), get("cache_creation_input_tokens")) {
                // Anthropic counts the cache apart from `input_tokens`.
                (read, written) if read.is_some() || written.is_some() => {
                    let (read, written) = (read.unwrap_or(0), written.unwrap_or(0));
                    let input = input + read + written;
                    (input, output, read, input + output)
                }
                // OpenAI's Responses API and a batch's own `usage`.
                _ => {
                    let cached = nested("input_tokens_details", "cached_tokens").unwrap_or(0);
                    (input, output, cached, get("total_tokens").unwrap_or(input + output))
                }
            }
        } else {
            return false;
        };
        self.input_tokens += input;
        self.output_tokens += output;
        self.cached_tokens += cached;
        self.total_tokens += total;
        true
    }

    /// Adds the usage in one result's response body, counting the request; false when it has none.
    pub fn add_result(&mut self, row: Json<'_>) -> bool {
        let body = row.get("response").and_then(|r| r.get("body")).filter(|b| b.kind() == Kind::Object);
        let usage = body.and_then(|b| b.get("usage").or_else(|| b.get("usageMetadata")));
        match usage {
            Some(u) if self.add(u) => {
                self.requests += 1;
                true
            }
            _ => false,
        }
    }

    /// Adds another sum.
    pub fn merge(&mut self, other: Usage) {
        self.requests += other.requests;
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.total_tokens += other.total_tokens;
        self.cached_tokens += other.cached_tokens;
    }

    /// As a JSON object.
    pub fn to_json(self) -> Out {
        let mut out = Out::default();
        let mut object = Object::begin(&mut out);
        for (key, value) in [
            ("requests", self.requests),
            ("input_tokens", self.input_tokens),
            ("output_tokens", self.output_tokens),
            ("total_tokens", self.total_tokens),
            ("cached_tokens", self.cached_tokens),
        ] {
            object.key(&mut out, key);
            out.u64(value);
        }
        object.end(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(text: &str) -> Usage {
        let mut u = Usage::default();
        assert!(u.add(Json::parse(text.as_bytes()).unwrap()), "{text}");
        u
    }

    #[test]
    fn every_known_shape_adds_up() {
        let table = [
            (
                r#"{"prompt_tokens":10,"completion_tokens":8,"total_tokens":18,"prompt_tokens_details":{"cached_tokens":4}}"#,
                (10, 8, 18, 4),
            ),
            (r#"{"prompt_tokens":8,"total_tokens":8}"#, (8, 0, 8, 0)),
            (
                r#"{"input_tokens":5,"output_tokens":7,"total_tokens":12,"input_tokens_details":{"cached_tokens":1}}"#,
                (5, 7, 12, 1),
            ),
            (
                r#"{"input_tokens":11,"output_tokens":36,"cache_read_input_tokens":100,"cache_creation_input_tokens":20}"#,
                (131, 36, 167, 100),
            ),
            (
                r#"{"promptTokenCount":5,"candidatesTokenCount":1373,"totalTokenCount":2960,"thoughtsTokenCount":1582}"#,
                (5, 2955, 2960, 0),
            ),
        ];
        for (text, (i, o, t, c)) in table {
            let u = of(text);
            assert_eq!((u.input_tokens, u.output_tokens, u.total_tokens, u.cached_tokens), (i, o, t, c), "{text}");
        }
        let mut none = Usage::default();
        assert!(!none.add(Json::parse(br#"{"tokens":3}"#).unwrap()));
        assert!(!none.add(Json::parse(b"5").unwrap()));
        assert_eq!(none, Usage::default());
    }
}
