//! Query results are computed for real: filter expressions select the same rows as hand-written SQL, and pivots,
//! totals, formats and sorts behave like Looker's.

mod common;

use common::{Client, start};
use looker_sandbox::content;
use serde_json::{Value, json};

const JOINS: &str = "FROM order_items LEFT JOIN orders ON order_items.order_id = orders.id \
    LEFT JOIN users ON orders.user_id = users.id LEFT JOIN products ON order_items.product_id = products.id";

async fn count(c: &Client, view: &str, measure: &str, field: &str, expression: &str) -> i64 {
    let query = json!({"model": "thelook", "view": view, "fields": [measure], "filters": {field: expression}});
    let rows = c.inline(query).await;
    rows[0][measure]
        .as_i64()
        .unwrap_or_else(|| panic!("{field} '{expression}': {rows}"))
}

#[tokio::test]
async fn string_filters_match_sql() {
    let c = start().await;
    let cases = [
        ("Texas", "state = 'Texas'"),
        ("Texas,Ohio", "state IN ('Texas', 'Ohio')"),
        ("-Texas", "(state <> 'Texas' OR state IS NULL)"),
        ("-Texas,-Ohio", "(state NOT IN ('Texas', 'Ohio') OR state IS NULL)"),
        ("New%", "state LIKE 'New%'"),
        ("%o%", "state LIKE '%o%'"),
        ("NULL", "state IS NULL"),
        ("-NULL", "state IS NOT NULL"),
        ("EMPTY", "(state IS NULL OR state = '')"),
        ("-%o%", "(state NOT LIKE '%o%' OR state IS NULL)"),
        ("-EMPTY", "(state IS NOT NULL AND state <> '')"),
    ];
    for (expression, sql) in cases {
        let expected = c.sandbox.sql_count(&format!("SELECT COUNT(*) FROM users WHERE {sql}"));
        assert!(expected > 0, "{expression}: pick data that has matches");
        assert_eq!(
            count(&c, "users", "users.count", "users.state", expression).await,
            expected,
            "{expression}"
        );
    }
}

#[tokio::test]
async fn number_filters_match_sql() {
    let c = start().await;
    let cases = [
        ("25", "age = 25"),
        ("20,30", "age IN (20, 30)"),
        (">60", "age > 60"),
        ("<=20", "age <= 20"),
        ("[30,40]", "age BETWEEN 30 AND 40"),
        ("(30,40)", "age > 30 AND age < 40"),
        ("30 to 40", "age BETWEEN 30 AND 40"),
        ("NOT 25", "age <> 25"),
        (">=70 AND <75", "age >= 70 AND age < 75"),
        ("NOT NULL", "age IS NOT NULL"),
    ];
    for (expression, sql) in cases {
        let expected = c.sandbox.sql_count(&format!("SELECT COUNT(*) FROM users WHERE {sql}"));
        assert!(expected > 0, "{expression}");
        assert_eq!(
            count(&c, "users", "users.count", "users.age", expression).await,
            expected,
            "{expression}"
        );
    }
}

#[tokio::test]
async fn date_filters_match_sql() {
    // Today is 2026-03-18, a Wednesday.
    let c = start().await;
    let cases = [
        ("today", "created_at >= '2026-03-18' AND created_at < '2026-03-19'"),
        ("yesterday", "created_at >= '2026-03-17' AND created_at < '2026-03-18'"),
        ("7 days", "created_at >= '2026-03-12' AND created_at < '2026-03-19'"),
        (
            "last 7 days",
            "created_at >= '2026-03-12' AND created_at < '2026-03-19'",
        ),
        ("this week", "created_at >= '2026-03-16' AND created_at < '2026-03-23'"),
        ("3 months", "created_at >= '2026-01-01' AND created_at < '2026-04-01'"),
        ("this month", "created_at >= '2026-03-01' AND created_at < '2026-04-01'"),
        ("last month", "created_at >= '2026-02-01' AND created_at < '2026-03-01'"),
        ("this year", "created_at >= '2026-01-01' AND created_at < '2027-01-01'"),
        (
            "2 months ago",
            "created_at >= '2026-01-01' AND created_at < '2026-02-01'",
        ),
        (
            "3 months ago for 2 months",
            "created_at >= '2025-12-01' AND created_at < '2026-02-01'",
        ),
        ("2025-06-01", "created_at >= '2025-06-01' AND created_at < '2025-06-02'"),
        ("2025-06", "created_at >= '2025-06-01' AND created_at < '2025-07-01'"),
        (
            "2025-06-01 to 2025-07-01",
            "created_at >= '2025-06-01' AND created_at < '2025-07-01'",
        ),
        ("after 2026-01-01", "created_at >= '2026-01-01'"),
        ("before 2025-01-01", "created_at < '2025-01-01'"),
        (
            "2025-06-01,today",
            "(created_at >= '2025-06-01' AND created_at < '2025-06-02') OR (created_at >= '2026-03-18' AND created_at < '2026-03-19')",
        ),
    ];
    let mut nonzero = 0;
    for (expression, sql) in cases {
        let expected = c.sandbox.sql_count(&format!("SELECT COUNT(*) FROM orders WHERE {sql}"));
        nonzero += usize::from(expected > 0);
        let got = count(&c, "order_items", "orders.count", "orders.created_date", expression).await;
        assert_eq!(got, expected, "{expression}");
    }
    assert!(nonzero >= cases.len() - 2, "most date cases should find rows");
}

#[tokio::test]
async fn yesno_and_measure_filters_match_sql() {
    let c = start().await;
    let complete = c
        .sandbox
        .sql_count("SELECT COUNT(*) FROM orders WHERE status = 'complete'");
    assert_eq!(
        count(&c, "order_items", "orders.count", "orders.is_complete", "Yes").await,
        complete
    );
    let others = c
        .sandbox
        .sql_count("SELECT COUNT(*) FROM orders WHERE status <> 'complete'");
    assert_eq!(
        count(&c, "order_items", "orders.count", "orders.is_complete", "no").await,
        others
    );

    let query = json!({"model": "thelook", "view": "users", "fields": ["users.state", "users.count"], "filters": {"users.count": ">50"}});
    let rows = c.inline(query).await;
    let expected = c
        .sandbox
        .sql_count("SELECT COUNT(*) FROM (SELECT state FROM users GROUP BY state HAVING COUNT(*) > 50)");
    assert!(expected > 0);
    assert_eq!(rows.as_array().unwrap().len() as i64, expected);
}

#[tokio::test]
async fn bad_filters_are_query_errors_in_the_body() {
    let c = start().await;
    let query =
        json!({"model": "thelook", "view": "users", "fields": ["users.count"], "filters": {"users.age": "lots"}});
    let rows = c.inline(query.clone()).await;
    assert!(
        rows[0]["looker_error"].as_str().unwrap().contains("users.age"),
        "{rows}"
    );
    let detail: Value = c.post("/queries/run/json_detail", &query).await.json().await.unwrap();
    assert!(detail["data"][0]["looker_error"].is_string());
    let unknown = json!({"model": "thelook", "view": "users", "fields": ["users.nope"]});
    assert!(
        c.inline(unknown).await[0]["looker_error"]
            .as_str()
            .unwrap()
            .contains("users.nope")
    );
    let res = c.post("/queries/run/png", &query).await;
    assert_eq!(res.status(), 400);
}

/// Looker answers a query run before from its cache, saying so and keeping the first run's time, unless the
/// caller asks for `cache=false`. The sandbox keeps only results of up to 1,000 rows.
#[tokio::test]
async fn a_query_run_again_comes_from_the_cache_unless_asked_not_to() {
    let c = start().await;
    let path = format!("/queries/{}/run/json_detail", content::PIVOT_LOOK_ID);
    let first = c.get_json(&path).await;
    let again = c.get_json(&path).await;
    let fresh = c.get_json(&format!("{path}?cache=false")).await;
    assert_eq!(
        (first["from_cache"].as_bool(), again["from_cache"].as_bool()),
        (Some(false), Some(true))
    );
    assert_eq!(
        again["ran_at"], first["ran_at"],
        "cached results keep the time they ran"
    );
    assert_eq!(again["data"], first["data"]);
    assert_eq!(fresh["from_cache"].as_bool(), Some(false));
    assert_eq!(fresh["data"], first["data"]);
    // Large results are not kept: run again, they are fresh.
    let large = json!({"model": "thelook", "view": "order_items", "fields": ["order_items.id"], "limit": "2000"});
    for _ in 0..2 {
        let detail: Value = c.post("/queries/run/json_detail", &large).await.json().await.unwrap();
        assert!(
            detail["data"].as_array().unwrap().len() > 1000,
            "pick a query of more than 1,000 rows"
        );
        assert_eq!(detail["from_cache"].as_bool(), Some(false));
    }
}

#[tokio::test]
async fn json_detail_has_the_real_structure() {
    let c = start().await;
    let fixture: Value = serde_json::from_str(include_str!("../data/json_detail_example.json")).unwrap();
    let detail = c
        .get_json(&format!("/queries/{}/run/json_detail", content::LINE_LOOK_ID))
        .await;
    for key in fixture.as_object().unwrap().keys() {
        assert!(detail.get(key).is_some(), "json_detail lacks '{key}'");
    }
    let fixture_field = fixture["fields"]["dimensions"][0].as_object().unwrap();
    let field = &detail["fields"]["dimensions"][0];
    for key in fixture_field.keys() {
        assert!(field.get(key).is_some(), "field metadata lacks '{key}'");
    }
    assert_eq!(field["name"], "orders.created_month");
    assert_eq!(field["label"], "Orders Created Month");
    assert_eq!(field["type"], "date_month");
    assert_eq!(field["sorted"]["desc"], false);
    let measure = &detail["fields"]["measures"][0];
    assert_eq!(
        (measure["is_numeric"].as_bool(), measure["value_format"].as_str()),
        (Some(true), Some("#,##0"))
    );
    let rows = detail["data"].as_array().unwrap();
    assert!((12..=13).contains(&rows.len()), "12 months of orders: {}", rows.len());
    assert_eq!(rows[0]["orders.created_month"]["value"], "2025-04");
    // As in the real example: measures drill with `measure_default`, dimensions with `drill`, both relative.
    let measure_drill = &rows[0]["orders.count"]["links"][0];
    assert_eq!(measure_drill["type"], fixture_link(&fixture, "orders.count")["type"]);
    assert_eq!(measure_drill["type"], "measure_default");
    assert!(
        measure_drill["url"]
            .as_str()
            .unwrap()
            .starts_with("/explore/thelook/order_items?"),
        "{measure_drill}"
    );
    let dimension_drill = &rows[0]["orders.created_month"]["links"][0];
    assert_eq!(
        dimension_drill["type"],
        fixture_link(&fixture, "orders.created_month")["type"]
    );
    assert!(
        dimension_drill["url"]
            .as_str()
            .unwrap()
            .contains("f%5Borders.created_month%5D=2025-04"),
        "{dimension_drill}"
    );
    assert_eq!(
        detail["pivots"],
        Value::Null,
        "Looker writes null pivots for a query without pivots"
    );

    let money = c
        .get_json(&format!("/queries/{}/run/json_detail", content::SINGLE_VALUE_LOOK_ID))
        .await;
    let cell = &money["data"][0]["order_items.total_sale_price"];
    let total = c
        .sandbox
        .sql_count("SELECT CAST(ROUND(SUM(sale_price) * 100) AS INTEGER) FROM order_items");
    assert_eq!((cell["value"].as_f64().unwrap() * 100.0).round() as i64, total);
    let rendered = cell["rendered"].as_str().unwrap();
    assert!(rendered.starts_with('$') && rendered.contains(','), "{rendered}");
}

#[tokio::test]
async fn pivots_with_row_totals_and_totals() {
    let c = start().await;
    let detail = c
        .get_json(&format!("/queries/{}/run/json_detail", content::PIVOT_LOOK_ID))
        .await;
    let keys: Vec<&str> = detail["pivots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["cancelled", "complete", "pending", "returned"]);
    assert_eq!(detail["fields"]["pivots"][0]["name"], "orders.status");
    assert!(
        detail["fields"]["dimensions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["name"] != "orders.status")
    );
    assert_eq!(detail["has_row_totals"], true);
    let first = &detail["data"][0];
    let category = first["products.category"]["value"].as_str().unwrap();
    let cell = &first["order_items.total_sale_price"];
    let cents = |v: &Value| (v.as_f64().unwrap() * 100.0).round() as i64;
    let sql = format!(
        "SELECT CAST(ROUND(SUM(sale_price) * 100) AS INTEGER) {JOINS} WHERE products.category = '{category}' AND orders.status = 'complete'"
    );
    assert_eq!(cents(&cell["complete"]["value"]), c.sandbox.sql_count(&sql));
    let row_total =
        format!("SELECT CAST(ROUND(SUM(sale_price) * 100) AS INTEGER) {JOINS} WHERE products.category = '{category}'");
    assert_eq!(
        cents(&cell["$$$_row_total_$$$"]["value"]),
        c.sandbox.sql_count(&row_total)
    );
    let drill = cell["complete"]["links"][0]["url"].as_str().unwrap();
    assert!(drill.contains("f%5Borders.status%5D=complete"), "{drill}");
    assert_eq!(detail["has_totals"], true);
    let column_total =
        format!("SELECT CAST(ROUND(SUM(sale_price) * 100) AS INTEGER) {JOINS} WHERE orders.status = 'returned'");
    assert_eq!(
        cents(&detail["totals_data"]["order_items.total_sale_price"]["returned"]["value"]),
        c.sandbox.sql_count(&column_total)
    );

    let rows = c
        .get_json(&format!("/queries/{}/run/json", content::PIVOT_LOOK_ID))
        .await;
    assert!(rows[0]["order_items.total_sale_price"]["pending"].is_number());
}

#[tokio::test]
async fn totals_sorts_limits_and_text_formats() {
    let c = start().await;
    let detail = c
        .get_json(&format!("/queries/{}/run/json_detail", content::TOTALS_LOOK_ID))
        .await;
    assert_eq!(detail["totals_data"]["order_items.count"]["value"], 5000);
    assert_eq!(detail["totals_data"]["order_items.count"]["rendered"], "5,000");

    let rows = c
        .get_json(&format!("/queries/{}/run/json?limit=2", content::TABLE_LOOK_ID))
        .await;
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert!(
        rows[0]["orders.count"].as_i64() >= rows[1]["orders.count"].as_i64(),
        "sorted by count desc"
    );
    let top = c
        .sandbox
        .sql_count("SELECT COUNT(*) FROM orders GROUP BY status ORDER BY 1 DESC LIMIT 1");
    assert_eq!(rows[0]["orders.count"], top);

    let formatted = c
        .get_json(&format!(
            "/queries/{}/run/json?apply_formatting=true",
            content::SINGLE_VALUE_LOOK_ID
        ))
        .await;
    assert!(
        formatted[0]["order_items.total_sale_price"]
            .as_str()
            .unwrap()
            .starts_with('$')
    );

    let csv = c.get(&format!("/queries/{}/run/csv", content::TABLE_LOOK_ID)).await;
    assert_eq!(csv.headers()["content-type"], "text/csv");
    let csv = csv.text().await.unwrap();
    assert_eq!(csv.lines().next().unwrap(), "Orders Status,Orders Count");
    assert_eq!(csv.lines().count(), 5);
    let txt = c
        .get(&format!("/queries/{}/run/txt", content::TABLE_LOOK_ID))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(txt.lines().next().unwrap(), "Orders Status\tOrders Count");
    let sql = c
        .get(&format!("/queries/{}/run/sql", content::TABLE_LOOK_ID))
        .await
        .text()
        .await
        .unwrap();
    assert!(sql.starts_with("SELECT") && sql.contains("GROUP BY"), "{sql}");
    let jpg = c.get(&format!("/queries/{}/run/jpg", content::TABLE_LOOK_ID)).await;
    assert_eq!(jpg.status(), 400);

    let look = c.get(&format!("/looks/{}/run/json", content::TABLE_LOOK_ID)).await;
    assert_eq!(look.json::<Value>().await.unwrap().as_array().unwrap().len(), 4);
    assert_eq!(c.sandbox.calls("run_look"), 1);
}

/// The first link of a cell in the real example's first row.
fn fixture_link<'a>(fixture: &'a Value, field: &str) -> &'a Value {
    &fixture["data"][0][field]["links"][0]
}
