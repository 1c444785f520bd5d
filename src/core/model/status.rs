//! Batch statuses: the eight OpenAI names, and every provider spelling we know of them.
//!
//! One table for every provider: a spelling means the same wherever it comes from (Mistral's
//! `QUEUED`, SiliconFlow's `in_queue`, Together's `IN_PROGRESS`, PPInfra's `PROGRESS`, Mistral's
//! `TIMEOUT_EXCEEDED`). States that need more than the spelling (Anthropic's `ended`) are mapped
//! by their provider's module.

/// The eight statuses, in the order of a batch's life (then the ends).
pub const STATUSES: [&str; 8] =
    ["validating", "in_progress", "finalizing", "completed", "failed", "expired", "cancelling", "cancelled"];

/// The statuses after which a batch never changes again.
pub const TERMINAL: [&str; 4] = ["completed", "failed", "expired", "cancelled"];

/// Maps a provider's status spelling onto the OpenAI name, or `None` when we don't recognise it
/// (the caller keeps the original then: an unknown status is data, not an error).
///
/// Case, surrounding blanks, `-`/`_`/space separators and the US/UK spelling of cancel are
/// ignored: `PROGRESS`, `IN_PROGRESS`, `In Progress`, `running` -> `in_progress`. Only ASCII is
/// looked at (no Unicode case tables in the wasm).
pub fn normalize(raw: &str) -> Option<&'static str> {
    let mut key = String::with_capacity(raw.len());
    for c in raw.trim().chars() {
        if c.is_ascii_alphabetic() {
            key.push(c.to_ascii_lowercase());
        } else if !matches!(c, '_' | '-' | ' ') {
            return None;
        }
    }
    Some(match key.as_str() {
        "validating" | "queued" | "inqueue" | "pending" => "validating",
        "inprogress" | "progress" | "running" | "processing" => "in_progress",
        "finalizing" | "finalising" => "finalizing",
        "completed" | "complete" | "succeeded" | "success" => "completed",
        "failed" => "failed",
        "expired" | "timeoutexceeded" => "expired",
        "cancelling" | "canceling" | "cancellationrequested" => "cancelling",
        "cancelled" | "canceled" => "cancelled",
        _ => return None,
    })
}

/// Whether `status` (any spelling) is terminal.
pub fn is_terminal(status: &str) -> bool {
    normalize(status).is_some_and(|s| TERMINAL.contains(&s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_maps() {
        let table: &[(&str, Option<&str>)] = &[
            ("validating", Some("validating")),
            ("VALIDATING", Some("validating")),
            ("in_progress", Some("in_progress")),
            ("PROGRESS", Some("in_progress")),
            ("IN_PROGRESS", Some("in_progress")),
            ("In Progress", Some("in_progress")),
            ("in-progress", Some("in_progress")),
            ("InProgress", Some("in_progress")),
            ("running", Some("in_progress")),
            ("FINALIZING", Some("finalizing")),
            ("finalising", Some("finalizing")),
            ("COMPLETED", Some("completed")),
            ("Completed", Some("completed")),
            ("succeeded", Some("completed")),
            ("FAILED", Some("failed")),
            ("EXPIRED", Some("expired")),
            ("CANCELLING", Some("cancelling")),
            ("CANCELING", Some("cancelling")),
            ("canceling", Some("cancelling")),
            ("CANCELLED", Some("cancelled")),
            ("canceled", Some("cancelled")),
            ("Canceled", Some("cancelled")),
            (" completed ", Some("completed")),
            ("paused", None),
            ("queued", Some("validating")),
            ("QUEUED", Some("validating")),
            ("in_queue", Some("validating")),
            ("SUCCESS", Some("completed")),
            ("TIMEOUT_EXCEEDED", Some("expired")),
            ("CANCELLATION_REQUESTED", Some("cancelling")),
            ("done", None),
            ("", None),
            ("in_progress!", None),
            ("完成", None),
        ];
        for (raw, want) in table {
            assert_eq!(normalize(raw), *want, "{raw:?}");
        }
    }

    #[test]
    fn terminal_statuses() {
        for s in ["completed", "FAILED", "expired", "canceled", "CANCELLED"] {
            assert!(is_terminal(s), "{s}");
        }
        for s in ["validating", "PROGRESS", "finalizing", "cancelling", "paused", ""] {
            assert!(!is_terminal(s), "{s}");
        }
    }
}
