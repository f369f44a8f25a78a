//! JSON for Looker resources (Query, Look, Dashboard, Folder, User), with the spec's field names and types.

use serde_json::{Map, Value, json};

use crate::content::{self, Content, Dashboard, Folder, Listen, Look, Tile};
use crate::query::QueryDef;

const CREATED_AT: &str = "2025-01-06T09:00:00.000+00:00";

/// A saved query: its id, slug and client id, and what it asks.
#[derive(Debug, Clone)]
pub struct StoredQuery {
    pub id: String,
    pub slug: String,
    pub client_id: String,
    pub def: QueryDef,
}

impl StoredQuery {
    pub fn new(id: String, def: QueryDef) -> StoredQuery {
        StoredQuery {
            slug: content::query_slug(&id),
            client_id: format!("SbxC{id:0>18}"),
            id,
            def,
        }
    }
}

/// The `Query` resource.
pub fn query_json(q: &StoredQuery, web_url: &str) -> Value {
    let d = &q.def;
    let explore = d.explore_path();
    json!({
        "can": {"run": true, "see_results": true, "explore": true, "create": true, "show": true},
        "id": q.id,
        "model": d.model,
        "view": d.view,
        "fields": d.fields,
        "pivots": list_or_null(&d.pivots),
        "fill_fields": list_or_null(&d.fill_fields),
        "filters": d.filters,
        "filter_expression": d.filter_expression,
        "sorts": list_or_null(&d.sorts),
        "limit": d.limit,
        "column_limit": d.column_limit,
        "total": d.total,
        "row_total": d.row_total,
        "subtotals": d.subtotals,
        "vis_config": d.vis_config,
        "filter_config": d.filter_config,
        "visible_ui_sections": null,
        "slug": q.slug,
        "dynamic_fields": d.dynamic_fields,
        "client_id": q.client_id,
        "share_url": format!("{web_url}/x/{}", q.slug),
        "expanded_share_url": format!("{web_url}{explore}"),
        "url": explore,
        "query_timezone": d.query_timezone,
        "has_table_calculations": false,
    })
}

/// Looker writes an unset list of a Query (`pivots`, `fill_fields`, `sorts`) as `null`, not `[]`.
fn list_or_null(items: &[String]) -> Value {
    if items.is_empty() { Value::Null } else { json!(items) }
}

fn user_ref() -> Value {
    json!(content::SANDBOX_USER_ID)
}

pub fn folder_base_json(folder: &Folder, content: &Content) -> Value {
    let children = content
        .folders
        .iter()
        .filter(|f| f.parent_id == Some(folder.id))
        .count();
    json!({
        "name": folder.name,
        "parent_id": folder.parent_id,
        "id": folder.id,
        "content_metadata_id": folder.id,
        "created_at": CREATED_AT,
        "creator_id": user_ref(),
        "child_count": children,
        "external_id": null,
        "is_embed": false,
        "is_embed_shared_root": false,
        "is_embed_users_root": false,
        "is_personal": false,
        "is_personal_descendant": false,
        "is_shared_root": folder.parent_id.is_none(),
        "is_users_root": false,
        "can": {"index": true, "show": true, "create": false, "update": false},
    })
}

/// The `Folder` resource: the base plus its Looks and dashboards.
pub fn folder_json(folder: &Folder, content: &Content, web_url: &str) -> Value {
    let mut obj = folder_base_json(folder, content);
    let looks: Vec<Value> = content
        .looks
        .iter()
        .filter(|l| l.folder_id == folder.id)
        .map(|l| {
            let mut look = look_json(l, content, web_url);
            look["dashboards"] = json!([]);
            look
        })
        .collect();
    let dashboards: Vec<Value> = content
        .dashboards
        .iter()
        .filter(|d| d.folder_id == folder.id)
        .map(|d| dashboard_base_json(d, content))
        .collect();
    obj["looks"] = json!(looks);
    obj["dashboards"] = json!(dashboards);
    obj
}

/// The `Look` resource (without its query).
pub fn look_json(look: &Look, content: &Content, web_url: &str) -> Value {
    let folder = content.folder(look.folder_id).map(|f| folder_base_json(f, content));
    json!({
        "can": {"run": true, "show": true, "index": true},
        "content_metadata_id": look.id,
        "id": look.id,
        "title": look.title,
        "user_id": user_ref(),
        "content_favorite_id": null,
        "created_at": CREATED_AT,
        "deleted": false,
        "deleted_at": null,
        "deleter_id": null,
        "description": look.description,
        "embed_url": format!("{web_url}/embed/looks/{}", look.id),
        "excel_file_url": format!("{web_url}/looks/{}.xlsx", look.id),
        "favorite_count": 0,
        "google_spreadsheet_formula": null,
        "image_embed_url": format!("{web_url}/looks/{}.png", look.id),
        "is_run_on_load": false,
        "last_accessed_at": null,
        "last_updater_id": user_ref(),
        "last_viewed_at": null,
        "model": {"id": crate::model::MODEL, "label": "The Look"},
        "public": false,
        "public_slug": null,
        "public_url": null,
        "query_id": look.query_id,
        "short_url": format!("/looks/{}", look.id),
        "folder": folder,
        "folder_id": look.folder_id,
        "updated_at": CREATED_AT,
        "user_name": "Sandbox User",
        "view_count": 7,
        "usage_count": 7,
        "is_owner_disabled": false,
    })
}

/// `LookWithQuery`: the Look, its query and its web URL.
pub fn look_with_query_json(look: &Look, query: &StoredQuery, content: &Content, web_url: &str) -> Value {
    let mut obj = look_json(look, content, web_url);
    obj["query"] = query_json(query, web_url);
    obj["url"] = json!(format!("{web_url}/looks/{}", look.id));
    obj
}

pub fn dashboard_base_json(d: &Dashboard, content: &Content) -> Value {
    json!({
        "can": {"show": true, "index": true, "run": true},
        "content_favorite_id": null,
        "content_metadata_id": d.id,
        "description": d.description,
        "hidden": false,
        "id": d.id,
        "model": null,
        "query_timezone": "UTC",
        "readonly": false,
        "refresh_interval": null,
        "refresh_interval_to_i": null,
        "folder": content.folder(d.folder_id).map(|f| folder_base_json(f, content)),
        "title": d.title,
        "user_id": user_ref(),
        "slug": format!("sbxdash{}", d.id),
        "preferred_viewer": "dashboards-next",
    })
}

/// The full `Dashboard`, with its elements and its filters.
pub fn dashboard_json(
    d: &Dashboard,
    content: &Content,
    query: &dyn Fn(&str) -> Option<StoredQuery>,
    web_url: &str,
) -> Value {
    let mut obj = dashboard_base_json(d, content);
    let extra = json!({
        "folder_id": d.folder_id,
        "created_at": CREATED_AT,
        "updated_at": CREATED_AT,
        "deleted": false,
        "view_count": 3,
        "favorite_count": 0,
        "show_title": true,
        "show_filters_bar": true,
        "user_name": "Sandbox User",
        "url": format!("{web_url}/dashboards/{}", d.id),
        "dashboard_elements": d.tiles.iter().map(|t| element_json(t, d, content, query, web_url)).collect::<Vec<_>>(),
        "dashboard_filters": d.filters.iter().enumerate().map(|(row, f)| filter_json(d, f, row)).collect::<Vec<_>>(),
        "dashboard_layouts": [],
    });
    if let (Value::Object(base), Value::Object(extra)) = (&mut obj, extra) {
        base.extend(extra);
    }
    obj
}

/// A `DashboardFilter` on a field, with its default and whether it is required.
fn filter_json(d: &Dashboard, filter: &content::Filter, row: usize) -> Value {
    json!({
        "can": {"show": true},
        "id": format!("{}0{}", d.id, row + 1),
        "dashboard_id": d.id,
        "name": filter.name,
        "title": filter.title,
        "type": "field_filter",
        "default_value": filter.default_value,
        "model": crate::model::MODEL,
        "explore": "order_items",
        "dimension": filter.dimension,
        "field": null,
        "row": row,
        "listens_to_filters": [],
        "allow_multiple_values": true,
        "required": filter.required,
        "ui_config": {"type": "advanced", "display": "popover"},
    })
}

/// A `DashboardElement` for one tile.
pub fn element_json(
    tile: &Tile,
    d: &Dashboard,
    content: &Content,
    query: &dyn Fn(&str) -> Option<StoredQuery>,
    web_url: &str,
) -> Value {
    let stored = query(&tile.query_id);
    let q = stored.as_ref().map(|s| query_json(s, web_url));
    let view = stored.as_ref().map(|s| s.def.view.clone()).unwrap_or_default();
    let look = tile
        .look_id
        .and_then(|id| content.look(id))
        .and_then(|look| query(&look.query_id).map(|lq| look_with_query_json(look, &lq, content, web_url)));
    let result_maker = json!({
        "id": tile.id,
        "dynamic_fields": null,
        "filterables": [{
            "model": crate::model::MODEL,
            "view": view,
            "name": tile.title,
            "listen": tile.listens.iter().map(|(filter, field)| json!({"dashboard_filter_name": filter, "field": field})).collect::<Vec<_>>(),
        }],
        "sorts": stored.as_ref().map(|s| s.def.sorts.clone()).unwrap_or_default(),
        "merge_result_id": null,
        "total": false,
        "query_id": tile.query_id,
        "sql_query_id": null,
        "query": q,
        "vis_config": stored.as_ref().and_then(|s| s.def.vis_config.clone()),
    });
    let mut element = json!({
        "can": {"show": true},
        "body_text": null,
        "dashboard_id": d.id,
        "dashboard_layout_id": null,
        "id": tile.id,
        "look": look,
        "look_id": tile.look_id,
        "merge_result_id": null,
        "note_display": null,
        "note_state": null,
        "note_text": null,
        "query": q,
        "query_id": tile.query_id,
        "result_maker": result_maker,
        "result_maker_id": tile.id,
        "subtitle_text": null,
        "title": tile.title,
        "title_hidden": false,
        "title_text": tile.title,
        "type": "vis",
    });
    if tile.listen == Listen::LegacyMap {
        // Older Lookers had no result maker and put `listen: {filter name: field}` on the element itself. Not in
        // the 4.0 spec; served on purpose so clients keep handling it.
        let listen: Map<String, Value> = tile
            .listens
            .iter()
            .map(|(filter, field)| (filter.to_string(), json!(field)))
            .collect();
        element["result_maker"] = Value::Null;
        element["result_maker_id"] = Value::Null;
        element["listen"] = Value::Object(listen);
    }
    element
}
