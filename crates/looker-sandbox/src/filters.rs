//! Looker filter expressions (what people type in a filter box) turned into SQL conditions.
//!
//! Grammar, as Looker documents it for each field type:
//! - strings: comma lists of values, `-` negation (which keeps NULLs, as Looker does), `%` wildcards, `NULL`,
//!   `-NULL`, `EMPTY`, `-EMPTY`; `^,` is a literal comma.
//! - numbers: `5`, `=5`, `>10`, `<=5`, `NOT 5`, `!=5`, `[1,10]`, `(1,10)`, `1 to 10` (inclusive), `>1 AND <9`,
//!   `NULL`, `NOT NULL`; comma lists are ORed, negations ANDed.
//! - dates: `today`, `yesterday`, `N days|weeks|months|quarters|years` (the last N periods including the current one,
//!   same as `last N ...`), `this month`, `last month`, `next week`, `N months ago`, `N months ago for M months`,
//!   `2024`, `2024-01`, `2024-01-01`, `A to B` (B excluded), `after A`, `before A`, `NULL`, `NOT NULL`.
//! - yesno: `Yes`, `No`.
//!
//! An expression that does not parse is an error the caller shows as a query error.

use chrono::{Datelike, Duration, Months, NaiveDate};

use crate::model::{Field, Kind};

/// Builds the SQL condition for `expression` on `field`; `Ok(None)` for an empty expression (no filter).
pub fn condition(field: &Field, expression: &str, today: NaiveDate) -> Result<Option<String>, String> {
    if expression.trim().is_empty() {
        return Ok(None);
    }
    let sql = field.filter_sql();
    let cond = match field.kind {
        _ if field.measure => number(sql, expression),
        Kind::String => Ok(string(sql, expression)),
        Kind::Number => number(sql, expression),
        Kind::Date(_) => date(sql, expression, today),
        Kind::YesNo => yesno(sql, expression),
    };
    cond.map(Some)
        .map_err(|why| format!("Invalid filter '{expression}' on {}: {why}", field.name))
}

/// A SQL string literal.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// ORs the positive terms and ANDs the negative ones, as Looker combines comma lists.
fn combine(positive: Vec<String>, negative: Vec<String>) -> String {
    let mut parts = Vec::new();
    if !positive.is_empty() {
        parts.push(format!("({})", positive.join(" OR ")));
    }
    parts.extend(negative);
    format!("({})", parts.join(" AND "))
}

fn string(sql: &str, expression: &str) -> String {
    let (mut positive, mut negative) = (Vec::new(), Vec::new());
    for term in split_string_terms(expression) {
        let (negated, value) = match term.strip_prefix('-') {
            Some(rest) => (true, rest.to_owned()),
            None => (false, term),
        };
        let cond = match value.as_str() {
            "NULL" if negated => format!("{sql} IS NOT NULL"),
            "NULL" => format!("{sql} IS NULL"),
            "EMPTY" if negated => format!("({sql} IS NOT NULL AND {sql} <> '')"),
            "EMPTY" => format!("({sql} IS NULL OR {sql} = '')"),
            v if v.contains('%') && negated => {
                format!("({sql} NOT LIKE {} OR {sql} IS NULL)", quote(v))
            }
            v if v.contains('%') => format!("{sql} LIKE {}", quote(v)),
            v if negated => format!("({sql} <> {} OR {sql} IS NULL)", quote(v)),
            v => format!("{sql} = {}", quote(v)),
        };
        if negated {
            negative.push(cond)
        } else {
            positive.push(cond)
        }
    }
    combine(positive, negative)
}

/// Splits on commas, honouring `^,` as a literal comma, and trims each term.
fn split_string_terms(expression: &str) -> Vec<String> {
    let mut terms = vec![String::new()];
    let mut chars = expression.chars();
    while let Some(c) = chars.next() {
        match c {
            '^' => terms.last_mut().expect("never empty").extend(chars.next()),
            ',' => terms.push(String::new()),
            c => terms.last_mut().expect("never empty").push(c),
        }
    }
    terms
        .into_iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect()
}

fn number(sql: &str, expression: &str) -> Result<String, String> {
    let (mut positive, mut negative) = (Vec::new(), Vec::new());
    for term in split_outside_brackets(expression) {
        let upper = term.to_uppercase();
        if upper == "NULL" {
            positive.push(format!("{sql} IS NULL"));
        } else if upper == "NOT NULL" {
            negative.push(format!("{sql} IS NOT NULL"));
        } else if let Some(rest) = upper.strip_prefix("NOT ").or_else(|| upper.strip_prefix("!=")) {
            negative.push(format!("({sql} <> {} OR {sql} IS NULL)", num(rest)?));
        } else {
            for alternative in split_keyword(&term, " OR ") {
                let parts: Result<Vec<String>, String> = split_keyword(&alternative, " AND ")
                    .iter()
                    .map(|p| number_term(sql, p))
                    .collect();
                positive.push(format!("({})", parts?.join(" AND ")));
            }
        }
    }
    Ok(combine(positive, negative))
}

fn number_term(sql: &str, term: &str) -> Result<String, String> {
    let term = term.trim();
    for op in [">=", "<=", ">", "<", "="] {
        if let Some(rest) = term.strip_prefix(op) {
            return Ok(format!("{sql} {op} {}", num(rest)?));
        }
    }
    if let (Some(open), Some(close)) = (term.chars().next(), term.chars().last())
        && matches!(open, '[' | '(')
        && matches!(close, ']' | ')')
    {
        let inner = &term[1..term.len() - 1];
        let (low, high) = inner.split_once(',').ok_or("a range needs two bounds: [low,high]")?;
        let low_op = if open == '[' { ">=" } else { ">" };
        let high_op = if close == ']' { "<=" } else { "<" };
        return Ok(format!(
            "({sql} {low_op} {} AND {sql} {high_op} {})",
            num(low)?,
            num(high)?
        ));
    }
    if let Some((low, high)) = split_once_keyword(term, " to ") {
        return Ok(format!("({sql} >= {} AND {sql} <= {})", num(&low)?, num(&high)?));
    }
    Ok(format!("{sql} = {}", num(term)?))
}

fn num(text: &str) -> Result<String, String> {
    let text = text.trim();
    text.parse::<f64>()
        .map(|_| text.to_owned())
        .map_err(|_| format!("'{text}' is not a number"))
}

fn split_outside_brackets(expression: &str) -> Vec<String> {
    let mut terms = vec![String::new()];
    let mut depth = 0;
    for c in expression.chars() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            _ => {}
        }
        if c == ',' && depth == 0 {
            terms.push(String::new());
        } else {
            terms.last_mut().expect("never empty").push(c);
        }
    }
    terms
        .into_iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Splits on a keyword such as ` AND `, case-insensitively.
fn split_keyword(text: &str, keyword: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text.to_owned();
    while let Some((head, tail)) = split_once_keyword(&rest, keyword) {
        parts.push(head);
        rest = tail;
    }
    parts.push(rest);
    parts
}

fn split_once_keyword(text: &str, keyword: &str) -> Option<(String, String)> {
    let at = text.to_lowercase().find(&keyword.to_lowercase())?;
    Some((text[..at].to_owned(), text[at + keyword.len()..].to_owned()))
}

fn yesno(sql: &str, expression: &str) -> Result<String, String> {
    match expression.trim().to_lowercase().as_str() {
        "yes" => Ok(format!("({sql})")),
        "no" => Ok(format!("NOT ({sql})")),
        _ => Err("expected Yes or No".into()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Unit {
    fn parse(word: &str) -> Option<Unit> {
        match word.trim_end_matches('s') {
            "day" => Some(Unit::Day),
            "week" => Some(Unit::Week),
            "month" => Some(Unit::Month),
            "quarter" => Some(Unit::Quarter),
            "year" => Some(Unit::Year),
            _ => None,
        }
    }

    /// The first day of the period containing `day`.
    fn truncate(self, day: NaiveDate) -> NaiveDate {
        match self {
            Unit::Day => day,
            Unit::Week => day - Duration::days(day.weekday().num_days_from_monday().into()),
            Unit::Month => day.with_day(1).expect("day 1 exists"),
            Unit::Quarter => NaiveDate::from_ymd_opt(day.year(), (day.month0() / 3) * 3 + 1, 1).expect("valid"),
            Unit::Year => NaiveDate::from_ymd_opt(day.year(), 1, 1).expect("valid"),
        }
    }

    fn add(self, day: NaiveDate, n: i64) -> NaiveDate {
        let months = |m: i64| {
            let shift = Months::new(m.unsigned_abs() as u32);
            if m >= 0 {
                day.checked_add_months(shift)
            } else {
                day.checked_sub_months(shift)
            }
            .unwrap_or(day)
        };
        match self {
            Unit::Day => day + Duration::days(n),
            Unit::Week => day + Duration::weeks(n),
            Unit::Month => months(n),
            Unit::Quarter => months(3 * n),
            Unit::Year => months(12 * n),
        }
    }
}

/// A half-open range of days `[start, end)`.
type Span = (NaiveDate, NaiveDate);

fn date(sql: &str, expression: &str, today: NaiveDate) -> Result<String, String> {
    let mut alternatives = Vec::new();
    for term in expression.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let lower = term.to_lowercase();
        let cond = match lower.as_str() {
            "null" => format!("{sql} IS NULL"),
            "not null" => format!("{sql} IS NOT NULL"),
            _ => {
                if let Some(rest) = lower.strip_prefix("after ") {
                    format!("{sql} >= {}", bound(point(rest, today)?.0))
                } else if let Some(rest) = lower.strip_prefix("before ") {
                    format!("{sql} < {}", bound(point(rest, today)?.0))
                } else if let Some((from, to)) = lower.split_once(" to ") {
                    let (start, end) = (point(from, today)?.0, point(to, today)?.0);
                    format!("({sql} >= {} AND {sql} < {})", bound(start), bound(end))
                } else {
                    let (start, end) = point(&lower, today)?;
                    format!("({sql} >= {} AND {sql} < {})", bound(start), bound(end))
                }
            }
        };
        alternatives.push(cond);
    }
    if alternatives.is_empty() {
        return Err("empty date expression".into());
    }
    Ok(format!("({})", alternatives.join(" OR ")))
}

fn bound(day: NaiveDate) -> String {
    quote(&format!("{} 00:00:00", day.format("%Y-%m-%d")))
}

/// Reads one date phrase as a span of days.
fn point(phrase: &str, today: NaiveDate) -> Result<Span, String> {
    let words: Vec<&str> = phrase.split_whitespace().collect();
    let unit = |w: &str| Unit::parse(w).ok_or_else(|| format!("unknown time unit '{w}'"));
    let count = |w: &str| w.parse::<i64>().map_err(|_| format!("'{w}' is not a number"));
    let period = |u: Unit, offset: i64, length: i64| {
        let start = u.add(u.truncate(today), offset);
        (start, u.add(start, length))
    };
    match words.as_slice() {
        ["today"] => Ok(period(Unit::Day, 0, 1)),
        ["yesterday"] => Ok(period(Unit::Day, -1, 1)),
        ["tomorrow"] => Ok(period(Unit::Day, 1, 1)),
        ["this", u] => Ok(period(unit(u)?, 0, 1)),
        ["last", u] if Unit::parse(u).is_some() => Ok(period(unit(u)?, -1, 1)),
        ["next", u] => Ok(period(unit(u)?, 1, 1)),
        ["last", n, u] | [n, u] => {
            let n = count(n)?;
            Ok(period(unit(u)?, 1 - n, n))
        }
        [n, u, "ago"] => Ok(period(unit(u)?, -count(n)?, 1)),
        [n, u, "ago", "for", m, v] => {
            let (u, v) = (unit(u)?, unit(v)?);
            let start = u.add(u.truncate(today), -count(n)?);
            Ok((start, v.add(start, count(m)?)))
        }
        [absolute] => absolute_date(absolute),
        _ => Err(format!("'{phrase}' is not a date expression")),
    }
}

/// `2024`, `2024-01`, `2024-01-05` (or with `/`), as the span of that year, month or day.
fn absolute_date(text: &str) -> Result<Span, String> {
    let parts: Vec<&str> = text.split(['-', '/']).collect();
    let nums: Result<Vec<u32>, _> = parts.iter().map(|p| p.parse::<u32>()).collect();
    let invalid = || format!("'{text}' is not a date");
    let nums = nums.map_err(|_| invalid())?;
    let ymd = |y: u32, m: u32, d: u32| NaiveDate::from_ymd_opt(y as i32, m, d).ok_or_else(invalid);
    match nums.as_slice() {
        [y] if *y > 999 => Ok((ymd(*y, 1, 1)?, ymd(y + 1, 1, 1)?)),
        [y, m] => {
            let start = ymd(*y, *m, 1)?;
            Ok((start, Unit::Month.add(start, 1)))
        }
        [y, m, d] => {
            let start = ymd(*y, *m, *d)?;
            Ok((start, start + Duration::days(1)))
        }
        _ => Err(invalid()),
    }
}

#[cfg(test)]
#[path = "filters_proptests.rs"]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{self, MODEL};

    fn cond(field: &str, expr: &str) -> Result<Option<String>, String> {
        let explore = model::explore(MODEL, "order_items").unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 3, 18).unwrap(); // a Wednesday
        condition(model::field(explore, field).unwrap(), expr, today)
    }

    #[test]
    fn string_terms() {
        assert_eq!(cond("users.state", "").unwrap(), None);
        assert_eq!(
            cond("users.state", "Texas,Ohio").unwrap().unwrap(),
            "((users.state = 'Texas' OR users.state = 'Ohio'))"
        );
        assert_eq!(
            cond("users.state", "-Texas").unwrap().unwrap(),
            "((users.state <> 'Texas' OR users.state IS NULL))"
        );
        assert!(cond("users.state", "New%").unwrap().unwrap().contains("LIKE 'New%'"));
        assert!(
            cond("users.state", "O'Brien^,x")
                .unwrap()
                .unwrap()
                .contains("'O''Brien,x'")
        );
    }

    #[test]
    fn number_terms() {
        assert!(
            cond("users.age", "[1,10)")
                .unwrap()
                .unwrap()
                .contains("(users.age >= 1 AND users.age < 10)")
        );
        assert!(
            cond("users.age", "1 to 10")
                .unwrap()
                .unwrap()
                .contains("users.age <= 10")
        );
        assert!(cond("users.age", "NOT 5").unwrap().unwrap().contains("users.age <> 5"));
        assert!(
            cond("users.age", ">1 AND <9")
                .unwrap()
                .unwrap()
                .contains("users.age > 1 AND users.age < 9")
        );
        assert!(cond("users.age", "abc").unwrap_err().contains("users.age"));
    }

    #[test]
    fn date_terms() {
        let week = cond("orders.created_date", "this week").unwrap().unwrap();
        assert!(
            week.contains("'2026-03-16 00:00:00'") && week.contains("'2026-03-23 00:00:00'"),
            "{week}"
        );
        let last7 = cond("orders.created_date", "last 7 days").unwrap().unwrap();
        assert!(
            last7.contains("'2026-03-12 00:00:00'") && last7.contains("'2026-03-19 00:00:00'"),
            "{last7}"
        );
        assert_eq!(last7, cond("orders.created_date", "7 days").unwrap().unwrap());
        let last_month = cond("orders.created_month", "last month").unwrap().unwrap();
        assert!(last_month.contains("'2026-02-01 00:00:00'") && last_month.contains("'2026-03-01 00:00:00'"));
        let range = cond("orders.created_date", "2024-01-01 to 2024-02-01")
            .unwrap()
            .unwrap();
        assert!(range.contains("< '2024-02-01 00:00:00'"));
        assert!(cond("orders.created_date", "whenever").is_err());
        assert!(cond("orders.is_complete", "maybe").is_err());
    }
}
