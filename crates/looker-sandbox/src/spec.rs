//! The official Looker API 4.0 spec, parsed once into a compact table, and request validation against it.
//!
//! The spec is the authority on what a request may look like: operations are matched by method and path template,
//! and parameters and bodies are checked against the declared types, so code that passes here also passes real Looker.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

/// The spec as published, also served at `/api/4.0/swagger.json` (the `swagger_url` of `/versions`).
pub const SPEC_TEXT: &str = include_str!("../data/Looker.4.0.oas.json");

/// A JSON type as the spec names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
    /// No type declared (a bare `$ref`, or nothing): anything goes.
    Any,
}

impl JsonType {
    fn parse(name: Option<&str>) -> JsonType {
        match name {
            Some("string") => JsonType::String,
            Some("integer") => JsonType::Integer,
            Some("number") => JsonType::Number,
            Some("boolean") => JsonType::Boolean,
            Some("array") => JsonType::Array,
            Some("object") => JsonType::Object,
            _ => JsonType::Any,
        }
    }

    /// Whether a JSON value has this type (null is allowed: every property in the Looker spec is nullable).
    pub fn admits(self, value: &Value) -> bool {
        match (self, value) {
            (_, Value::Null) | (JsonType::Any, _) => true,
            (JsonType::String, Value::String(_)) => true,
            (JsonType::Integer, Value::Number(n)) => n.is_i64() || n.is_u64(),
            (JsonType::Number, Value::Number(_)) => true,
            (JsonType::Boolean, Value::Bool(_)) => true,
            (JsonType::Array, Value::Array(_)) => true,
            (JsonType::Object, Value::Object(_)) => true,
            _ => false,
        }
    }

    /// Whether a query or path parameter's text parses as this type.
    fn admits_text(self, text: &str) -> bool {
        match self {
            JsonType::Integer => text.parse::<i64>().is_ok(),
            JsonType::Number => text.parse::<f64>().is_ok(),
            JsonType::Boolean => matches!(text, "true" | "false"),
            _ => true,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            JsonType::String => "string",
            JsonType::Integer => "integer",
            JsonType::Number => "number",
            JsonType::Boolean => "boolean",
            JsonType::Array => "array",
            JsonType::Object => "object",
            JsonType::Any => "any",
        }
    }
}

/// A schema reference or inline type, enough to walk nested objects.
#[derive(Debug, Clone)]
pub struct TypeRef {
    pub ty: JsonType,
    /// The named schema for an object (`$ref`), or for an array's items.
    pub schema: Option<String>,
    /// Whether the spec allows `null` here (`nullable: true`); Looker then sends `null` for "no value".
    pub nullable: bool,
}

impl TypeRef {
    fn parse(node: &Value) -> TypeRef {
        let nullable = node.get("nullable").and_then(Value::as_bool).unwrap_or(false);
        if let Some(name) = ref_name(node) {
            return TypeRef {
                ty: JsonType::Object,
                schema: Some(name),
                nullable,
            };
        }
        let ty = JsonType::parse(node.get("type").and_then(Value::as_str));
        let schema = if ty == JsonType::Array {
            node.get("items").and_then(ref_name)
        } else {
            None
        };
        TypeRef { ty, schema, nullable }
    }
}

fn ref_name(node: &Value) -> Option<String> {
    node.get("$ref")?.as_str()?.rsplit('/').next().map(str::to_owned)
}

/// A named object schema: its properties and their types, and which must be present.
#[derive(Debug, Default)]
pub struct Schema {
    pub properties: HashMap<String, TypeRef>,
    pub required: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamLocation {
    Path,
    Query,
}

#[derive(Debug)]
pub struct Param {
    pub name: String,
    pub location: ParamLocation,
    pub required: bool,
    pub ty: JsonType,
}

#[derive(Debug)]
pub struct RequestBody {
    pub required: bool,
    pub content_type: String,
    pub shape: TypeRef,
    /// For map-like bodies (`additionalProperties`): the type every value must have.
    pub values: Option<JsonType>,
}

#[derive(Debug)]
enum Segment {
    Literal(String),
    Param(String),
}

/// One operation of the spec.
#[derive(Debug)]
pub struct Operation {
    pub id: String,
    pub method: String,
    segments: Vec<Segment>,
    pub params: Vec<Param>,
    pub body: Option<RequestBody>,
    /// The JSON schema of the success response, when it is JSON.
    pub response: Option<TypeRef>,
}

/// The whole compact table.
#[derive(Debug)]
pub struct Spec {
    pub operations: Vec<Operation>,
    pub schemas: HashMap<String, Schema>,
    pub looker_release_version: String,
    pub full_version: String,
}

/// The parsed spec, built on first use.
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| parse(SPEC_TEXT))
}

fn parse(text: &str) -> Spec {
    let root: Value = serde_json::from_str(text).expect("the embedded Looker spec is valid JSON");
    let mut operations = Vec::new();
    for (path, methods) in root["paths"].as_object().into_iter().flatten() {
        for (method, op) in methods.as_object().into_iter().flatten() {
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                operations.push(parse_operation(id, method, path, op));
            }
        }
    }
    let mut schemas = HashMap::new();
    for (name, schema) in root["components"]["schemas"].as_object().into_iter().flatten() {
        let props = schema.get("properties").and_then(Value::as_object);
        let properties = props
            .map(|props| props.iter().map(|(k, v)| (k.clone(), TypeRef::parse(v))).collect())
            .unwrap_or_default();
        let required = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        schemas.insert(name.clone(), Schema { properties, required });
    }
    let info = &root["info"];
    let full_version = info["version"].as_str().unwrap_or("4.0").to_owned();
    let looker_release_version = info["x-looker-release-version"].as_str().unwrap_or("").to_owned();
    Spec {
        operations,
        schemas,
        looker_release_version,
        full_version,
    }
}

fn parse_operation(id: &str, method: &str, path: &str, op: &Value) -> Operation {
    let segments = path
        .trim_matches('/')
        .split('/')
        .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => Segment::Param(name.to_owned()),
            None => Segment::Literal(s.to_owned()),
        })
        .collect();
    let params = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| Param {
            name: p["name"].as_str().unwrap_or_default().to_owned(),
            location: if p["in"] == "path" {
                ParamLocation::Path
            } else {
                ParamLocation::Query
            },
            required: p["required"].as_bool().unwrap_or(false),
            ty: JsonType::parse(p["schema"]["type"].as_str()),
        })
        .collect();
    let body = op.get("requestBody").and_then(|b| {
        let (content_type, media) = b["content"].as_object()?.iter().next()?;
        Some(RequestBody {
            required: b["required"].as_bool().unwrap_or(false),
            content_type: content_type.clone(),
            shape: TypeRef::parse(&media["schema"]),
            values: media["schema"]["additionalProperties"]["type"]
                .as_str()
                .map(|t| JsonType::parse(Some(t))),
        })
    });
    let response = ["200", "201"]
        .iter()
        .map(|code| &op["responses"][code]["content"]["application/json"]["schema"])
        .find(|schema| schema.is_object())
        .map(TypeRef::parse);
    Operation {
        id: id.to_owned(),
        method: method.to_uppercase(),
        segments,
        params,
        body,
        response,
    }
}

/// A request matched to its operation, with the path parameters taken out of the path.
#[derive(Debug)]
pub struct Matched {
    pub operation: &'static Operation,
    pub path_params: HashMap<String, String>,
}

/// Why a request does not fit the spec: the HTTP status to answer, and what to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub status: u16,
    pub message: String,
    /// For 422: the offending body field.
    pub field: Option<String>,
}

impl Rejection {
    fn new(status: u16, message: impl Into<String>) -> Self {
        Rejection {
            status,
            message: message.into(),
            field: None,
        }
    }
}

impl Spec {
    /// An operation by its operationId.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|op| op.id == id)
    }

    /// Finds the operation for a method and a path relative to `/api/4.0`. Literal segments win over parameters
    /// (so `/looks/search` is `search_looks`, not `look`).
    pub fn find(&'static self, method: &str, path: &str) -> Result<Matched, Rejection> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut best: Option<(usize, &Operation)> = None;
        let mut path_exists = false;
        for op in &self.operations {
            if op.segments.len() != parts.len() {
                continue;
            }
            let mut literals = 0;
            let fits = op.segments.iter().zip(&parts).all(|(seg, part)| match seg {
                Segment::Literal(l) => {
                    literals += 1;
                    l == part
                }
                Segment::Param(_) => !part.is_empty(),
            });
            if !fits {
                continue;
            }
            path_exists = true;
            if op.method == method && best.is_none_or(|(n, _)| literals > n) {
                best = Some((literals, op));
            }
        }
        let Some((_, operation)) = best else {
            let why = if path_exists {
                "method not allowed for this path"
            } else {
                "no such API path"
            };
            return Err(Rejection::new(
                404,
                format!("Not found ({why}: {method} /api/4.0{path})"),
            ));
        };
        let path_params = operation
            .segments
            .iter()
            .zip(&parts)
            .filter_map(|(seg, part)| match seg {
                Segment::Param(name) => Some((name.clone(), percent_decode(part))),
                Segment::Literal(_) => None,
            })
            .collect();
        Ok(Matched { operation, path_params })
    }

    /// Checks path and query parameters against the operation's declarations.
    pub fn check_params(&self, matched: &Matched, query: &HashMap<String, String>) -> Result<(), Rejection> {
        for param in &matched.operation.params {
            let value = match param.location {
                ParamLocation::Path => matched.path_params.get(&param.name),
                ParamLocation::Query => query.get(&param.name),
            };
            match value {
                None if param.required => {
                    return Err(Rejection::new(
                        400,
                        format!("Missing required parameter '{}'", param.name),
                    ));
                }
                Some(text) if !param.ty.admits_text(text) => {
                    return Err(Rejection::new(
                        400,
                        format!("Parameter '{}' must be {}, got '{}'", param.name, param.ty.name(), text),
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Checks a JSON request body: present when required, the right top-level type, and known properties typed as
    /// the schema says. Returns the parsed body (Null when there is none).
    pub fn check_json_body(&self, matched: &Matched, body: &[u8]) -> Result<Value, Rejection> {
        let Some(declared) = &matched.operation.body else {
            return Ok(Value::Null);
        };
        if !declared.content_type.contains("json") {
            return Ok(Value::Null);
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            if declared.required {
                return Err(Rejection::new(400, "A JSON request body is required"));
            }
            return Ok(Value::Null);
        }
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| Rejection::new(400, format!("Malformed JSON in request body: {e}")))?;
        let shape = &declared.shape;
        if !shape.ty.admits(&value) || value.is_null() {
            return Err(Rejection {
                status: 422,
                message: format!("Request body must be a JSON {}", shape.ty.name()),
                field: Some("body".into()),
            });
        }
        if let (Some(ty), Value::Object(fields)) = (declared.values, &value)
            && let Some((key, _)) = fields.iter().find(|(_, v)| !ty.admits(v))
        {
            return Err(Rejection {
                status: 422,
                message: format!("'{key}' must be {}", ty.name()),
                field: Some(key.clone()),
            });
        }
        if let (Some(name), Value::Object(fields)) = (&shape.schema, &value)
            && let Some(schema) = self.schemas.get(name)
        {
            for (key, field_value) in fields {
                if let Some(prop) = schema.properties.get(key)
                    && !prop.ty.admits(field_value)
                {
                    return Err(Rejection {
                        status: 422,
                        message: format!("'{key}' must be {} in {name}", prop.ty.name()),
                        field: Some(key.clone()),
                    });
                }
            }
        }
        Ok(value)
    }
}

/// Decodes `%XX` escapes in a path segment (ids and slugs are plain ASCII in practice).
pub fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_segments_win_over_parameters() {
        let m = spec().find("GET", "/looks/search").unwrap();
        assert_eq!(m.operation.id, "search_looks");
        let m = spec().find("GET", "/looks/42").unwrap();
        assert_eq!(m.operation.id, "look");
        assert_eq!(m.path_params["look_id"], "42");
    }

    #[test]
    fn unknown_paths_and_methods_are_404() {
        assert_eq!(spec().find("GET", "/nope").unwrap_err().status, 404);
        assert_eq!(spec().find("PUT", "/login").unwrap_err().status, 404);
    }

    #[test]
    fn required_and_typed_params_are_checked() {
        let m = spec().find("POST", "/render_tasks/queries/1/png").unwrap();
        let mut q = HashMap::from([("width".to_owned(), "100".to_owned())]);
        assert!(spec().check_params(&m, &q).unwrap_err().message.contains("height"));
        q.insert("height".into(), "abc".into());
        assert_eq!(spec().check_params(&m, &q).unwrap_err().status, 400);
        q.insert("height".into(), "80".into());
        assert!(spec().check_params(&m, &q).is_ok());
    }

    #[test]
    fn body_type_violations_are_422() {
        let m = spec().find("POST", "/queries").unwrap();
        assert_eq!(spec().check_json_body(&m, b"{").unwrap_err().status, 400);
        assert_eq!(spec().check_json_body(&m, b"[]").unwrap_err().status, 422);
        let err = spec()
            .check_json_body(&m, br#"{"model":"m","view":"v","fields":"x"}"#)
            .unwrap_err();
        assert_eq!((err.status, err.field.as_deref()), (422, Some("fields")));
        assert!(
            spec()
                .check_json_body(&m, br#"{"model":"m","view":"v","limit":"5"}"#)
                .is_ok()
        );
    }
}
