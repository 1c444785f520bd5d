//! `submitAll`: a job larger than one batch, checked once, split into as few batches as the
//! provider's limits allow (requests per batch, bytes per file; the caller may lower both), in
//! order, and submitted one after another, each with `submit`'s and `create`'s guarantees. A
//! failure part-way rejects with the batches already made in `err.batches`.

use super::submit::{invalid, Plan, Submit};
use super::{Action, Env, Event, Op, Text};
use crate::core::error::{Error, Result};
use crate::core::json::{Json, Kind, Out};
use crate::core::providers::Cx;
use crate::core::validate::{provider_lines, validate_with};

/// What an inline create adds to its requests' bytes (the wrapper and the commas), kept in hand.
const INLINE_OVERHEAD: u64 = 16 * 1024;

/// `submitAll` in progress.
#[derive(Debug)]
pub struct SubmitAll {
    /// Each part: its lines (in the provider's format) and its create parameters.
    parts: std::collections::VecDeque<Submit>,
    total: usize,
    current: Option<Submit>,
    made: Out,
    count: usize,
}

/// The caller's lower limit under `key`, if any: a whole number of at least 1.
fn lower(options: Option<Json<'_>>, key: &str) -> Result<Option<u64>> {
    match options.and_then(|o| o.get(key)).filter(|v| !v.is_null()) {
        None => Ok(None),
        Some(v) => match v.as_number().and_then(|n| n.as_u64()) {
            Some(n) if n >= 1 => Ok(Some(n)),
            _ => Err(Error::invalid_argument(format!("`{key}` must be a whole number of at least 1"))),
        },
    }
}

/// Cuts `lines` (JSONL, one request a line, each ending in `\n`) into parts of at most
/// `max_requests` lines and `max_bytes` bytes, in order.
pub fn split(lines: &[u8], max_requests: u64, max_bytes: u64) -> Result<Vec<Vec<u8>>> {
    let mut parts = Vec::new();
    let mut part: Vec<u8> = Vec::new();
    let mut count = 0u64;
    for (i, line) in lines.split_inclusive(|&b| b == b'\n').enumerate() {
        let size = line.len() as u64;
        if size > max_bytes {
            return Err(Error::invalid_argument(format!(
                "request {} is {size} bytes, more than the {max_bytes} bytes one batch may hold",
                i + 1
            )));
        }
        if count > 0 && (count + 1 > max_requests || part.len() as u64 + size > max_bytes) {
            parts.push(std::mem::take(&mut part));
            count = 0;
        }
        part.extend_from_slice(line);
        count += 1;
    }
    if !part.is_empty() {
        parts.push(part);
    }
    Ok(parts)
}

impl SubmitAll {
    /// Checks `requests` once (every problem with its line, nothing sent) and plans the parts.
    pub fn new(cx: &Cx<'_>, requests: &[u8], options: &[u8]) -> Result<Self> {
        let plan = Plan::read(requests, options)?;
        let report = validate_with(requests, &plan.endpoint, cx.provider, false);
        if !report.ok() {
            return Err(invalid(&report));
        }
        let limits = cx.provider.limits;
        let inline = !cx.api().uses_files();
        let max_requests = lower(plan.options, "maxRequests")?;
        let max_bytes = lower(plan.options, "maxBytes")?;
        let max_requests = match (limits.max_requests.map(u64::from), max_requests) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b).unwrap_or(u64::MAX),
        };
        let provider_bytes = limits.max_bytes.map(|b| if inline { b.saturating_sub(INLINE_OVERHEAD) } else { b });
        let max_bytes = match (provider_bytes, max_bytes) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b).unwrap_or(u64::MAX),
        };
        let lines = provider_lines(requests, cx.provider.lines);
        let parts = split(&lines, max_requests, max_bytes)?;
        let n = parts.len();
        let stem = plan.filename.strip_suffix(".jsonl").unwrap_or(&plan.filename).to_owned();
        let parts = parts
            .into_iter()
            .enumerate()
            .map(|(i, part)| {
                let (filename, label) = if n > 1 {
                    (format!("{stem}.part{}of{n}.jsonl", i + 1), Some((i + 1, n)))
                } else {
                    (plan.filename.clone(), None)
                };
                Submit::prepared(part, filename, plan.params(cx, label))
            })
            .collect();
        let mut made = Out::default();
        made.byte(b'[');
        Ok(SubmitAll { parts, total: n, current: None, made, count: 0 })
    }

    fn made(&self) -> String {
        let mut text = self.made.as_bytes().to_vec();
        text.push(b']');
        String::from_utf8(text).unwrap_or_default()
    }

    fn next(&mut self, env: &Env<'_>) -> Action {
        match self.parts.pop_front() {
            None => {
                let mut made = std::mem::take(&mut self.made);
                made.byte(b']');
                Action::Done(Ok(Some(Text::from(made))))
            }
            Some(mut submit) => {
                let action = submit.step(env, Event::Start);
                self.current = Some(submit);
                self.on(env, action)
            }
        }
    }

    /// What the current part asked for: passed on, unless it finished.
    fn on(&mut self, env: &Env<'_>, action: Action) -> Action {
        match action {
            Action::Done(Ok(Some(batch))) => {
                if self.count > 0 {
                    self.made.byte(b',');
                }
                match batch.json() {
                    Some(json) if json.kind() == Kind::Object => self.made.raw(json),
                    _ => self.made.null(),
                }
                self.count += 1;
                self.current = None;
                self.next(env)
            }
            Action::Done(Ok(None)) => {
                Action::Done(Err(Error::invalid_response("a part was submitted but no batch came back")))
            }
            Action::Done(Err(mut error)) => {
                self.current = None;
                if self.total > 1 {
                    error = error.with_note(&format!(
                        " (part {} of {}; {} batch{} made before it, in err.batches)",
                        self.count + 1,
                        self.total,
                        self.count,
                        if self.count == 1 { " was" } else { "es were" }
                    ));
                }
                error.details = Some(Box::new(("batches", self.made())));
                Action::Done(Err(error))
            }
            other => other,
        }
    }
}

impl Op for SubmitAll {
    fn step(&mut self, env: &Env<'_>, event: Event) -> Action {
        match (self.current.as_mut(), event) {
            (None, Event::Start) => self.next(env),
            (Some(submit), event) => {
                let action = submit.step(env, event);
                self.on(env, action)
            }
            (None, _) => Action::Done(Err(Error::invalid_argument("this submitAll has finished"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_respect_both_limits_in_order() {
        let lines = b"aaaa\nbb\ncccccc\nd\ne\n";
        let cut = |r, b| {
            split(lines, r, b).unwrap().iter().map(|p| String::from_utf8(p.clone()).unwrap()).collect::<Vec<_>>()
        };
        assert_eq!(cut(2, 100), ["aaaa\nbb\n", "cccccc\nd\n", "e\n"]);
        assert_eq!(cut(10, 9), ["aaaa\nbb\n", "cccccc\nd\n", "e\n"]);
        assert_eq!(cut(10, 100), ["aaaa\nbb\ncccccc\nd\ne\n"]);
        assert!(split(lines, 10, 5).is_err(), "a request larger than a batch");
        assert!(split(b"", 1, 1).unwrap().is_empty());
    }
}
