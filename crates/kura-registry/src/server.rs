//! Running the server: bind, optional TLS (rustls, ring provider), HTTP/1.1 with header-read
//! timeouts, graceful shutdown that lets in-flight requests finish.

use crate::app::{App, OpenError};
use crate::config::{Config, ENV_ADMIN_PASSWORD, ENV_ADMIN_USER};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Startup failures.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Opening state.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// Bad listen address.
    #[error("listen address {0:?} is not host:port")]
    Listen(String),
    /// Binding.
    #[error("binding {addr}: {source}")]
    Bind {
        /// Address.
        addr: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// Plain HTTP on a public address was not asked for.
    #[error("refusing plain HTTP on non-loopback {0}: configure [tls] or pass --insecure-http")]
    PlainHttp(SocketAddr),
    /// Auth disabled on a public address.
    #[error("refusing auth.disabled on non-loopback {0}")]
    NoAuthPublic(SocketAddr),
    /// TLS files.
    #[error("TLS {path}: {msg}")]
    Tls {
        /// File.
        path: PathBuf,
        /// Problem.
        msg: String,
    },
    /// Writing the address file.
    #[error("writing {path}: {source}")]
    AddrFile {
        /// File.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// Creating the first admin.
    #[error("bootstrap admin: {0}")]
    Bootstrap(String),
}

/// Create the first admin from the environment when no user exists yet.
pub fn bootstrap_admin(app: &App) -> Result<(), ServeError> {
    let (Ok(user), Ok(pass)) = (
        std::env::var(ENV_ADMIN_USER),
        std::env::var(ENV_ADMIN_PASSWORD),
    ) else {
        return Ok(());
    };
    let users = app
        .meta
        .users()
        .map_err(|e| ServeError::Bootstrap(e.to_string()))?;
    if !users.is_empty() {
        return Ok(());
    }
    crate::admin::user_add(app.meta.as_ref(), &user, &pass, true)
        .map_err(|e| ServeError::Bootstrap(e.to_string()))?;
    tracing::info!(user, "created the first admin from the environment");
    Ok(())
}

fn load_tls(cfg: &crate::config::TlsConfig) -> Result<tokio_rustls::TlsAcceptor, ServeError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let err = |path: &PathBuf, msg: String| ServeError::Tls {
        path: path.clone(),
        msg,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cfg.cert)
        .map_err(|e| err(&cfg.cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| err(&cfg.cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(err(&cfg.cert, "no certificates".into()));
    }
    let key = PrivateKeyDer::from_pem_file(&cfg.key).map_err(|e| err(&cfg.key, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut sc = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| err(&cfg.cert, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| err(&cfg.key, e.to_string()))?;
    sc.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(sc)))
}

/// A bound, not yet serving, server.
pub struct Bound {
    app: App,
    listener: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    /// The actual address (useful with port 0).
    pub addr: SocketAddr,
}

/// Open state, validate the configuration and bind.
pub async fn bind(cfg: Config) -> Result<Bound, ServeError> {
    let addr: SocketAddr = tokio::net::lookup_host(&cfg.listen)
        .await
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| ServeError::Listen(cfg.listen.clone()))?;
    let loopback = addr.ip().is_loopback();
    if !loopback && cfg.tls.is_none() && !cfg.insecure_http {
        return Err(ServeError::PlainHttp(addr));
    }
    if !loopback && cfg.auth.disabled {
        return Err(ServeError::NoAuthPublic(addr));
    }
    let tls = cfg.tls.as_ref().map(load_tls).transpose()?;
    let app = App::open(cfg)?;
    bootstrap_admin(&app)?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind {
            addr: addr.to_string(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Bind {
        addr: addr.to_string(),
        source,
    })?;
    Ok(Bound {
        app,
        listener,
        tls,
        addr,
    })
}

impl Bound {
    /// Write the bound address to a file (atomically, so readers never see half of it).
    pub fn write_addr_file(&self, path: &std::path::Path) -> Result<(), ServeError> {
        let tmp = path.with_extension("tmp");
        let err = |source| ServeError::AddrFile {
            path: path.to_owned(),
            source,
        };
        fs_err::write(&tmp, self.addr.to_string()).map_err(err)?;
        fs_err::rename(&tmp, path).map_err(err)
    }

    /// The state (for in-process GC or tests).
    pub fn app(&self) -> &App {
        &self.app
    }

    /// Serve until `shutdown` resolves, then stop accepting and wait for in-flight requests
    /// (at most `drain`).
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send,
        drain: Duration,
    ) {
        use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
        let Bound {
            app, listener, tls, ..
        } = self;
        let router = crate::routes::router(app.clone());
        let gc_task = spawn_gc(app.clone());
        let header_timeout = Duration::from_secs(app.cfg.limits.header_timeout_secs.max(1));
        let (tx_stop, rx_stop) = tokio::sync::watch::channel(false);
        let tracker = tokio_util::task::TaskTracker::new();
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                _ = &mut shutdown => break,
                r = listener.accept() => match r {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let _ = stream.set_nodelay(true);
            let svc = router
                .clone()
                .layer(axum::Extension(axum::extract::ConnectInfo(peer)));
            let tls = tls.clone();
            let mut stop = rx_stop.clone();
            tracker.spawn(async move {
                let hyper_svc = hyper_util::service::TowerToHyperService::new(svc);
                let mut builder =
                    hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                builder
                    .http1()
                    .timer(TokioTimer::new())
                    .header_read_timeout(header_timeout)
                    .keep_alive(true);
                macro_rules! drive {
                    ($io:expr) => {{
                        let conn = builder.serve_connection($io, hyper_svc);
                        tokio::pin!(conn);
                        tokio::select! {
                            r = conn.as_mut() => { let _ = r; }
                            _ = stop.changed() => {
                                conn.as_mut().graceful_shutdown();
                                let _ = conn.await;
                            }
                        }
                    }};
                }
                match tls {
                    Some(acc) => {
                        match tokio::time::timeout(header_timeout, acc.accept(stream)).await {
                            Ok(Ok(s)) => drive!(TokioIo::new(s)),
                            _ => tracing::debug!(%peer, "TLS handshake failed"),
                        }
                    }
                    None => drive!(TokioIo::new(stream)),
                }
            });
        }
        drop(listener);
        let _ = tx_stop.send(true);
        tracker.close();
        if tokio::time::timeout(drain, tracker.wait()).await.is_err() {
            tracing::warn!("in-flight requests still running after the drain period");
        }
        if let Some(t) = gc_task {
            t.abort();
        }
        app.audit.flush();
    }
}

fn spawn_gc(app: App) -> Option<tokio::task::JoinHandle<()>> {
    let every = app.cfg.gc.interval_secs;
    if every == 0 {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(every));
        tick.tick().await;
        loop {
            tick.tick().await;
            match crate::gc::run(&app).await {
                Ok(r) => tracing::info!(?r, "gc pass"),
                Err(e) => tracing::error!(error = %e, "gc pass failed"),
            }
        }
    }))
}
