//! The `json_detail` result format: field metadata, rows of `{value, rendered, links}`, pivots and totals, shaped
//! like a real Looker result (see `data/json_detail_example.json`).

use serde_json::{Map, Value, json};

use crate::format;
use crate::model::{Field, Kind};
use crate::query::{Executed, PivotKey, QueryDef, plain_text};
use crate::state::Results;

/// Key of the row-total column in pivoted measure cells, as Looker names it.
pub const ROW_TOTAL_KEY: &str = "$$$_row_total_$$$";

/// Builds the `json_detail` body. Drill links are relative to the web server, as Looker sends them; `web_url` makes
/// data-action links absolute (they point at the action's own server).
pub fn json_detail(results: &Results, web_url: &str, drill_links: bool) -> Value {
    let result: &Executed = &results.executed;
    let ran_at = results.ran_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    let sorted = |f: &Field| {
        result
            .sorts
            .iter()
            .position(|(n, _)| *n == f.name)
            .map(|i| json!({"sort_index": i, "desc": result.sorts[i].1}))
    };
    let meta = |f: &Field| field_meta(f, sorted(f));
    let mut body = json!({
        "status": "complete",
        "from_cache": results.from_cache,
        "id": query_result_id(&result.sql),
        "result_source": "query",
        "supports_pivot_in_db": true,
        "null_sort_treatment": "low",
        "expired": false,
        "ran_at": ran_at,
        "runtime": "0.010",
        "added_params": {"sorts": result.sorts.iter().map(|(n, d)| if *d { format!("{n} desc") } else { n.clone() }).collect::<Vec<_>>()},
        "sql": result.sql,
        "sql_explain": format!("EXPLAIN QUERY PLAN {}", result.sql),
        "fields": {
            "measures": result.measures.iter().map(|f| meta(f)).collect::<Vec<_>>(),
            "dimensions": result.dims.iter().map(|f| meta(f)).collect::<Vec<_>>(),
            "table_calculations": [],
            "pivots": result.pivots.iter().map(|f| meta(f)).collect::<Vec<_>>(),
        },
        "fill_fields": result.def.fill_fields,
        "has_totals": result.totals.is_some(),
        "has_row_totals": result.rows.first().is_some_and(|r| r.row_totals.is_some()),
        "applied_filters": applied_filters(result),
        "applied_filter_expression": result.def.filter_expression,
        "explore": {"name": result.explore.name, "label": result.explore.label, "description": null},
        "timezone": result.def.query_timezone.as_deref().unwrap_or("UTC"),
        "data": rows(result, web_url, drill_links),
        "drill_menu_build_time": 0.001,
    });
    // Looker writes `"pivots": null` for a query without pivots.
    body["pivots"] = if result.pivots.is_empty() {
        Value::Null
    } else {
        pivots(result)
    };
    if let Some(totals) = &result.totals {
        let mut obj = Map::new();
        for (field, values) in result.measures.iter().zip(totals) {
            obj.insert(
                field.name.clone(),
                measure_cells(result, values, None, |v, _| cell(field, v, vec![])),
            );
        }
        body["totals_data"] = Value::Object(obj);
    }
    body
}

fn query_result_id(sql: &str) -> String {
    // A stable id per SQL text, like Looker's result hash.
    let hash = sql.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    format!("{hash:016x}{:016x}", hash.rotate_left(17))
}

/// Field metadata, with the keys a real result has.
pub fn field_meta(field: &Field, sorted: Option<Value>) -> Value {
    let timeframe = match field.kind {
        Kind::Date(_) if !field.measure => field.looker_type.strip_prefix("date_"),
        _ => None,
    };
    let mut meta = json!({
        "name": field.name,
        "label": field.label(),
        "tags": [],
        "label_short": field.label_short,
        "view_label": field.view_label,
        "primary_key": field.name.ends_with(".id"),
        "type": field.looker_type,
        "align": if field.is_numeric() { "right" } else { "left" },
        "measure": field.measure,
        "is_filter": false,
        "default_filter_value": null,
        "hidden": false,
        "view": field.view,
        "is_numeric": field.is_numeric(),
        "scope": field.view,
        "can_filter": true,
        "sortable": true,
        "error": null,
        "value_format": field.value_format,
        "has_allowed_values": false,
        "field_group_label": field.group_label,
        "field_group_variant": timeframe.map(capitalize).unwrap_or_else(|| field.label_short.clone()),
        "description": null,
        "suggest_explore": field.view,
        "suggest_dimension": field.name,
        "suggestable": !field.is_numeric(),
        "enumerations": null,
        "is_timeframe": timeframe.is_some(),
        "project_id": crate::model::MODEL,
        "file_path": format!("{}.view.lkml", field.view),
        "source_file": format!("{}/{}.view.lkml", crate::model::MODEL, field.view),
        "requires_refresh_on_sort": false,
        "lookml_link": format!("/projects/{}/files/{}.view.lkml", crate::model::MODEL, field.view),
        "fill_style": timeframe.map(|_| "range"),
        "user_attribute_filter_types": filter_types(field),
        "fiscal_month_offset": 0,
    });
    if let Some(tf) = timeframe {
        meta["time_interval"] = json!({"name": tf, "count": 1});
    }
    if let Some(sorted) = sorted {
        meta["sorted"] = sorted;
    }
    meta
}

/// The user-attribute filter types Looker lists for a field's type.
fn filter_types(field: &Field) -> [&'static str; 2] {
    match field.kind {
        _ if field.is_numeric() => ["number", "advanced_filter_number"],
        Kind::Date(_) => ["datetime", "advanced_filter_datetime"],
        Kind::YesNo => ["yesno", "advanced_filter_string"],
        _ => ["string", "advanced_filter_string"],
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

fn applied_filters(result: &Executed) -> Value {
    let mut obj = Map::new();
    for (name, expression) in &result.def.filters {
        if let Some(field) = crate::model::field(result.explore, name) {
            obj.insert(
                name.clone(),
                json!({"field": field_meta(field, None), "value": expression}),
            );
        }
    }
    Value::Object(obj)
}

/// `{value, rendered?, links}` for one cell; `rendered` only when the field has a value format, as in Looker.
fn cell(field: &Field, value: &Value, links: Vec<Value>) -> Value {
    let mut obj = json!({"value": value});
    if let Some(text) = format::rendered(field, value) {
        obj["rendered"] = json!(text);
    }
    if !links.is_empty() {
        obj["links"] = Value::Array(links);
    }
    obj
}

/// A measure's cell in a row (or the totals): a plain cell, or one per pivot key (plus the row total).
fn measure_cells(
    result: &Executed,
    values: &[Value],
    row_total: Option<Value>,
    make: impl Fn(&Value, Option<&PivotKey>) -> Value,
) -> Value {
    if result.pivot_keys.is_empty() {
        return make(&values[0], None);
    }
    let mut obj: Map<String, Value> = result
        .pivot_keys
        .iter()
        .zip(values)
        .map(|(k, v)| (k.key.clone(), make(v, Some(k))))
        .collect();
    if let Some(total) = row_total {
        obj.insert(ROW_TOTAL_KEY.into(), total);
    }
    Value::Object(obj)
}

fn rows(result: &Executed, web_url: &str, drill_links: bool) -> Value {
    let rows = result.rows.iter().map(|row| {
        let mut obj = Map::new();
        // Drill filters: the row's dimension values, plus the query's own filters.
        let mut drill = result.def.filters.clone();
        for (field, value) in result.dims.iter().zip(&row.dims) {
            drill.insert(field.name.clone(), plain_text(value));
        }
        for (field, value) in result.dims.iter().zip(&row.dims) {
            let links = if drill_links && !value.is_null() {
                vec![dimension_drill(result, field, value)]
            } else {
                vec![]
            };
            obj.insert(field.name.clone(), cell(field, value, links));
        }
        for (m, (field, values)) in result.measures.iter().zip(&row.measures).enumerate() {
            // A pivoted cell drills into its pivot values too.
            let links = |value: &Value, key: Option<&PivotKey>| {
                if !drill_links {
                    return vec![];
                }
                let mut filters = drill.clone();
                for (pivot, v) in result
                    .pivots
                    .iter()
                    .zip(key.map(|k| k.values.as_slice()).unwrap_or_default())
                {
                    filters.insert(pivot.name.clone(), plain_text(v));
                }
                measure_links(result, field, value, &filters, web_url)
            };
            let row_total = row
                .row_totals
                .as_ref()
                .and_then(|t| t.get(m))
                .map(|v| cell(field, v, vec![]));
            let cells = measure_cells(result, values, row_total, |v, key| cell(field, v, links(v, key)));
            obj.insert(field.name.clone(), cells);
        }
        Value::Object(obj)
    });
    Value::Array(rows.collect())
}

/// A drill link to the explore showing the rows behind the cell, and the field's data actions.
fn measure_links(
    result: &Executed,
    field: &Field,
    value: &Value,
    drill: &std::collections::BTreeMap<String, String>,
    web_url: &str,
) -> Vec<Value> {
    let drill_query = QueryDef {
        model: result.def.model.clone(),
        view: result.def.view.clone(),
        fields: result
            .dims
            .iter()
            .map(|f| f.name.clone())
            .chain([field.name.clone()])
            .collect(),
        filters: drill.clone(),
        limit: Some("500".into()),
        ..QueryDef::default()
    };
    let shown = format::rendered(field, value).unwrap_or_else(|| plain_text(value));
    // As in Looker: a measure's own drill is `measure_default`, with a URL relative to the web server.
    let mut links = vec![json!({
        "label": format!("Show All {shown}"),
        "url": drill_query.explore_path(),
        "type": "measure_default",
    })];
    for action in &field.actions {
        let params: Vec<Value> = action
            .params
            .iter()
            .map(|(n, v)| json!({"name": n, "value": v}))
            .collect();
        links.push(json!({
            "label": action.label,
            "type": "action",
            "type_label": "Action",
            "url": format!("{web_url}{}", action.path),
            "params": params,
            "form_params": [],
            "form_url": action.form_path.map(|p| format!("{web_url}{p}")),
            "icon_url": null,
        }));
    }
    links
}

/// A dimension cell's drill, as Looker sends for dimensions: the query's fields filtered on this value (relative
/// URL, `type: "drill"`).
fn dimension_drill(result: &Executed, field: &Field, value: &Value) -> Value {
    let mut filters = result.def.filters.clone();
    filters.insert(field.name.clone(), plain_text(value));
    let drill_query = QueryDef {
        model: result.def.model.clone(),
        view: result.def.view.clone(),
        fields: result.def.fields.clone(),
        filters,
        limit: Some("500".into()),
        ..QueryDef::default()
    };
    let shown = plain_text(value);
    json!({
        "label": format!("Filter on {shown}"),
        "url": drill_query.explore_path(),
        "type": "drill",
        "type_label": format!("Drill into {shown}"),
    })
}

fn pivots(result: &Executed) -> Value {
    let pivots = result.pivot_keys.iter().map(|key| {
        let data: Map<String, Value> = result
            .pivots
            .iter()
            .zip(&key.values)
            .map(|(f, v)| (f.name.clone(), v.clone()))
            .collect();
        let labels: Map<String, Value> = result
            .pivots
            .iter()
            .zip(&key.values)
            .map(|(f, v)| (f.name.clone(), json!(plain_text(v))))
            .collect();
        json!({"key": key.key, "is_total": false, "data": data, "sort_values": data, "labels": labels, "metadata": {}})
    });
    Value::Array(pivots.collect())
}
