//! Answers shaped the way Looker serializes them, and checked against the spec's response schemas.
//!
//! Real Looker writes every property of a response object, with `null` where a nullable one has no value
//! (`"pivots": null` in an unpivoted Query, `"folder": null`, ...), and leaves out optional properties that are not
//! nullable when it has nothing to say. A client that only ever saw tidy values breaks on the first real answer, so
//! every JSON answer of the sandbox goes through [`complete`] and then [`check`]: what the sandbox sends can only
//! drift from the spec by being recorded as a violation.

use serde_json::{Map, Value};

use crate::spec::{JsonType, Spec, TypeRef};

/// Properties older Lookers send that the 4.0 spec no longer lists, served on purpose by some sandbox content so
/// that clients keep reading them: a dashboard element's `listen` map (filter name to field), from before result
/// makers.
const LEGACY_PROPERTIES: &[(&str, &str)] = &[("DashboardElement", "listen")];

/// Properties the spec does not mark nullable that the sandbox sends as `null` when they have no value: a tile's
/// `look` and `result_maker` when the tile is not a Look or has no query, a user-defined dashboard's `model`. The
/// spec cannot be trusted to be complete here, and `null` is the harsher reading for a client.
const NULL_DESPITE_SPEC: &[(&str, &str)] = &[
    ("DashboardElement", "look"),
    ("DashboardElement", "result_maker"),
    ("DashboardElement", "query"),
    ("Dashboard", "model"),
    ("DashboardBase", "model"),
];

/// Adds `null` for every nullable property an object of a named schema lacks, at every depth.
pub fn complete(value: &mut Value, ty: &TypeRef, spec: &Spec) {
    walk_mut(value, ty, spec, &mut |object, schema| {
        for (name, property) in &schema.properties {
            if property.nullable && !object.contains_key(name) {
                object.insert(name.clone(), Value::Null);
            }
        }
    });
}

/// Every way `value` breaks the response schema `ty`: a required property missing, `null` where the spec does not
/// allow it, a value of the wrong type, a property the schema does not have. Each problem names its path.
pub fn check(value: &Value, ty: &TypeRef, spec: &Spec) -> Vec<String> {
    let mut problems = Vec::new();
    check_at(value, ty, spec, &type_name(ty), &mut problems);
    problems
}

fn check_at(value: &Value, ty: &TypeRef, spec: &Spec, path: &str, problems: &mut Vec<String>) {
    if value.is_null() {
        if !ty.nullable {
            problems.push(format!("{path} is null, which the spec does not allow"));
        }
        return;
    }
    if !ty.ty.admits(value) {
        problems.push(format!("{path} must be {}, not {value}", ty.ty.name()));
        return;
    }
    let Some(schema) = ty.schema.as_deref().and_then(|name| spec.schemas.get(name)) else {
        return;
    };
    match value {
        Value::Array(items) => {
            let item = element_type(ty);
            for (index, element) in items.iter().enumerate() {
                check_at(element, &item, spec, &format!("{path}[{index}]"), problems);
            }
        }
        Value::Object(object) => {
            for name in &schema.required {
                if !object.contains_key(name) {
                    problems.push(format!("{path}.{name} is required but missing"));
                }
            }
            let schema_name = ty.schema.as_deref().unwrap_or_default();
            for (name, field) in object {
                let null_despite_spec = field.is_null() && NULL_DESPITE_SPEC.contains(&(schema_name, name.as_str()));
                match schema.properties.get(name) {
                    Some(_) if null_despite_spec => {}
                    Some(property) => check_at(field, property, spec, &format!("{path}.{name}"), problems),
                    None if LEGACY_PROPERTIES.contains(&(schema_name, name.as_str())) => {}
                    None => problems.push(format!("{path}.{name} is not in the spec")),
                }
            }
        }
        _ => {}
    }
}

/// Calls `visit` on every object of a named schema inside `value`, outermost first.
fn walk_mut(
    value: &mut Value,
    ty: &TypeRef,
    spec: &Spec,
    visit: &mut dyn FnMut(&mut Map<String, Value>, &crate::spec::Schema),
) {
    let Some(schema) = ty.schema.as_deref().and_then(|name| spec.schemas.get(name)) else {
        return;
    };
    match value {
        Value::Array(items) if ty.ty == JsonType::Array => {
            let item = element_type(ty);
            for element in items {
                walk_mut(element, &item, spec, visit);
            }
        }
        Value::Object(object) if ty.ty == JsonType::Object => {
            visit(object, schema);
            for (name, field) in object.iter_mut() {
                if let Some(property) = schema.properties.get(name) {
                    walk_mut(field, property, spec, visit);
                }
            }
        }
        _ => {}
    }
}

/// The type of an array's elements: an object of the items' schema (the spec says nothing of null elements).
fn element_type(array: &TypeRef) -> TypeRef {
    TypeRef {
        ty: JsonType::Object,
        schema: array.schema.clone(),
        nullable: false,
    }
}

fn type_name(ty: &TypeRef) -> String {
    match (&ty.schema, ty.ty) {
        (Some(name), JsonType::Array) => format!("[{name}]"),
        (Some(name), _) => name.clone(),
        (None, other) => other.name().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::spec::spec;

    fn query_type() -> TypeRef {
        TypeRef {
            ty: JsonType::Object,
            schema: Some("Query".into()),
            nullable: false,
        }
    }

    #[test]
    fn completing_a_query_adds_every_nullable_property_as_null() {
        let mut query = json!({"id": "1", "model": "ecommerce", "view": "orders", "fields": ["orders.count"]});
        complete(&mut query, &query_type(), spec());
        assert_eq!(query["pivots"], Value::Null);
        assert_eq!(query["fill_fields"], Value::Null);
        assert_eq!(query["fields"], json!(["orders.count"]), "values are kept");
        assert!(
            query.get("can").is_none(),
            "`can` is not nullable: left out rather than null"
        );
        assert!(check(&query, &query_type(), spec()).is_empty());
    }

    #[test]
    fn the_check_names_what_breaks_the_schema() {
        let query = json!({"model": null, "fields": "orders.count", "invented": 1});
        let problems = check(&query, &query_type(), spec());
        assert!(
            problems.contains(&"Query.view is required but missing".to_owned()),
            "{problems:?}"
        );
        assert!(
            problems.contains(&"Query.model is null, which the spec does not allow".to_owned()),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.starts_with("Query.fields must be array")),
            "{problems:?}"
        );
        assert!(
            problems.contains(&"Query.invented is not in the spec".to_owned()),
            "{problems:?}"
        );
    }

    #[test]
    fn nested_objects_and_arrays_are_completed_and_checked() {
        let look = TypeRef {
            ty: JsonType::Array,
            schema: Some("Look".into()),
            nullable: false,
        };
        let mut looks = json!([{"id": "7", "title": "Orders", "folder": {"id": "1", "name": "Shared"}}]);
        complete(&mut looks, &look, spec());
        assert_eq!(looks[0]["description"], Value::Null);
        assert_eq!(
            looks[0]["folder"]["parent_id"],
            Value::Null,
            "nested FolderBase completed"
        );
        assert!(check(&looks, &look, spec()).is_empty());
        looks[0]["folder"]["name"] = Value::Null;
        assert_eq!(
            check(&looks, &look, spec()),
            vec!["[Look][0].folder.name is null, which the spec does not allow".to_owned()]
        );
    }
}
