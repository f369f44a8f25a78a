//! The custom-command content beyond one State filter: a dashboard with several filters and a default, one with a
//! required filter, and Looks saved in the command folder (one of them hidden).

use serde_json::json;

use crate::content::{
    BRAND_REPORT_DASHBOARD_ID, CUSTOM_COMMAND_FOLDER_ID, Dashboard, Filter, HIDDEN_LOOK_DATE_DEFAULT, HIDDEN_LOOK_ID,
    Listen, Look, ORDERS_LOOK_ID, STATE_FILTER_DIMENSION, STATE_FILTER_NAME, Tile, WEEKLY_SALES_DASHBOARD_ID,
    WEEKLY_SALES_DATE_DEFAULT, state_filter,
};
use crate::query::QueryDef;

const STATE: (&str, &str) = (STATE_FILTER_NAME, STATE_FILTER_DIMENSION);
const CATEGORY: (&str, &str) = ("category", "products.category");
const DATE: (&str, &str) = ("date", "orders.created_date");
const BRAND: (&str, &str) = ("brand", "products.brand");

fn table(fields: &[&str], filters: &[(&str, &str)], sorts: &[&str]) -> QueryDef {
    let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    QueryDef {
        model: crate::model::MODEL.into(),
        view: "order_items".into(),
        fields: strings(fields),
        filters: filters.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        sorts: strings(sorts),
        limit: Some("500".into()),
        vis_config: Some(json!({"type": "table"})),
        query_timezone: Some("UTC".into()),
        ..QueryDef::default()
    }
}

/// Saves `def` as the next content query and returns its id.
fn save(queries: &mut Vec<QueryDef>, def: QueryDef) -> String {
    queries.push(def);
    queries.len().to_string()
}

fn tile(
    queries: &mut Vec<QueryDef>,
    title: &'static str,
    def: QueryDef,
    listens: &[(&'static str, &'static str)],
) -> Tile {
    let query_id = save(queries, def);
    Tile {
        id: format!("10{query_id}"),
        title,
        look_id: None,
        query_id,
        listen: Listen::List,
        listens: listens.to_vec(),
    }
}

fn filter((name, dimension): (&'static str, &'static str), title: &'static str) -> Filter {
    Filter {
        name,
        title,
        dimension,
        default_value: "",
        required: false,
    }
}

/// The Looks and dashboards, saving their queries after the others.
pub fn build(queries: &mut Vec<QueryDef>) -> (Vec<Look>, Vec<Dashboard>) {
    let by_status = tile(
        queries,
        "Orders by Status",
        table(&["orders.status", "orders.count"], &[], &["orders.status"]),
        &[STATE, DATE],
    );
    let by_category = tile(
        queries,
        "Revenue by Category",
        table(
            &["products.category", "order_items.total_sale_price"],
            &[],
            &["products.category"],
        ),
        &[STATE, CATEGORY, DATE],
    );
    let weekly_sales = Dashboard {
        id: WEEKLY_SALES_DASHBOARD_ID,
        title: "Weekly Sales",
        description: "Orders and revenue for the last week, by state and category.",
        folder_id: CUSTOM_COMMAND_FOLDER_ID,
        filters: vec![
            state_filter(),
            filter(CATEGORY, "Category"),
            Filter {
                default_value: WEEKLY_SALES_DATE_DEFAULT,
                ..filter(DATE, "Date")
            },
        ],
        tiles: vec![by_status, by_category],
    };
    let by_brand = tile(
        queries,
        "Items by Category",
        table(&["products.category", "order_items.count"], &[], &["products.category"]),
        &[BRAND],
    );
    let brand_report = Dashboard {
        id: BRAND_REPORT_DASHBOARD_ID,
        title: "Brand Report",
        description: "Items sold per category for one brand.",
        folder_id: CUSTOM_COMMAND_FOLDER_ID,
        filters: vec![Filter {
            required: true,
            ..filter(BRAND, "Brand")
        }],
        tiles: vec![by_brand],
    };
    let orders = Look {
        id: ORDERS_LOOK_ID,
        title: "Orders",
        description: "Orders per state, for any status.",
        folder_id: CUSTOM_COMMAND_FOLDER_ID,
        query_id: save(
            queries,
            table(
                &["users.state", "orders.count"],
                &[("orders.status", ""), ("users.state", "")],
                &["users.state"],
            ),
        ),
    };
    let statuses = Look {
        id: HIDDEN_LOOK_ID,
        title: "Order Statuses [hidden]",
        description: "Orders per status.",
        folder_id: CUSTOM_COMMAND_FOLDER_ID,
        query_id: save(
            queries,
            table(
                &["orders.status", "orders.count"],
                &[("orders.created_date", HIDDEN_LOOK_DATE_DEFAULT)],
                &["orders.status"],
            ),
        ),
    };
    (vec![orders, statuses], vec![weekly_sales, brand_report])
}
