//! One keep-alive HTTP/1.1 connection per simulated client.

use crate::LoadError;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// A connection to the registry; reconnects transparently when the server closed it.
pub struct Conn {
    addr: String,
    sender: Option<SendRequest<Full<Bytes>>>,
}

/// A fully read response.
pub struct Collected {
    /// Status code.
    pub status: u16,
    /// Response headers.
    pub headers: hyper::HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl Conn {
    /// A connection to `addr` (`host:port`), opened on first use.
    pub fn new(addr: &str) -> Conn {
        Conn {
            addr: addr.to_string(),
            sender: None,
        }
    }

    /// Registry address.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    async fn sender(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, LoadError> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let connect_err = |source| LoadError::Connect {
                addr: self.addr.clone(),
                source,
            };
            let stream = TcpStream::connect(&self.addr).await.map_err(connect_err)?;
            stream.set_nodelay(true).map_err(connect_err)?;
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| LoadError::Connect {
                    addr: self.addr.clone(),
                    source: std::io::Error::other(e),
                })?;
            // The connection task ends when the sender is dropped or the peer closes.
            tokio::spawn(async move {
                let _ = conn.await;
            });
            self.sender = Some(sender);
        }
        let sender = self.sender.as_mut().ok_or_else(|| LoadError::Connect {
            addr: self.addr.clone(),
            source: std::io::Error::other("connection vanished"),
        })?;
        sender.ready().await.map_err(|source| LoadError::Http {
            addr: self.addr.clone(),
            method: "-".into(),
            path: "-".into(),
            source,
        })?;
        Ok(sender)
    }

    /// Send a request and return the response head with its body unread.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<Response<Incoming>, LoadError> {
        let mut builder = Request::builder()
            .method(method.clone())
            .uri(path)
            .header("host", &self.addr);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let req = builder
            .body(Full::new(body))
            .map_err(|source| LoadError::Request {
                path: path.to_string(),
                source,
            })?;
        let addr = self.addr.clone();
        let sender = self.sender().await?;
        let result = sender.send_request(req).await;
        result.map_err(|source| {
            self.sender = None;
            LoadError::Http {
                addr,
                method: method.to_string(),
                path: path.to_string(),
                source,
            }
        })
    }

    /// Send a request and read the whole response.
    pub async fn exchange(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<Collected, LoadError> {
        let resp = self.send(method.clone(), path, headers, body).await?;
        let status = resp.status().as_u16();
        let (parts, incoming) = resp.into_parts();
        let body = incoming.collect().await.map_err(|source| {
            self.sender = None;
            LoadError::Http {
                addr: self.addr.clone(),
                method: method.to_string(),
                path: path.to_string(),
                source,
            }
        })?;
        Ok(Collected {
            status,
            headers: parts.headers,
            body: body.to_bytes(),
        })
    }

    /// Read a response body to its end, or until `stop`, calling `on_bytes` per frame; returns
    /// the byte count and whether the body was read completely. A body cut off at `stop` leaves
    /// the connection unusable, so it is dropped.
    pub async fn drain(
        &mut self,
        resp: Response<Incoming>,
        stop: Instant,
        on_bytes: &(dyn Fn(u64) + Sync),
    ) -> Result<(u64, bool), hyper::Error> {
        let mut body = resp.into_body();
        let mut total = 0u64;
        loop {
            let frame = match body.frame().await {
                None => return Ok((total, true)),
                Some(Err(e)) => {
                    self.sender = None;
                    return Err(e);
                }
                Some(Ok(f)) => f,
            };
            if let Some(data) = frame.data_ref() {
                let n = data.len() as u64;
                total += n;
                on_bytes(n);
            }
            if Instant::now() >= stop {
                self.sender = None;
                return Ok((total, false));
            }
        }
    }
}
