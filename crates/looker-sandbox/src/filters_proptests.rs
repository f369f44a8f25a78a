//! Filter expressions typed by anyone: parsing and SQL generation never panic, and text stays inside its quotes.

use chrono::NaiveDate;
use proptest::prelude::*;

use super::condition;
use crate::model::{self, MODEL};

/// One field of each kind: string, number, date, month, yes/no, and a measure.
const FIELDS: &[&str] = &[
    "users.state",
    "users.age",
    "orders.created_date",
    "orders.created_month",
    "orders.is_complete",
    "order_items.count",
];

/// Words of the filter grammar, so that random input reaches deep into the parsers.
fn filter_word() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("NULL".to_string()),
        Just("-NULL".to_string()),
        Just("EMPTY".to_string()),
        Just("NOT".to_string()),
        Just("AND".to_string()),
        Just("to".to_string()),
        Just("for".to_string()),
        Just("ago".to_string()),
        Just("last".to_string()),
        Just("this".to_string()),
        Just("next".to_string()),
        Just("after".to_string()),
        Just("before".to_string()),
        Just("days".to_string()),
        Just("months".to_string()),
        Just("quarters".to_string()),
        Just("today".to_string()),
        Just("Yes".to_string()),
        "-?[0-9]{1,20}",
        "[0-9]{4}(-[0-9]{1,2}(-[0-9]{1,2})?)?",
        "[\\[\\](),^%'<>=!-]{1,3}",
        "[a-zA-Z']{1,8}",
        ".{0,6}",
    ]
}

fn expression() -> impl Strategy<Value = String> {
    prop::collection::vec(filter_word(), 0..8).prop_map(|words| words.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_expression_on_any_field_gives_sql_or_an_error(
        field in prop::sample::select(FIELDS),
        expr in prop_oneof![expression(), ".{0,40}"],
        days in -100_000i64..100_000,
    ) {
        let explore = model::explore(MODEL, "order_items").unwrap();
        let field = model::field(explore, field).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 3, 18).unwrap() + chrono::Duration::days(days);
        match condition(field, &expr, today) {
            Ok(Some(sql)) => {
                prop_assert_eq!(sql.matches('\'').count() % 2, 0, "unbalanced quotes in {}", sql);
                let outside: String = sql.split('\'').step_by(2).collect();
                prop_assert!(!outside.contains(';'), "a statement separator outside quotes: {}", sql);
            }
            Ok(None) => prop_assert!(expr.trim().is_empty()),
            Err(message) => prop_assert!(message.contains("Invalid filter")),
        }
    }

    #[test]
    fn quotes_in_values_cannot_end_the_literal(before in "[a-zA-Z ]{0,8}", after in "[a-zA-Z ]{0,8}") {
        let explore = model::explore(MODEL, "order_items").unwrap();
        let field = model::field(explore, "users.state").unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 3, 18).unwrap();
        let value = format!("{before}x'); DROP TABLE users; --{after}");
        let sql = condition(field, &value, today).unwrap().unwrap();
        let outside: String = sql.split('\'').step_by(2).collect();
        prop_assert!(!outside.contains("DROP") && !outside.contains(';'), "{}", sql);
    }
}
