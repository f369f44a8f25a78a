//! Data-action buttons: what a button carries, and what a click does.

use looker::models::DataActionRequest;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::lookers::Lookers;
use crate::lookers::identity::Acting;
use crate::reply::{Block, Inline, Reply, Tone};

/// The value of a data-action button: which Looker made it, and the action as Looker sent it (the original's
/// `{lookerUrl, action}` form, so buttons in messages posted by the old bot still work).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ButtonValue {
    #[serde(rename = "lookerUrl")]
    pub looker_url: String,
    pub action: Value,
}

impl ButtonValue {
    /// The JSON text, or `None` when it would not fit in a button that carries at most `max` bytes.
    pub fn encode(&self, max: usize) -> Option<String> {
        let text = serde_json::to_string(self).ok()?;
        if text.len() > max {
            tracing::warn!(
                length = text.len(),
                max,
                "a data action is too large for a button; left out"
            );
            return None;
        }
        Some(text)
    }
}

/// Runs the data action a button carries, as `acting` (the clicker in identity `user`), and says how it went,
/// privately to the clicker.
pub async fn run_button(lookers: &Lookers, acting: &Acting, value: &str) -> Reply {
    let Ok(button) = serde_json::from_str::<ButtonValue>(value) else {
        return Reply::warning("This button is not one of Lookerbot's data actions.").only_asker();
    };
    let looker = lookers.at(&button.looker_url).cloned();
    let Some(looker) = looker else {
        tracing::warn!(looker_url = %button.looker_url, "a button named a Looker that is not configured");
        return Reply::warning(
            "This button came from a Looker instance this bot is not configured for, so it was not run.",
        )
        .only_asker();
    };
    let request = DataActionRequest {
        action: button.action,
        form_values: Default::default(),
    };
    match acting.client(&looker).perform_data_action(&request).await {
        Ok(response) => {
            let errors: Vec<Block> = response
                .validation_errors
                .iter()
                .flat_map(|v| v.errors.iter())
                .map(|e| {
                    let message = e.message.as_deref().unwrap_or("The action refused this value.");
                    Block::Paragraph(vec![Inline::Icon(Tone::Failure), Inline::Text(message.to_string())])
                })
                .collect();
            if !errors.is_empty() {
                Reply::new(errors).only_asker()
            } else if response.success {
                let message = response
                    .message
                    .filter(|m| !m.trim().is_empty())
                    .unwrap_or_else(|| "Done".into());
                Reply::notice(Tone::Success, format!("{message}!")).only_asker()
            } else {
                let message = response.message.unwrap_or_else(|| "Looker did not say why".into());
                Reply::warning(format!("The action did not succeed: {message}")).only_asker()
            }
        }
        Err(e) => Reply::warning(format!("The action could not be run. {e}")).only_asker(),
    }
}
