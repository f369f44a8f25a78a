//! Looker value formats (`value_format`), the Excel-like patterns the model uses: `$#,##0.00`, `#,##0`, `0.0`,
//! `0.0%`.

use serde_json::Value;

use crate::model::Field;

/// The rendered text of a value, when its field has a value format and the value is a number.
pub fn rendered(field: &Field, value: &Value) -> Option<String> {
    let format = field.value_format?;
    let number = value.as_f64()?;
    Some(apply(format, number))
}

/// Applies an Excel-style number pattern: an optional literal prefix (`$`), `#,##0` grouping, a number of decimals
/// given by the zeros after `.`, and a trailing `%` that multiplies by 100.
pub fn apply(format: &str, number: f64) -> String {
    let percent = format.ends_with('%');
    let body = format.trim_end_matches('%');
    let prefix: String = body
        .chars()
        .take_while(|c| !matches!(c, '#' | '0' | ',' | '.'))
        .collect();
    let pattern = &body[prefix.len()..];
    let decimals = pattern
        .split_once('.')
        .map(|(_, d)| d.chars().filter(|c| *c == '0').count())
        .unwrap_or(0);
    let grouped = pattern.contains(',');
    let scaled = if percent { number * 100.0 } else { number };
    let digits = format!("{:.*}", decimals, scaled.abs());
    let (int_part, frac_part) = digits
        .split_once('.')
        .map_or((digits.as_str(), None), |(i, f)| (i, Some(f)));
    let int_part = if grouped {
        group_thousands(int_part)
    } else {
        int_part.to_owned()
    };
    let sign = if scaled < 0.0 && digits.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    let frac = frac_part.map(|f| format!(".{f}")).unwrap_or_default();
    format!(
        "{sign}{prefix}{int_part}{frac}{}",
        if percent { "%" } else { "" }
    )
}

fn group_thousands(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn patterns() {
        assert_eq!(apply("$#,##0.00", 1234567.891), "$1,234,567.89");
        assert_eq!(apply("$#,##0.00", -5.5), "-$5.50");
        assert_eq!(apply("#,##0", 999.6), "1,000");
        assert_eq!(apply("0.0", 41.26), "41.3");
        assert_eq!(apply("0.0%", 0.4567), "45.7%");
        assert_eq!(apply("#,##0", 12.0), "12");
    }
}
