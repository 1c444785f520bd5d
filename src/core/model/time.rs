//! Timestamps: whatever a provider sends, as integer unix seconds or nothing.
//!
//! Providers send integer or float seconds, milliseconds (or micro-, nanoseconds, told apart by
//! magnitude), numeric strings, RFC 3339 / ISO 8601 strings with or without an offset. `null`,
//! `{}`, `""`, `0` and anything before 1970 mean "not set" (Go servers send their zero value for
//! unset times) and give `None`.

use crate::core::text;

/// Unix seconds of a JSON number, from its text.
pub fn number_seconds(text: &str) -> Option<i64> {
    parse_str(text)
}

/// Unix seconds of a string's content.
pub fn text_seconds(s: &str) -> Option<i64> {
    parse_str(s.trim())
}

/// Whether number text is already what normalising gives: whole seconds, in range.
pub fn is_plain_seconds(text: &[u8]) -> bool {
    matches!(text.first(), Some(b'1'..=b'9'))
        && text.len() <= 11
        && text.iter().all(u8::is_ascii_digit)
        && text.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')) < SECONDS_LIMIT
}

fn parse_str(s: &str) -> Option<i64> {
    if s.is_empty() {
        return None;
    }
    if let Ok(i) = s.parse::<i128>() {
        return from_integer(i);
    }
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'e' || b == b'E' || b == b'+') {
        if let Some(f) = crate::core::json::parse_f64(s) {
            return from_float(f);
        }
    }
    parse_rfc3339(s)
}

/// Seconds are below 1e11 (year 5138); anything larger is a finer unit.
fn from_integer(n: i128) -> Option<i64> {
    if n <= 0 {
        return None;
    }
    let secs = match n {
        n if n < i128::from(SECONDS_LIMIT) => n,
        n if n < 100_000_000_000_000 => n / 1_000,
        n if n < 100_000_000_000_000_000 => n / 1_000_000,
        n if n < 100_000_000_000_000_000_000 => n / 1_000_000_000,
        _ => return None,
    };
    i64::try_from(secs).ok()
}

fn from_float(f: f64) -> Option<i64> {
    if !f.is_finite() || f <= 0.0 || f >= 1e20 {
        return None;
    }
    // In range (checked above), so the cast neither saturates nor loses the integer part.
    from_integer(f.floor() as i128)
}

/// `YYYY-MM-DD[(T|t| )HH:MM[:SS[.fff]]][Z|z|±HH[:MM]]`; no offset means UTC.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let mut p = Cursor { s: s.as_bytes(), i: 0 };
    let year = p.digits(4)?;
    p.eat(b'-')?;
    let month = p.digits(2)?;
    p.eat(b'-')?;
    let day = p.digits(2)?;
    let (mut hour, mut minute, mut second) = (0, 0, 0);
    if matches!(p.peek(), Some(b'T' | b't' | b' ')) {
        p.i += 1;
        hour = p.digits(2)?;
        p.eat(b':')?;
        minute = p.digits(2)?;
        if p.peek() == Some(b':') {
            p.i += 1;
            second = p.digits(2)?;
            if p.peek() == Some(b'.') || p.peek() == Some(b',') {
                p.i += 1;
                let start = p.i;
                while p.peek().is_some_and(|b| b.is_ascii_digit()) {
                    p.i += 1;
                }
                if p.i == start {
                    return None;
                }
            }
        }
    }
    let offset = match p.peek() {
        None => 0,
        Some(b'Z' | b'z') => {
            p.i += 1;
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            p.i += 1;
            let oh = p.digits(2)?;
            if p.peek() == Some(b':') {
                p.i += 1;
            }
            let om = if p.peek().is_some() { p.digits(2)? } else { 0 };
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if sign == b'-' {
                -off
            } else {
                off
            }
        }
        Some(_) => return None,
    };
    if p.peek().is_some() {
        return None;
    }
    let secs = to_unix(year, month, day, hour, minute, second)? - offset;
    // Beyond year 5138 a value would read back as milliseconds: refuse rather than be ambiguous.
    (secs > 0 && secs < SECONDS_LIMIT).then_some(secs)
}

/// Integers at or above this are taken as a finer unit than seconds.
pub const SECONDS_LIMIT: i64 = 100_000_000_000;

/// An HTTP date (`Retry-After`): IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let rest = text::split_once(s.trim(), ", ").map_or(s.trim(), |(_, r)| r);
    let mut parts = rest.split_ascii_whitespace();
    let day: i64 = parts.next()?.parse().ok()?;
    let month_name = parts.next()?;
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month_name))? as i64 + 1;
    let year: i64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':').map(|x| x.parse::<i64>().ok());
    let (hour, minute, second) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || !matches!(parts.next(), Some("GMT" | "UTC")) || parts.next().is_some() {
        return None;
    }
    to_unix(year, month, day, hour, minute, second)
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn to_unix(year: i64, month: i64, day: i64, hour: i64, minute: i64, second: i64) -> Option<i64> {
    let valid = (1..=9999).contains(&year)
        && (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && (0..=23).contains(&hour)
        && (0..=59).contains(&minute)
        && (0..=60).contains(&second);
    valid.then(|| days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`); inputs are range-checked.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.i += 1)
    }

    fn digits(&mut self, n: usize) -> Option<i64> {
        let chunk = self.s.get(self.i..self.i + n)?;
        let mut v = 0i64;
        for b in chunk {
            if !b.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(b - b'0');
        }
        self.i += n;
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json::{Json, Kind};
    use serde_json::json;

    fn unix_seconds(value: &serde_json::Value) -> Option<i64> {
        let text = value.to_string();
        let json = Json::parse(text.as_bytes()).unwrap();
        match json.kind() {
            Kind::Number => number_seconds(json.as_number().unwrap().text()),
            Kind::String => text_seconds(&json.as_str().unwrap()),
            _ => None,
        }
    }

    #[test]
    fn every_shape_of_timestamp() {
        let table = [
            (json!(1710000000), Some(1710000000)),
            (json!(1710000000.75), Some(1710000000)),
            (json!(1710000000123_i64), Some(1710000000)),
            (json!(1710000000123456_i64), Some(1710000000)),
            (json!(1710000000123456789_i64), Some(1710000000)),
            (json!(1710000000.5e3), Some(1710000000)),
            (json!("1710000000"), Some(1710000000)),
            (json!(" 1710000000123 "), Some(1710000000)),
            (json!("1710000000.9"), Some(1710000000)),
            (json!("2024-03-09T16:00:00Z"), Some(1710000000)),
            (json!("2024-03-09T16:00:00.999Z"), Some(1710000000)),
            (json!("2024-03-10T00:00:00+08:00"), Some(1710000000)),
            (json!("2024-03-09T11:00:00-0500"), Some(1710000000)),
            (json!("2024-03-09 16:00:00"), Some(1710000000)),
            (json!("2024-03-09t16:00:00z"), Some(1710000000)),
            (json!("2024-03-09T16:00Z"), Some(1710000000)),
            (json!("2024-03-09"), Some(1709942400)),
            (json!("2024-02-29T00:00:00Z"), Some(1709164800)),
            (json!("2023-02-29T00:00:00Z"), None),
            (json!("2024-13-01T00:00:00Z"), None),
            (json!("2024-03-09T16:00:00Zjunk"), None),
            (json!("2024-03-09T16:00:00."), None),
            (json!("0001-01-01T00:00:00Z"), None),
            (json!("9999-12-31T23:59:59Z"), None),
            (json!("5138-11-16T09:46:39Z"), Some(99_999_999_999)),
            (json!("yesterday"), None),
            (json!(""), None),
            (json!(0), None),
            (json!(-5), None),
            (json!(1e300), None),
            (json!(u64::MAX), Some(18_446_744_073)),
            (json!("1000000000000000000000"), None),
            (json!(null), None),
            (json!({}), None),
            (json!([]), None),
            (json!(true), None),
        ];
        for (input, want) in table {
            assert_eq!(unix_seconds(&input), want, "{input}");
        }
    }

    #[test]
    fn http_dates() {
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784111777));
        assert_eq!(parse_http_date("Sat, 09 Mar 2024 16:00:00 GMT"), Some(1710000000));
        assert_eq!(parse_http_date("Sat, 09 Mar 2024 16:00:00"), None);
        assert_eq!(parse_http_date("soon"), None);
        assert_eq!(parse_http_date("Sat, 32 Mar 2024 16:00:00 GMT"), None);
    }
}
