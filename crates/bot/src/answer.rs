//! Running a query and shaping its reply: data as blocks, charts as images.

use looker::LookerClient;
use looker::models::Query;

use crate::charts::{RenderError, RenderSettings, render_query};
use crate::reply::{Block, ImageSource, Reply};
use crate::results::{Presentation, ResultView};
use crate::sink::ReplyLimits;

/// How results are shown, from the bot's settings.
#[derive(Debug, Clone, Copy)]
pub struct AnswerSettings {
    pub render: RenderSettings,
    /// Data-action buttons on single values.
    pub buttons: bool,
    /// How much one reply can hold where it goes (the sink's).
    pub limits: ReplyLimits,
}

/// Runs `query` (creating it first when it has no id) and returns the titled reply, or the title and a `:warning:`
/// that says what went wrong.
pub async fn query_reply(
    client: &LookerClient,
    query: &Query,
    title: Option<&str>,
    link: Option<String>,
    settings: &AnswerSettings,
) -> Reply {
    query_answer(client, query, title, link, settings).await.reply
}

/// [`query_reply`] with the number of rows (see [`Answer`]); a failure is the title and a warning, with no rows.
pub async fn query_answer(
    client: &LookerClient,
    query: &Query,
    title: Option<&str>,
    link: Option<String>,
    settings: &AnswerSettings,
) -> Answer {
    match try_query_answer(client, query, title, link.clone(), settings).await {
        Ok(answer) => answer,
        Err(e) => {
            let mut reply = Reply::warning(e.message);
            if let Some(title) = title {
                let link = link.or_else(|| query.share_url.clone());
                reply.blocks.insert(
                    0,
                    Block::Heading {
                        text: title.to_string(),
                        link,
                    },
                );
            }
            Answer { reply, rows: None }
        }
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
    try_query_answer(client, query, title, link, settings)
        .await
        .map(|answer| answer.reply)
}

/// A query's reply and how many rows its data had: `None` for a chart (Looker draws it; the bot never sees
/// the rows).
#[derive(Debug, Clone)]
pub struct Answer {
    pub reply: Reply,
    pub rows: Option<usize>,
}

/// [`try_query_reply`] that also says how many rows came back, for callers that explain an empty result.
pub async fn try_query_answer(
    client: &LookerClient,
    query: &Query,
    title: Option<&str>,
    link: Option<String>,
    settings: &AnswerSettings,
) -> Result<Answer, AnswerError> {
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
        return Ok(Answer {
            reply: Reply::new(blocks),
            rows: None,
        });
    }
    let result = client
        .run_query_rows(&query_id, Some(crate::results::rows_to_ask(query, &settings.limits)))
        .await?;
    if let Some(error) = result.error_message() {
        // Looker answers 200 with the database's error inside: the query will fail the same way when run again.
        return Err(AnswerError {
            message: format!("Looker could not run the query: {error}"),
            retryable: false,
        });
    }
    let rows = Some(result.data.len());
    let base = client.web_url().as_str().trim_end_matches('/').to_string();
    let view = ResultView {
        query,
        result: &result,
        link,
        looker_base: &base,
        buttons: settings.buttons,
        limits: settings.limits,
    };
    blocks.extend(view.blocks());
    Ok(Answer {
        reply: Reply::new(blocks),
        rows,
    })
}
