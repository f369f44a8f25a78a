//! `picture <command> [filters]`: a custom command's whole dashboard as one image, filtered as the command would be.

use async_trait::async_trait;
use url::form_urlencoded;

use super::custom::{CustomRun, Values, custom_run, values_for};
use super::{Command, Usage, no_such_command, split_first_word};
use crate::answers;
use crate::commands::catalog::{CustomCommand, Source};
use crate::commands::turn::Turn;
use crate::reply::Reply;

pub struct Picture;

#[async_trait]
impl Command for Picture {
    /// The command to picture, or the name typed when it is not one.
    type Request = Result<CustomRun, String>;

    fn name(&self) -> &'static str {
        "picture"
    }

    fn usage(&self) -> Option<Usage> {
        Some(Usage {
            syntax: "picture <command> [filters]",
            description: "shows a custom command's whole dashboard as one image.",
        })
    }

    fn parse(&self, turn: &Turn<'_>, text: &str) -> Option<Result<CustomRun, String>> {
        let (word, rest) = split_first_word(text);
        (word == "picture").then(|| custom_run(turn, rest).ok_or_else(|| rest.to_string()))
    }

    async fn run(&self, turn: &Turn<'_>, run: Result<CustomRun, String>) {
        let CustomRun { command, argument } = match &run {
            Ok(run) => run,
            Err(name) => return turn.reply(no_such_command(name)).await,
        };
        let Some(looker) = turn.lookers.all().get(command.looker) else {
            return;
        };
        let Source::Dashboard(dashboard_id) = &command.source else {
            let reply = Reply::text(format!(
                "{} is a Look, not a dashboard: type it without \"picture\" to see it.",
                command.name
            ));
            return turn.reply(reply).await;
        };
        let values = match values_for(command, argument) {
            Ok(values) => values,
            Err(reply) => return turn.reply(reply).await,
        };
        turn.loading().await;
        let client = turn.client(looker);
        let filters = dashboard_filters(command, &values);
        let link = if filters.is_empty() {
            command.url.clone()
        } else {
            format!("{}?{filters}", command.url)
        };
        let settings = turn.answer_settings();
        let reply = answers::dashboard_picture(&client, dashboard_id, &filters, &command.title, Some(link), &settings)
            .await
            .unwrap_or_else(|failure| Reply::warning(failure.within(&command.title).message));
        turn.reply(reply).await;
    }
}

/// Each dashboard filter with a value (defaults included), in the URL query form dashboard render tasks take.
fn dashboard_filters(command: &CustomCommand, values: &Values) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (parameter, applied) in command.parameters.iter().zip(values) {
        if let Some(applied) = applied {
            query.append_pair(&parameter.key, &applied.value.expression);
        }
    }
    query.finish()
}
