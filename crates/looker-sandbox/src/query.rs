//! Queries: what a Looker `Query` body says, and running it for real as SQL over the sandbox tables.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rusqlite::Connection;
use rusqlite::types::ValueRef;
use serde_json::{Value, json};

use crate::filters;
use crate::model::{self, Explore, Field, Kind};

pub const DEFAULT_LIMIT: usize = 500;
const MAX_LIMIT: usize = 5000;
const COLUMN_LIMIT: usize = 50;

/// The writable part of a Looker `Query`, as a client sends it and as content defines it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryDef {
    pub model: String,
    pub view: String,
    pub fields: Vec<String>,
    pub pivots: Vec<String>,
    pub fill_fields: Vec<String>,
    pub filters: BTreeMap<String, String>,
    pub filter_expression: Option<String>,
    pub sorts: Vec<String>,
    pub limit: Option<String>,
    pub column_limit: Option<String>,
    pub total: bool,
    pub row_total: Option<String>,
    pub subtotals: Vec<String>,
    pub vis_config: Option<Value>,
    pub filter_config: Option<Value>,
    pub dynamic_fields: Option<String>,
    pub query_timezone: Option<String>,
    /// Access filters of the user running the query (field to filter expression), ANDed with `filters`; never
    /// part of a saved query.
    pub access_filters: BTreeMap<String, String>,
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

fn opt_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl QueryDef {
    /// Reads a `Query` JSON object (already type-checked against the spec).
    pub fn from_json(body: &Value) -> QueryDef {
        let filters = body["filters"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| opt_string(v).map(|v| (k.clone(), v)))
            .collect();
        QueryDef {
            model: body["model"].as_str().unwrap_or_default().to_owned(),
            view: body["view"].as_str().unwrap_or_default().to_owned(),
            fields: strings(&body["fields"]),
            pivots: strings(&body["pivots"]),
            fill_fields: strings(&body["fill_fields"]),
            filters,
            filter_expression: opt_string(&body["filter_expression"]),
            sorts: strings(&body["sorts"]),
            limit: opt_string(&body["limit"]),
            column_limit: opt_string(&body["column_limit"]),
            total: body["total"].as_bool().unwrap_or(false),
            row_total: opt_string(&body["row_total"]),
            subtotals: strings(&body["subtotals"]),
            vis_config: body.get("vis_config").filter(|v| v.is_object()).cloned(),
            filter_config: body.get("filter_config").filter(|v| v.is_object()).cloned(),
            dynamic_fields: opt_string(&body["dynamic_fields"]),
            query_timezone: opt_string(&body["query_timezone"]),
            access_filters: BTreeMap::new(),
        }
    }

    /// The Looker explore URL path for this query (`/explore/model/view?fields=...&f[x]=...`).
    pub fn explore_path(&self) -> String {
        let mut url = format!("/explore/{}/{}?", self.model, self.view);
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("fields", &self.fields.join(","));
        for (field, expr) in &self.filters {
            query.append_pair(&format!("f[{field}]"), expr);
        }
        if !self.pivots.is_empty() {
            query.append_pair("pivots", &self.pivots.join(","));
        }
        if !self.sorts.is_empty() {
            query.append_pair("sorts", &self.sorts.join(","));
        }
        query.append_pair("limit", self.limit.as_deref().unwrap_or("500"));
        if let Some(vis) = &self.vis_config {
            query.append_pair("vis", &vis.to_string());
        }
        url.push_str(&query.finish());
        url
    }

    /// The visualization type (`vis_config.type`), `table` when unset.
    pub fn vis_type(&self) -> &str {
        self.vis_config
            .as_ref()
            .and_then(|v| v["type"].as_str())
            .unwrap_or("table")
    }
}

/// A failure to run a query, shown to callers the way Looker shows SQL errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QueryError(pub String);

/// One column of pivot values.
#[derive(Debug, Clone)]
pub struct PivotKey {
    /// The pivot fields' values.
    pub values: Vec<Value>,
    /// Looker's key: the values joined by `|FIELD|`.
    pub key: String,
}

#[derive(Debug, Clone)]
pub struct ResultRow {
    pub dims: Vec<Value>,
    /// One entry per measure; each holds one value per pivot key (a single value without pivots).
    pub measures: Vec<Vec<Value>>,
    /// The row total of each measure, when `row_total` was asked with pivots.
    pub row_totals: Option<Vec<Value>>,
}

/// A query's results with the fields that describe them.
#[derive(Debug)]
pub struct Executed {
    pub def: QueryDef,
    pub explore: &'static Explore,
    pub dims: Vec<&'static Field>,
    pub pivots: Vec<&'static Field>,
    pub measures: Vec<&'static Field>,
    pub pivot_keys: Vec<PivotKey>,
    pub rows: Vec<ResultRow>,
    /// Column totals, shaped like one row's `measures`.
    pub totals: Option<Vec<Vec<Value>>>,
    /// Sort field names and whether descending.
    pub sorts: Vec<(String, bool)>,
    pub sql: String,
}

/// Resolved parts of a query, before running it.
struct Plan {
    explore: &'static Explore,
    dims: Vec<&'static Field>,
    pivots: Vec<&'static Field>,
    measures: Vec<&'static Field>,
    wheres: Vec<String>,
    havings: Vec<String>,
    sorts: Vec<(String, bool)>,
    limit: usize,
}

fn plan(def: &QueryDef, today: NaiveDate, limit_override: Option<usize>) -> Result<Plan, QueryError> {
    let explore = model::explore(&def.model, &def.view).ok_or_else(|| {
        QueryError(format!(
            "Unknown model or explore '{}::{}' (the sandbox has thelook::order_items and thelook::users)",
            def.model, def.view
        ))
    })?;
    let lookup = |name: &str| {
        model::field(explore, name)
            .ok_or_else(|| QueryError(format!("Unknown field '{name}' in explore '{}'", explore.name)))
    };
    let (mut dims, mut pivots, mut measures) = (Vec::new(), Vec::new(), Vec::new());
    for name in &def.fields {
        let field = lookup(name)?;
        if field.measure {
            measures.push(field);
        } else if def.pivots.contains(name) {
            pivots.push(field);
        } else {
            dims.push(field);
        }
    }
    if def.fields.is_empty() {
        return Err(QueryError("The query has no fields".into()));
    }
    let (mut wheres, mut havings) = (Vec::new(), Vec::new());
    for (name, expression) in def.filters.iter().chain(&def.access_filters) {
        let field = lookup(name)?;
        if let Some(cond) = filters::condition(field, expression, today).map_err(QueryError)? {
            if field.measure {
                havings.push(cond)
            } else {
                wheres.push(cond)
            }
        }
    }
    let mut sorts = Vec::new();
    for sort in &def.sorts {
        let mut words = sort.split_whitespace();
        let name = words.next().unwrap_or_default().to_owned();
        let desc = words.next().is_some_and(|w| w.eq_ignore_ascii_case("desc"));
        if dims.iter().chain(&measures).any(|f| f.name == name) {
            sorts.push((name, desc));
        }
    }
    if sorts.is_empty() {
        sorts.push(default_sort(&dims, &measures));
    }
    let limit = limit_override
        .or_else(|| def.limit.as_deref().and_then(|l| l.parse().ok()))
        .unwrap_or(DEFAULT_LIMIT)
        .min(MAX_LIMIT);
    Ok(Plan {
        explore,
        dims,
        pivots,
        measures,
        wheres,
        havings,
        sorts,
        limit,
    })
}

/// Looker's default order: the first date dimension descending, else the first measure descending, else the first
/// dimension.
fn default_sort(dims: &[&Field], measures: &[&Field]) -> (String, bool) {
    if let Some(date) = dims.iter().find(|f| matches!(f.kind, Kind::Date(_))) {
        return (date.name.clone(), true);
    }
    match (measures.first(), dims.first()) {
        (Some(m), _) => (m.name.clone(), true),
        (None, Some(d)) => (d.name.clone(), false),
        (None, None) => (String::new(), false),
    }
}

fn select_expr(field: &Field) -> String {
    if field.kind == Kind::YesNo && !field.measure {
        format!("CASE WHEN {} THEN 'Yes' ELSE 'No' END", field.sql)
    } else {
        field.sql.clone()
    }
}

/// Writes the SELECT for grouping by `groups` and computing `measures`.
fn build_sql(plan: &Plan, groups: &[&Field], order: &[(String, bool)], limit: Option<usize>) -> String {
    let select: Vec<String> = groups
        .iter()
        .chain(&plan.measures)
        .map(|f| format!("\t{} AS \"{}\"", select_expr(f), f.name))
        .collect();
    let mut sql = format!("SELECT\n{}\nFROM {}\n", select.join(",\n"), plan.explore.from_sql);
    if !plan.wheres.is_empty() {
        sql += &format!("WHERE {}\n", plan.wheres.join("\n  AND "));
    }
    if !groups.is_empty() {
        let positions: Vec<String> = (1..=groups.len()).map(|i| i.to_string()).collect();
        sql += &format!("GROUP BY {}\n", positions.join(","));
    }
    if !plan.havings.is_empty() {
        sql += &format!("HAVING {}\n", plan.havings.join("\n  AND "));
    }
    let order: Vec<String> = order
        .iter()
        .filter(|(name, _)| groups.iter().chain(&plan.measures).any(|f| &f.name == name))
        .map(|(name, desc)| format!("\"{name}\"{}", if *desc { " DESC" } else { "" }))
        .collect();
    if !order.is_empty() {
        sql += &format!("ORDER BY {}\n", order.join(", "));
    }
    if let Some(limit) = limit {
        sql += &format!("LIMIT {limit}");
    }
    sql
}

fn fetch(conn: &Connection, sql: &str) -> Result<Vec<Vec<Value>>, QueryError> {
    let sql_error = |e: rusqlite::Error| QueryError(format!("SQL error: {e}"));
    let mut stmt = conn.prepare(sql).map_err(sql_error)?;
    let width = stmt.column_count();
    let rows = stmt
        .query_map([], |row| {
            (0..width)
                .map(|i| {
                    Ok(match row.get_ref(i)? {
                        ValueRef::Null => Value::Null,
                        ValueRef::Integer(n) => json!(n),
                        ValueRef::Real(x) => json!(x),
                        ValueRef::Text(t) | ValueRef::Blob(t) => json!(String::from_utf8_lossy(t)),
                    })
                })
                .collect::<rusqlite::Result<Vec<Value>>>()
        })
        .map_err(sql_error)?;
    rows.collect::<rusqlite::Result<_>>().map_err(sql_error)
}

/// The SQL the query would run, without running it (the `sql` result format).
pub fn sql_for(def: &QueryDef, today: NaiveDate) -> Result<String, QueryError> {
    let plan = plan(def, today, None)?;
    let groups: Vec<&Field> = plan.dims.iter().chain(&plan.pivots).copied().collect();
    Ok(build_sql(&plan, &groups, &plan.sorts, Some(plan.limit)))
}

/// Runs a query. `limit_override` is the run endpoint's `limit` parameter.
pub fn execute(
    conn: &Connection,
    def: &QueryDef,
    today: NaiveDate,
    limit_override: Option<usize>,
) -> Result<Executed, QueryError> {
    let plan = plan(def, today, limit_override)?;
    let pivoted = !plan.pivots.is_empty();
    let groups: Vec<&Field> = plan.dims.iter().chain(&plan.pivots).copied().collect();
    let sql = build_sql(&plan, &groups, &plan.sorts, (!pivoted).then_some(plan.limit));
    let raw = fetch(conn, &sql)?;
    let (nd, np) = (plan.dims.len(), plan.pivots.len());

    let mut pivot_keys: Vec<PivotKey> = Vec::new();
    if pivoted {
        let mut seen: Vec<Vec<Value>> = Vec::new();
        for row in &raw {
            let values = row[nd..nd + np].to_vec();
            if !seen.contains(&values) {
                seen.push(values);
            }
        }
        seen.sort_by_key(|v| v.iter().map(sort_text).collect::<Vec<_>>());
        seen.truncate(
            def.column_limit
                .as_deref()
                .and_then(|c| c.parse().ok())
                .unwrap_or(COLUMN_LIMIT),
        );
        pivot_keys = seen
            .into_iter()
            .map(|values| PivotKey {
                key: pivot_key(&values),
                values,
            })
            .collect();
    }
    let columns = pivot_keys.len().max(1);
    let mut rows: Vec<ResultRow> = Vec::new();
    for row in raw {
        let dims = row[..nd].to_vec();
        let column = if pivoted {
            match pivot_keys.iter().position(|k| k.values[..] == row[nd..nd + np]) {
                Some(c) => c,
                None => continue,
            }
        } else {
            0
        };
        let index = match rows.iter().position(|r| r.dims == dims) {
            Some(i) if pivoted => i,
            _ => {
                let measures = vec![vec![Value::Null; columns]; plan.measures.len()];
                rows.push(ResultRow {
                    dims,
                    measures,
                    row_totals: None,
                });
                rows.len() - 1
            }
        };
        for (m, value) in row[nd + np..].iter().enumerate() {
            rows[index].measures[m][column] = value.clone();
        }
    }
    rows.truncate(plan.limit);

    if pivoted && def.row_total.is_some() {
        let by_dims = fetch(conn, &build_sql(&plan, &plan.dims, &[], None))?;
        for row in &mut rows {
            let total = by_dims.iter().find(|r| r[..nd] == row.dims[..]);
            row.row_totals = Some(total.map(|t| t[nd..].to_vec()).unwrap_or_default());
        }
    }
    let totals = if def.total {
        Some(compute_totals(conn, &plan, &pivot_keys)?)
    } else {
        None
    };
    Ok(Executed {
        def: def.clone(),
        explore: plan.explore,
        dims: plan.dims,
        pivots: plan.pivots,
        measures: plan.measures,
        pivot_keys,
        rows,
        totals,
        sorts: plan.sorts,
        sql,
    })
}

/// Column totals: the measures over all rows (per pivot column when pivoted), computed in SQL so distinct counts
/// stay right.
fn compute_totals(conn: &Connection, plan: &Plan, keys: &[PivotKey]) -> Result<Vec<Vec<Value>>, QueryError> {
    let np = plan.pivots.len();
    let raw = fetch(conn, &build_sql(plan, &plan.pivots, &[], None))?;
    let columns = keys.len().max(1);
    let mut totals = vec![vec![Value::Null; columns]; plan.measures.len()];
    for row in raw {
        let column = if np == 0 {
            Some(0)
        } else {
            keys.iter().position(|k| k.values[..] == row[..np])
        };
        if let Some(c) = column {
            for (m, value) in row[np..].iter().enumerate() {
                totals[m][c] = value.clone();
            }
        }
    }
    Ok(totals)
}

fn sort_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => format!("{:020.6}", n.as_f64().unwrap_or_default()),
        _ => String::new(),
    }
}

pub fn pivot_key(values: &[Value]) -> String {
    values.iter().map(plain_text).collect::<Vec<_>>().join("|FIELD|")
}

/// A value as text, with no formatting (`null` as empty).
pub fn plain_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
