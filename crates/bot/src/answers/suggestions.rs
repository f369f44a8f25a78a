//! "Did you mean …?": when a filter value matches nothing, the field's known values closest to it, from Looker's
//! suggestions for the field.

use looker::LookerClient;

/// How alike a known value must be to be offered (normalized Damerau–Levenshtein, 1 = same).
const MIN_LIKENESS: f64 = 0.6;
/// Most values offered.
const MOST: usize = 3;

/// What Looker's suggestions say about a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The value is one of the field's known values (no rows for another reason), or Looker knows none.
    Known,
    /// Not a known value: the closest known ones, best first (maybe none).
    Unknown(Vec<String>),
}

/// Compares `value` with the field's known values, case-insensitively.
pub fn judge(value: &str, known: &[String]) -> Verdict {
    let value = value.trim().to_lowercase();
    if known.is_empty() || known.iter().any(|k| k.to_lowercase() == value) {
        return Verdict::Known;
    }
    let mut scored: Vec<(f64, &String)> = known
        .iter()
        .map(|k| (strsim::normalized_damerau_levenshtein(&value, &k.to_lowercase()), k))
        .filter(|(score, _)| *score >= MIN_LIKENESS)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    Verdict::Unknown(scored.into_iter().take(MOST).map(|(_, k)| k.clone()).collect())
}

/// The closest known values of `field` (of `model`'s `explore`) to `value`, when it is not one of them. Looker
/// failing to suggest is no reason to fail the reply: it counts as knowing nothing.
pub async fn closest(client: &LookerClient, model: &str, explore: &str, field: &str, value: &str) -> Vec<String> {
    let known = match client.field_suggestions(model, explore, field).await {
        Ok(suggestions) if suggestions.error.is_none() => suggestions.suggestions,
        Ok(_) => Vec::new(),
        Err(e) => {
            tracing::debug!(error = %e, field, "no suggestions");
            Vec::new()
        }
    };
    match judge(value, &known) {
        Verdict::Known => Vec::new(),
        Verdict::Unknown(closest) => closest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn states() -> Vec<String> {
        ["California", "New York", "Texas", "Florida", "Oregon", "Ohio"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn a_typo_gets_the_closest_known_values() {
        assert_eq!(
            judge("Califronia", &states()),
            Verdict::Unknown(vec!["California".into()])
        );
        assert_eq!(judge("new yrok", &states()), Verdict::Unknown(vec!["New York".into()]));
    }

    #[test]
    fn known_values_and_unknown_fields_are_not_questioned() {
        assert_eq!(judge("california", &states()), Verdict::Known);
        assert_eq!(judge("Anything", &[]), Verdict::Known);
    }

    #[test]
    fn nothing_close_offers_nothing() {
        assert_eq!(judge("Atlantis", &states()), Verdict::Unknown(vec![]));
    }
}
