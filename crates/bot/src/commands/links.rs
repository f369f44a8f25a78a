//! Looker links in a message (Looks, share links, dashboards, Explores with `qid=`), expanded into results.

use async_trait::async_trait;
use url::Url;

use super::{Command, Usage};
use crate::answers;
use crate::commands::turn::Turn;
use crate::failure::Failure;
use crate::lookers::Looker;
use crate::reply::Reply;

pub struct Links;

/// Most links expanded from one message, so a pasted list cannot flood a channel.
pub const MAX_LINKS: usize = 5;

/// What a Looker URL points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookerLink {
    Look(String),
    /// A share link `/x/<slug>` or an Explore with `qid=<slug>`.
    QuerySlug(String),
    /// A dashboard, with its filters as given in the URL's query string.
    Dashboard {
        id: String,
        filters: String,
    },
}

impl LookerLink {
    pub fn parse(url: &Url) -> Option<LookerLink> {
        let segments: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
        match segments.as_slice() {
            ["looks", id] => Some(LookerLink::Look(id.to_string())),
            ["x", slug] => Some(LookerLink::QuerySlug(slug.to_string())),
            ["dashboards" | "dashboards-next", id] => Some(LookerLink::Dashboard {
                id: id.to_string(),
                filters: url.query().unwrap_or_default().to_string(),
            }),
            ["explore", _, _] => url
                .query_pairs()
                .find(|(k, _)| k == "qid")
                .map(|(_, v)| LookerLink::QuerySlug(v.into_owned())),
            _ => None,
        }
    }
}

/// The URLs in `text` that belong to a configured Looker, with their Looker.
pub fn looker_links(turn: &Turn<'_>, text: &str) -> Vec<(Looker, Url, LookerLink)> {
    text.split_whitespace()
        .map(|word| word.trim_matches(|c: char| matches!(c, '<' | '>' | '(' | ')' | ',' | '.' | '"' | '\'')))
        .filter_map(|word| Url::parse(word.split('|').next().unwrap_or(word)).ok())
        .filter_map(|url| {
            let looker = turn.lookers.owning(&url)?;
            let link = LookerLink::parse(&url)?;
            Some((looker.clone(), url, link))
        })
        .take(MAX_LINKS)
        .collect()
}

#[async_trait]
impl Command for Links {
    /// The links to expand, each with its Looker (at most [`MAX_LINKS`]).
    type Request = Vec<(Looker, Url, LookerLink)>;

    fn name(&self) -> &'static str {
        "link"
    }

    fn usage(&self) -> Option<Usage> {
        None
    }

    fn reads_along(&self) -> bool {
        true
    }

    fn parse(&self, turn: &Turn<'_>, text: &str) -> Option<Self::Request> {
        let links = looker_links(turn, text);
        (!links.is_empty()).then_some(links)
    }

    async fn run(&self, turn: &Turn<'_>, links: Self::Request) {
        turn.loading().await;
        for (looker, url, link) in links {
            match expand(turn, &looker, &url, &link).await {
                Ok(mut reply) => {
                    reply.source_link = Some(url.to_string());
                    turn.reply(reply).await;
                }
                // Reading along in a channel, the bot stays quiet about links it cannot open.
                Err(failure) if !turn.addressed() => {
                    tracing::info!(%url, "link not expanded: {failure}")
                }
                Err(failure) => turn.reply(Reply::warning(failure.message)).await,
            }
        }
    }
}

async fn expand(turn: &Turn<'_>, looker: &Looker, url: &Url, link: &LookerLink) -> Result<Reply, Failure> {
    let client = turn.client(looker);
    let settings = turn.answer_settings();
    let (query, title) = match link {
        LookerLink::Look(id) => {
            let (query, title) = answers::look_query(&client, id).await?;
            (query, title.unwrap_or_else(|| format!("Look {id}")))
        }
        LookerLink::QuerySlug(slug) => (client.query_for_slug(slug).await?, "Query".to_string()),
        LookerLink::Dashboard { id, filters } => {
            let dashboard = client.dashboard(id).await?;
            let title = dashboard.title.unwrap_or_else(|| format!("Dashboard {id}"));
            return answers::dashboard_picture(&client, id, filters, &title, Some(url.to_string()), &settings).await;
        }
    };
    answers::query(&client, &query, Some(&title), Some(url.to_string()), &settings)
        .await
        .map(|answer| answer.reply)
        .map_err(|failure| failure.within(&title))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Option<LookerLink> {
        LookerLink::parse(&Url::parse(s).unwrap())
    }

    #[test]
    fn link_kinds() {
        assert_eq!(
            parse("https://me.looker.com/looks/42"),
            Some(LookerLink::Look("42".into()))
        );
        assert_eq!(
            parse("https://me.looker.com/x/AbC123"),
            Some(LookerLink::QuerySlug("AbC123".into()))
        );
        assert_eq!(
            parse("https://me.looker.com/explore/thelook/orders?qid=Zz9&toggle=vis"),
            Some(LookerLink::QuerySlug("Zz9".into()))
        );
        assert_eq!(
            parse("https://me.looker.com/dashboards/7?State=Texas"),
            Some(LookerLink::Dashboard {
                id: "7".into(),
                filters: "State=Texas".into()
            })
        );
        assert_eq!(parse("https://me.looker.com/folders/3"), None);
    }
}
