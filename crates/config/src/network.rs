//! The proxy variables every outbound connection follows (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`, in upper or
//! lower case as curl reads them), read with the rest of the configuration so that a `.env` file sets them too.

use url::Url;

use crate::env::Environment;
use crate::error::Problems;

/// Proxies by destination scheme, and the hosts that go direct. Proxy URLs may hold a password: `Debug` hides them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProxySettings {
    /// Proxy for `https://` and `wss://` destinations.
    pub https_proxy: Option<String>,
    /// Proxy for `http://` and `ws://` destinations.
    pub http_proxy: Option<String>,
    /// Comma-separated hosts, domains (`.example.com`), IPs or networks (`10.0.0.0/8`) reached directly; `*` for all.
    pub no_proxy: Option<String>,
}

impl std::fmt::Debug for ProxySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxySettings")
            .field("https_proxy", &self.https_proxy.is_some())
            .field("http_proxy", &self.http_proxy.is_some())
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

const HTTPS_PROXY: &[&str] = &["HTTPS_PROXY", "https_proxy"];
const HTTP_PROXY: &[&str] = &["HTTP_PROXY", "http_proxy"];
const NO_PROXY: &[&str] = &["NO_PROXY", "no_proxy"];

impl ProxySettings {
    /// The variables of the process environment alone (for clients made without a configuration).
    pub fn from_process_env() -> Self {
        let env = Environment::from_pairs(
            HTTPS_PROXY
                .iter()
                .chain(HTTP_PROXY)
                .chain(NO_PROXY)
                .filter_map(|name| std::env::var(name).ok().map(|value| (*name, value)))
                .collect::<Vec<_>>()
                .iter()
                .map(|(name, value)| (*name, value.as_str())),
        );
        read(&env, &mut Problems::default())
    }
}

/// Reads the proxy variables; a proxy that is not an `http://` or `https://` URL is a problem.
pub(crate) fn read(env: &Environment, problems: &mut Problems) -> ProxySettings {
    let proxy = |names: &[&str], problems: &mut Problems| {
        let (name, value) = env.first_of(names)?;
        let with_scheme = if value.contains("://") {
            value.to_string()
        } else {
            format!("http://{value}")
        };
        match Url::parse(&with_scheme) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => Some(with_scheme),
            _ => {
                problems.add(
                    name,
                    "must be the proxy's address, e.g. http://proxy.example.com:3128 (http:// or https:// proxies only)",
                );
                None
            }
        }
    };
    ProxySettings {
        https_proxy: proxy(HTTPS_PROXY, problems),
        http_proxy: proxy(HTTP_PROXY, problems),
        no_proxy: env.first_of(NO_PROXY).map(|(_, value)| value.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_either_case_and_refuses_what_is_not_an_http_proxy() {
        let env = Environment::from_pairs([
            ("https_proxy", "proxy.example.com:3128"),
            ("HTTP_PROXY", "http://user:secret@proxy.example.com:8080"),
            ("NO_PROXY", "localhost,.internal.example.com"),
        ]);
        let mut problems = Problems::default();
        let settings = read(&env, &mut problems);
        assert!(problems.0.is_empty(), "{:?}", problems.0);
        assert_eq!(settings.https_proxy.as_deref(), Some("http://proxy.example.com:3128"));
        assert_eq!(settings.no_proxy.as_deref(), Some("localhost,.internal.example.com"));
        assert!(!format!("{settings:?}").contains("secret"));

        let mut problems = Problems::default();
        read(
            &Environment::from_pairs([("HTTPS_PROXY", "socks5://proxy:1080")]),
            &mut problems,
        );
        assert_eq!(problems.0[0].variable, "HTTPS_PROXY");
    }
}
