//! kura's private OCI registry: the OCI Distribution Spec v1.1 API (pull, push, content
//! discovery including referrers, content management) over content-addressed blob storage and a
//! SQLite metadata store, with users, projects, roles, robots, Docker token auth and a
//! tamper-evident audit log.
//!
//! Layers, each calling only the ones below it:
//! `routes` (HTTP) → `auth` / `app` (services) → `storage` (blob bytes) and `meta` (metadata).
//!
//! ```no_run
//! # async fn run() -> Result<(), kura_registry::server::ServeError> {
//! let mut cfg = kura_registry::config::Config::default();
//! cfg.listen = "127.0.0.1:0".into();
//! let bound = kura_registry::server::bind(cfg).await?;
//! println!("listening on {}", bound.addr);
//! bound.serve(std::future::pending(), std::time::Duration::from_secs(10)).await;
//! # Ok(()) }
//! ```

pub mod admin;
pub mod app;
pub mod audit;
pub mod auth;
pub mod config;
pub mod digest;
pub mod error;
pub mod gc;
pub mod meta;
pub mod metrics;
pub mod names;
pub mod routes;
pub mod server;
pub mod storage;
pub mod util;
