//! Running a query and shaping its reply: data as blocks, charts as images.

use looker::LookerClient;
use looker::models::Query;

use crate::charts::{RenderError, RenderSettings, render_query};
use crate::reply::{Block, ImageSource, Reply};
use crate::results::{Presentation, ResultView};

/// How results are shown, from the bot's settings.
#[derive(Debug, Clone, Copy)]
pub struct AnswerSettings {
    pub render: RenderSettings,
    /// Data-action buttons on single values.
    pub buttons: bool,
}

/// Runs `query` (creating it first when it has no id) and returns the titled reply, or a `:warning:` reply
/// that says what went wrong.
pub async fn query_reply(
    client: &LookerClient,
    query: &Query,
    title: Option<&str>,
    link: Option<String>,
    settings: &AnswerSettings,
) -> Reply {
    match try_query_reply(client, query, title, link, settings).await {
        Ok(reply) => reply,
        Err(e) => Reply::warning(match title {
            Some(title) => format!("{title}: {e}"),
            None => e.message,
        }),
    }
}

/// Why a query gave no reply, and whether trying later may help.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct AnswerError {
    pub message: String,
    pub retryable: bool,
}

impl From<looker::LookerError> for AnswerError {
    fn from(e: looker::LookerError) -> Self {
        AnswerError {
            retryable: e.is_retryable(),
            message: e.to_string(),
        }
    }
}

impl From<RenderError> for AnswerError {
    fn from(e: RenderError) -> Self {
        let retryable = match &e {
            RenderError::Looker(inner) => inner.is_retryable(),
            RenderError::TimedOut(_) => true,
            RenderError::Empty | RenderError::Failed(_) => false,
        };
        AnswerError {
            retryable,
            message: e.to_string(),
        }
    }
}

/// [`query_reply`] that hands failures back instead of turning them into a warning (for deliveries, which retry).
pub async fn try_query_reply(
    client: &LookerClient,
    query: &Query,
    title: Option<&str>,
    link: Option<String>,
    settings: &AnswerSettings,
) -> Result<Reply, AnswerError> {
    let query_id = match &query.id {
        Some(id) => id.clone(),
        None => client.create_query(query).await?.id.ok_or_else(|| AnswerError {
            message: "Looker gave the new query no id".into(),
            retryable: false,
        })?,
    };
    let link = link.or_else(|| query.share_url.clone());
    let mut blocks = Vec::new();
    if let Some(title) = title {
        blocks.push(Block::Heading {
            text: title.to_string(),
            link: link.clone(),
        });
    }
    if Presentation::of(query) == Presentation::Chart {
        let png = render_query(client, &query_id, &settings.render).await?;
        blocks.push(Block::Image {
            source: ImageSource::Png(png),
            title: title.unwrap_or("Chart").to_string(),
            link,
        });
        return Ok(Reply::new(blocks));
    }
    let result = client
        .run_query_rows(&query_id, Some(crate::results::rows_to_ask(query)))
        .await?;
    let base = client.web_url().as_str().trim_end_matches('/').to_string();
    let view = ResultView {
        query,
        result: &result,
        link,
        looker_base: &base,
        buttons: settings.buttons,
    };
    blocks.extend(view.blocks());
    Ok(Reply::new(blocks))
}
