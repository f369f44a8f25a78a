//! Deterministic e-commerce data in an in-memory SQLite database.
//!
//! A fixed seed makes every run produce the same rows; dates are laid out backwards from a given "today" so relative
//! filters ("last 7 days") find rows whenever the sandbox runs.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::{Connection, params};

pub const USERS: i64 = 500;
pub const PRODUCTS: i64 = 100;
pub const ORDERS: i64 = 2000;
pub const ORDER_ITEMS: i64 = 5000;
/// Orders are spread over this many days before today.
const ORDER_SPAN_DAYS: i64 = 730;

const FIRST_NAMES: &[&str] = &[
    "Ada", "Ben", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal", "Kara", "Liam", "Mona",
    "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tara",
];
const LAST_NAMES: &[&str] = &[
    "Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jones", "Khan", "Lopez",
    "Moreau", "Novak", "Okafor", "Patel",
];
const STATES: &[&str] = &[
    "California",
    "New York",
    "Texas",
    "Florida",
    "Washington",
    "Illinois",
    "Oregon",
    "Ohio",
];
const CATEGORIES: &[&str] = &["Jeans", "Tops", "Outerwear", "Shoes", "Accessories", "Swim"];
const BRANDS: &[&str] = &["Northwind", "Acme", "Bluebird", "Cedar", "Dune"];
const STATUSES: &[&str] = &["complete", "complete", "complete", "pending", "cancelled", "returned"];

/// Creates the tables and fills them for the given "today".
pub fn build(today: NaiveDate) -> rusqlite::Result<Connection> {
    let mut conn = Connection::open_in_memory()?;
    conn.execute_batch(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, first_name TEXT, last_name TEXT, email TEXT, age INTEGER,
             state TEXT, country TEXT, created_at TEXT);
         CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, category TEXT, brand TEXT, retail_price REAL);
         CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER, status TEXT, created_at TEXT);
         CREATE TABLE order_items (id INTEGER PRIMARY KEY, order_id INTEGER, product_id INTEGER, sale_price REAL);",
    )?;
    let mut rng = StdRng::seed_from_u64(0x100c_e4ba_5eed);
    let midnight = today.and_hms_opt(0, 0, 0).expect("midnight exists");
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare("INSERT INTO users VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?;
        for id in 1..=USERS {
            let first = pick(&mut rng, FIRST_NAMES);
            let last = pick(&mut rng, LAST_NAMES);
            // Mostly US users with a state; some abroad without one, and a few with an empty state to exercise EMPTY.
            let (state, country) = match rng.random_range(0..20) {
                0 | 1 => (None, "UK"),
                2 => (Some(""), "USA"),
                _ => (Some(pick(&mut rng, STATES)), "USA"),
            };
            let email = format!("{}.{}{id}@example.com", first.to_lowercase(), last.to_lowercase());
            let created = timestamp(&mut rng, midnight, 1000);
            insert.execute(params![
                id,
                first,
                last,
                email,
                rng.random_range(18..80),
                state,
                country,
                created
            ])?;
        }
        // One more user (without orders) whose state is chat markup: what a bot shows of it must arrive escaped.
        insert.execute(params![
            USERS + 1,
            "Mallory",
            "Markup",
            "mallory@example.com",
            40,
            crate::content::MARKUP_STATE,
            "USA",
            "2024-01-01 00:00:00"
        ])?;
        let mut insert = tx.prepare("INSERT INTO products VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for id in 1..=PRODUCTS {
            let category = pick(&mut rng, CATEGORIES);
            let brand = pick(&mut rng, BRANDS);
            let price = cents(rng.random_range(500..20000));
            insert.execute(params![id, format!("{brand} {category} #{id}"), category, brand, price])?;
        }
        let mut insert = tx.prepare("INSERT INTO orders VALUES (?1, ?2, ?3, ?4)")?;
        for id in 1..=ORDERS {
            let created = timestamp(&mut rng, midnight, ORDER_SPAN_DAYS);
            insert.execute(params![
                id,
                rng.random_range(1..=USERS),
                pick(&mut rng, STATUSES),
                created
            ])?;
        }
        let mut insert = tx.prepare("INSERT INTO order_items VALUES (?1, ?2, ?3, ?4)")?;
        for id in 1..=ORDER_ITEMS {
            // The first items cover every order once so no order is empty.
            let order = if id <= ORDERS { id } else { rng.random_range(1..=ORDERS) };
            let price = cents(rng.random_range(300..18000));
            insert.execute(params![id, order, rng.random_range(1..=PRODUCTS), price])?;
        }
    }
    tx.commit()?;
    Ok(conn)
}

fn pick<'a>(rng: &mut StdRng, from: &[&'a str]) -> &'a str {
    from[rng.random_range(0..from.len())]
}

fn cents(n: i64) -> f64 {
    n as f64 / 100.0
}

/// A timestamp within `span_days` before `midnight` of today (today included, up to 23:59:59).
fn timestamp(rng: &mut StdRng, midnight: NaiveDateTime, span_days: i64) -> String {
    let day = rng.random_range(0..span_days);
    let second = rng.random_range(0..86_400);
    (midnight - Duration::days(day) + Duration::seconds(second))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_deterministic_and_recent() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 15).unwrap();
        let a = build(today).unwrap();
        let b = build(today).unwrap();
        let q = "SELECT COUNT(*), SUM(sale_price) FROM order_items";
        let sum = |c: &Connection| {
            c.query_row(q, [], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?)))
                .unwrap()
        };
        assert_eq!(sum(&a), sum(&b));
        assert_eq!(sum(&a).0, ORDER_ITEMS);
        let recent: i64 = a
            .query_row(
                "SELECT COUNT(*) FROM orders WHERE created_at >= '2026-03-09'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(recent > 5, "orders in the last week: {recent}");
    }
}
