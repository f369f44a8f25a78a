//! Custom commands: a dashboard or a Look in the command folder, run with the filter values the text after its
//! name gives (see [`crate::commands::request`]) and the dashboard's defaults for the rest.

use std::collections::HashMap;

use async_trait::async_trait;
use looker::models::Query;

use super::{Command, Usage};
use crate::answers;
use crate::answers::suggestions;
use crate::commands::catalog::{CustomCommand, Tile};
use crate::commands::request::{Applied, Origin, Parameter, Refusal, Request, resolve};
use crate::commands::turn::Turn;
use crate::reply::{Block, Inline, Reply};

pub struct Custom;

/// A custom command and the text after its name.
pub struct CustomRun {
    pub(super) command: CustomCommand,
    pub(super) argument: String,
}

/// The custom command `text` starts with, and the text after it.
pub(super) fn custom_run(turn: &Turn<'_>, text: &str) -> Option<CustomRun> {
    let (command, argument) = turn.catalog.find(text)?;
    Some(CustomRun {
        command: command.clone(),
        argument: argument.to_string(),
    })
}

/// Each parameter's value for one run (aligned with the command's parameters).
pub(super) type Values = Vec<Option<Applied>>;

#[async_trait]
impl Command for Custom {
    type Request = CustomRun;

    fn name(&self) -> &'static str {
        "custom"
    }

    fn usage(&self) -> Option<Usage> {
        None
    }

    fn parse(&self, turn: &Turn<'_>, text: &str) -> Option<CustomRun> {
        custom_run(turn, text)
    }

    async fn run(&self, turn: &Turn<'_>, run: CustomRun) {
        let CustomRun { command, argument } = &run;
        let Some(looker) = turn.lookers.all().get(command.looker) else {
            return;
        };
        let values = match values_for(command, argument) {
            Ok(values) => values,
            Err(reply) => return turn.reply_to_asker(reply).await,
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
        let mut known = KnownValues::default();
        for (position, tile) in command.tiles.iter().enumerate() {
            let query = filtered_query(command, tile, &values);
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
            let answer = answers::query_or_warning(
                &client,
                &to_run,
                Some(&title),
                created.share_url,
                &turn.answer_settings(),
            )
            .await;
            let mut reply = answer.reply;
            if let Some(note) = filter_note(command, tile, &values) {
                // Under the title, so people see what the numbers were filtered on (and a "No results." makes sense).
                let at = usize::from(matches!(reply.blocks.first(), Some(Block::Heading { .. })));
                reply.blocks.insert(at, note);
            }
            if answer.rows == Some(0) {
                reply
                    .blocks
                    .extend(did_you_mean(&client, command, tile, &values, &mut known).await);
            }
            turn.reply(reply).await;
        }
    }
}

/// The values the text gives the command's parameters, defaults included, or the reply that says why it cannot
/// run (nothing is run then).
pub(super) fn values_for(command: &CustomCommand, argument: &str) -> Result<Values, Reply> {
    resolve(&Request::parse(argument), &command.parameters).map_err(|refusal| refusal_reply(command, &refusal))
}

fn refusal_reply(command: &CustomCommand, refusal: &Refusal) -> Reply {
    let name = &command.name;
    let text = match refusal {
        Refusal::Unknown { name: unknown } if command.parameters.is_empty() => {
            format!("{name} has no filter \"{unknown}\": it takes no filters.")
        }
        Refusal::Unknown { name: unknown } => format!(
            "{name} has no filter \"{unknown}\". Its filters: {}.",
            command
                .parameters
                .iter()
                .map(Parameter::summary)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Refusal::Ambiguous { name: typed, matches } => format!(
            "\"{typed}\" could be {}: type more of the filter's name.",
            or_list(matches)
        ),
        Refusal::Missing(titles) => {
            let example: Vec<String> = titles.iter().map(|t| format!("{}: …", t.to_lowercase())).collect();
            return Reply::new(vec![Block::Paragraph(vec![
                Inline::Text(format!(
                    "Which {}? {name} needs a value for {} first, e.g. ",
                    and_list(titles),
                    and_list(titles)
                )),
                Inline::Code(format!("{name} {}", example.join(", "))),
            ])]);
        }
    };
    Reply::new(vec![Block::Paragraph(vec![
        Inline::Text(format!("{text} ")),
        Inline::Code(format!("help {name}")),
        Inline::Text(" shows how to use it.".into()),
    ])])
}

fn joined(items: &[String], last: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., final_item] => format!("{} {last} {final_item}", rest.join(", ")),
    }
}

fn and_list(items: &[String]) -> String {
    joined(items, "and")
}

fn or_list(items: &[String]) -> String {
    joined(items, "or")
}

/// The value of each field of `tile` that listens to a parameter with a value.
fn tile_values<'a>(
    command: &'a CustomCommand,
    tile: &'a Tile,
    values: &'a Values,
) -> impl Iterator<Item = (&'a Parameter, &'a Applied, &'a str)> + 'a {
    command
        .parameters
        .iter()
        .zip(values)
        .filter_map(|(parameter, applied)| Some((parameter, applied.as_ref()?)))
        .flat_map(move |(parameter, applied)| {
            tile.listens
                .iter()
                .filter(move |(key, _)| *key == parameter.key)
                .map(move |(_, field)| (parameter, applied, field.as_str()))
        })
}

/// "State: California · Date: 7 days (default)" under a tile's title: every value its query used.
fn filter_note(command: &CustomCommand, tile: &Tile, values: &Values) -> Option<Block> {
    let mut shown: Vec<String> = Vec::new();
    for (parameter, applied, _) in tile_values(command, tile, values) {
        if applied.value.expression.is_empty() {
            continue;
        }
        let mark = if applied.origin == Origin::Default {
            " (default)"
        } else {
            ""
        };
        let line = format!("{}: {}{mark}", parameter.title, applied.value.shown);
        if !shown.contains(&line) {
            shown.push(line);
        }
    }
    (!shown.is_empty()).then(|| Block::Context(vec![Inline::Text(shown.join(" · "))]))
}

/// The tile's query with each listening field set to its parameter's value; a value given as empty clears the
/// field's filter.
fn filtered_query(command: &CustomCommand, tile: &Tile, values: &Values) -> Query {
    let mut query = tile.query.to_new_query();
    for (_, applied, field) in tile_values(command, tile, values) {
        let filters = query.filters.get_or_insert_with(Default::default);
        filters.insert(field.to_string(), applied.value.expression.clone());
    }
    query
}

/// The closest known values found so far in one run, by (model, explore, field, value): tiles of one dashboard
/// often filter the same field, and Looker is asked once.
type KnownValues = HashMap<(String, String, String, String), Vec<String>>;

/// For each single value someone typed that the tile's empty result may owe to a typo: "No rows for state
/// Califronia. Did you mean California?", from the field's known values.
async fn did_you_mean(
    client: &looker::LookerClient,
    command: &CustomCommand,
    tile: &Tile,
    values: &Values,
    known: &mut KnownValues,
) -> Vec<Block> {
    let mut blocks = Vec::new();
    for (parameter, applied, field) in tile_values(command, tile, values) {
        if applied.origin != Origin::Given || !applied.value.is_single_value() {
            continue;
        }
        let value = &applied.value.shown;
        let (model, explore) = (&tile.query.model, &tile.query.view);
        let key = (model.clone(), explore.clone(), field.to_string(), value.clone());
        if !known.contains_key(&key) {
            let closest = suggestions::closest(client, model, explore, field, value).await;
            known.insert(key.clone(), closest);
        }
        let closest = &known[&key];
        if closest.is_empty() {
            continue;
        }
        blocks.push(Block::Paragraph(vec![
            Inline::Text(format!("No rows for {} ", parameter.title.to_lowercase())),
            Inline::Italic(value.clone()),
            Inline::Text(format!(". Did you mean {}?", or_list(closest))),
        ]));
    }
    blocks
}
