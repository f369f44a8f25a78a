//! The one place replies for Looker content are built: a query's data or chart, a Look, a dashboard as one image.
//! Links, `picture`, custom commands and deliveries all answer through here, so a Look or a dashboard looks the same
//! wherever it is asked for.

pub mod actions;
pub mod charts;
pub mod results;
pub mod suggestions;

use looker::LookerClient;
use looker::models::Query;

use crate::answers::charts::{RenderSettings, render_dashboard, render_query};
use crate::answers::results::{Presentation, ResultView};
use crate::failure::Failure;
use crate::reply::{Block, ImageSource, Reply};
use crate::sink::ReplyLimits;

/// How results are shown, from the bot's settings and the sink's limits.
#[derive(Debug, Clone, Copy)]
pub struct AnswerSettings {
    pub render: RenderSettings,
    /// Data-action buttons on single values.
    pub buttons: bool,
    /// How much one reply can hold where it goes (the sink's).
    pub limits: ReplyLimits,
}

/// A query's reply and how many rows its data had: `None` for a chart (Looker draws it; the bot never sees
/// the rows).
#[derive(Debug, Clone)]
pub struct Answer {
    pub reply: Reply,
    pub rows: Option<usize>,
}

/// Runs `query` (creating it first when it has no id) and returns its reply under `title`, linking to `link` (or
/// the query's share URL).
pub async fn query(
    client: &LookerClient,
    query: &Query,
    title: Option<&str>,
    link: Option<String>,
    settings: &AnswerSettings,
) -> Result<Answer, Failure> {
    let query_id = match &query.id {
        Some(id) => id.clone(),
        None => client
            .create_query(query)
            .await?
            .id
            .ok_or_else(|| Failure::permanent("Looker gave the new query no id"))?,
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
        .run_query_rows(
            &query_id,
            Some(crate::answers::results::rows_to_ask(query, &settings.limits)),
        )
        .await?;
    if let Some(error) = result.error_message() {
        // Looker answers 200 with the database's error inside: the query will fail the same way when run again.
        return Err(Failure::permanent(format!("Looker could not run the query: {error}")));
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

/// [`query`], a failure shown as the title and a warning that says what went wrong (for people asking in chat).
pub async fn query_or_warning(
    client: &LookerClient,
    to_run: &Query,
    title: Option<&str>,
    link: Option<String>,
    settings: &AnswerSettings,
) -> Answer {
    match query(client, to_run, title, link.clone(), settings).await {
        Ok(answer) => answer,
        Err(failure) => {
            let mut reply = Reply::warning(failure.message);
            if let Some(title) = title {
                let link = link.or_else(|| to_run.share_url.clone());
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

/// A Look's query, ready to run (its id filled in from the Look when the query lacks it), and its title.
pub async fn look_query(client: &LookerClient, look_id: &str) -> Result<(Query, Option<String>), Failure> {
    let look = client.look(look_id).await?;
    let mut query = look
        .query
        .ok_or_else(|| Failure::permanent(format!("Look {look_id} has no query.")))?;
    query.id = query.id.or(look.query_id);
    Ok((query, look.title))
}

/// A dashboard as one image under its title, both linking to `link`; `filters` in the URL query form render tasks
/// take.
pub async fn dashboard_picture(
    client: &LookerClient,
    dashboard_id: &str,
    filters: &str,
    title: &str,
    link: Option<String>,
    settings: &AnswerSettings,
) -> Result<Reply, Failure> {
    let png = render_dashboard(client, dashboard_id, filters, &settings.render).await?;
    Ok(Reply::new(vec![
        Block::Heading {
            text: title.to_string(),
            link: link.clone(),
        },
        Block::Image {
            source: ImageSource::Png(png),
            title: title.to_string(),
            link,
        },
    ]))
}
