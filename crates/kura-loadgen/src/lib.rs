//! A load generator for OCI Distribution API registries.
//!
//! It seeds a registry through the Distribution API (monolithic `POST` + `PUT ?digest=` blob
//! uploads, manifest `PUT`, per distribution-spec "Pushing blobs" and "Pushing manifests"), then
//! runs bounded phases with a fixed number of keep-alive HTTP/1.1 connections, measuring on the
//! client side, and reads the server's peak resident memory (`VmHWM`) from `/proc/PID/status`.
//! Running it once per registry with the same flags gives comparable [`report::RunReport`]s;
//! [`report::compare_markdown`] renders them side by side with ratios.
//!
//! ```no_run
//! # async fn demo() -> Result<(), kura_loadgen::LoadError> {
//! let opts = kura_loadgen::RunOptions::default();
//! let report = kura_loadgen::run("distribution", "127.0.0.1:5000", None, &opts).await?;
//! println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
//! # Ok(()) }
//! ```

pub mod client;
pub mod data;
pub mod location;
pub mod phase;
pub mod procfs;
pub mod report;
mod runner;

pub use runner::{RunOptions, run};

use std::time::Duration;

/// Everything that can stop a benchmark run.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// TCP connect or HTTP handshake to the registry failed.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// Registry address.
        addr: String,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An HTTP exchange failed at the transport level.
    #[error("{method} {path} on {addr}: {source}")]
    Http {
        /// Registry address.
        addr: String,
        /// Request method.
        method: String,
        /// Request path.
        path: String,
        /// Underlying error.
        #[source]
        source: hyper::Error,
    },
    /// The registry answered with a status the API does not allow for this step.
    #[error("{method} {path} on {addr}: expected HTTP {expected}, got {got}: {body}")]
    Status {
        /// Registry address.
        addr: String,
        /// Request method.
        method: String,
        /// Request path.
        path: String,
        /// Expected status.
        expected: u16,
        /// Received status.
        got: u16,
        /// Start of the response body (the OCI error document, usually).
        body: String,
    },
    /// A `Location` header was missing or unusable.
    #[error("{path} on {addr}: bad Location header: {problem}")]
    Location {
        /// Registry address.
        addr: String,
        /// Request path that returned it.
        path: String,
        /// What is wrong with it.
        problem: location::LocationError,
    },
    /// Pulled content differs from what was pushed.
    #[error("{path} on {addr}: content mismatch: expected {expected}, got {got}")]
    Mismatch {
        /// Registry address.
        addr: String,
        /// Request path.
        path: String,
        /// Expected digest or length.
        expected: String,
        /// Received digest or length.
        got: String,
    },
    /// A whole phase produced no successful request.
    #[error(
        "phase {phase} on {addr}: no request succeeded in {duration:?} ({errors} errors; first: {first_error})"
    )]
    PhaseFailed {
        /// Registry address.
        addr: String,
        /// Phase name.
        phase: String,
        /// Phase length.
        duration: Duration,
        /// Failed requests.
        errors: u64,
        /// First error seen.
        first_error: String,
    },
    /// A request could not be built (an invalid path or header value).
    #[error("cannot build request {path}: {source}")]
    Request {
        /// Request path.
        path: String,
        /// Underlying error.
        #[source]
        source: hyper::http::Error,
    },
    /// Reading `/proc/PID/...` failed.
    #[error("reading server process {pid}: {source}")]
    Proc {
        /// Server PID.
        pid: u32,
        /// Underlying error.
        #[source]
        source: procfs::ProcError,
    },
}
