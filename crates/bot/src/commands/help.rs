//! `help`: the custom commands by folder, the built-in commands, and where to add commands.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;

use super::{Command, Usage, split_first_word};
use crate::catalog::CustomCommand;
use crate::reply::{Block, Inline, Reply};
use crate::turn::Turn;

pub struct Help;

/// The top command folder's heading in help.
pub const TOP_CATEGORY: &str = "Shortcuts";

/// Help shows the commands as loaded unless that was longer ago than this: a command added a moment ago shows at
/// the next help after it, and many people asking for help at once cost Looker one reload, not one each.
pub const HELP_RELOADS_AFTER: Duration = Duration::from_secs(10);

#[async_trait]
impl Command for Help {
    fn name(&self) -> &'static str {
        "help"
    }

    fn usage(&self) -> Option<Usage> {
        Some(Usage {
            syntax: "help",
            description: "shows this list.",
        })
    }

    fn accepts(&self, _turn: &Turn<'_>, text: &str) -> bool {
        split_first_word(text).0 == "help"
    }

    async fn run(&self, turn: &Turn<'_>, _text: &str) {
        // Help is also the moment to pick up commands added since the last refresh.
        let catalog = turn
            .catalog_store
            .refresh_if_older(turn.lookers, HELP_RELOADS_AFTER)
            .await;
        let mut categories: BTreeMap<(bool, String), Vec<&CustomCommand>> = BTreeMap::new();
        for command in catalog.commands.iter().filter(|c| !c.hidden) {
            let key = match &command.category {
                None => (false, TOP_CATEGORY.to_string()),
                Some(name) => (true, name.clone()),
            };
            categories.entry(key).or_default().push(command);
        }
        let mut blocks = Vec::new();
        for ((_, category), commands) in &categories {
            blocks.push(Block::Heading {
                text: category.clone(),
                link: None,
            });
            for command in commands {
                blocks.push(Block::Paragraph(command_line(command)));
            }
        }
        blocks.push(Block::Heading {
            text: "Built-in commands".into(),
            link: None,
        });
        for usage in &turn.usages {
            blocks.push(Block::Paragraph(vec![
                Inline::Code(usage.syntax.to_string()),
                Inline::Text(format!(" {}", usage.description)),
            ]));
        }
        blocks.push(Block::Paragraph(vec![Inline::Text(
            "Paste a link to a Look, a dashboard or a shared query to see its results here.".into(),
        )]));
        if !catalog.folders.is_empty() {
            let mut where_to = vec![Inline::Text("To add commands, save dashboards in ".into())];
            for (i, folder) in catalog.folders.iter().enumerate() {
                if i > 0 {
                    where_to.push(Inline::Text(" or ".into()));
                }
                where_to.push(Inline::Link {
                    text: folder.name.clone(),
                    url: folder.url.clone(),
                });
            }
            where_to.push(Inline::Text(
                ": the dashboard's title is the command, its filters take the text after it.".into(),
            ));
            blocks.push(Block::Context(where_to));
        }
        for problem in &catalog.problems {
            blocks.push(Block::Context(vec![Inline::Text(format!(":warning: {problem}"))]));
        }
        turn.reply_to_asker(Reply::new(blocks)).await;
    }
}

/// `• <name> <first filter>  description`, the name linking to the dashboard.
fn command_line(command: &CustomCommand) -> Vec<Inline> {
    let mut line = vec![Inline::Link {
        text: command.name.clone(),
        url: command.url.clone(),
    }];
    if let Some((title, _)) = command.filters.first() {
        line.push(Inline::Text(format!(" <{}>", title.to_lowercase())));
    }
    if let Some(description) = &command.description {
        line.push(Inline::Text(" — ".into()));
        line.push(Inline::Italic(description.clone()));
    }
    line
}
