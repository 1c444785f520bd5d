//! When to try again, and how long to wait first.

use super::time;

/// How an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No answer at all.
    Connection,
    /// The attempt's timeout fired.
    Timeout,
    /// An answer with this (non-2xx) status.
    Status(u16),
}

/// What a retry could cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safety {
    /// Reads and cancels: repeating them is harmless.
    Idempotent,
    /// Creates a paid object: repeat only when the answer proves nothing was created.
    Creates,
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
}

/// A server's wait longer than this is ignored in favour of our own backoff.
const MAX_SERVER_DELAY_MS: f64 = 60_000.0;
const INITIAL_DELAY_MS: f64 = 500.0;
const MAX_DELAY_MS: f64 = 8_000.0;

/// The delay before retry number `retries_done + 1`, or `None` to give up.
/// `now_ms` is the current unix time in ms; `random` is uniform in [0, 1) (for jitter).
pub fn next_delay(
    max_retries: u32,
    retries_done: u32,
    safety: Safety,
    failure: Failure,
    hints: Hints<'_>,
    now_ms: f64,
    random: f64,
) -> Option<u32> {
    if retries_done >= max_retries || !should_retry(safety, failure, hints) {
        return None;
    }
    let server = server_delay(hints, now_ms);
    let ms = server.unwrap_or_else(|| backoff(retries_done, random));
    Some(ms.clamp(0.0, MAX_SERVER_DELAY_MS) as u32)
}

fn should_retry(safety: Safety, failure: Failure, hints: Hints<'_>) -> bool {
    match hints.should_retry.map(str::trim) {
        Some("true") => return true,
        Some("false") => return false,
        _ => {}
    }
    match (safety, failure) {
        (Safety::Idempotent, Failure::Connection | Failure::Timeout) => true,
        (Safety::Idempotent, Failure::Status(s)) => matches!(s, 408 | 409 | 429) || s >= 500,
        // The server said "not now" before doing anything.
        (Safety::Creates, Failure::Status(429)) => true,
        (Safety::Creates, Failure::Status(503)) => hints.retry_after.is_some() || hints.retry_after_ms.is_some(),
        (Safety::Creates, _) => false,
    }
}

/// `retry-after-ms`, then `retry-after` (seconds or HTTP date), when within 0..=60 s.
fn server_delay(hints: Hints<'_>, now_ms: f64) -> Option<f64> {
    let sane = |ms: f64| (ms.is_finite() && (0.0..=MAX_SERVER_DELAY_MS).contains(&ms)).then_some(ms);
    if let Some(ms) = hints.retry_after_ms.and_then(|v| v.trim().parse::<f64>().ok()).and_then(sane) {
        return Some(ms);
    }
    let after = hints.retry_after?.trim();
    if let Ok(secs) = after.parse::<f64>() {
        return sane(secs * 1000.0);
    }
    let at = time::parse_http_date(after)? as f64 * 1000.0;
    sane((at - now_ms).max(0.0))
}

/// 0.5 s, 1 s, 2 s, ... capped at 8 s, less up to 25 % jitter so clients don't retry in step.
fn backoff(retries_done: u32, random: f64) -> f64 {
    let exp = INITIAL_DELAY_MS * 2f64.powi(retries_done.min(16) as i32);
    exp.min(MAX_DELAY_MS) * (1.0 - 0.25 * random.clamp(0.0, 1.0))
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
        for f in [
            Connection,
            Timeout,
            Status(408),
            Status(409),
            Status(429),
            Status(500),
            Status(502),
            Status(503),
            Status(504),
        ] {
            assert!(delay(Safety::Idempotent, f, none).is_some(), "{f:?}");
        }
        for f in [Status(400), Status(401), Status(403), Status(404), Status(422)] {
            assert!(delay(Safety::Idempotent, f, none).is_none(), "{f:?}");
        }
        for f in [Connection, Timeout, Status(500), Status(502), Status(503), Status(409), Status(408)] {
            assert!(delay(Safety::Creates, f, none).is_none(), "create must not repeat after {f:?}");
        }
        assert!(delay(Safety::Creates, Status(429), none).is_some());
        let wait = Hints { retry_after: Some("1"), ..none };
        assert!(delay(Safety::Creates, Status(503), wait).is_some());
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
        let f = Failure::Status(429);
        let d = |h: Hints<'_>| delay(Safety::Idempotent, f, h);
        assert_eq!(d(Hints { retry_after_ms: Some("1500"), retry_after: Some("9"), ..Hints::default() }), Some(1500));
        assert_eq!(d(Hints { retry_after: Some("2"), ..Hints::default() }), Some(2000));
        assert_eq!(d(Hints { retry_after: Some("Sat, 09 Mar 2024 16:00:03 GMT"), ..Hints::default() }), Some(3000));
        assert_eq!(d(Hints { retry_after: Some("Sat, 09 Mar 2024 15:00:00 GMT"), ..Hints::default() }), Some(0));
        // Absurd or unreadable waits fall back to our own backoff.
        assert_eq!(d(Hints { retry_after: Some("3600"), ..Hints::default() }), Some(500));
        assert_eq!(d(Hints { retry_after_ms: Some("-5"), ..Hints::default() }), Some(500));
        assert_eq!(d(Hints { retry_after: Some("soon"), ..Hints::default() }), Some(500));
    }

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let at = |n: u32, r: f64| next_delay(20, n, Safety::Idempotent, Failure::Connection, Hints::default(), NOW, r);
        assert_eq!(at(0, 0.0), Some(500));
        assert_eq!(at(1, 0.0), Some(1000));
        assert_eq!(at(3, 0.0), Some(4000));
        assert_eq!(at(4, 0.0), Some(8000));
        assert_eq!(at(19, 0.0), Some(8000));
        assert_eq!(at(0, 0.999_999), Some(375));
    }
}
