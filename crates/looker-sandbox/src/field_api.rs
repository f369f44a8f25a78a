//! `lookml_model_explore` (an explore's fields with their labels) and `model_fieldname_suggestions` (the distinct
//! values of a field, as Looker suggests them in filter boxes).

use serde_json::{Value, json};

use crate::api::{Call, Reply, not_found};
use crate::filters::quote;
use crate::model::{self, Explore, Field, Kind};
use crate::state::State;

/// Most suggestions returned, as Looker caps them; `hit_limit` says when there were more.
pub const SUGGESTION_LIMIT: usize = 500;

/// `GET /lookml_models/{model}/explores/{explore}`.
pub fn lookml_model_explore(call: &Call) -> Reply {
    let (model_name, explore_name) = (call.path("lookml_model_name"), call.path("explore_name"));
    let Some(explore) = model::explore(model_name, explore_name) else {
        return not_found();
    };
    let fields = explore_fields(explore);
    let of_kind = |measure: bool| -> Vec<Value> {
        fields
            .iter()
            .filter(|f| f.measure == measure)
            .map(|f| field_json(f, explore))
            .collect()
    };
    Reply::Json(
        200,
        json!({
            "id": format!("{model_name}::{explore_name}"),
            "name": explore.name,
            "label": explore.label,
            "title": explore.label,
            "description": null,
            "model_name": model_name,
            "view_name": explore.name,
            "hidden": false,
            "fields": {
                "dimensions": of_kind(false),
                "measures": of_kind(true),
                "filters": [],
                "parameters": [],
            },
        }),
    )
}

fn explore_fields(explore: &Explore) -> Vec<&'static Field> {
    model::fields()
        .iter()
        .filter(|f| explore.views.contains(&f.view))
        .collect()
}

/// Strings are suggestable, as in LookML by default; numbers, dates and measures are not.
fn suggestable(field: &Field) -> bool {
    !field.measure && field.kind == Kind::String
}

fn field_json(field: &Field, explore: &Explore) -> Value {
    json!({
        "name": field.name,
        "label": field.label(),
        "label_short": field.label_short,
        "view_label": field.view_label,
        "view": field.view,
        "type": field.looker_type,
        "measure": field.measure,
        "is_numeric": field.is_numeric(),
        "can_filter": true,
        "hidden": false,
        "suggestable": suggestable(field),
        "suggest_explore": explore.name,
        "suggest_dimension": field.name,
        "field_group_label": field.group_label,
    })
}

/// `GET /models/{model}/views/{explore}/fields/{field}/suggestions[?term=]`: distinct non-empty values, sorted,
/// containing `term` (case-insensitively) when given.
pub fn model_fieldname_suggestions(state: &State, call: &Call) -> Reply {
    let Some(explore) = model::explore(call.path("model_name"), call.path("view_name")) else {
        return not_found();
    };
    let Some(field) = model::field(explore, call.path("field_name")) else {
        return not_found();
    };
    if !suggestable(field) {
        return Reply::Json(200, suggestions_json(Vec::new(), false));
    }
    let term = call
        .query
        .get("term")
        .filter(|t| !t.is_empty())
        .map(|t| format!(" AND LOWER({}) LIKE LOWER({})", field.sql, quote(&format!("%{t}%"))))
        .unwrap_or_default();
    let sql = format!(
        "SELECT DISTINCT {value} FROM {from} WHERE {value} IS NOT NULL AND {value} <> ''{term} ORDER BY 1 LIMIT {limit}",
        value = field.sql,
        from = explore.from_sql,
        limit = SUGGESTION_LIMIT + 1,
    );
    match state.sql_strings(&sql) {
        Ok(mut values) => {
            let hit_limit = values.len() > SUGGESTION_LIMIT;
            values.truncate(SUGGESTION_LIMIT);
            Reply::Json(200, suggestions_json(values, hit_limit))
        }
        Err(e) => crate::api::error(500, format!("Suggestions failed: {e}")),
    }
}

fn suggestions_json(values: Vec<String>, hit_limit: bool) -> Value {
    json!({
        "suggestions": values,
        "error": null,
        "from_cache": false,
        "hit_limit": hit_limit,
        "used_calcite_materialization": false,
    })
}
