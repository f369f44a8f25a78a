//! Every model the bot reads accepts what Looker may send, checked against the official spec rather than against
//! our own idea of it: for each schema, instances built from `Looker.4.0.oas.json` with every nullable property
//! `null`, with only the required properties, and with every property filled must all parse. The json_detail result
//! and the webhook payload, which the spec does not type, get the same treatment from their documented shapes, and
//! real answers from Looker's own repositories (`tests/fixtures/README.md`) are parsed too.

use looker::models::{
    ApiVersion, ApiVersionElement, Dashboard, DashboardElement, DashboardFilter, DataActionForm, DataActionFormField,
    DataActionResponse, FilterListen, Folder, FolderBase, Look, Query, QueryResult, RenderTask, ResultMaker,
    ResultMakerFilterable, User, ValidationErrorDetail, ValidationErrors, WebhookPayload, from_json, from_value,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// How an instance is built from a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// Every property present; the nullable ones `null`, the others with a value.
    NullableAsNull,
    /// Only the properties the schema lists as required.
    RequiredOnly,
    /// Every property present with a value.
    Filled,
}

const VARIANTS: [Variant; 3] = [Variant::NullableAsNull, Variant::RequiredOnly, Variant::Filled];

/// Nested schemas deeper than this are left empty (`{}`), which every model must accept anyway.
const MAX_DEPTH: usize = 4;

fn spec() -> &'static Value {
    static SPEC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    SPEC.get_or_init(|| serde_json::from_str(looker_sandbox::spec::SPEC_TEXT).expect("the spec parses"))
}

fn schema(name: &str) -> &'static Value {
    let found = &spec()["components"]["schemas"][name];
    assert!(found.is_object(), "the spec has no schema {name}");
    found
}

fn ref_name(node: &Value) -> Option<&str> {
    node.get("$ref")?.as_str()?.rsplit('/').next()
}

/// An instance of the named schema.
fn instance(name: &str, variant: Variant, depth: usize) -> Value {
    let schema = schema(name);
    if depth > MAX_DEPTH {
        return json!({});
    }
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut object = Map::new();
    for (property, node) in schema["properties"].as_object().into_iter().flatten() {
        let value = match variant {
            Variant::RequiredOnly if !required.contains(&property.as_str()) => continue,
            Variant::NullableAsNull if node["nullable"] == true => Value::Null,
            _ => value_of(node, variant, depth),
        };
        object.insert(property.clone(), value);
    }
    Value::Object(object)
}

/// A value of the type a property node declares. Strings are digits, so that ids read as ids.
fn value_of(node: &Value, variant: Variant, depth: usize) -> Value {
    if let Some(name) = ref_name(node) {
        return instance(name, variant, depth + 1);
    }
    match node["type"].as_str() {
        Some("string") => json!("1"),
        Some("integer") => json!(1),
        Some("number") => json!(1.5),
        Some("boolean") => json!(true),
        Some("array") if variant == Variant::RequiredOnly => json!([]),
        Some("array") => json!([value_of(&node["items"], variant, depth)]),
        Some("object") => match node.get("additionalProperties") {
            Some(values) if values.is_object() => json!({"key": value_of(values, variant, depth)}),
            _ => json!({}),
        },
        _ => json!("any"),
    }
}

fn parses_every_variant<T: DeserializeOwned>(schema_name: &str) {
    for variant in VARIANTS {
        let value = instance(schema_name, variant, 0);
        if let Err(e) = from_value::<T>(value.clone()) {
            panic!(
                "{schema_name} ({variant:?}) does not parse into {}: {e}\n{value:#}",
                std::any::type_name::<T>()
            );
        }
    }
}

#[test]
fn every_model_reads_every_variant_the_spec_allows() {
    parses_every_variant::<Look>("Look");
    parses_every_variant::<Look>("LookWithQuery");
    parses_every_variant::<Dashboard>("Dashboard");
    parses_every_variant::<Dashboard>("DashboardBase");
    parses_every_variant::<DashboardElement>("DashboardElement");
    parses_every_variant::<DashboardFilter>("DashboardFilter");
    parses_every_variant::<Folder>("Folder");
    parses_every_variant::<FolderBase>("FolderBase");
    parses_every_variant::<Query>("Query");
    parses_every_variant::<User>("User");
    parses_every_variant::<ApiVersion>("ApiVersion");
    parses_every_variant::<ApiVersionElement>("ApiVersionElement");
    parses_every_variant::<RenderTask>("RenderTask");
    parses_every_variant::<DataActionForm>("DataActionForm");
    parses_every_variant::<DataActionFormField>("DataActionFormField");
    parses_every_variant::<DataActionResponse>("DataActionResponse");
    parses_every_variant::<ValidationErrors>("ValidationError");
    parses_every_variant::<ValidationErrorDetail>("ValidationErrorDetail");
    parses_every_variant::<ResultMaker>("ResultMakerWithIdVisConfigAndDynamicFields");
    parses_every_variant::<ResultMakerFilterable>("ResultMakerFilterables");
    parses_every_variant::<FilterListen>("ResultMakerFilterablesListen");
}

#[test]
fn nulls_read_as_missing_values_not_as_errors() {
    let query: Query = from_value(instance("Query", Variant::NullableAsNull, 0)).unwrap();
    assert_eq!(query.pivots, None);
    assert_eq!(query.filters, None);
    assert_eq!(query.model, "1", "non-nullable properties keep their values");
    let look: Look = from_value(instance("LookWithQuery", Variant::NullableAsNull, 0)).unwrap();
    assert_eq!(look.title, None);
    assert_eq!(look.query.map(|q| q.model), Some("1".to_owned()));
}

/// The `json_detail` result, which the spec types as a string: every key its real example has may be `null` or
/// absent, alone or all at once.
#[test]
fn a_json_detail_result_reads_with_any_key_null_or_absent() {
    let real: Value = serde_json::from_str(include_str!("../../looker-sandbox/data/json_detail_example.json")).unwrap();
    let keys = [
        "pivots",
        "fields",
        "data",
        "totals_data",
        "has_totals",
        "sql",
        "errors",
        "looker_error",
    ];
    let mut all_null = real.clone();
    let mut all_absent = real.clone();
    for key in keys {
        for (variant, edit) in [("null", Some(Value::Null)), ("absent", None)] {
            let mut changed = real.clone();
            match &edit {
                Some(null) => changed[key] = null.clone(),
                None => _ = changed.as_object_mut().unwrap().remove(key),
            }
            from_value::<QueryResult>(changed).unwrap_or_else(|e| panic!("json_detail with {key} {variant}: {e}"));
        }
        all_null[key] = Value::Null;
        all_absent.as_object_mut().unwrap().remove(key);
    }
    for field_kind in ["dimensions", "measures", "table_calculations", "pivots"] {
        let mut changed = real.clone();
        changed["fields"][field_kind] = Value::Null;
        from_value::<QueryResult>(changed).unwrap_or_else(|e| panic!("fields.{field_kind} null: {e}"));
    }
    let mut cells_with_nulls = real.clone();
    for row in cells_with_nulls["data"].as_array_mut().unwrap() {
        for cell in row.as_object_mut().unwrap().values_mut() {
            cell["links"] = Value::Null;
            cell["rendered"] = Value::Null;
            cell["value"] = Value::Null;
        }
    }
    let result: QueryResult = from_value(cells_with_nulls).unwrap();
    assert!(!result.data.is_empty());
    from_value::<QueryResult>(all_null).expect("every key null");
    from_value::<QueryResult>(all_absent).expect("every key absent");
}

#[test]
fn the_real_json_detail_example_reads_with_its_links() {
    let bytes = include_bytes!("../../looker-sandbox/data/json_detail_example.json");
    let result: QueryResult = from_json(bytes).unwrap();
    assert_eq!(result.fields.measures[0].name, "orders.count");
    let cell = result.data[0]["orders.count"].cell(None).unwrap();
    assert_eq!(cell.links[0].kind.as_deref(), Some("measure_default"));
    let month = result.data[0]["orders.created_month"].cell(None).unwrap();
    assert_eq!(month.value, "2017-07");
    assert_eq!(month.links.len(), 3);
}

#[test]
fn the_real_versions_answer_reads() {
    let versions: ApiVersion = from_json(include_bytes!("fixtures/versions.api-explorer.json")).unwrap();
    assert!(versions.supported_versions.iter().any(|v| v.version == "4.0"));
    assert_eq!(versions.web_server_url, None, "the real answer has no web_server_url");
}

/// The webhook payload (`DataWebhookPayload`, documented in WEBHOOKS_AND_ACTIONS.md): every member null, only
/// `type`, and the shapes seen in a real dashboard payload.
#[test]
fn a_webhook_payload_reads_with_nulls_absences_and_numbers_for_ids() {
    let every_null = json!({
        "type": null, "attachment": null, "data": null, "form_params": null, "state": null,
        "scheduled_plan": {"scheduled_plan_id": null, "title": null, "type": null, "url": null, "query_id": null,
            "query": null, "filters_differ_from_look": null, "download_url": null, "async_callback_url": null},
    });
    let payload: WebhookPayload = from_value(every_null).unwrap();
    assert_eq!(payload.scheduled_plan.unwrap().url, None);
    let minimal: WebhookPayload = from_value(json!({"type": "query"})).unwrap();
    assert_eq!(minimal.kind.as_deref(), Some("query"));
    let real_shape: WebhookPayload = from_value(json!({
        "type": "dashboard", "data": null, "form_params": {},
        "scheduled_plan": {"scheduled_plan_id": 42, "type": "LookMLDashboard", "query_id": 1234,
            "filters_differ_from_look": null, "url": "https://me.looker.com/dashboards/1"},
        "attachment": {"mimetype": "application/zip;base64", "extension": "zip", "data": "UEsD\nBBQ="},
    }))
    .unwrap();
    let plan = real_shape.scheduled_plan.unwrap();
    assert_eq!(plan.scheduled_plan_id.as_deref(), Some("42"));
    assert_eq!(plan.query_id.as_deref(), Some("1234"));
}
