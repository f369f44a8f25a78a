//! HTTP clients made under the network policy against a real TLS server on loopback whose certificate no public
//! authority signed: refused with the system's store alone, accepted with it as an extra root, and accepted by a
//! client told to accept any certificate (a Looker's `LOOKER_VERIFY_SSL=false`).

use std::sync::Arc;

use net::NetPolicy;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server for `localhost` that answers every request with `ok`; its certificate and port.
async fn tls_server() -> (net::CertificateDer<'static>, u16) {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let issued = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = issued.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::try_from(issued.signing_key.serialize_der()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut request = [0u8; 4096];
                let _ = tls.read(&mut request).await;
                let _ = tls
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (cert, port)
}

async fn get(client: reqwest::ClientBuilder, port: u16) -> Result<String, reqwest::Error> {
    client
        .build()
        .unwrap()
        .get(format!("https://localhost:{port}/"))
        .send()
        .await?
        .text()
        .await
}

#[tokio::test]
async fn a_certificate_is_trusted_only_through_the_store_an_extra_root_or_an_explicit_opt_out() {
    let (cert, port) = tls_server().await;
    let policy = NetPolicy::direct();

    let refused = get(policy.http_client(reqwest::Client::builder()), port).await;
    let error = refused.expect_err("a certificate no authority signed is refused");
    assert!(format!("{error:?}").contains("UnknownIssuer"), "{error:?}");

    let trusted = get(
        policy.http_client_trusting(reqwest::Client::builder(), vec![cert]),
        port,
    )
    .await;
    assert_eq!(trusted.unwrap(), "ok");

    let unchecked = policy
        .http_client(reqwest::Client::builder())
        .tls_backend_rustls()
        .tls_danger_accept_invalid_certs(true);
    assert_eq!(get(unchecked, port).await.unwrap(), "ok");
}
