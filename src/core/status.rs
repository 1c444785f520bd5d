//! Batch statuses: the eight OpenAI names, and every provider spelling we know of them.

/// The statuses after which a batch never changes again.
pub const TERMINAL: [&str; 4] = ["completed", "failed", "expired", "cancelled"];

/// Maps a provider's status spelling onto the OpenAI name, or `None` when we don't recognise it
/// (the caller keeps the original then: an unknown status is data, not an error).
///
/// Case, surrounding blanks, `-`/`_`/space separators and the US/UK spelling of cancel are
/// ignored: `PROGRESS`, `IN_PROGRESS`, `In Progress`, `running` -> `in_progress`.
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
        "validating" => "validating",
        "inprogress" | "progress" | "running" | "processing" => "in_progress",
        "finalizing" | "finalising" => "finalizing",
        "completed" | "complete" | "succeeded" => "completed",
        "failed" => "failed",
        "expired" => "expired",
        "cancelling" | "canceling" => "cancelling",
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
            ("queued", None),
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
