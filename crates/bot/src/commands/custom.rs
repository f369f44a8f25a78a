//! Custom commands: a dashboard in the command folder, run with the text after its name as every filter's value.

use async_trait::async_trait;

use super::{Command, Usage};
use crate::answer::query_reply;
use crate::catalog::CustomCommand;
use crate::reply::{Block, Inline, Reply};
use crate::turn::Turn;

pub struct Custom;

#[async_trait]
impl Command for Custom {
    fn name(&self) -> &'static str {
        "custom"
    }

    fn usage(&self) -> Option<Usage> {
        None
    }

    fn accepts(&self, turn: &Turn<'_>, text: &str) -> bool {
        turn.catalog.find(text).is_some()
    }

    async fn run(&self, turn: &Turn<'_>, text: &str) {
        let catalog = turn.catalog.clone();
        let Some((command, argument)) = catalog.find(text) else {
            return;
        };
        let Some(looker) = turn.lookers.all().get(command.looker) else {
            return;
        };
        if command.tiles.is_empty() {
            let reply = Reply::warning(format!(
                "The dashboard \"{}\" has no tiles with queries to run.",
                command.title
            ));
            return turn.reply(reply).await;
        }
        turn.loading().await;
        let client = turn.client(looker);
        let several = command.tiles.len() > 1;
        for (position, tile) in command.tiles.iter().enumerate() {
            let query = filtered_query(command, tile, argument);
            let title = match (&tile.title, several) {
                (Some(title), _) => title.clone(),
                (None, true) => format!("{} ({} of {})", command.title, position + 1, command.tiles.len()),
                (None, false) => command.title.clone(),
            };
            let created = match client.create_query(&query).await {
                Ok(created) => created,
                Err(e) => {
                    turn.reply(Reply::warning(format!("{title}: the query could not be created. {e}")))
                        .await;
                    continue;
                }
            };
            let mut to_run = query.clone();
            to_run.id = created.id.clone();
            to_run.share_url = created.share_url.clone();
            let mut reply = query_reply(
                &client,
                &to_run,
                Some(&title),
                created.share_url,
                &turn.answer_settings(),
            )
            .await;
            if let Some(note) = filter_note(command, tile, argument) {
                // Under the title, so people see what the numbers were filtered on (and a "No results." makes sense).
                let at = usize::from(matches!(reply.blocks.first(), Some(Block::Heading { .. })));
                reply.blocks.insert(at, note);
            }
            turn.reply(reply).await;
        }
    }
}

/// "State: California" under a tile's title, for the dashboard filters the tile listens to.
fn filter_note(command: &CustomCommand, tile: &crate::catalog::Tile, argument: &str) -> Option<Block> {
    if argument.is_empty() {
        return None;
    }
    let titles: Vec<&str> = command
        .filters
        .iter()
        .filter(|(_, name)| tile.listens.iter().any(|(listened, _)| listened == name))
        .map(|(title, _)| title.as_str())
        .collect();
    if titles.is_empty() {
        return None;
    }
    Some(Block::Context(vec![Inline::Text(format!(
        "{}: {argument}",
        titles.join(", ")
    ))]))
}

/// The tile's query with the argument set on every field that listens to a dashboard filter.
fn filtered_query(command: &CustomCommand, tile: &crate::catalog::Tile, argument: &str) -> looker::models::Query {
    let mut query = tile.query.to_new_query();
    if argument.is_empty() {
        return query;
    }
    let filters = query.filters.get_or_insert_with(Default::default);
    for (_, filter_name) in &command.filters {
        for (listened, field) in &tile.listens {
            if listened == filter_name {
                filters.insert(field.clone(), argument.to_string());
            }
        }
    }
    query
}
