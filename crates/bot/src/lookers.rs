//! The Looker instances the bot serves, and how a URL or a word picks one.

use std::sync::Arc;

use config::LookerInstance;
use looker::LookerClient;
use url::Url;

/// One configured Looker with its client.
#[derive(Debug, Clone)]
pub struct Looker {
    pub client: LookerClient,
}

impl Looker {
    pub fn instance(&self) -> &LookerInstance {
        self.client.instance()
    }

    /// The web URL without a trailing slash, for building links.
    pub fn base(&self) -> String {
        self.instance().url.as_str().trim_end_matches('/').to_string()
    }
}

/// All configured Lookers, in configuration order (the first is the default).
#[derive(Debug, Clone)]
pub struct Lookers(Arc<Vec<Looker>>);

impl Lookers {
    pub fn new(clients: Vec<LookerClient>) -> Self {
        Lookers(Arc::new(clients.into_iter().map(|client| Looker { client }).collect()))
    }

    pub fn all(&self) -> &[Looker] {
        &self.0
    }

    pub fn default_looker(&self) -> Option<&Looker> {
        self.0.first()
    }

    /// The Looker whose web origin is exactly the URL's (never a prefix match).
    pub fn owning(&self, url: &Url) -> Option<&Looker> {
        self.0.iter().find(|l| l.instance().owns(url))
    }

    /// The Looker whose URL (`https://me.looker.com`) or host (`me.looker.com`) is `word`, if one is.
    pub fn named_by(&self, word: &str) -> Option<&Looker> {
        let word = word
            .trim_matches(|c| c == '<' || c == '>')
            .trim_end_matches('/')
            .to_ascii_lowercase();
        self.0.iter().find(|l| {
            let url = &l.instance().url;
            let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
            word == host || Url::parse(&word).is_ok_and(|u| u.origin() == url.origin())
        })
    }
}
