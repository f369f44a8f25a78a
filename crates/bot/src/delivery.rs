//! Deliveries Looker pushes: scheduled Looks, queries and dashboards, and data-action messages.
//!
//! [`Delivery::from_webhook`] checks a payload when it arrives (so the webhook can refuse it with the original's
//! reasons); [`deliver`] does the work, from the durable queue or (for a new delivery) while it is being stored.

use std::future::Future;

pub use looker::models::WebhookPayload;
use looker::models::{Query, ScheduledPlan};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::answers::{self, AnswerSettings};
use crate::commands::links::LookerLink;
use crate::failure::Failure;
use crate::lookers::Lookers;
use crate::reply::{Block, Inline, Reply};
use crate::sink::{ChatSink, DeliveryMark, Destination};

/// Where Looker asked the bot to post (`/slack/post/{channel|group|dm}/NAME`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// A public channel, by name or id.
    Channel(String),
    /// A private channel, by name or id.
    Group(String),
    /// A person, by user name or id.
    Person(String),
}

impl Target {
    pub fn destination(&self) -> Destination {
        match self {
            Target::Channel(name) | Target::Group(name) => Destination::Channel(name.clone()),
            Target::Person(name) => Destination::Person(name.clone()),
        }
    }
}

/// A piece of work Looker pushed, as stored in the queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Delivery {
    /// A scheduled plan's content, posted to `target`.
    Scheduled {
        target: Target,
        plan: Box<ScheduledPlan>,
        looker_url: String,
    },
    /// A plain message from a data action.
    Message { target: Target, text: String },
}

/// Reads the body of a webhook or Action API request (an empty body is an empty payload), leniently as everything
/// from Looker; the error says what is wrong, for Looker's `reason`.
pub fn read_webhook(body: &[u8]) -> Result<WebhookPayload, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(WebhookPayload::default());
    }
    looker::models::from_json(body).map_err(|e| format!("The request body is not a Looker webhook payload: {e}"))
}

/// Why a delivery waits when its Looker is down for `wait` more (the client's circuit breaker is open), as recorded
/// in the queue.
pub fn looker_down_reason(looker_url: &str, wait: std::time::Duration) -> String {
    looker::LookerError::Down {
        url: looker_url.to_owned(),
        seconds: wait.as_secs().max(1),
    }
    .to_string()
}

/// Whether a recorded reason is a [`looker_down_reason`], so that a channel is told only once that its Looker is down.
pub fn is_looker_down_reason(reason: &str) -> bool {
    reason.contains("is not answering")
}

/// Why a webhook was refused (the text goes back to Looker as `reason`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

impl Delivery {
    /// Checks a scheduled-plan webhook and names the Looker it came from.
    pub fn from_webhook(lookers: &Lookers, payload: WebhookPayload, target: Target) -> Result<Delivery, Refusal> {
        let plan = payload
            .scheduled_plan
            .ok_or_else(|| Refusal("No scheduled plan in payload.".into()))?;
        let kind = plan.kind.clone().unwrap_or_default();
        if !matches!(kind.as_str(), "Look" | "Dashboard" | "LookMLDashboard" | "Query" | "") {
            return Err(Refusal(format!("Scheduled plan type {kind} not supported.")));
        }
        let url = plan.url.as_deref().and_then(|u| Url::parse(u).ok());
        let link = url.as_ref().and_then(LookerLink::parse);
        let is_dashboard = matches!(kind.as_str(), "Dashboard" | "LookMLDashboard");
        if is_dashboard && !matches!(link, Some(LookerLink::Dashboard { .. })) {
            return Err(Refusal("Scheduled plan does not have a parsable dashboard URL.".into()));
        }
        if !is_dashboard && plan.query_id.is_none() && !matches!(link, Some(LookerLink::Look(_))) {
            return Err(Refusal(
                "Scheduled plan does not have a query_id or a parsable Look URL.".into(),
            ));
        }
        let looker = match &url {
            Some(url) => lookers.owning(url),
            // A plan without a URL can only be a query of the only Looker there is (a URL that does not parse names
            // no Looker: it is refused like any other unknown one).
            None if plan.url.is_none() && lookers.all().len() == 1 && plan.query_id.is_some() => {
                lookers.default_looker()
            }
            None => None,
        };
        let looker = looker.ok_or_else(|| Refusal("Requested data is from an unknown Looker.".into()))?;
        Ok(Delivery::Scheduled {
            target,
            plan: Box::new(plan),
            looker_url: looker.base(),
        })
    }

    pub fn target(&self) -> &Target {
        match self {
            Delivery::Scheduled { target, .. } | Delivery::Message { target, .. } => target,
        }
    }
}

/// What the destination of a delivery that failed for good is told (the original Lookerbot posted the error in the
/// channel too): what could not be delivered, why, what to do, and where the content is in Looker. `reason` is the
/// failure as recorded.
pub fn failure_notice(delivery: &Delivery, reason: &str) -> Reply {
    let reason = Failure::without_retry_note(reason);
    let reason = reason.trim_end_matches('.');
    match delivery {
        Delivery::Message { .. } => Reply::warning(format!(
            "A message from a Looker data action could not be posted here: {reason}. Ask whoever sent it to send \
             it again."
        )),
        Delivery::Scheduled { plan, .. } => {
            let kind = match plan.kind.as_deref() {
                Some("Look") => "Look",
                Some("Dashboard" | "LookMLDashboard") => "dashboard",
                _ => "query",
            };
            let named = match plan.title.as_deref().filter(|t| !t.trim().is_empty()) {
                Some(title) => format!("The scheduled {kind} \"{title}\""),
                None => format!("A scheduled {kind}"),
            };
            let mut notice = Reply::warning(format!(
                "{named} could not be delivered: {reason}. Check that it still runs in Looker, then use Send Now \
                 on its schedule to try again."
            ));
            if let Some(url) = &plan.url {
                notice.blocks.push(Block::Context(vec![Inline::Link {
                    text: "Open in Looker".into(),
                    url: url.clone(),
                }]));
            }
            notice
        }
    }
}

/// Runs a delivery: fetches the content from Looker, then posts it once `go_ahead` gives the delivery's mark
/// (nothing is posted if it gives none), once where the sink can tell ([`ChatSink::post_delivery`]). Fetching only
/// reads, so it may start before the delivery is safely stored.
pub async fn deliver(
    lookers: &Lookers,
    delivery: &Delivery,
    sink: &dyn ChatSink,
    settings: &AnswerSettings,
    go_ahead: impl Future<Output = Option<DeliveryMark>>,
) -> Result<(), Failure> {
    let reply = match delivery {
        Delivery::Message { text, .. } => Reply::text(text.clone()),
        Delivery::Scheduled { plan, looker_url, .. } => scheduled_reply(lookers, plan, looker_url, settings).await?,
    };
    let Some(mark) = go_ahead.await else {
        return Ok(());
    };
    sink.post_delivery(&delivery.target().destination(), &reply, &mark)
        .await?;
    Ok(())
}

async fn scheduled_reply(
    lookers: &Lookers,
    plan: &ScheduledPlan,
    looker_url: &str,
    settings: &AnswerSettings,
) -> Result<Reply, Failure> {
    let looker = lookers
        .at(looker_url)
        .cloned()
        .ok_or_else(|| Failure::permanent("Requested data is from an unknown Looker."))?;
    let client = &looker.client;
    let url = || plan.url.as_deref().and_then(|u| Url::parse(u).ok());
    let link = plan.url.clone();
    let kind = plan.kind.as_deref().unwrap_or("");
    if kind == "Dashboard" || kind == "LookMLDashboard" {
        let Some(LookerLink::Dashboard { id, filters }) = url().as_ref().and_then(LookerLink::parse) else {
            return Err(Failure::permanent("The dashboard plan has no dashboard URL."));
        };
        let title = plan.title.clone().unwrap_or_else(|| format!("Dashboard {id}"));
        return answers::dashboard_picture(client, &id, &filters, &title, link, settings).await;
    }
    // Looker sends the query it ran for the plan (the Look's, or the plan's own when its filters differ): running it
    // again spares a call for the Look. Without its visualization, only the Look tells a chart from a table.
    if let Some(query) = plan.query.as_ref().filter(|q| q.vis_config.is_some())
        && let Some(query_id) = query.id.clone().or_else(|| plan.query_id.clone())
    {
        let query = Query {
            id: Some(query_id),
            ..query.clone()
        };
        return answers::query(client, &query, plan.title.as_deref(), link, settings)
            .await
            .map(|answer| answer.reply);
    }
    // A plan whose filters differ from its Look's runs the plan's own query (when it has one).
    let runs_plan_query = plan.filters_differ_from_look == Some(true) && plan.query_id.is_some();
    let look_id = match url().as_ref().and_then(LookerLink::parse) {
        Some(LookerLink::Look(id)) if !runs_plan_query => Some(id),
        _ => None,
    };
    let (query, title) = match (look_id, &plan.query_id) {
        (Some(id), _) => {
            let (query, title) = answers::look_query(client, &id).await?;
            (query, title.or_else(|| plan.title.clone()))
        }
        (None, Some(query_id)) => (client.query(query_id).await?, plan.title.clone()),
        (None, None) => return Err(Failure::permanent("The plan names neither a Look nor a query.")),
    };
    answers::query(client, &query, title.as_deref(), link, settings)
        .await
        .map(|answer| answer.reply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::Tone;

    #[test]
    fn a_failure_notice_names_the_content_says_why_and_what_to_do_and_links_it() {
        let plan = ScheduledPlan {
            title: Some("Weekly revenue".into()),
            kind: Some("Dashboard".into()),
            url: Some("https://me.looker.com/dashboards/7".into()),
            ..ScheduledPlan::default()
        };
        let delivery = Delivery::Scheduled {
            target: Target::Channel("sales".into()),
            plan: Box::new(plan),
            looker_url: "https://me.looker.com".into(),
        };
        let notice = failure_notice(&delivery, "Looker answered 404 Not found.");
        assert!(
            matches!(&notice.blocks[0], Block::Paragraph(inlines) if inlines[0] == Inline::Icon(Tone::Warning)),
            "{notice:?}"
        );
        let text = notice.plain_text();
        assert!(text.starts_with("The scheduled dashboard \"Weekly revenue\" could not be delivered"));
        assert!(
            text.contains("Looker answered 404 Not found. Check that it still runs in Looker"),
            "{text}"
        );
        assert!(notice.blocks.contains(&Block::Context(vec![Inline::Link {
            text: "Open in Looker".into(),
            url: "https://me.looker.com/dashboards/7".into(),
        }])));
    }

    #[test]
    fn a_data_action_message_that_failed_says_whom_to_ask() {
        let delivery = Delivery::Message {
            target: Target::Person("alice".into()),
            text: "Restock shelves".into(),
        };
        let text = failure_notice(&delivery, "msg_too_long").plain_text();
        assert!(text.contains("A message from a Looker data action could not be posted here: msg_too_long"));
        assert!(text.contains("Ask whoever sent it"), "{text}");
        assert!(!text.contains("Restock shelves"), "the failed content is not repeated");
    }

    #[test]
    fn a_notice_promises_no_next_attempt() {
        let delivery = Delivery::Message {
            target: Target::Channel("sales".into()),
            text: "Restock shelves".into(),
        };
        let reason = Failure::outcome_unknown("Slack chat.postMessage did not answer within 15s").message;
        let text = failure_notice(&delivery, &reason).plain_text();
        assert!(
            text.contains("did not answer within 15s. Ask whoever sent it"),
            "{text}"
        );
        assert!(!text.contains("next attempt"), "{text}");
    }
}
