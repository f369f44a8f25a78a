//! TLS to PostgreSQL, as `sslmode` and `sslrootcert` in `LOOKERBOT_DATABASE_URL` ask, with libpq's meanings:
//! `disable` (plain), `prefer` (the default: TLS when the server offers it), `require` (TLS or no connection),
//! `verify-ca` (the certificate must chain to a trusted root) and `verify-full` (and name the host connected to).
//! `prefer` and `require` check the certificate only when `sslrootcert` is given, as libpq does. Roots come from
//! `sslrootcert` (a PEM file), or the system's trust store when it is absent or `system`.
//!
//! The driver knows `disable`, `prefer` and `require` only: the two parameters are taken out of the URL here and
//! the checks they ask for are made by the rustls configuration handed to it.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::QueueError;

/// What `sslmode` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl Mode {
    fn parse(value: &str) -> Result<Mode, QueueError> {
        Ok(match value {
            "disable" => Mode::Disable,
            "prefer" => Mode::Prefer,
            "require" => Mode::Require,
            "verify-ca" => Mode::VerifyCa,
            "verify-full" => Mode::VerifyFull,
            other => {
                return Err(QueueError::InvalidConfig(format!(
                    "LOOKERBOT_DATABASE_URL has sslmode={other}, which lookerbot does not support; use disable, \
                     prefer, require, verify-ca or verify-full"
                )));
            }
        })
    }
}

/// A parsed `LOOKERBOT_DATABASE_URL`: the driver's configuration and, unless TLS is off, the TLS connector.
pub(super) struct Connection {
    pub config: tokio_postgres::Config,
    pub tls: Option<MakeRustlsConnect>,
}

/// Reads `url` (`postgres://user:password@host:5432/database?sslmode=...&sslrootcert=...`).
pub(super) fn parse(url: &str) -> Result<Connection, QueueError> {
    let (rest, mode, root_cert) = take_tls_parameters(url)?;
    let mut config = tokio_postgres::Config::from_str(&rest).map_err(|e| {
        QueueError::InvalidConfig(format!(
            "LOOKERBOT_DATABASE_URL is not a PostgreSQL URL ({e}); write it as \
             postgres://user:password@host:5432/database"
        ))
    })?;
    config.ssl_mode(match mode {
        Mode::Disable => SslMode::Disable,
        Mode::Prefer => SslMode::Prefer,
        Mode::Require | Mode::VerifyCa | Mode::VerifyFull => SslMode::Require,
    });
    let tls = match mode {
        Mode::Disable => None,
        _ => Some(MakeRustlsConnect::new(client_config(mode, root_cert.as_deref())?)),
    };
    Ok(Connection { config, tls })
}

/// `url` without its `sslmode` and `sslrootcert` query parameters, and their values (`prefer` when unset).
fn take_tls_parameters(url: &str) -> Result<(String, Mode, Option<String>), QueueError> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), Mode::Prefer, None));
    };
    let (mut mode, mut root_cert, mut kept) = (Mode::Prefer, None, Vec::new());
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded = || {
            percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned()
        };
        match key {
            "sslmode" => mode = Mode::parse(&decoded())?,
            "sslrootcert" => root_cert = Some(decoded()),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((rest, mode, root_cert))
}

fn client_config(mode: Mode, root_cert: Option<&str>) -> Result<ClientConfig, QueueError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let algorithms = provider.signature_verification_algorithms;
    let verifier: Arc<dyn ServerCertVerifier> = match (mode, root_cert) {
        (Mode::VerifyFull, _) => webpki_verifier(roots(root_cert)?, &provider)?,
        (Mode::Prefer | Mode::Require, None) => Arc::new(AnyHostName {
            chain: None,
            algorithms,
        }),
        (_, _) => Arc::new(AnyHostName {
            chain: Some(webpki_verifier(roots(root_cert)?, &provider)?),
            algorithms,
        }),
    };
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| QueueError::InvalidConfig(format!("cannot set up TLS to PostgreSQL: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

fn webpki_verifier(
    roots: RootCertStore,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, QueueError> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| QueueError::InvalidConfig(format!("cannot set up TLS to PostgreSQL: {e}")))
}

/// The roots a server certificate must chain to: `sslrootcert`'s, or the system's.
fn roots(root_cert: Option<&str>) -> Result<RootCertStore, QueueError> {
    let mut roots = RootCertStore::empty();
    match root_cert {
        Some(path) if path != "system" => {
            let certs = CertificateDer::pem_file_iter(Path::new(path))
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| {
                    QueueError::InvalidConfig(format!(
                        "cannot read the CA certificates in sslrootcert={path} (LOOKERBOT_DATABASE_URL): {e}; \
                         give the path of a PEM file, such as your database provider's CA bundle"
                    ))
                })?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(QueueError::InvalidConfig(format!(
                    "sslrootcert={path} (LOOKERBOT_DATABASE_URL) holds no usable CA certificate; give your \
                     database provider's CA bundle in PEM form"
                )));
            }
        }
        _ => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                return Err(QueueError::InvalidConfig(
                    "the system has no trusted CA certificates to check PostgreSQL's certificate with; set \
                     sslrootcert=/path/to/ca.pem in LOOKERBOT_DATABASE_URL"
                        .into(),
                ));
            }
        }
    }
    Ok(roots)
}

/// What `prefer`, `require` and `verify-ca` check of the server's certificate: with `chain`, that it chains to a
/// trusted root, whatever host name it carries; without, nothing (libpq does the same: the connection is encrypted,
/// but only verify-full says whom you talk to). The handshake's signatures are checked either way.
#[derive(Debug)]
struct AnyHostName {
    chain: Option<Arc<WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AnyHostName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        // The chain is checked before the name, so a name mismatch means the chain was good.
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_parameters_are_taken_out_and_the_rest_kept() {
        let (rest, mode, root) = take_tls_parameters(
            "postgres://u:p@db:5432/bot?sslmode=verify-full&application_name=lb&sslrootcert=%2Fetc%2Fca%20b.pem",
        )
        .unwrap();
        assert_eq!(rest, "postgres://u:p@db:5432/bot?application_name=lb");
        assert_eq!(mode, Mode::VerifyFull);
        assert_eq!(root.as_deref(), Some("/etc/ca b.pem"));
        let (rest, mode, root) = take_tls_parameters("postgres://db/bot").unwrap();
        assert_eq!((rest.as_str(), mode, root), ("postgres://db/bot", Mode::Prefer, None));
        let (rest, mode, _) = take_tls_parameters("postgres://db/bot?sslmode=disable").unwrap();
        assert_eq!((rest.as_str(), mode), ("postgres://db/bot", Mode::Disable));
    }

    #[test]
    fn an_unknown_sslmode_and_an_unreadable_root_file_are_refused_with_what_to_write() {
        let error = parse("postgres://db/bot?sslmode=allow").err().unwrap().to_string();
        assert!(
            error.contains("sslmode=allow") && error.contains("verify-full"),
            "{error}"
        );
        let error = parse("postgres://db/bot?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem")
            .err()
            .unwrap()
            .to_string();
        assert!(
            error.contains("/nonexistent/ca.pem") && error.contains("PEM"),
            "{error}"
        );
    }
}
