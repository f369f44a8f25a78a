//! Time spent inside the Looker sandbox and the Slack simulator, from the spans their handlers record.

use std::time::{Duration, Instant};

/// A handler's time, from either stand-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub name: String,
    pub start: Instant,
    pub end: Instant,
}

impl From<looker_sandbox::HandlerSpan> for Span {
    fn from(s: looker_sandbox::HandlerSpan) -> Self {
        Span {
            name: s.name,
            start: s.start,
            end: s.end,
        }
    }
}

impl From<slack_sim::HandlerSpan> for Span {
    fn from(s: slack_sim::HandlerSpan) -> Self {
        Span {
            name: s.name,
            start: s.start,
            end: s.end,
        }
    }
}

/// How much of `[from, to]` at least one span covers: calls running side by side count once.
pub fn covered(spans: &[Span], from: Instant, to: Instant) -> Duration {
    let mut clipped: Vec<(Instant, Instant)> = spans
        .iter()
        .map(|s| (s.start.max(from), s.end.min(to)))
        .filter(|(start, end)| start < end)
        .collect();
    clipped.sort();
    let mut total = Duration::ZERO;
    let mut current: Option<(Instant, Instant)> = None;
    for (start, end) in clipped {
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some((s, e)) => {
                total += e - s;
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some((s, e)) = current {
        total += e - s;
    }
    total
}

/// `name ×count` for each distinct name, in order of first appearance: what a reply called.
pub fn tally(spans: &[Span]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for span in spans {
        match counts.iter_mut().find(|(name, _)| *name == span.name) {
            Some((_, n)) => *n += 1,
            None => counts.push((&span.name, 1)),
        }
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(name, n)| {
            if *n == 1 {
                name.to_string()
            } else {
                format!("{name} ×{n}")
            }
        })
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(t0: Instant, from_ms: u64, to_ms: u64) -> Span {
        Span {
            name: "x".into(),
            start: t0 + Duration::from_millis(from_ms),
            end: t0 + Duration::from_millis(to_ms),
        }
    }

    #[test]
    fn overlapping_spans_count_once_and_are_clipped_to_the_window() {
        let t0 = Instant::now();
        let spans = [span(t0, 0, 10), span(t0, 5, 15), span(t0, 20, 30), span(t0, 40, 60)];
        let covered = covered(&spans, t0 + Duration::from_millis(2), t0 + Duration::from_millis(50));
        assert_eq!(covered, Duration::from_millis(13 + 10 + 10));
    }

    #[test]
    fn tally_counts_names_in_order() {
        let t0 = Instant::now();
        let mut spans = vec![span(t0, 0, 1), span(t0, 1, 2)];
        spans.push(Span {
            name: "look".into(),
            ..span(t0, 2, 3)
        });
        assert_eq!(tally(&spans), "x ×2, look");
        assert_eq!(tally(&[]), "none");
    }
}
