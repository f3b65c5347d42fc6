//! Filesystem blob store: `blobs/<alg>/<xx>/<hex>`, `uploads/<id>`, `tmp/`.
//!
//! A blob file appears only by `rename` of a fully written, fsynced and verified file, followed by
//! an fsync of the directory (POSIX rename is atomic; the directory fsync makes it durable), so a
//! crash leaves either no blob or a complete one.

use super::{BlobStore, BoxFut, ByteStream, StorageError};
use crate::digest::{Algorithm, Digest, Hasher};
use bytes::Bytes;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

const READ_CHUNK: usize = 256 * 1024;

/// Blob store rooted at a directory.
pub struct FsStore {
    root: PathBuf,
    /// Running SHA-256 of each upload, keyed by id, valid for the recorded length. Lost on restart,
    /// in which case commit re-hashes the staged file.
    hashers: Mutex<HashMap<String, (u64, Hasher)>>,
}

fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> StorageError + 'a {
    move |source| StorageError::Io {
        op,
        path: path.to_owned(),
        source,
    }
}

/// Upload ids come from clients on every PATCH/PUT; only ids we could have generated reach a path.
fn valid_upload_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

impl FsStore {
    /// Open (creating directories as needed).
    pub fn open(root: impl Into<PathBuf>) -> Result<FsStore, StorageError> {
        let root = root.into();
        for sub in ["blobs", "uploads", "tmp"] {
            let p = root.join(sub);
            fs_err::create_dir_all(&p).map_err(|e| StorageError::Io {
                op: "create dir",
                path: p,
                source: e,
            })?;
        }
        Ok(FsStore {
            root,
            hashers: Mutex::new(HashMap::new()),
        })
    }

    fn blob_path(&self, d: &Digest) -> PathBuf {
        self.root.join("blobs").join(d.key())
    }

    fn upload_path(&self, id: &str) -> Result<PathBuf, StorageError> {
        if !valid_upload_id(id) {
            return Err(StorageError::UploadUnknown(id.to_owned()));
        }
        Ok(self.root.join("uploads").join(id))
    }

    fn take_hasher(&self, id: &str) -> Option<(u64, Hasher)> {
        self.hashers.lock().ok()?.remove(id)
    }

    fn store_hasher(&self, id: &str, len: u64, h: Hasher) {
        if let Ok(mut m) = self.hashers.lock() {
            m.insert(id.to_owned(), (len, h));
        }
    }

    /// Make `tmp` the blob `d`: fsync it, rename into place, fsync the directory.
    async fn commit_file(&self, tmp: &Path, d: &Digest) -> Result<(), StorageError> {
        let f = tokio::fs::File::open(tmp).await.map_err(io("open", tmp))?;
        f.sync_all().await.map_err(io("fsync", tmp))?;
        drop(f);
        let dest = self.blob_path(d);
        let dir = dest
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.root.clone());
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(io("create dir", &dir))?;
        tokio::fs::rename(tmp, &dest)
            .await
            .map_err(io("rename into", &dest))?;
        sync_dir(&dir).await
    }
}

async fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    let d = tokio::fs::File::open(dir)
        .await
        .map_err(io("open dir", dir))?;
    d.sync_all().await.map_err(io("fsync dir", dir))
}

async fn hash_file(path: &Path, algo: Algorithm) -> Result<(u64, Digest), StorageError> {
    let mut f = tokio::fs::File::open(path)
        .await
        .map_err(io("open", path))?;
    let mut h = algo.hasher();
    let mut buf = vec![0u8; READ_CHUNK];
    let mut n_total = 0u64;
    loop {
        let n = f.read(&mut buf).await.map_err(io("read", path))?;
        if n == 0 {
            break;
        }
        h.update(buf.get(..n).unwrap_or_default());
        n_total += n as u64;
    }
    Ok((n_total, h.finish()))
}

impl BlobStore for FsStore {
    fn stat<'a>(&'a self, d: &'a Digest) -> BoxFut<'a, Option<u64>> {
        Box::pin(async move {
            let p = self.blob_path(d);
            match tokio::fs::metadata(&p).await {
                Ok(m) => Ok(Some(m.len())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(StorageError::Io {
                    op: "stat",
                    path: p,
                    source: e,
                }),
            }
        })
    }

    fn read<'a>(
        &'a self,
        d: &'a Digest,
        range: Option<(u64, u64)>,
    ) -> BoxFut<'a, Option<ByteStream>> {
        Box::pin(async move {
            let p = self.blob_path(d);
            let mut f = match tokio::fs::File::open(&p).await {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => {
                    return Err(StorageError::Io {
                        op: "open",
                        path: p,
                        source: e,
                    });
                }
            };
            let stream: ByteStream = match range {
                None => Box::pin(tokio_util::io::ReaderStream::with_capacity(f, READ_CHUNK)),
                Some((start, end)) => {
                    f.seek(SeekFrom::Start(start))
                        .await
                        .map_err(io("seek", &p))?;
                    let len = end.saturating_sub(start).saturating_add(1);
                    Box::pin(tokio_util::io::ReaderStream::with_capacity(
                        f.take(len),
                        READ_CHUNK,
                    ))
                }
            };
            Ok(Some(stream))
        })
    }

    fn delete<'a>(&'a self, d: &'a Digest) -> BoxFut<'a, bool> {
        Box::pin(async move {
            let p = self.blob_path(d);
            match tokio::fs::remove_file(&p).await {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(StorageError::Io {
                    op: "remove",
                    path: p,
                    source: e,
                }),
            }
        })
    }

    fn put<'a>(&'a self, d: &'a Digest, data: Bytes) -> BoxFut<'a, ()> {
        Box::pin(async move {
            let actual = Digest::of(d.algorithm(), &data);
            if &actual != d {
                return Err(StorageError::DigestMismatch {
                    expected: d.clone(),
                    actual,
                });
            }
            if self.stat(d).await?.is_some() {
                return Ok(());
            }
            let tmp =
                self.root
                    .join("tmp")
                    .join(format!("{}-{}", d.hex(), crate::util::random_hex(8)));
            let mut f = tokio::fs::File::create(&tmp)
                .await
                .map_err(io("create", &tmp))?;
            f.write_all(&data).await.map_err(io("write", &tmp))?;
            f.flush().await.map_err(io("flush", &tmp))?;
            drop(f);
            let r = self.commit_file(&tmp, d).await;
            if r.is_err() {
                let _ = tokio::fs::remove_file(&tmp).await;
            }
            r
        })
    }

    fn upload_start<'a>(&'a self, id: &'a str) -> BoxFut<'a, ()> {
        Box::pin(async move {
            let p = self.upload_path(id)?;
            tokio::fs::File::create(&p)
                .await
                .map_err(io("create", &p))?;
            self.store_hasher(id, 0, Algorithm::Sha256.hasher());
            Ok(())
        })
    }

    fn upload_append<'a>(
        &'a self,
        id: &'a str,
        offset: u64,
        mut body: ByteStream,
        limit: u64,
    ) -> BoxFut<'a, u64> {
        Box::pin(async move {
            let p = self.upload_path(id)?;
            let mut f = match tokio::fs::OpenOptions::new().append(true).open(&p).await {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(StorageError::UploadUnknown(id.to_owned()));
                }
                Err(e) => {
                    return Err(StorageError::Io {
                        op: "open",
                        path: p,
                        source: e,
                    });
                }
            };
            let have = f.metadata().await.map_err(io("stat", &p))?.len();
            if have != offset {
                return Err(StorageError::OffsetMismatch {
                    id: id.to_owned(),
                    have,
                    got: offset,
                });
            }
            let mut hasher = match self.take_hasher(id) {
                Some((len, h)) if len == have => Some(h),
                _ => None,
            };
            let mut size = have;
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(StorageError::Body)?;
                size += chunk.len() as u64;
                if size > limit {
                    return Err(StorageError::TooLarge {
                        id: id.to_owned(),
                        limit,
                    });
                }
                f.write_all(&chunk).await.map_err(io("write", &p))?;
                if let Some(h) = hasher.as_mut() {
                    h.update(&chunk);
                }
            }
            f.flush().await.map_err(io("flush", &p))?;
            if let Some(h) = hasher {
                self.store_hasher(id, size, h);
            }
            Ok(size)
        })
    }

    fn upload_size<'a>(&'a self, id: &'a str) -> BoxFut<'a, Option<u64>> {
        Box::pin(async move {
            let Ok(p) = self.upload_path(id) else {
                return Ok(None);
            };
            match tokio::fs::metadata(&p).await {
                Ok(m) => Ok(Some(m.len())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(StorageError::Io {
                    op: "stat",
                    path: p,
                    source: e,
                }),
            }
        })
    }

    fn upload_commit<'a>(&'a self, id: &'a str, expected: &'a Digest) -> BoxFut<'a, u64> {
        Box::pin(async move {
            let p = self.upload_path(id)?;
            let len = tokio::fs::metadata(&p)
                .await
                .map_err(|_| StorageError::UploadUnknown(id.to_owned()))?
                .len();
            let cached = self.take_hasher(id);
            let (size, actual) = match cached {
                Some((n, h)) if n == len && h.algorithm() == expected.algorithm() => {
                    (n, h.finish())
                }
                _ => hash_file(&p, expected.algorithm()).await?,
            };
            if &actual != expected {
                let _ = tokio::fs::remove_file(&p).await;
                return Err(StorageError::DigestMismatch {
                    expected: expected.clone(),
                    actual,
                });
            }
            if self.stat(expected).await?.is_some() {
                let _ = tokio::fs::remove_file(&p).await;
                return Ok(size);
            }
            self.commit_file(&p, expected).await?;
            Ok(size)
        })
    }

    fn upload_abort<'a>(&'a self, id: &'a str) -> BoxFut<'a, ()> {
        Box::pin(async move {
            self.take_hasher(id);
            let p = self.upload_path(id)?;
            match tokio::fs::remove_file(&p).await {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(StorageError::Io {
                    op: "remove",
                    path: p,
                    source: e,
                }),
            }
        })
    }
}
