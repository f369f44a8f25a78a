//! A small proxy in front of gcp-storage-emulator that fills in what object_store needs and the emulator
//! lacks: an `ETag` (and `Last-Modified`) on successful responses, and the XML API's `DELETE /{bucket}/{object}`
//! (the emulator answers 501), translated to the JSON API's `DELETE /storage/v1/b/{bucket}/o/{object}`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

#[derive(Clone)]
struct Upstream {
    base: String,
    client: reqwest::Client,
}

/// Starts the proxy on its own thread and runtime (tests each have their own runtime, which ends with the
/// test); returns its base URL.
pub fn start(upstream: &str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind proxy port");
    listener.set_nonblocking(true).expect("nonblocking listener");
    let address = listener.local_addr().expect("proxy address");
    let state = Upstream {
        base: upstream.trim_end_matches('/').to_owned(),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("proxy client"),
    };
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("proxy runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            let app = Router::new().fallback(forward).with_state(state);
            axum::serve(listener, app).await.expect("proxy serves");
        });
    });
    format!("http://{address}")
}

async fn forward(
    State(upstream): State<Upstream>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // object_store percent-encodes every non-alphanumeric character of bucket and object names; the emulator
    // does not decode them. (Names with `/` would need more care; the tests use none.)
    let path = percent_decode(uri.path());
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let target = match xml_api_object(&method, &path) {
        Some((bucket, object)) if method == Method::DELETE => {
            format!("{}/storage/v1/b/{bucket}/o/{object}", upstream.base)
        }
        _ => format!("{}{path}{query}", upstream.base),
    };
    let mut request = upstream.client.request(method.clone(), target).body(body.clone());
    for (name, value) in &headers {
        if name != header::HOST && name != header::CONTENT_LENGTH {
            request = request.header(name, value);
        }
    }
    let answer = match request.send().await {
        Ok(answer) => answer,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let status = answer.status();
    let mut response_headers = answer.headers().clone();
    let response_body = answer.bytes().await.unwrap_or_default();
    if status.is_success() {
        let hashed = if method == Method::PUT { &body } else { &response_body };
        add_if_missing(
            &mut response_headers,
            header::ETAG,
            &format!("\"{}\"", hex_sha256(hashed)),
        );
        add_if_missing(&mut response_headers, header::LAST_MODIFIED, &http_date_now());
    }
    response_headers.remove(header::TRANSFER_ENCODING);
    response_headers.remove(header::CONNECTION);
    (status, response_headers, response_body).into_response()
}

/// `(bucket, object)` for an XML API object path, i.e. not one of the JSON API's prefixes.
fn xml_api_object<'a>(method: &Method, path: &'a str) -> Option<(&'a str, &'a str)> {
    let rest = path.strip_prefix('/')?;
    if ["storage/", "upload/", "download/"].iter().any(|p| rest.starts_with(p)) || method == Method::POST {
        return None;
    }
    rest.split_once('/')
        .filter(|(bucket, object)| !bucket.is_empty() && !object.is_empty())
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                i += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

fn add_if_missing(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if !headers.contains_key(&name) {
        headers.insert(name, HeaderValue::from_str(value).expect("header value"));
    }
}

fn hex_sha256(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

fn http_date_now() -> String {
    chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}
