//! Errors from Slack, worded as what happened and what to do about it.

use std::time::Duration;

/// A failed Slack call. `Display` is meant for the person running the bot: it names the method, the cause, and the
/// fix where there is a known one. Tokens never appear in it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SlackError {
    /// Slack answered `{"ok": false, "error": code}`.
    #[error("Slack {method} failed: {}", api_advice(code, needed.as_deref(), channel.as_deref()))]
    Api {
        method: String,
        code: String,
        /// The scope Slack says is missing (`needed` in a `missing_scope` answer).
        needed: Option<String>,
        /// The channel the call was about, as the person named it, for advice like "invite the bot to #x".
        channel: Option<String>,
    },
    /// HTTP 429 that outlasted our retries.
    #[error("Slack {method} is rate limited (asked to wait {}s); try again later", retry_after.as_secs())]
    RateLimited { method: String, retry_after: Duration },
    /// An HTTP status other than 200 and 429.
    #[error("Slack {method} answered HTTP {status}{}", if *status >= 500 { "; Slack may be having trouble, try again later" } else { "" })]
    Http { method: String, status: u16 },
    #[error("Slack {method} did not answer within {}s; try again later", timeout.as_secs())]
    Timeout { method: String, timeout: Duration },
    /// The request could not be sent (DNS, connection refused, TLS).
    #[error("could not reach Slack for {method}: {message}; check the network and the Slack API URL")]
    Transport { method: String, message: String },
    /// The connection broke after the request went out, before the whole answer came back.
    #[error("the connection to Slack broke during {method} ({message}); try again later")]
    Interrupted { method: String, message: String },
    /// Slack answered something that is not the JSON we expect.
    #[error("Slack {method} answered something unexpected: {message}")]
    Decode { method: String, message: String },
    /// A channel or person that does not exist or that the bot cannot see; the text says what to check.
    #[error("{0}")]
    NotFound(String),
    /// A request we refuse to build (e.g. a response_url that is not https).
    #[error("{0}")]
    Invalid(String),
}

impl SlackError {
    /// Whether the same call may succeed later: rate limits, Slack server errors, timeouts, network trouble.
    pub fn is_retryable(&self) -> bool {
        match self {
            SlackError::RateLimited { .. }
            | SlackError::Timeout { .. }
            | SlackError::Transport { .. }
            | SlackError::Interrupted { .. } => true,
            SlackError::Http { status, .. } => *status >= 500,
            SlackError::Api { code, .. } => matches!(
                code.as_str(),
                "ratelimited"
                    | "rate_limited"
                    | "internal_error"
                    | "fatal_error"
                    | "service_unavailable"
                    | "request_timeout"
            ),
            SlackError::Decode { .. } | SlackError::NotFound(_) | SlackError::Invalid(_) => false,
        }
    }

    /// Whether Slack may have carried out the call although it failed: the request went out and no clear answer
    /// came back (a timeout, a connection cut, a server error or an answer that is not Slack's JSON). Slack's own
    /// `ok: false` answers, 429s and requests that never left are not.
    pub fn may_have_landed(&self) -> bool {
        match self {
            SlackError::Timeout { .. } | SlackError::Interrupted { .. } | SlackError::Decode { .. } => true,
            SlackError::Http { status, .. } => *status >= 500,
            SlackError::Api { .. }
            | SlackError::RateLimited { .. }
            | SlackError::Transport { .. }
            | SlackError::NotFound(_)
            | SlackError::Invalid(_) => false,
        }
    }

    /// The Slack error code of an `ok: false` answer.
    pub fn code(&self) -> Option<&str> {
        match self {
            SlackError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Names the channel the failed call was about, so the advice can say which channel to fix.
    pub fn in_channel(mut self, name: impl Into<String>) -> Self {
        if let SlackError::Api { channel, .. } = &mut self {
            *channel = Some(name.into());
        }
        self
    }
}

fn api_advice(code: &str, needed: Option<&str>, channel: Option<&str>) -> String {
    let channel = channel
        .map(|c| format!("#{}", c.trim_start_matches('#')))
        .unwrap_or_else(|| "the channel".into());
    match code {
        "not_in_channel" => format!("the bot is not in {channel}; invite the bot to {channel} with /invite @bot"),
        "channel_not_found" => {
            format!("{channel} was not found; check the name, and for a private channel invite the bot first")
        }
        "is_archived" => format!("{channel} is archived; unarchive it or pick another channel"),
        "invalid_auth" | "not_authed" | "token_revoked" | "account_inactive" | "token_expired" => {
            format!("{code}: Slack refused the bot token; check SLACK_API_KEY (the Bot User OAuth Token, xoxb-...)")
        }
        "missing_scope" => match needed {
            Some(scope) => format!(
                "missing_scope: the Slack app lacks the `{scope}` scope; add it under OAuth & Permissions and reinstall the app"
            ),
            None => "missing_scope: add the needed scope under OAuth & Permissions and reinstall the app".into(),
        },
        "ratelimited" | "rate_limited" => "ratelimited: Slack asks to slow down; try again later".into(),
        "user_not_found" | "users_not_found" => "user_not_found: no such Slack user; check the user name or id".into(),
        "user_not_in_channel" => format!("the person is not in {channel}, so a private reply cannot reach them"),
        "msg_too_long" => "msg_too_long: the message is longer than Slack allows".into(),
        "invalid_blocks" | "invalid_blocks_format" => {
            format!("{code}: Slack rejected the message layout (a bug in lookerbot's Block Kit rendering)")
        }
        "cannot_dm_bot" => "cannot_dm_bot: that user is a bot and cannot receive direct messages".into(),
        "not_allowed_token_type" => {
            format!("{code}: this call needs another kind of token (Socket Mode needs an app-level xapp- token)")
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: &str, needed: Option<&str>) -> SlackError {
        SlackError::Api {
            method: "chat.postMessage".into(),
            code: code.into(),
            needed: needed.map(Into::into),
            channel: None,
        }
    }

    #[test]
    fn advice_names_the_fix() {
        let text = api("not_in_channel", None).in_channel("alerts").to_string();
        assert!(text.contains("/invite @bot"), "{text}");
        assert!(text.contains("#alerts"), "{text}");
        assert!(api("invalid_auth", None).to_string().contains("SLACK_API_KEY"));
        let scope = api("missing_scope", Some("chat:write")).to_string();
        assert!(scope.contains("chat:write") && scope.contains("reinstall"), "{scope}");
    }

    #[test]
    fn retryable_only_for_transient_failures() {
        assert!(api("ratelimited", None).is_retryable());
        assert!(!api("channel_not_found", None).is_retryable());
        assert!(
            SlackError::Http {
                method: "x".into(),
                status: 503
            }
            .is_retryable()
        );
        assert!(
            !SlackError::Http {
                method: "x".into(),
                status: 404
            }
            .is_retryable()
        );
        assert!(
            SlackError::Timeout {
                method: "x".into(),
                timeout: Duration::from_secs(1)
            }
            .is_retryable()
        );
    }

    #[test]
    fn only_calls_without_a_clear_answer_may_have_landed() {
        let timeout = SlackError::Timeout {
            method: "chat.postMessage".into(),
            timeout: Duration::from_secs(15),
        };
        assert!(timeout.may_have_landed());
        let cut = SlackError::Interrupted {
            method: "chat.postMessage".into(),
            message: "connection reset".into(),
        };
        assert!(cut.may_have_landed() && cut.is_retryable());
        let refused = SlackError::Transport {
            method: "chat.postMessage".into(),
            message: "connection refused".into(),
        };
        assert!(!refused.may_have_landed());
        assert!(!api("ratelimited", None).may_have_landed());
        assert!(!api("channel_not_found", None).may_have_landed());
    }
}
