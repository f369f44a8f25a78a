//! What can go wrong talking to Looker, worded for the person who sees it.

/// An error from a Looker call. `Display` says what happened and, where it can, what to do.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LookerError {
    #[error(
        "Looker at {url} could not be reached ({detail}). Check that the API URL is right and that this server can reach it."
    )]
    Unreachable { url: String, detail: String },

    #[error("Looker did not answer {operation} within {seconds} seconds. Try again, or simplify the query.")]
    Timeout { operation: &'static str, seconds: u64 },

    #[error(
        "Looker refused the bot's API credentials ({message}). Check the client id and secret of the bot's Looker API user."
    )]
    Login { message: String },

    #[error("{}", api_message(.operation, *.status, .message, .details))]
    Api {
        operation: &'static str,
        status: u16,
        message: String,
        details: Vec<String>,
    },

    #[error(
        "Looker at {url} does not offer API 4.0 (it offers {offered}). Lookerbot needs Looker 23.18 or later, or at least API 4.0 enabled."
    )]
    NoApi40 { url: String, offered: String },

    #[error(
        "{url} answered {operation} with a web page (HTTP {status}), not Looker's API: the API URL points at something \
         that is not Looker's API (a login page, a proxy, another site). Set LOOKER_API_BASE_URL (or \"apiBaseUrl\" in \
         LOOKERS) to your Looker's API URL, e.g. https://mycompany.looker.com:19999/api/4.0 or \
         https://mycompany.looker.com/api/4.0."
    )]
    NotLooker {
        operation: &'static str,
        url: String,
        status: u16,
    },

    #[error("Looker's answer to {operation} could not be read ({detail}).")]
    Decode { operation: &'static str, detail: String },

    #[error(
        "Looker at {url} is not answering (its last calls failed or timed out); the bot tries it again in {seconds} \
         seconds."
    )]
    Down { url: String, seconds: u64 },

    #[error(
        "Looker's answer to {operation} is larger than {megabytes} MB, more than the bot takes; ask for fewer rows or \
         columns, or see it in Looker."
    )]
    TooLarge { operation: &'static str, megabytes: usize },

    #[error("The Looker client could not be set up: {0}")]
    Setup(String),

    /// A call made as a Looker user (identity `user`) that Looker refused (403) or answered as if the content did
    /// not exist (404, which is also what Looker says about content or models a user may not see).
    #[error(
        "Your Looker account (user {user_id}) may not {} (Looker answered {status}): it does not exist, or your \
         account has no access to it or to its model's data. Nothing was run as anyone else; ask your Looker admin \
         for access.",
        what_was_refused(.operation)
    )]
    NoAccess {
        operation: &'static str,
        status: u16,
        /// Looker's own words ("Not found"), for logs; people get what it means for them.
        message: String,
        user_id: String,
    },

    /// Looker refused to let the bot act as a Looker user it found before (`login_user` answered 403 or 404): the
    /// account was disabled or deleted, or the API user lost its admin rights.
    #[error(
        "Looker no longer lets the bot act as your Looker account (user {user_id}): it was disabled or deleted \
         (or the bot's Looker API user is no longer an admin). Nothing was run as anyone else; ask your Looker \
         admin."
    )]
    UserGone { user_id: String },
}

/// What a refused operation would have done, in words for the person who asked.
fn what_was_refused(operation: &str) -> &'static str {
    match operation {
        "look" | "run_look" | "create_look_render_task" => "open this Look",
        "dashboard" | "dashboard_dashboard_elements" | "create_dashboard_render_task" => "open this dashboard",
        "query" | "query_for_slug" | "create_query" | "run_query" | "run_inline_query" => "run this query",
        "create_query_render_task" => "draw this chart",
        "perform_data_action" => "run this action",
        _ => "see this",
    }
}

impl LookerError {
    /// Whether trying again later may work (Looker down, slow or overloaded).
    pub fn is_retryable(&self) -> bool {
        match self {
            LookerError::Unreachable { .. } | LookerError::Timeout { .. } | LookerError::Down { .. } => true,
            LookerError::Api { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// Whether Looker refused the Looker user a request acts as (no access, or the account is gone): the asker's
    /// answer, privately, rather than a failure of the bot.
    pub fn is_refusal_of_user(&self) -> bool {
        matches!(self, LookerError::NoAccess { .. } | LookerError::UserGone { .. })
    }

    /// The HTTP status Looker answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            LookerError::Api { status, .. } | LookerError::NoAccess { status, .. } => Some(*status),
            _ => None,
        }
    }
}

fn api_message(operation: &str, status: u16, message: &str, details: &[String]) -> String {
    let advice = match status {
        401 => " The bot's Looker session was refused; check its API credentials.",
        403 => {
            " The bot's Looker API user lacks a permission for this: give its role access (e.g. see_looks, see_user_dashboards, explore, access_data)."
        }
        404 => {
            " It does not exist, or the bot's Looker API user cannot see it (check the content's folder permissions)."
        }
        429 => " Looker is rate limiting the bot; try again in a moment.",
        500..=599 => " Looker had an internal problem; try again later.",
        _ => "",
    };
    let mut text = format!("Looker answered {status} to {operation}: {message}.{advice}");
    for detail in details {
        text.push('\n');
        text.push_str(detail);
    }
    text
}
