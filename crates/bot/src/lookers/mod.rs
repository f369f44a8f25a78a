//! The Looker instances the bot serves, and how a URL or a word picks one.

pub mod identity;

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
        self.base_str().to_string()
    }

    fn base_str(&self) -> &str {
        self.instance().url.as_str().trim_end_matches('/')
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

    /// The Looker a recorded URL names: the one whose [`Looker::base`] it is (deliveries and buttons record that),
    /// else the one owning it. The exact match spares a URL parse on every delivery.
    pub fn at(&self, url: &str) -> Option<&Looker> {
        let exact = self.0.iter().find(|l| l.base_str() == url);
        exact.or_else(|| Url::parse(url).ok().and_then(|url| self.owning(&url)))
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use config::Secret;
    use looker::ClientOptions;

    /// Lookers at these web URLs (never called).
    pub(crate) fn lookers(urls: &[&str]) -> Lookers {
        let clients = urls
            .iter()
            .map(|url| {
                let instance = LookerInstance {
                    url: Url::parse(url).unwrap(),
                    api_base_url: Url::parse(&format!("{url}/api/4.0")).unwrap(),
                    client_id: "id".into(),
                    client_secret: Secret::new("secret"),
                    custom_command_folder_id: None,
                    webhook_token: None,
                    ca_bundle: None,
                    verify_tls: true,
                    identity: config::Identity::Service,
                };
                LookerClient::new(&instance, ClientOptions::default()).unwrap()
            })
            .collect();
        Lookers::new(clients)
    }

    #[test]
    fn a_word_names_an_instance_by_url_or_host() {
        let lookers = lookers(&["https://me.looker.com", "https://me-staging.looker.com"]);
        let base = |l: Option<&Looker>| l.map(Looker::base);
        assert_eq!(
            base(lookers.named_by("me-staging.looker.com")).as_deref(),
            Some("https://me-staging.looker.com")
        );
        assert_eq!(
            base(lookers.named_by("<https://me-staging.looker.com/>")).as_deref(),
            Some("https://me-staging.looker.com")
        );
        assert_eq!(
            base(lookers.named_by("https://ME.looker.com")).as_deref(),
            Some("https://me.looker.com")
        );
        assert!(lookers.named_by("orders").is_none());
        assert!(lookers.named_by("me.looker.com.evil.example").is_none());
        assert_eq!(base(lookers.default_looker()).as_deref(), Some("https://me.looker.com"));
    }

    #[test]
    fn urls_belong_to_the_instance_with_the_same_origin() {
        let lookers = lookers(&["https://me.looker.com"]);
        assert!(
            lookers
                .owning(&Url::parse("https://me.looker.com/looks/1").unwrap())
                .is_some()
        );
        assert!(
            lookers
                .owning(&Url::parse("https://me.looker.com.evil.example/looks/1").unwrap())
                .is_none()
        );
        assert!(
            lookers
                .owning(&Url::parse("http://me.looker.com/looks/1").unwrap())
                .is_none()
        );
        assert!(
            lookers
                .owning(&Url::parse("https://me.looker.com:8443/looks/1").unwrap())
                .is_none()
        );
    }

    #[test]
    fn a_recorded_url_names_the_instance_whose_base_it_is_or_which_owns_it() {
        let lookers = lookers(&["https://me.looker.com", "https://me-staging.looker.com"]);
        let base = |url: &str| lookers.at(url).map(Looker::base);
        assert_eq!(
            base("https://me-staging.looker.com").as_deref(),
            Some("https://me-staging.looker.com")
        );
        assert_eq!(
            base("https://ME-staging.looker.com/").as_deref(),
            Some("https://me-staging.looker.com")
        );
        assert_eq!(
            base("https://me.looker.com/looks/1").as_deref(),
            Some("https://me.looker.com")
        );
        assert_eq!(base("https://me.looker.com.evil.example"), None);
        assert_eq!(base("not a url"), None);
    }
}
