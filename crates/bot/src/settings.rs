//! How the bot behaves, from the configuration.

use std::time::Duration;

use crate::answers::charts::RenderSettings;

#[derive(Debug, Clone)]
pub struct BotSettings {
    /// Post a loading message while Looker works (`LOOKER_SLACKBOT_LOADING_MESSAGES`).
    pub loading_messages: bool,
    /// Offer data actions as buttons on single values (`LOOKERBOT_DATA_ACTIONS_IN_MESSAGES`, and only when clicks
    /// can be verified).
    pub data_action_buttons: bool,
    pub render: RenderSettings,
    /// How often custom commands are reloaded from Looker.
    pub catalog_refresh: Duration,
    /// Channel ids where, with identity `user`, someone without a usable Looker user is answered as the service
    /// user instead of refused (`LOOKERBOT_IDENTITY_FALLBACK_CHANNELS`).
    pub identity_fallback_channels: Vec<String>,
}

impl Default for BotSettings {
    fn default() -> Self {
        BotSettings {
            loading_messages: true,
            data_action_buttons: true,
            render: RenderSettings::default(),
            catalog_refresh: Duration::from_secs(300),
            identity_fallback_channels: Vec::new(),
        }
    }
}
