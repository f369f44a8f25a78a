//! Every variable lookerbot reads, with a line of help each: the source of `lookerbot --help` and the README table.

/// A documented environment variable.
#[derive(Debug, Clone, Copy)]
pub struct Variable {
    pub name: &'static str,
    pub help: &'static str,
}

const fn var(name: &'static str, help: &'static str) -> Variable {
    Variable { name, help }
}

/// Groups of variables, in the order the help shows them.
pub const GROUPS: &[(&str, &[Variable])] = &[
    (
        "Slack",
        &[
            var(
                "SLACK_API_KEY",
                "Bot User OAuth token (xoxb-...). Required to talk to Slack.",
            ),
            var(
                "SLACK_BOT_TOKEN",
                "Same as SLACK_API_KEY, the name Slack's Bolt apps use.",
            ),
            var(
                "SLACK_APP_TOKEN",
                "App-level token (xapp-...) with connections:write: turns on Socket Mode.",
            ),
            var(
                "SLACK_SIGNING_SECRET",
                "Signing secret: turns on the Events API over HTTP and verifies requests.",
            ),
            var(
                "SLACK_SLASH_COMMAND_TOKEN",
                "Legacy verification token for slash commands and buttons.",
            ),
            var(
                "SLACK_MODE",
                "socket, events or rtm; overrides the mode chosen from the tokens.",
            ),
            var(
                "SLACK_API_URL",
                "Slack Web API base URL (default https://slack.com/api/); for proxies and tests.",
            ),
            var(
                "ALLOW_SLACK_GUEST_USERS",
                "true lets guest accounts use the bot (default false).",
            ),
            var(
                "ALLOW_SLACK_SHARED_WORKSPACES",
                "true lets people from other workspaces use it (default false).",
            ),
            var(
                "LOOKER_SLACKBOT_EXPAND_URLS",
                "true expands Looker links pasted in channels (default false).",
            ),
            var(
                "LOOKER_SLACKBOT_LOADING_MESSAGES",
                "false turns off loading messages (default true).",
            ),
            var(
                "LOOKERBOT_DATA_ACTIONS_IN_MESSAGES",
                "false turns off data-action buttons (default true).",
            ),
        ],
    ),
    (
        "Looker (one instance)",
        &[
            var(
                "LOOKER_URL",
                "Web URL of the Looker instance, e.g. https://mycompany.looker.com.",
            ),
            var(
                "LOOKER_API_BASE_URL",
                "API URL (…:19999/api/3.1 or /api/4.0, or the API host); 4.0 is used.",
            ),
            var(
                "LOOKERSDK_BASE_URL",
                "Same as LOOKER_API_BASE_URL, the Looker SDKs' name.",
            ),
            var("LOOKER_API_3_CLIENT_ID", "API client id of the user the bot runs as."),
            var("LOOKER_API_CLIENT_ID", "Same as LOOKER_API_3_CLIENT_ID."),
            var(
                "LOOKERSDK_CLIENT_ID",
                "Same as LOOKER_API_3_CLIENT_ID, the Looker SDKs' name.",
            ),
            var("LOOKER_API_3_CLIENT_SECRET", "API client secret of that user."),
            var("LOOKER_API_CLIENT_SECRET", "Same as LOOKER_API_3_CLIENT_SECRET."),
            var(
                "LOOKERSDK_CLIENT_SECRET",
                "Same as LOOKER_API_3_CLIENT_SECRET, the Looker SDKs' name.",
            ),
            var(
                "LOOKER_CUSTOM_COMMAND_FOLDER_ID",
                "Folder whose dashboards define custom commands.",
            ),
            var(
                "LOOKER_CUSTOM_COMMAND_SPACE_ID",
                "Same as LOOKER_CUSTOM_COMMAND_FOLDER_ID (spaces are folders now).",
            ),
            var(
                "LOOKER_WEBHOOK_TOKEN",
                "Webhook token from Looker's admin panel, for scheduled deliveries.",
            ),
            var(
                "LOOKER_CA_BUNDLE",
                "PEM file of the CA that signed a self-hosted Looker's certificate.",
            ),
            var(
                "LOOKERS",
                "JSON array of instances ({url, apiBaseUrl, clientId, clientSecret, customCommandSpaceId, \
                 webhookToken, caBundle, identity}); replaces the single-instance variables.",
            ),
            var(
                "LOOKERBOT_IDENTITY",
                "service (default: everyone asks as the bot's Looker user) or user (each Slack user asks as the \
                 Looker user with their email; the API user must be an admin).",
            ),
            var(
                "LOOKERBOT_IDENTITY_FALLBACK_CHANNELS",
                "With identity user: channel ids (comma-separated) where someone without a usable \
                 Looker account is answered as the bot's user instead of refused (default: none).",
            ),
            var(
                "LOOKERSDK_TIMEOUT",
                "Seconds a Looker API call may take (default 30; queries and images get at least 180).",
            ),
            var(
                "NODE_TLS_REJECT_UNAUTHORIZED",
                "0 turns off certificate checks (unsafe; prefer LOOKER_CA_BUNDLE).",
            ),
            var(
                "LOOKERSDK_VERIFY_SSL",
                "false turns off certificate checks, like NODE_TLS_REJECT_UNAUTHORIZED=0.",
            ),
        ],
    ),
    (
        "Server",
        &[
            var("PORT", "Port of the HTTP server (default 3333)."),
            var(
                "LOOKERBOT_AUTH_TOKEN",
                "Token Looker sends as Authorization: Token token=\"...\" (Action Hub).",
            ),
            var(
                "LOOKERBOT_PUBLIC_URL",
                "Public URL of this server, for the Action Hub's form and execute URLs.",
            ),
            var(
                "LOOKERBOT_DATA_DIR",
                "Folder for the delivery queue (default ./lookerbot-data).",
            ),
            var(
                "LOOKERBOT_DATABASE_URL",
                "PostgreSQL URL (postgres://user:password@host:5432/db) of a queue shared by several replicas \
                 (default: a SQLite file in the data folder, one replica). TLS as libpq: ?sslmode=verify-full\
                 &sslrootcert=/path/to/ca.pem checks the server's certificate, require only encrypts (sslmode \
                 disable, prefer (default), require, verify-ca, verify-full; without sslrootcert the system's CAs).",
            ),
            var(
                "LOOKERBOT_DELIVERY_LEASE_SECS",
                "Seconds a delivery in progress stays reserved, renewed while it runs; after a crash it is \
                 retried once this passes (default 30).",
            ),
            var(
                "LOOKERBOT_QUEUE_CAPACITY",
                "Most deliveries waiting at once; past it Looker's webhooks get 503 (default 10000).",
            ),
            var(
                "LOOKERBOT_IMAGE_WIDTH",
                "Width of chart images in pixels (default 1200).",
            ),
            var(
                "LOOKERBOT_IMAGE_HEIGHT",
                "Height of chart images in pixels (default 800).",
            ),
            var(
                "LOOKERBOT_STATUS_TOKEN",
                "Turns on the status page at /status; the token to log in with there (off when unset).",
            ),
            var("RUST_LOG", "Log filter, e.g. info or lookerbot=debug (default info)."),
            var(
                "LOG_FORMAT",
                "text (default; colours only on a terminal) or json (one JSON object per line).",
            ),
            var(
                "TOKIO_WORKER_THREADS",
                "Threads running the bot's async work (default 1, fastest replies; read from the process environment only).",
            ),
        ],
    ),
    (
        "Network",
        &[
            var(
                "HTTPS_PROXY",
                "Proxy for every HTTPS and wss:// connection (Looker, Slack, Socket Mode, image stores), e.g. http://proxy:3128; https_proxy works too.",
            ),
            var(
                "HTTP_PROXY",
                "Proxy for plain http:// and ws:// connections; http_proxy works too.",
            ),
            var(
                "NO_PROXY",
                "Hosts, domains (.example.com), IPs or networks reached without the proxy, comma-separated; no_proxy works too.",
            ),
        ],
    ),
    (
        "Chart images (optional; default: uploaded into Slack)",
        &[
            var("SLACKBOT_S3_BUCKET", "Amazon S3 bucket for chart images."),
            var("SLACKBOT_S3_BUCKET_REGION", "Its region (default us-east-1)."),
            var(
                "AWS_ACCESS_KEY_ID",
                "Access key that can write to the bucket (needs s3:PutObjectAcl).",
            ),
            var("AWS_SECRET_ACCESS_KEY", "Its secret."),
            var(
                "SLACKBOT_S3_ENDPOINT",
                "Endpoint of an S3-compatible store instead of AWS.",
            ),
            var("AZURE_STORAGE_ACCOUNT", "Azure Storage account for chart images."),
            var("SLACKBOT_AZURE_CONTAINER", "Container in that account."),
            var("AZURE_STORAGE_ACCESS_KEY", "Access key of that account."),
            var(
                "AZURE_STORAGE_ENDPOINT",
                "Blob endpoint instead of https://ACCOUNT.blob.core.windows.net.",
            ),
            var("GOOGLE_CLOUD_BUCKET", "Google Cloud Storage bucket for chart images."),
            var("GOOGLE_CLOUD_PROJECT", "Its project."),
            var(
                "GOOGLE_CLOUD_CREDENTIALS_JSON",
                "Service-account JSON (on Compute Engine the machine's own is used).",
            ),
            var(
                "GOOGLE_CLOUD_STORAGE_ENDPOINT",
                "Endpoint instead of https://storage.googleapis.com.",
            ),
        ],
    ),
];

/// The help text listing every variable, for `--help`.
pub fn help_text() -> String {
    let mut out = String::from("Environment variables (also read from a .env file; the environment wins):\n");
    for (group, vars) in GROUPS {
        out.push_str(&format!("\n  {group}:\n"));
        for v in *vars {
            out.push_str(&format!("    {:<34} {}\n", v.name, v.help));
        }
    }
    out
}

/// Whether `name` is a variable lookerbot documents.
pub fn is_known(name: &str) -> bool {
    GROUPS.iter().any(|(_, vars)| vars.iter().any(|v| v.name == name))
}
