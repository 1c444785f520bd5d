//! When to try again and how long to wait first: one classifier of failures and one backoff for
//! every call (a request's own retries, `waitFor`'s failed polls, `watch`'s failed cycles).

use crate::core::error::{Error, ErrorKind};
use crate::core::json;
use crate::core::model::time;

/// How an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No answer at all. `refused`: the connection was refused or the host not found, so nothing
    /// was sent.
    Connection {
        /// Nothing left the client (`ECONNREFUSED`, `ENOTFOUND`, `EAI_AGAIN`).
        refused: bool,
    },
    /// The attempt's timeout fired before an answer.
    Timeout,
    /// An answer with this (non-2xx) status.
    Status(u16),
    /// A 2xx whose body broke off (the connection dropped, or it stalled past the timeout).
    BrokenBody,
    /// A 2xx whose body is not what it should be (not JSON, not a batch).
    Unreadable,
}

/// What a retry could cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safety {
    /// Reads and cancels: repeating them is harmless.
    Idempotent,
    /// Creates a paid object: repeat only when the answer proves nothing was created.
    Creates,
}

/// After a failed create: what may have happened on the provider's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ambiguity {
    /// Nothing was created: the answer says so.
    None,
    /// The provider answered 2xx, so the batch exists; only its answer was lost.
    Created,
    /// The provider finished with an error (a 500): the batch may exist, and a lookup that
    /// allows for listing lag tells.
    Settled,
    /// No answer, or a proxy's (502, 503, 504): the request may still be running, so a batch may
    /// appear later than any lookup.
    InFlight,
}

/// Retry headers of a failed answer, as sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hints<'a> {
    /// `retry-after-ms`.
    pub retry_after_ms: Option<&'a str>,
    /// `retry-after`: seconds or an HTTP date.
    pub retry_after: Option<&'a str>,
    /// `x-should-retry`: `true` or `false`, the server's own verdict.
    pub should_retry: Option<&'a str>,
    /// A wait the error body names, in ms (Google's `RetryInfo.retryDelay`).
    pub body_delay_ms: Option<f64>,
}

/// A server's wait longer than this is ignored in favour of our own backoff.
const MAX_SERVER_DELAY_MS: f64 = 60_000.0;
/// A request's own retries: 0.5 s, 1 s, 2 s, … up to 8 s.
pub const RETRY_BASE_MS: u32 = 500;
/// The longest wait between a request's retries.
pub const RETRY_CAP_MS: u32 = 8_000;

/// `base · 2^attempt`, capped, less up to 25 % jitter (`random` in [0, 1)) so clients don't retry in step.
pub fn backoff(base_ms: u32, attempt: u32, cap_ms: u32, random: f64) -> u32 {
    let exp = f64::from(base_ms) * 2f64.powi(attempt.min(30) as i32);
    (exp.min(f64::from(cap_ms)) * (1.0 - 0.25 * random.clamp(0.0, 1.0))) as u32
}

/// Whether a failure may be tried again at all, given what trying again could cost.
pub fn retryable(safety: Safety, failure: Failure, hints: Hints<'_>) -> bool {
    match hints.should_retry.map(str::trim) {
        Some("true") => return true,
        Some("false") => return false,
        _ => {}
    }
    match (safety, failure) {
        (Safety::Idempotent, Failure::Connection { .. } | Failure::Timeout | Failure::BrokenBody) => true,
        (Safety::Idempotent, Failure::Status(s)) => matches!(s, 408 | 409 | 429) || s >= 500,
        (Safety::Idempotent, Failure::Unreadable) => false,
        // Nothing left the client, or the server said "not now" before doing anything.
        (Safety::Creates, Failure::Connection { refused: true }) => true,
        (Safety::Creates, Failure::Status(429)) => true,
        (Safety::Creates, Failure::Status(503)) => {
            hints.retry_after.is_some() || hints.retry_after_ms.is_some() || hints.body_delay_ms.is_some()
        }
        (Safety::Creates, _) => false,
    }
}

/// What a failed create may have left behind.
pub fn ambiguity(failure: Failure, hints: Hints<'_>) -> Ambiguity {
    if retryable(Safety::Creates, failure, hints) {
        return Ambiguity::None;
    }
    match failure {
        Failure::Unreadable | Failure::BrokenBody => Ambiguity::Created,
        Failure::Status(500) => Ambiguity::Settled,
        Failure::Status(502..=504) | Failure::Connection { .. } | Failure::Timeout => Ambiguity::InFlight,
        Failure::Status(_) => Ambiguity::None,
    }
}

/// The delay before retry number `retries_done + 1`, or `None` to give up. `now_ms` is the unix
/// time in ms (for an HTTP-date `Retry-After`); `random` is uniform in [0, 1).
pub fn next_delay(
    max_retries: u32,
    retries_done: u32,
    safety: Safety,
    failure: Failure,
    hints: Hints<'_>,
    now_ms: f64,
    random: f64,
) -> Option<u32> {
    if retries_done >= max_retries || !retryable(safety, failure, hints) {
        return None;
    }
    let ms = server_delay(hints, now_ms)
        .unwrap_or_else(|| f64::from(backoff(RETRY_BASE_MS, retries_done, RETRY_CAP_MS, random)));
    Some(ms.clamp(0.0, MAX_SERVER_DELAY_MS) as u32)
}

/// A failure worth trying again later (a poll, a watch cycle): the network, a timeout, a rate
/// limit, a server error: the same failures a read retries.
pub fn transient(error: &Error) -> bool {
    match error.kind {
        ErrorKind::Connection | ErrorKind::Timeout => true,
        ErrorKind::Api => error.status.is_some_and(|s| matches!(s, 408 | 409 | 429) || s >= 500),
        _ => false,
    }
}

/// `retry-after-ms`, then `retry-after` (seconds or HTTP date), when within 0..=60 s.
fn server_delay(hints: Hints<'_>, now_ms: f64) -> Option<f64> {
    let sane = |ms: f64| (ms.is_finite() && (0.0..=MAX_SERVER_DELAY_MS).contains(&ms)).then_some(ms);
    if let Some(ms) = hints.retry_after_ms.and_then(|v| json::parse_f64(v.trim())).and_then(sane) {
        return Some(ms);
    }
    let Some(after) = hints.retry_after.map(str::trim) else {
        return hints.body_delay_ms.and_then(sane);
    };
    if let Some(secs) = json::parse_f64(after) {
        return sane(secs * 1000.0);
    }
    let at = time::parse_http_date(after)? as f64 * 1000.0;
    sane((at - now_ms).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: f64 = 1_710_000_000_000.0;

    fn delay(safety: Safety, failure: Failure, hints: Hints<'_>) -> Option<u32> {
        next_delay(2, 0, safety, failure, hints, NOW, 0.0)
    }

    #[test]
    fn which_failures_are_retried() {
        use Failure::*;
        let none = Hints::default();
        let reads = [
            Connection { refused: false },
            Timeout,
            BrokenBody,
            Status(408),
            Status(409),
            Status(429),
            Status(500),
            Status(502),
            Status(503),
            Status(504),
        ];
        for f in reads {
            assert!(delay(Safety::Idempotent, f, none).is_some(), "{f:?}");
        }
        for f in [Status(400), Status(401), Status(403), Status(404), Status(422), Unreadable] {
            assert!(delay(Safety::Idempotent, f, none).is_none(), "{f:?}");
        }
        for f in [
            Connection { refused: false },
            Timeout,
            Status(500),
            Status(502),
            Status(503),
            Status(409),
            Status(408),
            BrokenBody,
            Unreadable,
        ] {
            assert!(delay(Safety::Creates, f, none).is_none(), "create must not repeat after {f:?}");
        }
        assert!(delay(Safety::Creates, Status(429), none).is_some());
        assert!(delay(Safety::Creates, Connection { refused: true }, none).is_some(), "nothing was sent");
        let wait = Hints { retry_after: Some("1"), ..none };
        assert!(delay(Safety::Creates, Status(503), wait).is_some());
    }

    #[test]
    fn what_a_failed_create_may_have_left() {
        use Ambiguity as A;
        use Failure::*;
        let none = Hints::default();
        let table = [
            (Status(429), none, A::None),
            (Status(400), none, A::None),
            (Connection { refused: true }, none, A::None),
            (Unreadable, none, A::Created),
            (BrokenBody, none, A::Created),
            (Status(500), none, A::Settled),
            (Status(502), none, A::InFlight),
            (Status(503), none, A::InFlight),
            (Status(504), none, A::InFlight),
            (Timeout, none, A::InFlight),
            (Connection { refused: false }, none, A::InFlight),
            (Status(500), Hints { should_retry: Some("true"), ..none }, A::None),
            (Status(503), Hints { retry_after_ms: Some("10"), ..none }, A::None),
        ];
        for (failure, hints, want) in table {
            assert_eq!(ambiguity(failure, hints), want, "{failure:?} {hints:?}");
        }
    }

    #[test]
    fn x_should_retry_overrides() {
        let yes = Hints { should_retry: Some("true"), ..Hints::default() };
        let no = Hints { should_retry: Some("false"), ..Hints::default() };
        assert!(delay(Safety::Idempotent, Failure::Status(400), yes).is_some());
        assert!(delay(Safety::Idempotent, Failure::Status(500), no).is_none());
    }

    #[test]
    fn retries_stop_at_the_limit() {
        let f = Failure::Status(500);
        assert!(next_delay(2, 1, Safety::Idempotent, f, Hints::default(), NOW, 0.0).is_some());
        assert!(next_delay(2, 2, Safety::Idempotent, f, Hints::default(), NOW, 0.0).is_none());
        assert!(next_delay(0, 0, Safety::Idempotent, f, Hints::default(), NOW, 0.0).is_none());
    }

    #[test]
    fn server_delays_are_honoured_when_sane() {
        let d = |h: Hints<'_>| delay(Safety::Idempotent, Failure::Status(429), h);
        assert_eq!(d(Hints { retry_after_ms: Some("1500"), retry_after: Some("9"), ..Hints::default() }), Some(1500));
        assert_eq!(d(Hints { retry_after: Some("2"), ..Hints::default() }), Some(2000));
        assert_eq!(d(Hints { retry_after: Some("Sat, 09 Mar 2024 16:00:03 GMT"), ..Hints::default() }), Some(3000));
        assert_eq!(d(Hints { retry_after: Some("Sat, 09 Mar 2024 15:00:00 GMT"), ..Hints::default() }), Some(0));
        assert_eq!(d(Hints { retry_after: Some("3600"), ..Hints::default() }), Some(500));
        assert_eq!(d(Hints { retry_after_ms: Some("-5"), ..Hints::default() }), Some(500));
        assert_eq!(d(Hints { retry_after: Some("soon"), ..Hints::default() }), Some(500));
        // Google's RetryInfo in the error body, after the headers.
        assert_eq!(d(Hints { body_delay_ms: Some(42.0), ..Hints::default() }), Some(42));
        assert_eq!(d(Hints { retry_after: Some("1"), body_delay_ms: Some(42.0), ..Hints::default() }), Some(1000));
        let body = br#"{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure"},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"57.25s"}]}}"#;
        assert_eq!(crate::core::http::retry_info_ms(body), Some(57_250.0));
        assert_eq!(crate::core::http::retry_info_ms(br#"{"error":{"details":[{"retryDelay":"soon"}]}}"#), None);
    }

    #[test]
    fn backoff_grows_caps_and_jitters() {
        assert_eq!(backoff(500, 0, 8_000, 0.0), 500);
        assert_eq!(backoff(500, 1, 8_000, 0.0), 1000);
        assert_eq!(backoff(500, 4, 8_000, 0.0), 8000);
        assert_eq!(backoff(500, 99, 8_000, 0.0), 8000);
        assert_eq!(backoff(500, 0, 8_000, 0.999_999), 375);
        assert_eq!(backoff(30_000, 10, 300_000, 0.0), 300_000);
    }

    #[test]
    fn transient_errors() {
        let api = |s| Error::new(ErrorKind::Api, "x").with_status(s);
        for e in [
            Error::new(ErrorKind::Connection, "x"),
            Error::new(ErrorKind::Timeout, "x"),
            api(429),
            api(500),
            api(503),
            api(408),
        ] {
            assert!(transient(&e), "{e:?}");
        }
        for e in [
            api(400),
            api(401),
            api(404),
            Error::invalid_response("x"),
            Error::invalid_argument("x"),
            Error::new(ErrorKind::Aborted, "x"),
        ] {
            assert!(!transient(&e), "{e:?}");
        }
    }
}
