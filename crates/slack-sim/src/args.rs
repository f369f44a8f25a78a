//! Web API arguments as Slack accepts them: query string, form body, multipart form or JSON body, merged.

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value};

use crate::multipart;

/// Merged arguments of one call.
#[derive(Debug, Clone, Default)]
pub struct Args(pub Map<String, Value>);

/// A call's arguments and the token it presented.
#[derive(Debug)]
pub struct ParsedCall {
    pub args: Args,
    pub token: Option<String>,
    /// Set when the call put its token somewhere Slack ignores it (inside a JSON body).
    pub token_warning: Option<&'static str>,
}

/// Why a request body could not be read.
#[derive(Debug, PartialEq)]
pub enum BodyError {
    /// The body claims to be JSON but is not a JSON object.
    InvalidJson,
}

impl Args {
    /// A non-empty argument as text; numbers and booleans are rendered as Slack would receive them in a form.
    pub fn str(&self, key: &str) -> Option<String> {
        match self.0.get(key)? {
            Value::String(s) if s.is_empty() => None,
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub fn bool(&self, key: &str) -> Option<bool> {
        match self.0.get(key)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) => Some(matches!(s.as_str(), "true" | "1")),
            Value::Number(n) => Some(n.as_i64() != Some(0)),
            _ => None,
        }
    }

    pub fn u64(&self, key: &str) -> Option<Result<u64, ()>> {
        match self.0.get(key)? {
            Value::Number(n) => Some(n.as_u64().ok_or(())),
            Value::String(s) if s.is_empty() => None,
            Value::String(s) => Some(s.trim().parse().map_err(|_| ())),
            _ => Some(Err(())),
        }
    }

    /// An argument that holds JSON: form posts carry it as a string, JSON posts as a value.
    pub fn json(&self, key: &str) -> Option<Result<Value, ()>> {
        match self.0.get(key)? {
            Value::Null => None,
            Value::String(s) if s.is_empty() => None,
            Value::String(s) => Some(serde_json::from_str(s).map_err(|_| ())),
            other => Some(Ok(other.clone())),
        }
    }

    pub fn is_present(&self, key: &str) -> bool {
        match self.0.get(key) {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) => !s.is_empty(),
            Some(_) => true,
        }
    }
}

/// Reads the arguments and token of a Web API call.
pub fn parse_call(headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> Result<ParsedCall, BodyError> {
    let mut args = Map::new();
    let mut token_warning = None;
    if let Some(query) = query {
        insert_pairs(&mut args, serde_urlencoded::from_str(query).unwrap_or_default());
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match mime.as_str() {
        "application/json" if !body.is_empty() => {
            let Ok(Value::Object(mut fields)) = serde_json::from_slice(body) else {
                return Err(BodyError::InvalidJson);
            };
            if fields.remove("token").is_some() {
                token_warning = Some("a token inside a JSON body is ignored; send it as Authorization: Bearer");
            }
            args.extend(fields);
        }
        "application/x-www-form-urlencoded" => {
            insert_pairs(&mut args, serde_urlencoded::from_bytes(body).unwrap_or_default());
        }
        "multipart/form-data" => {
            let fields = multipart::parse(content_type, body).unwrap_or_default();
            let text_fields = fields
                .into_iter()
                .filter(|p| p.filename.is_none())
                .filter_map(|p| Some((p.name?, String::from_utf8(p.body).ok()?)));
            insert_pairs(&mut args, text_fields.collect());
        }
        _ => {}
    }
    let arg_token = args.remove("token").and_then(|t| t.as_str().map(str::to_owned));
    let token = bearer_token(headers).or(arg_token).filter(|t| !t.is_empty());
    Ok(ParsedCall {
        args: Args(args),
        token,
        token_warning,
    })
}

fn insert_pairs(args: &mut Map<String, Value>, pairs: Vec<(String, String)>) {
    for (key, value) in pairs {
        args.insert(key, Value::String(value));
    }
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(content_type: &str, auth: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
        if let Some(auth) = auth {
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(auth).unwrap());
        }
        h
    }

    #[test]
    fn merges_query_and_form_and_takes_token_from_form() {
        let call = parse_call(
            &headers("application/x-www-form-urlencoded", None),
            Some("limit=2"),
            b"token=xoxb-1&channel=C1&text=hi%20there",
        )
        .unwrap();
        assert_eq!(call.token.as_deref(), Some("xoxb-1"));
        assert_eq!(call.args.str("text").as_deref(), Some("hi there"));
        assert_eq!(call.args.u64("limit"), Some(Ok(2)));
        assert!(!call.args.0.contains_key("token"));
    }

    #[test]
    fn json_body_keeps_types_and_ignores_body_token() {
        let body = br#"{"token":"xoxb-1","channel":"C1","blocks":[{"type":"divider"}],"unfurl_links":false}"#;
        let call = parse_call(&headers("application/json; charset=utf-8", None), None, body).unwrap();
        assert_eq!(call.token, None);
        assert!(call.token_warning.is_some());
        assert_eq!(
            call.args.json("blocks"),
            Some(Ok(serde_json::json!([{"type":"divider"}])))
        );
        assert_eq!(call.args.bool("unfurl_links"), Some(false));
    }

    #[test]
    fn bearer_header_wins_and_bad_json_is_rejected() {
        let call = parse_call(&headers("text/plain", Some("Bearer xoxb-h")), Some("token=xoxb-q"), b"").unwrap();
        assert_eq!(call.token.as_deref(), Some("xoxb-h"));
        let err = parse_call(&headers("application/json", None), None, b"[1]").unwrap_err();
        assert_eq!(err, BodyError::InvalidJson);
    }
}
