//! `picture <command> [text]`: a custom command's whole dashboard as one image, with the text in every filter.

use async_trait::async_trait;
use url::form_urlencoded;

use super::{Command, Usage, split_first_word};
use crate::catalog::CustomCommand;
use crate::charts::render_dashboard;
use crate::reply::{Block, ImageSource, Reply};
use crate::turn::Turn;

pub struct Picture;

#[async_trait]
impl Command for Picture {
    fn name(&self) -> &'static str {
        "picture"
    }

    fn usage(&self) -> Option<Usage> {
        Some(Usage {
            syntax: "picture <command> [text]",
            description: "shows a custom command's whole dashboard as one image.",
        })
    }

    fn accepts(&self, _turn: &Turn<'_>, text: &str) -> bool {
        split_first_word(text).0 == "picture"
    }

    async fn run(&self, turn: &Turn<'_>, text: &str) {
        let (_, rest) = split_first_word(text);
        let catalog = turn.catalog.clone();
        let Some((command, argument)) = catalog.find(rest) else {
            let reply = Reply::text(format!("There is no custom command \"{rest}\". `help` lists them."));
            return turn.reply(reply).await;
        };
        let Some(looker) = turn.lookers.all().get(command.looker) else {
            return;
        };
        turn.loading().await;
        let client = turn.client(looker);
        let filters = dashboard_filters(command, argument);
        let link = if filters.is_empty() {
            command.url.clone()
        } else {
            format!("{}?{filters}", command.url)
        };
        let reply = match render_dashboard(&client, &command.dashboard_id, &filters, &turn.settings.render).await {
            Ok(png) => Reply::new(vec![
                Block::Heading {
                    text: command.title.clone(),
                    link: Some(link.clone()),
                },
                Block::Image {
                    source: ImageSource::Png(png),
                    title: command.title.clone(),
                    link: Some(link),
                },
            ]),
            Err(e) => Reply::warning(format!("{}: {e}", command.title)),
        };
        turn.reply(reply).await;
    }
}

/// Every dashboard filter set to `argument`, in the URL query form dashboard render tasks take.
fn dashboard_filters(command: &CustomCommand, argument: &str) -> String {
    if argument.is_empty() {
        return String::new();
    }
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (_, name) in &command.filters {
        query.append_pair(name, argument);
    }
    query.finish()
}
