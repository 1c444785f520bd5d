//! The one JSON value of the crate. A provider's text is checked once by [`scan`] (the grammar
//! `JSON.parse` reads, any depth, any number), read lazily through [`Json`], and written back
//! through [`Out`]: what is not normalised is copied as it was sent, so `JSON.parse` of our text
//! gives exactly what `JSON.parse` of the provider's text gives — the same digits, the same
//! escapes (lone surrogates too), the same key order and duplicates.
//!
//! ```
//! use llm_batches_json::{Json, Out};
//! let json = Json::parse(br#"{"score": 0.9856906946328695, "big": 123456789012345678901234567890}"#).unwrap();
//! let mut out = Out::default();
//! out.raw(json.get("score").unwrap());
//! assert_eq!(out.as_bytes(), b"0.9856906946328695");
//! ```

mod float;
mod scan;
mod value;
mod write;

pub use float::parse_f64;
#[cfg(test)]
use scan::string_run;
pub use scan::{Json, Kind, Problem, Scanned, Scanner, SyntaxError};
pub use value::{Entries, Items, Number};
pub use write::{Array, Object, Out};

/// `text` without a leading UTF-8 byte order mark (which `response.text()` strips too).
pub fn strip_bom(text: &[u8]) -> &[u8] {
    text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plain recursive reading of RFC 8259 with `JSON.parse`'s leniencies (any depth, any number,
    /// lone surrogates, non-UTF-8 bytes inside strings): the reference the scanner must agree with.
    fn reference(text: &[u8]) -> bool {
        fn ws(b: &[u8], i: &mut usize) {
            while matches!(b.get(*i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                *i += 1;
            }
        }
        fn value(b: &[u8], i: &mut usize) -> bool {
            ws(b, i);
            match b.get(*i) {
                Some(b'{') => {
                    *i += 1;
                    ws(b, i);
                    if b.get(*i) == Some(&b'}') {
                        *i += 1;
                        return true;
                    }
                    loop {
                        ws(b, i);
                        if b.get(*i) != Some(&b'"') || !string(b, i) {
                            return false;
                        }
                        ws(b, i);
                        if b.get(*i) != Some(&b':') {
                            return false;
                        }
                        *i += 1;
                        if !value(b, i) {
                            return false;
                        }
                        ws(b, i);
                        match b.get(*i) {
                            Some(b',') => *i += 1,
                            Some(b'}') => {
                                *i += 1;
                                return true;
                            }
                            _ => return false,
                        }
                    }
                }
                Some(b'[') => {
                    *i += 1;
                    ws(b, i);
                    if b.get(*i) == Some(&b']') {
                        *i += 1;
                        return true;
                    }
                    loop {
                        if !value(b, i) {
                            return false;
                        }
                        ws(b, i);
                        match b.get(*i) {
                            Some(b',') => *i += 1,
                            Some(b']') => {
                                *i += 1;
                                return true;
                            }
                            _ => return false,
                        }
                    }
                }
                Some(b'"') => string(b, i),
                Some(b't') => lit(b, i, b"true"),
                Some(b'f') => lit(b, i, b"false"),
                Some(b'n') => lit(b, i, b"null"),
                Some(b'-' | b'0'..=b'9') => number(b, i),
                _ => false,
            }
        }
        fn lit(b: &[u8], i: &mut usize, w: &[u8]) -> bool {
            if b.get(*i..*i + w.len()) == Some(w) {
                *i += w.len();
                true
            } else {
                false
            }
        }
        fn digits(b: &[u8], i: &mut usize) -> usize {
            let s = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i - s
        }
        fn number(b: &[u8], i: &mut usize) -> bool {
            if b.get(*i) == Some(&b'-') {
                *i += 1;
            }
            match b.get(*i) {
                Some(b'0') => *i += 1,
                Some(b'1'..=b'9') => {
                    digits(b, i);
                }
                _ => return false,
            }
            if b.get(*i) == Some(&b'.') {
                *i += 1;
                if digits(b, i) == 0 {
                    return false;
                }
            }
            if matches!(b.get(*i), Some(b'e' | b'E')) {
                *i += 1;
                if matches!(b.get(*i), Some(b'+' | b'-')) {
                    *i += 1;
                }
                if digits(b, i) == 0 {
                    return false;
                }
            }
            true
        }
        fn string(b: &[u8], i: &mut usize) -> bool {
            *i += 1;
            loop {
                match b.get(*i) {
                    None => return false,
                    Some(b'"') => {
                        *i += 1;
                        return true;
                    }
                    Some(b'\\') => {
                        *i += 1;
                        match b.get(*i) {
                            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => *i += 1,
                            Some(b'u') => {
                                if !b
                                    .get(*i + 1..*i + 5)
                                    .is_some_and(|h| h.len() == 4 && h.iter().all(u8::is_ascii_hexdigit))
                                {
                                    return false;
                                }
                                *i += 5;
                            }
                            _ => return false,
                        }
                    }
                    Some(&c) if c < 0x20 => return false,
                    Some(_) => *i += 1,
                }
            }
        }
        let mut i = 0;
        value(text, &mut i) && {
            ws(text, &mut i);
            i == text.len()
        }
    }

    fn agree(text: &[u8]) {
        let ours = Json::parse(text);
        assert_eq!(ours.is_ok(), reference(text), "{:?}: {ours:?}", String::from_utf8_lossy(text));
        if let Ok(json) = ours {
            // What serde_json reads (it refuses lone surrogates, huge numbers, bad UTF-8 and deep
            // nesting, which we read as `JSON.parse` does), we read the same way.
            if let Ok(value) = serde_json::from_slice::<serde_json::Value>(text) {
                same_as_serde(json, &value);
            }
        }
    }

    fn same_as_serde(json: Json<'_>, value: &serde_json::Value) {
        use serde_json::Value;
        match value {
            Value::Null => assert!(json.is_null()),
            Value::Bool(b) => assert_eq!(json.as_bool(), Some(*b)),
            Value::Number(n) => assert_eq!(json.as_number().map(|n| n.as_f64()), n.as_f64()),
            Value::String(s) => assert_eq!(json.as_str().as_deref(), Some(s.as_str())),
            Value::Array(items) => {
                let ours: Vec<_> = json.items().collect();
                assert_eq!(ours.len(), items.len());
                for (a, b) in ours.into_iter().zip(items) {
                    same_as_serde(a, b);
                }
            }
            Value::Object(map) => {
                for (key, v) in map {
                    same_as_serde(json.get(key).unwrap_or_else(|| panic!("{key} missing")), v);
                }
                let keys: std::collections::BTreeSet<String> =
                    json.entries().map(|(k, _)| k.as_str().unwrap().into_owned()).collect();
                assert_eq!(keys.len(), map.len());
            }
        }
    }

    #[test]
    fn the_scanner_reads_what_json_parse_reads() {
        let cases: &[&[u8]] = &[
            br#"{"b": 1, "a": "x", "b": 2, "c": {"z": [1, 2.5, -3, 1e3, 18446744073709551615, 1e400]}}"#,
            r#"{"\u0062": 1, "b": 2, "a\"": "\ud83d\udc4b \u00e9 \n", "": null, "é": true, "e": false}"#.as_bytes(),
            br#"[-0, -0.0, 0.1, 1.7976931348623157e308, 5e-324, 123456789012345678901234567890]"#,
            br#""\ud800""#,
            br#""\udc00\ud800x""#,
            b"\"\xff\"",
            b"\"\xe2\x82\"",
            b"\"\xed\xa0\x80\"",
            br#"{"a": 1,}"#,
            br#"{"a" 1}"#,
            br#"[1, 2"#,
            b"  ",
            br#"{"a": 1} x"#,
            b"{\"k\": \"tab\tinside\"}",
            &[b'['; 200],
            br#"[0, -0, 1, -1, 9223372036854775807, -9223372036854775808, -9223372036854775809, 18446744073709551616]"#,
            br#"[2E-3, 1.5e+10, 0.0, -0.0e0, 1E400, 1e-400]"#,
            br#" {"a" : [ true , false , null ] , "b" : { } , "c" : [ ] } "#,
            br#"{"a": "x\"y\\", "a\u0000": "\/"}"#,
            br#"{"a": "\u12"}"#,
            br#"{"a": "\x"}"#,
            br#"{1: 2}"#,
            b"\xef\xbb\xbf{}",
            b"{\"a\": \"\x7f\"}",
            b"",
            b"nullx",
            b"tru",
            b"01",
            b"1.",
            b"-",
            b"1e",
            b"1e+",
            b".5",
            b"+1",
            b"[1,,2]",
            b"{\"a\":1,,\"b\":2}",
            b"[\xc3\xa9]",
            b"\"a\x00b\"",
            b"\"\\u00e9\xc3\xa9\"",
        ];
        for case in cases {
            agree(case);
        }
    }

    #[test]
    fn every_prefix_and_corruption_reads_as_the_reference_reads_it() {
        let text = r#"{"id": "b\u00e9\ud83d\udc4b", "n": [1, -2, 3.5, -0, 1e2, 18446744073709551616], "s": "x\"y", "é": {"k": null, "t": true, "f": false}}"#;
        let bytes = text.as_bytes();
        for end in 0..=bytes.len() {
            agree(&bytes[..end]);
        }
        for i in 0..bytes.len() {
            for b in [b'"', b'\\', b'{', b'}', b'[', b']', b',', b':', b'0', b'-', b'e', b'.', b' ', b'u', 0x01, 0xff] {
                let mut changed = bytes.to_vec();
                changed[i] = b;
                agree(&changed);
            }
        }
    }

    #[test]
    fn nesting_has_no_limit_and_no_recursion() {
        for depth in [63, 64, 65, 127, 128, 129, 1000, 200_000] {
            let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            assert!(Json::parse(text.as_bytes()).is_ok(), "{depth}");
            let objects = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
            assert!(Json::parse(objects.as_bytes()).is_ok(), "{depth}");
            let mixed: String = (0..depth).map(|i| if i % 3 == 0 { r#"{"k":["# } else { "[" }).collect();
            let closing: String = (0..depth).rev().map(|i| if i % 3 == 0 { "]}" } else { "]" }).collect();
            assert!(Json::parse(format!("{mixed}0{closing}").as_bytes()).is_ok(), "{depth}");
            let wrong = format!("{mixed}0{}", closing.replace("]}", "}]"));
            assert!(Json::parse(wrong.as_bytes()).is_err(), "{depth}");
        }
    }

    #[test]
    fn values_keep_their_text() {
        let json =
            Json::parse(br#"{"a": 0.9856906946328695, "b": "x\u00e9\ud800", "a": [1e400, -0], "c": {"z": 1, "y": 2}}"#)
                .unwrap();
        let keys: Vec<_> = json.entries().map(|(k, _)| k.text()).collect();
        assert_eq!(keys, [&b"\"a\""[..], b"\"b\"", b"\"a\"", b"\"c\""]);
        assert_eq!(json.get("a").unwrap().text(), b"[1e400, -0]", "the last of a duplicated key");
        assert_eq!(json.get("b").unwrap().text(), br#""x\u00e9\ud800""#);
        assert_eq!(json.get("b").unwrap().as_str().unwrap(), "xé\u{fffd}");
        assert_eq!(json.get("c").unwrap().text(), br#"{"z": 1, "y": 2}"#);
        let n = Json::parse(b"0.9856906946328695").unwrap().as_number().unwrap();
        assert_eq!(n.as_f64(), 0.9856906946328695);
        assert_eq!(Json::parse(b"1e400").unwrap().as_number().unwrap().as_f64(), f64::INFINITY);
        for (text, want) in [
            ("3", Some(3)),
            ("3.0", Some(3)),
            ("3e0", Some(3)),
            ("-3", None),
            ("3.5", None),
            ("9007199254740993", None),
            ("9007199254740992", Some(1 << 53)),
        ] {
            assert_eq!(Json::parse(text.as_bytes()).unwrap().as_number().unwrap().as_u64(), want, "{text}");
        }
    }

    #[test]
    fn strings_decode_as_json_parse_does() {
        let table: &[(&[u8], &str)] = &[
            (br#""plain""#, "plain"),
            (br#""a\"b\\c\/d\b\f\n\r\t""#, "a\"b\\c/d\u{8}\u{c}\n\r\t"),
            (br#""\ud83d\udc4b""#, "👋"),
            (br#""\ud83d""#, "\u{fffd}"),
            (br#""\udc4b\ud83d""#, "\u{fffd}\u{fffd}"),
            (br#""\ud83dx""#, "\u{fffd}x"),
            (br#""\ud83d\u0041""#, "\u{fffd}A"),
            ("\"é👋\"".as_bytes(), "é👋"),
            (b"\"\xff\"", "\u{fffd}"),
            (b"\"\xe2\x82\\u00ac\"", "\u{fffd}\u{ac}"),
            (b"\"\xed\xa0\x80\"", "\u{fffd}\u{fffd}\u{fffd}"),
        ];
        for (text, want) in table {
            let json = Json::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e:?}"));
            assert_eq!(json.as_str().unwrap(), *want, "{}", String::from_utf8_lossy(text));
            assert!(json.is_str(want));
        }
    }

    #[test]
    fn the_string_scan_finds_the_first_stop_and_non_ascii_before_it() {
        let samples: &[&[u8]] = &[
            b"",
            b"plain ascii text, longer than eight",
            b"abcdefgh\"",
            b"abcdefg\x1f",
            b"\x7f\x7e abc",
            b"0123456789abcdef\\",
            "é then \" quote".as_bytes(),
            b"ascii \" then \xc3\xa9",
        ];
        for sample in samples {
            for start in 0..sample.len() {
                let s = &sample[start..];
                let stop = s.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
                let non_ascii = s[..stop.unwrap_or(s.len())].iter().any(|&b| b >= 0x80);
                assert_eq!(string_run(s), (stop, non_ascii), "{s:?}");
            }
        }
        for x in 0..=255u8 {
            for y in 0..=255u8 {
                let mut s = *b"aaaaaaaaaaaaaaaa";
                (s[10], s[12]) = (x, y);
                let stop = s.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
                let non_ascii = s[..stop.unwrap_or(s.len())].iter().any(|&b| b >= 0x80);
                assert_eq!(string_run(&s), (stop, non_ascii), "{x} {y}");
            }
        }
    }

    #[test]
    fn errors_say_where() {
        let cases: &[(&[u8], &str)] = &[
            (b"{oops", "expected a string key at column 2"),
            (b"[1,]", "unexpected `]` at column 4"),
            (b"{\"a\" 1}", "expected `:` after a key at column 6"),
            (b"[1 2]", "expected `,` or a closing bracket at column 4"),
            (b"\"\\x\"", "invalid escape in a string at column 3"),
            (b"01", "unexpected text after the value at column 2"),
            (b"{\"a\":1", "the text ends in the middle of a value"),
            ("[\"é\", x]".as_bytes(), "unexpected `x` at column 7"),
            (b"\xc3\xa9", "unexpected non-ASCII character outside a string at column 1"),
        ];
        for (text, want) in cases {
            let err = Json::parse(text).unwrap_err();
            assert_eq!(err.describe(text), *want, "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn out_writes_strings_as_json_stringify_does() {
        let mut out = Out::default();
        out.string("a\"b\\c\n\u{1}\u{7f}é👋");
        assert_eq!(std::str::from_utf8(out.as_bytes()).unwrap(), "\"a\\\"b\\\\c\\n\\u0001\u{7f}é👋\"");
        assert!(!out.is_ascii());
        let mut out = Out::default();
        for n in [0u64, 7, 10, 1_710_000_000, u64::MAX] {
            out.u64(n);
            out.byte(b',');
        }
        out.i64(-42);
        assert_eq!(out.as_bytes(), b"0,7,10,1710000000,18446744073709551615,-42");
        assert!(out.is_ascii());
    }
}
