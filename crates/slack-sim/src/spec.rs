//! Method rules read from the slack-api-ref descriptions in `data/methods/` (required arguments, documented
//! errors, bot scopes), so the simulator validates requests the way the reference says rather than by hand.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use serde_json::Value;

/// The slack-api-ref description of every implemented method, by method name.
const METHOD_SOURCES: &[(&str, &str)] = &[
    (
        "apps.connections.open",
        include_str!("../data/methods/apps.connections.open.json"),
    ),
    ("auth.test", include_str!("../data/methods/auth.test.json")),
    (
        "chat.postEphemeral",
        include_str!("../data/methods/chat.postEphemeral.json"),
    ),
    (
        "chat.postMessage",
        include_str!("../data/methods/chat.postMessage.json"),
    ),
    ("chat.unfurl", include_str!("../data/methods/chat.unfurl.json")),
    ("chat.update", include_str!("../data/methods/chat.update.json")),
    (
        "conversations.info",
        include_str!("../data/methods/conversations.info.json"),
    ),
    (
        "conversations.history",
        include_str!("../data/methods/conversations.history.json"),
    ),
    (
        "conversations.list",
        include_str!("../data/methods/conversations.list.json"),
    ),
    (
        "conversations.open",
        include_str!("../data/methods/conversations.open.json"),
    ),
    (
        "files.completeUploadExternal",
        include_str!("../data/methods/files.completeUploadExternal.json"),
    ),
    (
        "files.getUploadURLExternal",
        include_str!("../data/methods/files.getUploadURLExternal.json"),
    ),
    ("rtm.connect", include_str!("../data/methods/rtm.connect.json")),
    ("team.info", include_str!("../data/methods/team.info.json")),
    ("users.info", include_str!("../data/methods/users.info.json")),
    ("users.list", include_str!("../data/methods/users.list.json")),
];

/// A required argument and its slack-api-ref `subtype` (`auth`, `channel`, `user`, `timestamp`, ...).
#[derive(Debug)]
pub struct RequiredArg {
    pub name: String,
    pub subtype: Option<String>,
}

/// What the simulator enforces for one method.
#[derive(Debug)]
pub struct MethodSpec {
    pub required: Vec<RequiredArg>,
    pub errors: BTreeSet<String>,
    /// Documented bot scopes; holding any one of them is enough here (several methods list one per
    /// conversation type).
    pub bot_scopes: Vec<String>,
}

impl MethodSpec {
    fn parse(method: &str, source: &str) -> MethodSpec {
        let doc: Value = serde_json::from_str(source)
            .unwrap_or_else(|e| panic!("data/methods/{method}.json is not valid JSON: {e}"));
        let args = &doc["args"];
        let required = args["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|name| RequiredArg {
                name: name.to_owned(),
                subtype: args["properties"][name]["subtype"].as_str().map(str::to_owned),
            })
            .collect();
        let errors = doc["errors"]
            .as_object()
            .map(|e| e.keys().cloned().collect())
            .unwrap_or_default();
        let bot_scopes = doc["scope"]["bot"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        MethodSpec {
            required,
            errors,
            bot_scopes,
        }
    }

    pub fn documents(&self, error: &str) -> bool {
        self.errors.contains(error)
    }

    /// The error Slack documents for a missing required argument: the "not found" error of its kind when the
    /// method documents one, otherwise `missing_argument` if documented, otherwise Slack's generic
    /// `invalid_arguments`.
    pub fn missing_arg_error(&self, arg: &RequiredArg) -> &'static str {
        let specific = match arg.subtype.as_deref() {
            Some("auth") => Some("not_authed"),
            Some("channel") => Some("channel_not_found"),
            Some("user") => Some("user_not_found"),
            Some("timestamp") => Some("message_not_found"),
            _ => None,
        };
        match specific {
            Some("not_authed") => "not_authed",
            Some(error) if self.documents(error) => error,
            _ if self.documents("missing_argument") => "missing_argument",
            _ => "invalid_arguments",
        }
    }
}

/// The spec of an implemented method, or `None` for a method the simulator does not know.
pub fn method(name: &str) -> Option<&'static MethodSpec> {
    static SPECS: OnceLock<HashMap<&'static str, MethodSpec>> = OnceLock::new();
    SPECS
        .get_or_init(|| {
            METHOD_SOURCES
                .iter()
                .map(|(name, src)| (*name, MethodSpec::parse(name, src)))
                .collect()
        })
        .get(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_parses_with_a_token_requirement() {
        for (name, _) in METHOD_SOURCES {
            let spec = method(name).expect("listed method has a spec");
            assert!(
                spec.required.iter().any(|a| a.name == "token"),
                "{name} requires a token"
            );
        }
    }

    #[test]
    fn missing_argument_errors_follow_the_documented_errors() {
        let post = method("chat.postMessage").unwrap();
        let channel = post.required.iter().find(|a| a.name == "channel").unwrap();
        assert_eq!(post.missing_arg_error(channel), "channel_not_found");

        let upload = method("files.getUploadURLExternal").unwrap();
        let length = upload.required.iter().find(|a| a.name == "length").unwrap();
        assert_eq!(upload.missing_arg_error(length), "missing_argument");

        let complete = method("files.completeUploadExternal").unwrap();
        let files = complete.required.iter().find(|a| a.name == "files").unwrap();
        assert_eq!(complete.missing_arg_error(files), "invalid_arguments");
    }

    #[test]
    fn scopes_come_from_the_reference() {
        assert_eq!(method("chat.postMessage").unwrap().bot_scopes, vec!["chat:write"]);
        assert!(method("auth.test").unwrap().bot_scopes.is_empty());
        assert!(method("no.such.method").is_none());
    }
}
