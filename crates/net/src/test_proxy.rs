//! A small forward proxy on loopback for tests: `CONNECT host:port` opens a tunnel, and a request in absolute form
//! (`GET http://host/path`) is passed to its host. It records every destination, so a test can show which
//! connections went through it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One connection the proxy carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carried {
    /// `CONNECT`, or the method of a forwarded request.
    pub method: String,
    /// `host:port` it went to.
    pub target: String,
}

/// A running proxy; stops when dropped.
pub struct ForwardProxy {
    addr: SocketAddr,
    carried: Arc<Mutex<Vec<Carried>>>,
    task: JoinHandle<()>,
}

impl ForwardProxy {
    pub async fn start() -> std::io::Result<ForwardProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let carried = Arc::new(Mutex::new(Vec::new()));
        let log = carried.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let log = log.clone();
                tokio::spawn(async move {
                    if let Err(e) = carry(client, log).await {
                        tracing::debug!(error = %e, "test proxy connection ended");
                    }
                });
            }
        });
        Ok(ForwardProxy { addr, carried, task })
    }

    /// `http://127.0.0.1:PORT`, for `HTTPS_PROXY`/`HTTP_PROXY`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every connection carried so far, in order.
    pub fn carried(&self) -> Vec<Carried> {
        self.carried.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Drop for ForwardProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn carry(client: TcpStream, log: Arc<Mutex<Vec<Carried>>>) -> std::io::Result<()> {
    let mut client = BufReader::new(client);
    let mut request_line = String::new();
    client.read_line(&mut request_line).await?;
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if client.read_line(&mut line).await? == 0 || line == "\r\n" {
            break;
        }
        head.push(line);
    }
    let host_port = if method == "CONNECT" {
        target.to_string()
    } else {
        let url = url::Url::parse(target).map_err(|e| std::io::Error::other(e.to_string()))?;
        format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or(80)
        )
    };
    log.lock().unwrap_or_else(|p| p.into_inner()).push(Carried {
        method: method.to_string(),
        target: host_port.clone(),
    });
    let mut upstream = match TcpStream::connect(&host_port).await {
        Ok(upstream) => upstream,
        Err(e) => {
            let mut client = client.into_inner();
            client
                .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
                .await?;
            return Err(e);
        }
    };
    if method == "CONNECT" {
        client
            .get_mut()
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await?;
    } else {
        // The request goes on as it came (origin servers accept the absolute form), one per connection.
        let mut forwarded = request_line.clone();
        for line in head.iter().filter(|l| !l.to_ascii_lowercase().starts_with("proxy-")) {
            forwarded.push_str(line);
        }
        forwarded.push_str("\r\n");
        upstream.write_all(forwarded.as_bytes()).await?;
    }
    let buffered = client.buffer().to_vec();
    upstream.write_all(&buffered).await?;
    let mut client = client.into_inner();
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}
