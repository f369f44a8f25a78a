//! The one outbound network policy: every connection the bot opens (Looker, the Slack Web API, Socket Mode, RTM,
//! the image stores) goes through the proxy `HTTPS_PROXY`/`HTTP_PROXY` name unless `NO_PROXY` exempts its host,
//! and trusts the operating system's certificate store (plus a Looker's `LOOKER_CA_BUNDLE`, added by the Looker
//! client). Companies that allow the internet only through a TLS-inspecting proxy need both.
//!
//! HTTP clients get the policy through [`NetPolicy::http_client`]; WebSockets through [`NetPolicy::connect`]
//! (a `CONNECT` tunnel through the proxy) and [`NetPolicy::tls_config`]. `test_proxy` is a small forward proxy
//! for tests.

use std::sync::Arc;
use std::time::Duration;

use config::ProxySettings;
use hyper_util::client::proxy::matcher::Matcher;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use url::Url;

pub mod test_proxy;
mod trust;

pub use rustls::pki_types::CertificateDer;
pub use trust::pem_certificates;

/// Where connections go and whom they trust. Cheap to clone.
#[derive(Clone)]
pub struct NetPolicy {
    settings: ProxySettings,
    matcher: Arc<Matcher>,
}

impl std::fmt::Debug for NetPolicy {
    /// Proxy URLs may carry a password: only whether each is set is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetPolicy")
            .field("https_proxy", &self.settings.https_proxy.is_some())
            .field("http_proxy", &self.settings.http_proxy.is_some())
            .field("no_proxy", &self.settings.no_proxy)
            .finish()
    }
}

impl Default for NetPolicy {
    /// The process environment's proxy variables, as curl and reqwest read them.
    fn default() -> Self {
        NetPolicy::new(&ProxySettings::from_process_env())
    }
}

impl NetPolicy {
    pub fn new(settings: &ProxySettings) -> Self {
        let mut builder = Matcher::builder();
        if let Some(proxy) = &settings.http_proxy {
            builder = builder.http(proxy.clone());
        }
        if let Some(proxy) = &settings.https_proxy {
            builder = builder.https(proxy.clone());
        }
        if let Some(no_proxy) = &settings.no_proxy {
            builder = builder.no(no_proxy.clone());
        }
        NetPolicy {
            settings: settings.clone(),
            matcher: Arc::new(builder.build()),
        }
    }

    /// No proxy at all.
    pub fn direct() -> Self {
        NetPolicy::new(&ProxySettings::default())
    }

    /// `builder` with this policy: the configured proxies only (the process environment is not read behind the
    /// policy's back) and the operating system's trust store (read once per process, on the first handshake; see
    /// `trust`).
    pub fn http_client(&self, builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        self.http_client_trusting(builder, Vec::new())
    }

    /// [`NetPolicy::http_client`] that also trusts `extra_roots` (a CA bundle of the configuration).
    pub fn http_client_trusting(
        &self,
        builder: reqwest::ClientBuilder,
        extra_roots: Vec<CertificateDer<'static>>,
    ) -> reqwest::ClientBuilder {
        let tls = if extra_roots.is_empty() {
            trust::http_tls_config()
        } else {
            trust::http_tls_config_with(extra_roots)
        };
        let mut builder = builder.no_proxy().tls_backend_preconfigured(tls);
        let no_proxy = || {
            self.settings
                .no_proxy
                .as_deref()
                .and_then(reqwest::NoProxy::from_string)
        };
        if let Some(proxy) = self
            .settings
            .http_proxy
            .as_deref()
            .and_then(|p| reqwest::Proxy::http(p).ok())
        {
            builder = builder.proxy(proxy.no_proxy(no_proxy()));
        }
        if let Some(proxy) = self
            .settings
            .https_proxy
            .as_deref()
            .and_then(|p| reqwest::Proxy::https(p).ok())
        {
            builder = builder.proxy(proxy.no_proxy(no_proxy()));
        }
        builder
    }

    /// The proxy for `url` (`ws`/`wss` count as `http`/`https`), if one applies.
    pub fn proxy_for(&self, url: &Url) -> Option<Url> {
        self.intercept(url).and_then(|i| Url::parse(&i.uri().to_string()).ok())
    }

    fn intercept(&self, url: &Url) -> Option<hyper_util::client::proxy::matcher::Intercept> {
        let scheme = match url.scheme() {
            "wss" | "https" => "https",
            _ => "http",
        };
        let host = url.host_str()?;
        let port = url.port_or_known_default()?;
        let uri: http::Uri = format!("{scheme}://{host}:{port}/").parse().ok()?;
        self.matcher.intercept(&uri)
    }

    /// The proxy settings this policy was made from (for clients configured by value, like the object store).
    pub fn settings(&self) -> &ProxySettings {
        &self.settings
    }

    /// A TCP connection to `url`'s host and port: direct, or a `CONNECT` tunnel through the proxy that applies.
    /// TLS, if any, is the caller's (see [`NetPolicy::tls_config`]), so a TLS-inspecting proxy works as for HTTP.
    pub async fn connect(&self, url: &Url, timeout: Duration) -> Result<TcpStream, String> {
        let host = url.host_str().ok_or_else(|| format!("{} has no host", redact(url)))?;
        let port = url
            .port_or_known_default()
            .ok_or_else(|| format!("{} has no port", redact(url)))?;
        let target = match url.host() {
            Some(url::Host::Ipv6(ip)) => format!("[{ip}]:{port}"),
            _ => format!("{host}:{port}"),
        };
        let connecting = async {
            match self.intercept(url) {
                None => TcpStream::connect(&target)
                    .await
                    .map_err(|e| format!("cannot connect to {target}: {e}")),
                Some(proxy) => tunnel(&proxy, &target).await,
            }
        };
        tokio::time::timeout(timeout, connecting)
            .await
            .map_err(|_| format!("connecting to {target} took over {}s", timeout.as_secs()))?
    }

    /// TLS settings for connections opened with [`NetPolicy::connect`]: the operating system's trust store, read
    /// once per process.
    pub fn tls_config(&self) -> Arc<rustls::ClientConfig> {
        Arc::new(trust::websocket_tls_config())
    }
}

/// Opens a `CONNECT` tunnel to `target` through `proxy`.
async fn tunnel(proxy: &hyper_util::client::proxy::matcher::Intercept, target: &str) -> Result<TcpStream, String> {
    let uri = proxy.uri();
    let proxy_host = uri.host().ok_or("the proxy URL has no host")?;
    let proxy_port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("https") { 443 } else { 80 });
    let proxy_addr = format!("{proxy_host}:{proxy_port}");
    let mut stream = TcpStream::connect(&proxy_addr)
        .await
        .map_err(|e| format!("cannot connect to the proxy {proxy_addr}: {e}"))?;
    let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some(auth) = proxy.basic_auth().and_then(|v| v.to_str().ok()) {
        request.push_str(&format!("Proxy-Authorization: {auth}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("the proxy {proxy_addr} closed the connection: {e}"))?;
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader
        .read_line(&mut status)
        .await
        .map_err(|e| format!("no answer from the proxy {proxy_addr}: {e}"))?;
    let code = status.split_whitespace().nth(1).unwrap_or_default().to_string();
    loop {
        let mut line = String::new();
        let read = reader
            .read_line(&mut line)
            .await
            .map_err(|e| format!("the proxy {proxy_addr} broke off its answer: {e}"))?;
        if read == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    if !reader.buffer().is_empty() {
        return Err(format!("the proxy {proxy_addr} sent data before the tunnel was used"));
    }
    if code != "200" {
        return Err(format!(
            "the proxy {proxy_addr} refused to connect to {target}: {}",
            status.trim()
        ));
    }
    Ok(reader.into_inner())
}

/// `url` without user name and password, for messages.
fn redact(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(https: Option<&str>, http: Option<&str>, no_proxy: Option<&str>) -> NetPolicy {
        NetPolicy::new(&ProxySettings {
            https_proxy: https.map(str::to_string),
            http_proxy: http.map(str::to_string),
            no_proxy: no_proxy.map(str::to_string),
        })
    }

    fn via(policy: &NetPolicy, url: &str) -> Option<String> {
        policy
            .proxy_for(&Url::parse(url).unwrap())
            .map(|u| u.as_str().trim_end_matches('/').to_string())
    }

    #[test]
    fn websockets_follow_the_proxy_of_their_scheme_and_no_proxy_exempts() {
        let policy = policy(
            Some("http://secure-proxy:3128"),
            Some("http://plain-proxy:8080"),
            Some("internal.example.com, 10.0.0.0/8"),
        );
        assert_eq!(
            via(&policy, "wss://wss-primary.slack.com/link").as_deref(),
            Some("http://secure-proxy:3128")
        );
        assert_eq!(
            via(&policy, "https://slack.com/api/").as_deref(),
            Some("http://secure-proxy:3128")
        );
        assert_eq!(
            via(&policy, "ws://127.0.0.1:9/rtm").as_deref(),
            Some("http://plain-proxy:8080")
        );
        assert_eq!(via(&policy, "https://looker.internal.example.com:19999/api/4.0"), None);
        assert_eq!(via(&policy, "https://10.1.2.3/"), None);
        assert_eq!(via(&NetPolicy::direct(), "wss://wss-primary.slack.com/link"), None);
    }

    #[test]
    fn debug_hides_proxy_passwords() {
        let policy = policy(Some("http://user:hunter2@proxy:3128"), None, None);
        assert!(!format!("{policy:?}").contains("hunter2"));
    }

    #[tokio::test]
    async fn a_proxy_that_refuses_the_tunnel_is_a_clear_error() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buffer = [0u8; 512];
            let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut buffer).await;
            let _ = socket
                .write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
                .await;
        });
        let proxied = policy(None, Some(&format!("http://{addr}")), None);
        let url = Url::parse("ws://slack.example.com:80/link").unwrap();
        let error = proxied.connect(&url, Duration::from_secs(5)).await.unwrap_err();
        assert!(
            error.contains("refused to connect to slack.example.com:80") && error.contains("403"),
            "{error}"
        );
    }
}
