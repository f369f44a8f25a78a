//! Data actions: `perform_data_action` as a webhook that accepts or rejects, and the form of the sandbox's action.

use serde_json::{Value, json};

use crate::api::{Reply, validation_error};
use crate::state::State;

/// Records the request and answers like a webhook that accepted it. It fails (`success: false` with
/// `validation_errors`) when the action has no `url`, when the action has a `form_url` and the form value `channel`
/// is missing, or when any form value or action param value is the text `fail` (the error names that field).
pub fn perform_data_action(state: &State, body: &Value) -> Reply {
    state
        .data_actions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(body.clone());
    let action = &body["action"];
    let form = &body["form_values"];
    let failing_param = action["params"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["value"] == "fail")
        .and_then(|p| p["name"].as_str());
    let failing_form = form
        .as_object()
        .into_iter()
        .flatten()
        .find(|(_, v)| *v == "fail")
        .map(|(k, _)| k.as_str());
    let problem = if action["url"].as_str().is_none() {
        Some(("action", "missing", "The action has no url".to_owned()))
    } else if action["form_url"].is_string() && form["channel"].as_str().is_none_or(str::is_empty) {
        Some(("channel", "missing", "Choose a channel".to_owned()))
    } else {
        failing_form
            .or(failing_param)
            .map(|field| ("value", "invalid", format!("The receiving server rejected '{field}'")))
    };
    let response = match problem {
        Some((field, code, message)) => json!({
            "webhook_id": null, "success": false, "refresh_query": false,
            "validation_errors": validation_error(field, code, &message), "message": null,
        }),
        None => {
            let message = if action["url"].as_str().is_some_and(|u| u.ends_with("/ping")) {
                "Pinged!".to_owned()
            } else {
                format!("Sent to {}!", form["channel"].as_str().unwrap_or("the channel"))
            };
            json!({"webhook_id": null, "success": true, "refresh_query": false, "message": message})
        }
    };
    Reply::Json(200, response)
}

/// The form of the sandbox's "Send to a channel" action.
pub fn data_action_form() -> Value {
    json!({
        "state": {"data": "", "refresh_time": 0},
        "fields": [
            {"name": "channel", "label": "Channel", "description": "Where to send the value.", "type": "select",
             "default": null, "oauth_url": null, "interactive": false, "required": true,
             "options": [{"name": "C0SANDBOX1", "label": "#general"}, {"name": "C0SANDBOX2", "label": "#sales"}]},
            {"name": "message", "label": "Message", "description": null, "type": "textarea",
             "default": "", "oauth_url": null, "interactive": false, "required": false, "options": []},
        ],
    })
}
