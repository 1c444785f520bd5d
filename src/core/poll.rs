//! Polling policy for `waitFor`: how long to sleep between polls.

/// A server's requested poll delay longer than this (10 minutes) is ignored.
const MAX_SERVER_DELAY_MS: f64 = 600_000.0;

/// The sleep before the next poll: the server's `openai-poll-after-ms` when it is a sane positive
/// number, else the caller's interval. Never zero, so polling never becomes a busy loop.
pub fn poll_delay(interval_ms: u32, poll_after_ms: Option<&str>) -> u32 {
    let server = poll_after_ms
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|ms| ms.is_finite() && *ms >= 1.0 && *ms <= MAX_SERVER_DELAY_MS);
    match server {
        Some(ms) => ms.round() as u32,
        None => interval_ms.max(1),
    }
}

/// How many polls in a row may fail (each after its own retries) before `waitFor` gives up.
pub const MAX_FAILED_POLLS: u32 = 5;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_delay_wins_when_sane() {
        assert_eq!(poll_delay(30_000, None), 30_000);
        assert_eq!(poll_delay(30_000, Some("1500")), 1500);
        assert_eq!(poll_delay(30_000, Some(" 2500.4 ")), 2500);
        for bad in ["0", "-1", "abc", "NaN", "9999999", ""] {
            assert_eq!(poll_delay(30_000, Some(bad)), 30_000, "{bad}");
        }
        assert_eq!(poll_delay(0, None), 1, "never a busy loop");
    }
}
