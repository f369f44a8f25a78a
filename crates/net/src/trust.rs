//! Whom TLS connections trust: the operating system's certificate store, plus extra roots where the configuration
//! names some (a Looker's `LOOKER_CA_BUNDLE`).
//!
//! The store is read once per process, when the first TLS handshake needs it, and shared by the clients made under
//! the policy (Looker, the Slack Web API, Socket Mode and RTM). Each reqwest client used to read it when it was built
//! (about 150 files here), so start-up read it once per client even when no connection was ever encrypted. The
//! image stores' and PostgreSQL's clients are configured by value and read it themselves.

use std::sync::{Arc, LazyLock, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// The certificates of a PEM bundle; at least one.
pub fn pem_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("it holds no certificate".into());
    }
    Ok(certs)
}

/// The operating system's store alone, shared by the clients of the process.
static SYSTEM: LazyLock<Arc<LazyPlatformVerifier>> = LazyLock::new(|| Arc::new(LazyPlatformVerifier::new(Vec::new())));

/// TLS settings for HTTP clients: the system's store (shared), HTTP/2 or HTTP/1.1 as the server prefers.
pub(crate) fn http_tls_config() -> rustls::ClientConfig {
    http_config(SYSTEM.clone())
}

/// [`http_tls_config`] that also trusts `extra_roots`.
pub(crate) fn http_tls_config_with(extra_roots: Vec<CertificateDer<'static>>) -> rustls::ClientConfig {
    http_config(Arc::new(LazyPlatformVerifier::new(extra_roots)))
}

/// TLS settings for WebSockets: the system's store (shared), no ALPN.
pub(crate) fn websocket_tls_config() -> rustls::ClientConfig {
    config(SYSTEM.clone())
}

fn http_config(verifier: Arc<LazyPlatformVerifier>) -> rustls::ClientConfig {
    let mut config = config(verifier);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config
}

fn config(verifier: Arc<LazyPlatformVerifier>) -> rustls::ClientConfig {
    rustls::ClientConfig::builder_with_provider(verifier.provider.clone())
        .with_safe_default_protocol_versions()
        .expect("the crypto provider supports TLS 1.2 and 1.3")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth()
}

/// rustls-platform-verifier's verifier, built (and the store read) on the first certificate to check.
#[derive(Debug)]
pub(crate) struct LazyPlatformVerifier {
    extra_roots: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
    verifier: OnceLock<Result<rustls_platform_verifier::Verifier, rustls::Error>>,
}

impl LazyPlatformVerifier {
    fn new(extra_roots: Vec<CertificateDer<'static>>) -> LazyPlatformVerifier {
        // The process' provider when one was installed, as reqwest does; otherwise the one the workspace builds.
        let provider = CryptoProvider::get_default()
            .cloned()
            .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
        LazyPlatformVerifier {
            extra_roots,
            provider,
            verifier: OnceLock::new(),
        }
    }

    /// Whether the store has been read.
    #[cfg(test)]
    fn loaded(&self) -> bool {
        self.verifier.get().is_some()
    }

    fn verifier(&self) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        self.verifier
            .get_or_init(|| {
                rustls_platform_verifier::Verifier::new_with_extra_roots(
                    self.extra_roots.iter().cloned(),
                    self.provider.clone(),
                )
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl ServerCertVerifier for LazyPlatformVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.verifier()?
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    // The handshake signatures need no store: checked with the provider's algorithms, as the platform verifier does.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_signed(host: &str) -> CertificateDer<'static> {
        let cert = rcgen::generate_simple_self_signed(vec![host.to_owned()]).unwrap();
        cert.cert.der().clone()
    }

    fn check(verifier: &LazyPlatformVerifier, cert: &CertificateDer<'_>, host: &str) -> Result<(), rustls::Error> {
        let name = ServerName::try_from(host.to_owned()).unwrap();
        verifier
            .verify_server_cert(cert, &[], &name, &[], UnixTime::now())
            .map(drop)
    }

    #[test]
    fn the_store_is_read_on_the_first_certificate_and_extra_roots_are_trusted_besides() {
        let cert = self_signed("looker.internal");
        let system_only = LazyPlatformVerifier::new(Vec::new());
        assert!(!system_only.loaded(), "nothing is read before a handshake");
        let refused = check(&system_only, &cert, "looker.internal");
        assert!(
            matches!(refused, Err(rustls::Error::InvalidCertificate(_))),
            "{refused:?}"
        );
        assert!(system_only.loaded());

        let with_bundle = LazyPlatformVerifier::new(vec![cert.clone()]);
        check(&with_bundle, &cert, "looker.internal").expect("a root of the bundle is trusted");
        let other_name = check(&with_bundle, &cert, "elsewhere.internal");
        assert!(
            matches!(other_name, Err(rustls::Error::InvalidCertificate(_))),
            "{other_name:?}"
        );
    }

    #[test]
    fn a_pem_bundle_gives_its_certificates_and_anything_else_is_refused() {
        let cert = rcgen::generate_simple_self_signed(vec!["a.internal".to_owned()]).unwrap();
        let other = rcgen::generate_simple_self_signed(vec!["b.internal".to_owned()]).unwrap();
        let bundle = format!("{}{}", cert.cert.pem(), other.cert.pem());
        let certs = pem_certificates(bundle.as_bytes()).unwrap();
        assert_eq!(certs, vec![cert.cert.der().clone(), other.cert.der().clone()]);
        assert_eq!(
            pem_certificates(b"not a certificate").unwrap_err(),
            "it holds no certificate"
        );
    }

    #[test]
    fn building_clients_reads_nothing() {
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(http_tls_config())
            .build();
        assert!(client.is_ok(), "reqwest takes the settings: {client:?}");
        let _ = websocket_tls_config();
        assert!(!SYSTEM.loaded(), "the store is read on the first handshake, not before");
        assert_eq!(
            http_tls_config().alpn_protocols,
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        );
        assert!(websocket_tls_config().alpn_protocols.is_empty());
    }
}
