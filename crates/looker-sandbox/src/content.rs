//! The sandbox's saved content: folders, Looks of each visualization kind, and dashboards (including a folder of
//! custom-command dashboards). Ids are constants here so tests and the demo can point at them.

use serde_json::{Value, json};

use crate::query::QueryDef;

/// The "Shared" root folder.
pub const SHARED_FOLDER_ID: &str = "1";
/// The folder whose dashboards become custom commands (configure lookerbot's custom command folder with it).
pub const CUSTOM_COMMAND_FOLDER_ID: &str = "2";
/// A subfolder of the custom-command folder: its dashboards form a help category named after it.
pub const CUSTOM_COMMAND_SUBFOLDER_ID: &str = "3";
pub const CUSTOM_COMMAND_SUBFOLDER_NAME: &str = "Reports";
/// A folder of ordinary Looks and a dashboard.
pub const MARKETING_FOLDER_ID: &str = "4";

pub const TABLE_LOOK_ID: &str = "1";
pub const SINGLE_VALUE_LOOK_ID: &str = "2";
pub const SINGLE_RECORD_LOOK_ID: &str = "3";
pub const COLUMN_LOOK_ID: &str = "4";
pub const LINE_LOOK_ID: &str = "5";
pub const PIE_LOOK_ID: &str = "6";
/// A table with `vis_config.show_view_names: true`.
pub const VIEW_NAMES_LOOK_ID: &str = "7";
/// A table with `vis_config.hidden_fields` (hides `users.average_age`).
pub const HIDDEN_FIELDS_LOOK_ID: &str = "8";
/// A table pivoted on `orders.status`, with totals and row totals.
pub const PIVOT_LOOK_ID: &str = "9";
/// A table with `total: true`.
pub const TOTALS_LOOK_ID: &str = "10";

/// Custom command "sales": three tiles, all listening to the State filter.
pub const SALES_DASHBOARD_ID: &str = "1";
/// Custom command "customers": one tile listening through the older element-level `listen` map (no result maker).
pub const CUSTOMERS_DASHBOARD_ID: &str = "2";
/// Custom command "returns", in the subfolder category.
pub const RETURNS_DASHBOARD_ID: &str = "3";
/// A dashboard with `[hidden]` in its title, which lookerbot must not offer as a command.
pub const HIDDEN_DASHBOARD_ID: &str = "4";
/// An ordinary dashboard outside the custom-command folder.
pub const MARKETING_DASHBOARD_ID: &str = "5";

/// Custom command "weekly sales": two tiles and three filters (State, Category, and Date with a default); the
/// first tile does not listen to Category.
pub const WEEKLY_SALES_DASHBOARD_ID: &str = "6";
/// The Date filter's default on "weekly sales".
pub const WEEKLY_SALES_DATE_DEFAULT: &str = "7 days";
/// Custom command "brand report": its Brand filter is required and has no default.
pub const BRAND_REPORT_DASHBOARD_ID: &str = "7";
/// A Look in the custom-command folder: command "orders" (users per state and order count), with the empty query
/// filters `orders.status` and `users.state` as its parameters.
pub const ORDERS_LOOK_ID: &str = "11";
/// A Look in the custom-command folder with `[hidden]` in its title: command "order statuses", left out of help.
/// Its query filters `orders.created_date` on [`HIDDEN_LOOK_DATE_DEFAULT`].
pub const HIDDEN_LOOK_ID: &str = "12";
pub const HIDDEN_LOOK_DATE_DEFAULT: &str = "5 years";

/// The dashboard filter every custom-command dashboard has (its `name` and `title`).
pub const STATE_FILTER_NAME: &str = "State";
pub const STATE_FILTER_DIMENSION: &str = "users.state";

/// The slug (and share URL path `/x/<slug>`) of the query of the Look with id `look_id` and of any content query.
pub fn query_slug(query_id: &str) -> String {
    format!("SbxQ{query_id:0>6}")
}
/// Share slug of the table Look's query: `web_url + "/x/" + TABLE_LOOK_SHARE_SLUG`.
pub const TABLE_LOOK_SHARE_SLUG: &str = "SbxQ000001";
/// Share slug of the column chart Look's query.
pub const COLUMN_LOOK_SHARE_SLUG: &str = "SbxQ000004";

pub const SANDBOX_USER_ID: &str = "1";

/// The state of one user in the data: chat markup (a ping and a disguised link) that chat renderers must escape.
pub const MARKUP_STATE: &str = "<!channel> & <https://evil.example|click>";

#[derive(Debug)]
pub struct Folder {
    pub id: &'static str,
    pub name: &'static str,
    pub parent_id: Option<&'static str>,
}

#[derive(Debug)]
pub struct Look {
    pub id: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub folder_id: &'static str,
    pub query_id: String,
}

/// How a tile declares which dashboard filter it listens to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listen {
    /// `filterables[].listen: [{dashboard_filter_name, field}]` (API 4.0).
    List,
    /// No result maker, and `listen: {"<filter name>": "<field>"}` on the element itself: the older form.
    LegacyMap,
}

#[derive(Debug)]
pub struct Tile {
    pub id: String,
    pub title: &'static str,
    pub look_id: Option<&'static str>,
    pub query_id: String,
    pub listen: Listen,
    /// (dashboard filter name, field) pairs: which filter feeds which field of the tile's query.
    pub listens: Vec<(&'static str, &'static str)>,
}

/// A dashboard filter on a field.
#[derive(Debug, Clone)]
pub struct Filter {
    pub name: &'static str,
    pub title: &'static str,
    pub dimension: &'static str,
    /// Empty for none.
    pub default_value: &'static str,
    /// The dashboard runs only once this filter has a value.
    pub required: bool,
}

/// The State filter of the original command dashboards: no default, not required.
pub fn state_filter() -> Filter {
    Filter {
        name: STATE_FILTER_NAME,
        title: STATE_FILTER_NAME,
        dimension: STATE_FILTER_DIMENSION,
        default_value: "",
        required: false,
    }
}

#[derive(Debug)]
pub struct Dashboard {
    pub id: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub folder_id: &'static str,
    pub filters: Vec<Filter>,
    pub tiles: Vec<Tile>,
}

/// All saved content, plus the queries it uses (ids "1" and up; Look N uses query N).
#[derive(Debug)]
pub struct Content {
    pub folders: Vec<Folder>,
    pub looks: Vec<Look>,
    pub dashboards: Vec<Dashboard>,
    pub queries: Vec<QueryDef>,
}

fn query(view: &str, fields: &[&str], filters: &[(&str, &str)], sorts: &[&str], vis: Value) -> QueryDef {
    let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    QueryDef {
        model: crate::model::MODEL.into(),
        view: view.into(),
        fields: strings(fields),
        filters: filters.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        sorts: strings(sorts),
        limit: Some("500".into()),
        vis_config: Some(vis),
        query_timezone: Some("UTC".into()),
        ..QueryDef::default()
    }
}

impl Content {
    pub fn build() -> Content {
        let oi = "order_items";
        let mut queries = vec![
            query(
                oi,
                &["orders.status", "orders.count"],
                &[],
                &["orders.count desc"],
                json!({"type": "table"}),
            ),
            query(
                oi,
                &["order_items.total_sale_price"],
                &[],
                &[],
                json!({"type": "single_value"}),
            ),
            query(
                oi,
                &[
                    "orders.id",
                    "users.name",
                    "orders.status",
                    "orders.created_date",
                    "order_items.total_sale_price",
                ],
                &[],
                &["orders.created_date desc", "orders.id desc"],
                json!({"type": "looker_single_record"}),
            ),
            query(
                oi,
                &["products.category", "order_items.total_sale_price"],
                &[],
                &["products.category"],
                json!({"type": "looker_column"}),
            ),
            query(
                oi,
                &["orders.created_month", "orders.count"],
                &[("orders.created_date", "12 months")],
                &["orders.created_month"],
                json!({"type": "looker_line"}),
            ),
            query(
                oi,
                &["orders.status", "order_items.count"],
                &[],
                &[],
                json!({"type": "looker_pie"}),
            ),
            query(
                "users",
                &["users.state", "users.count"],
                &[("users.country", "USA")],
                &[],
                json!({"type": "table", "show_view_names": true}),
            ),
            query(
                "users",
                &["users.state", "users.count", "users.average_age"],
                &[],
                &[],
                json!({"type": "table", "hidden_fields": ["users.average_age"]}),
            ),
            query(
                oi,
                &["products.category", "orders.status", "order_items.total_sale_price"],
                &[],
                &["products.category"],
                json!({"type": "table"}),
            ),
            query(
                oi,
                &["products.brand", "order_items.count", "order_items.total_sale_price"],
                &[],
                &["products.brand"],
                json!({"type": "table"}),
            ),
        ];
        queries[8].pivots = vec!["orders.status".into()];
        queries[8].total = true;
        queries[8].row_total = Some("right".into());
        queries[9].total = true;

        let look = |id: &'static str, title, description, folder_id| Look {
            id,
            title,
            description,
            folder_id,
            query_id: id.to_owned(),
        };
        let mut looks = vec![
            look(
                TABLE_LOOK_ID,
                "Orders by Status",
                "How many orders are in each status.",
                MARKETING_FOLDER_ID,
            ),
            look(
                SINGLE_VALUE_LOOK_ID,
                "Total Revenue",
                "Sum of all sale prices.",
                MARKETING_FOLDER_ID,
            ),
            look(
                SINGLE_RECORD_LOOK_ID,
                "Latest Order",
                "The most recent order.",
                MARKETING_FOLDER_ID,
            ),
            look(
                COLUMN_LOOK_ID,
                "Revenue by Category",
                "Revenue per product category.",
                MARKETING_FOLDER_ID,
            ),
            look(
                LINE_LOOK_ID,
                "Orders per Month",
                "Orders over the last 12 months.",
                MARKETING_FOLDER_ID,
            ),
            look(
                PIE_LOOK_ID,
                "Order Items by Status",
                "Share of items per order status.",
                MARKETING_FOLDER_ID,
            ),
            look(
                VIEW_NAMES_LOOK_ID,
                "US Users by State",
                "Users per state, with view names.",
                SHARED_FOLDER_ID,
            ),
            look(
                HIDDEN_FIELDS_LOOK_ID,
                "Users by State (hidden age)",
                "Average age is hidden.",
                SHARED_FOLDER_ID,
            ),
            look(
                PIVOT_LOOK_ID,
                "Revenue by Category and Order Status",
                "Pivoted on status.",
                SHARED_FOLDER_ID,
            ),
            look(
                TOTALS_LOOK_ID,
                "Brand Revenue with Totals",
                "Items and revenue per brand.",
                SHARED_FOLDER_ID,
            ),
        ];

        // Dashboard tiles get their own queries, like dashboard elements in Looker.
        let line_query = queries[4].clone();
        let mut tile = |title: &'static str, look_id: Option<&'static str>, def: QueryDef, listen: Listen| {
            queries.push(def);
            let id = queries.len().to_string();
            Tile {
                id: format!("10{id}"),
                title,
                look_id,
                query_id: id,
                listen,
                listens: vec![(STATE_FILTER_NAME, STATE_FILTER_DIMENSION)],
            }
        };
        let by_state = |fields: &[&str], vis: &str| query("order_items", fields, &[], &[], json!({"type": vis}));
        let sales = vec![
            tile(
                "Revenue",
                Some(SINGLE_VALUE_LOOK_ID),
                by_state(&["order_items.total_sale_price"], "single_value"),
                Listen::List,
            ),
            tile(
                "Revenue by Category",
                None,
                by_state(&["products.category", "order_items.total_sale_price"], "looker_column"),
                Listen::List,
            ),
            tile(
                "Orders by Status",
                None,
                by_state(&["orders.status", "orders.count"], "looker_pie"),
                Listen::List,
            ),
        ];
        let customers = vec![tile(
            "Customers by Country",
            None,
            query(
                "users",
                &["users.country", "users.count"],
                &[],
                &[],
                json!({"type": "table"}),
            ),
            Listen::LegacyMap,
        )];
        let mut returns_query = by_state(&["products.category", "order_items.count"], "looker_column");
        returns_query.filters.insert("orders.status".into(), "returned".into());
        let returns = vec![tile("Returned Items", None, returns_query, Listen::List)];
        let hidden = vec![tile(
            "Margin",
            None,
            by_state(&["order_items.average_sale_price"], "single_value"),
            Listen::List,
        )];
        let marketing = vec![tile("Orders per Month", Some(LINE_LOOK_ID), line_query, Listen::List)];

        let dashboard = |id, title, description, folder_id, tiles| Dashboard {
            id,
            title,
            description,
            folder_id,
            filters: vec![state_filter()],
            tiles,
        };
        let mut dashboards = vec![
            dashboard(
                SALES_DASHBOARD_ID,
                "Sales",
                "Revenue, categories and order statuses, optionally for one state.",
                CUSTOM_COMMAND_FOLDER_ID,
                sales,
            ),
            dashboard(
                CUSTOMERS_DASHBOARD_ID,
                "Customers",
                "Customers per country, optionally for one state.",
                CUSTOM_COMMAND_FOLDER_ID,
                customers,
            ),
            dashboard(
                RETURNS_DASHBOARD_ID,
                "Returns",
                "Returned items per category, optionally for one state.",
                CUSTOM_COMMAND_SUBFOLDER_ID,
                returns,
            ),
            dashboard(
                HIDDEN_DASHBOARD_ID,
                "Margins [hidden]",
                "Internal: not a public command.",
                CUSTOM_COMMAND_FOLDER_ID,
                hidden,
            ),
            dashboard(
                MARKETING_DASHBOARD_ID,
                "Marketing Orders Overview",
                "Orders over time.",
                MARKETING_FOLDER_ID,
                marketing,
            ),
        ];
        let (command_looks, command_dashboards) = crate::content_commands::build(&mut queries);
        looks.extend(command_looks);
        dashboards.extend(command_dashboards);
        let folders = vec![
            Folder {
                id: SHARED_FOLDER_ID,
                name: "Shared",
                parent_id: None,
            },
            Folder {
                id: CUSTOM_COMMAND_FOLDER_ID,
                name: "Lookerbot",
                parent_id: Some(SHARED_FOLDER_ID),
            },
            Folder {
                id: CUSTOM_COMMAND_SUBFOLDER_ID,
                name: CUSTOM_COMMAND_SUBFOLDER_NAME,
                parent_id: Some(CUSTOM_COMMAND_FOLDER_ID),
            },
            Folder {
                id: MARKETING_FOLDER_ID,
                name: "Marketing",
                parent_id: Some(SHARED_FOLDER_ID),
            },
        ];
        Content {
            folders,
            looks,
            dashboards,
            queries,
        }
    }

    pub fn folder(&self, id: &str) -> Option<&Folder> {
        self.folders.iter().find(|f| f.id == id)
    }

    pub fn look(&self, id: &str) -> Option<&Look> {
        self.looks.iter().find(|l| l.id == id)
    }

    pub fn dashboard(&self, id: &str) -> Option<&Dashboard> {
        self.dashboards.iter().find(|d| d.id == id)
    }
}

/// Looker's title search: case-insensitive, `%` matches any run of characters, no wildcard means an exact match.
pub fn title_matches(pattern: &str, title: &str) -> bool {
    let (pattern, title) = (pattern.to_lowercase(), title.to_lowercase());
    let parts: Vec<&str> = pattern.split('%').collect();
    if parts.len() == 1 {
        return pattern == title;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !title.starts_with(first) || !title[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &title[first.len()..title.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_search_is_case_insensitive_with_wildcards() {
        assert!(title_matches("%orders%", "Orders by Status"));
        assert!(title_matches("orders%", "Orders per Month"));
        assert!(!title_matches("orders", "Orders per Month"));
        assert!(title_matches("orders per month", "Orders per Month"));
        assert!(title_matches("%rev%cat%", "Revenue by Category"));
        assert!(!title_matches("%cat%rev%", "Revenue by Category"));
    }

    #[test]
    fn ids_and_slugs_are_consistent() {
        let content = Content::build();
        assert_eq!(query_slug(TABLE_LOOK_ID), TABLE_LOOK_SHARE_SLUG);
        assert_eq!(query_slug(COLUMN_LOOK_ID), COLUMN_LOOK_SHARE_SLUG);
        for look in &content.looks {
            let def = &content.queries[look.query_id.parse::<usize>().unwrap() - 1];
            assert!(!def.fields.is_empty(), "look {}", look.id);
        }
        assert_eq!(content.dashboard(SALES_DASHBOARD_ID).unwrap().tiles.len(), 3);
    }
}
