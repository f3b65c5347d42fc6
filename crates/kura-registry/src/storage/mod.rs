//! Blob storage: content-addressed blobs and staged uploads.
//!
//! Called by the services layer only. The trait is shaped for an object store as well as a
//! filesystem: a blob becomes visible by one atomic "commit" of a verified upload (rename on a
//! filesystem, complete-multipart or copy on an object store), and correctness never depends on
//! listing. Which blobs exist and which uploads are open is the metadata store's job.

pub mod fs;

use crate::digest::Digest;
use bytes::Bytes;
use futures_util::Stream;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

/// Boxed future returned by [`BlobStore`] methods (keeps the trait object-safe).
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = Result<T, StorageError>> + Send + 'a>>;
/// A stream of body bytes, in or out.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// Storage failures, with the evidence.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// I/O on a named object.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// Which file or key.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Reading the request body failed (client went away, slow-loris timeout).
    #[error("reading request body: {0}")]
    Body(std::io::Error),
    /// No such upload.
    #[error("upload {0} does not exist")]
    UploadUnknown(String),
    /// A chunk did not start where the upload ends.
    #[error("upload {id}: chunk starts at {got}, upload is {have} bytes")]
    OffsetMismatch {
        /// Upload id.
        id: String,
        /// Current size.
        have: u64,
        /// Requested start.
        got: u64,
    },
    /// The content does not hash to the digest the client gave.
    #[error("content hashes to {actual}, client said {expected}")]
    DigestMismatch {
        /// Claimed digest.
        expected: Digest,
        /// Computed digest.
        actual: Digest,
    },
    /// The upload grew past the configured limit.
    #[error("upload {id} exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Upload id.
        id: String,
        /// Limit in bytes.
        limit: u64,
    },
}

/// Where blob bytes live. Implementations must make a blob visible only after its content was
/// verified against its digest and made durable.
pub trait BlobStore: Send + Sync + 'static {
    /// Size of a committed blob, or `None`.
    fn stat<'a>(&'a self, d: &'a Digest) -> BoxFut<'a, Option<u64>>;
    /// Stream a committed blob, optionally the inclusive byte range `start..=end`.
    fn read<'a>(
        &'a self,
        d: &'a Digest,
        range: Option<(u64, u64)>,
    ) -> BoxFut<'a, Option<ByteStream>>;
    /// Remove a committed blob; `false` when it was absent.
    fn delete<'a>(&'a self, d: &'a Digest) -> BoxFut<'a, bool>;
    /// Store small content whose digest the caller computed (manifests, monolithic pushes).
    fn put<'a>(&'a self, d: &'a Digest, data: Bytes) -> BoxFut<'a, ()>;
    /// Begin an upload.
    fn upload_start<'a>(&'a self, id: &'a str) -> BoxFut<'a, ()>;
    /// Append a chunk that must start at `offset`; returns the new size.
    fn upload_append<'a>(
        &'a self,
        id: &'a str,
        offset: u64,
        body: ByteStream,
        limit: u64,
    ) -> BoxFut<'a, u64>;
    /// Current size of an upload, or `None` if unknown.
    fn upload_size<'a>(&'a self, id: &'a str) -> BoxFut<'a, Option<u64>>;
    /// Verify the upload against `expected` and commit it as that blob; returns its size.
    /// On mismatch nothing becomes visible and the upload is discarded.
    fn upload_commit<'a>(&'a self, id: &'a str, expected: &'a Digest) -> BoxFut<'a, u64>;
    /// Discard an upload.
    fn upload_abort<'a>(&'a self, id: &'a str) -> BoxFut<'a, ()>;
}
