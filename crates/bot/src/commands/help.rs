//! `help`: the custom commands by folder with their filters, the built-in commands, and where to add commands;
//! `help <command>`: one command in full, with an example.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;

use super::{Command, Usage, no_such_command, split_first_word};
use crate::commands::catalog::CustomCommand;
use crate::commands::request::Parameter;
use crate::commands::turn::Turn;
use crate::reply::{Block, Inline, Reply, Tone};

pub struct Help;

/// The top command folder's heading in help.
pub const TOP_CATEGORY: &str = "Shortcuts";

/// Help shows the commands as loaded unless that was longer ago than this: a command added a moment ago shows at
/// the next help after it, and many people asking for help at once cost Looker one reload, not one each.
pub const HELP_RELOADS_AFTER: Duration = Duration::from_secs(10);

#[async_trait]
impl Command for Help {
    /// The command asked about, if any.
    type Request = Option<String>;

    fn name(&self) -> &'static str {
        "help"
    }

    fn usage(&self) -> Option<Usage> {
        Some(Usage {
            syntax: "help [command]",
            description: "shows this list, or one custom command in full.",
        })
    }

    fn parse(&self, _turn: &Turn<'_>, text: &str) -> Option<Option<String>> {
        let (word, asked) = split_first_word(text);
        (word == "help").then(|| (!asked.is_empty()).then(|| asked.to_string()))
    }

    async fn run(&self, turn: &Turn<'_>, asked: Option<String>) {
        // Help is also the moment to pick up commands added since the last refresh.
        let catalog = turn
            .catalog_store
            .refresh_if_older(turn.lookers, HELP_RELOADS_AFTER)
            .await;
        if let Some(asked) = asked {
            let reply = match catalog.find(&asked) {
                Some((command, _)) => command_help(turn, command).await,
                None => no_such_command(&asked),
            };
            return turn.reply_to_asker(reply).await;
        }
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
            let mut where_to = vec![Inline::Text("To add commands, save dashboards or Looks in ".into())];
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
                ": the title is the command, its filters take the text after it; ".into(),
            ));
            where_to.push(Inline::Code("help <command>".into()));
            where_to.push(Inline::Text(" shows how.".into()));
            blocks.push(Block::Context(where_to));
        }
        for problem in &catalog.problems {
            blocks.push(Block::Context(vec![
                Inline::Icon(Tone::Warning),
                Inline::Text(problem.clone()),
            ]));
        }
        turn.reply_to_asker(Reply::new(blocks)).await;
    }
}

/// `<name> <state> <date: 7 days>  description`, the name linking to the dashboard or Look.
fn command_line(command: &CustomCommand) -> Vec<Inline> {
    let mut line = vec![Inline::Link {
        text: command.name.clone(),
        url: command.url.clone(),
    }];
    for parameter in &command.parameters {
        let name = parameter.title.to_lowercase();
        line.push(Inline::Text(match (&parameter.default, parameter.required) {
            (Some(default), _) => format!(" <{name}: {default}>"),
            (None, true) => format!(" <{name} (required)>"),
            (None, false) => format!(" <{name}>"),
        }));
    }
    if let Some(description) = &command.description {
        line.push(Inline::Text(" — ".into()));
        line.push(Inline::Italic(description.clone()));
    }
    line
}

/// One command in full: what it is, each filter with its default, and an example to copy.
async fn command_help(turn: &Turn<'_>, command: &CustomCommand) -> Reply {
    let mut blocks = vec![Block::Heading {
        text: command.title.clone(),
        link: Some(command.url.clone()),
    }];
    if let Some(description) = &command.description {
        blocks.push(Block::Paragraph(vec![Inline::Italic(description.clone())]));
    }
    if command.parameters.is_empty() {
        blocks.push(Block::Paragraph(vec![
            Inline::Text("It takes no filters: type ".into()),
            Inline::Code(command.name.clone()),
            Inline::Text(".".into()),
        ]));
        return Reply::new(blocks);
    }
    blocks.push(Block::Paragraph(vec![Inline::Text("Filters:".into())]));
    for parameter in &command.parameters {
        blocks.push(Block::Paragraph(vec![Inline::Text(format!(
            "• {}",
            parameter.summary()
        ))]));
    }
    let mut example = Vec::new();
    for parameter in command.parameters.iter().take(2) {
        let value = match &parameter.default {
            Some(default) => default.clone(),
            None => known_value(turn, command, parameter)
                .await
                .unwrap_or_else(|| "…".into()),
        };
        example.push(format!("{}: {value}", parameter.title.to_lowercase()));
    }
    blocks.push(Block::Paragraph(vec![
        Inline::Text("Example: ".into()),
        Inline::Code(format!("{} {}", command.name, example.join(", "))),
    ]));
    blocks.push(Block::Context(vec![Inline::Text(
        "Name filters by their title or its start, separated by commas; quote a value to keep its commas. \
         Filters left out take their defaults. Text without names sets every filter."
            .into(),
    )]));
    Reply::new(blocks)
}

/// A real value of the field the parameter filters, from Looker's suggestions, for the example.
async fn known_value(turn: &Turn<'_>, command: &CustomCommand, parameter: &Parameter) -> Option<String> {
    let looker = turn.lookers.all().get(command.looker)?;
    let (tile, field) = command.tiles.iter().find_map(|tile| {
        let (_, field) = tile.listens.iter().find(|(key, _)| *key == parameter.key)?;
        Some((tile, field))
    })?;
    let client = turn.client(looker);
    let suggestions = client
        .field_suggestions(&tile.query.model, &tile.query.view, field)
        .await
        .ok()?;
    suggestions.suggestions.into_iter().find(|s| !s.trim().is_empty())
}
