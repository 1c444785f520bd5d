//! Small string helpers that keep core's panicking paths out of the wasm.
//!
//! `{:?}` on a string, `str::find(&str)`, `split_once(&str)`, `replace` and `split_at` each bring
//! code that formats a panic message for a bad char boundary (`slice_error_fail`, Debug of
//! `char` and its Unicode tables) or the two-way substring search: about 7 KB of wasm in all for
//! a dozen uses on short texts (URLs, headers, messages). These do the same without either.

use std::fmt;

/// `text` in double quotes for a message, escaped as in a JSON string (`\"`, `\\`, `\n`,
/// `\u001b`): what `{:?}` gives for plain text.
#[derive(Debug, Clone, Copy)]
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for c in self.0.chars() {
            match c {
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                '"' | '\\' => write!(f, "\\{c}")?,
                c if c < ' ' || c == '\u{7f}' => write!(f, "\\u{:04x}", u32::from(c))?,
                c => fmt::Write::write_char(f, c)?,
            }
        }
        f.write_str("\"")
    }
}

/// The byte offset of the first `needle` in `haystack`.
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.as_bytes().windows(needle.len()).position(|w| w == needle.as_bytes())
}

/// `haystack` around the first `needle`: what comes before it and after it.
pub fn split_once<'a>(haystack: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let at = find(haystack, needle)?;
    Some((haystack.get(..at)?, haystack.get(at + needle.len()..)?))
}

/// `text` with every `from` replaced by `to`.
pub fn replace(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, after)) = split_once(rest, from).filter(|_| !from.is_empty()) {
        out.push_str(before);
        out.push_str(to);
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_is_debug_for_plain_text_and_json_escapes_the_rest() {
        for plain in ["", "batch_abc", "req 1", "naïve — 名前", "it's"] {
            assert_eq!(Quoted(plain).to_string(), format!("{plain:?}"));
        }
        assert_eq!(Quoted("a\"b\\c\nd\re\tf\u{1b}g\u{7f}").to_string(), r#""a\"b\\c\nd\re\tf\u001bg\u007f""#);
    }

    #[test]
    fn searches_agree_with_std() {
        let cases = [
            ("https://api.example.com/v1", "://"),
            ("models/gemini:generateContent", "models/"),
            ("Sun, 06 Nov 1994", ", "),
            ("aaab", "aab"),
            ("名前://x", "://"),
            ("short", "longer than it"),
            ("", "x"),
            ("abc", ""),
        ];
        for (haystack, needle) in cases {
            assert_eq!(find(haystack, needle), haystack.find(needle), "{haystack:?} {needle:?}");
            assert_eq!(split_once(haystack, needle), haystack.split_once(needle), "{haystack:?} {needle:?}");
            if !needle.is_empty() {
                assert_eq!(replace(haystack, needle, "[x]"), haystack.replace(needle, "[x]"));
            }
        }
        assert_eq!(replace("k sk-1 sk-1sk-1", "sk-1", "[redacted]"), "k [redacted] [redacted][redacted]");
    }
}
