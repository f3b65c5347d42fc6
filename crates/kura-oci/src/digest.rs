//! Validated content digests and a reader that checks one while streaming.

use std::fmt;
use std::io::{self, Read};

use sha2::{Digest as _, Sha256, Sha512};

use crate::error::OciError;

/// A validated `algorithm:hex` digest. Only `sha256` and `sha512` are accepted, as the OCI
/// image spec (`descriptor.md`, "Registered algorithms") registers them; the hex part is
/// lower-case and of the algorithm's exact length, so it is safe as a file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

/// Hash algorithms of [`Digest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// SHA-256.
    Sha256,
    /// SHA-512.
    Sha512,
}

impl Digest {
    /// Parse and validate; `context` names where the digest was found, for the error.
    pub fn parse(s: &str, context: &str) -> Result<Self, OciError> {
        let bad = || OciError::InvalidDigest {
            digest: s.chars().take(200).collect(),
            context: context.to_string(),
        };
        let (alg, hex) = s.split_once(':').ok_or_else(bad)?;
        let len = match alg {
            "sha256" => 64,
            "sha512" => 128,
            _ => return Err(bad()),
        };
        if hex.len() != len || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(bad());
        }
        Ok(Digest(s.to_string()))
    }

    /// The sha256 digest of `data`.
    pub fn sha256_of(data: &[u8]) -> Self {
        Digest(format!("sha256:{}", hex::encode(Sha256::digest(data))))
    }

    /// The algorithm part.
    pub fn algorithm(&self) -> Algorithm {
        if self.0.starts_with("sha512:") {
            Algorithm::Sha512
        } else {
            Algorithm::Sha256
        }
    }

    /// The algorithm name (`sha256`).
    pub fn algorithm_str(&self) -> &str {
        self.0.split_once(':').map_or("", |(a, _)| a)
    }

    /// The hex part.
    pub fn hex(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, h)| h)
    }

    /// The full `algorithm:hex` string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Hash `data` with this digest's algorithm and compare.
    pub fn matches(&self, data: &[u8]) -> bool {
        let mut h = Hasher::new(self.algorithm());
        h.update(data);
        h.finish_hex() == self.hex()
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A running hash of either algorithm.
#[derive(Clone)]
pub(crate) enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    pub(crate) fn new(alg: Algorithm) -> Self {
        match alg {
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::Sha512 => Hasher::Sha512(Sha512::new()),
        }
    }
    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }
    pub(crate) fn finish_hex(self) -> String {
        match self {
            Hasher::Sha256(h) => hex::encode(h.finalize()),
            Hasher::Sha512(h) => hex::encode(h.finalize()),
        }
    }
}

/// What a [`VerifyReader`] checks at end of stream.
#[derive(Debug, Clone)]
pub(crate) struct Expect {
    /// Label used in error messages (`blob sha256:…`, `diff_id sha256:… of layer 2`).
    pub label: String,
    /// The digest the bytes must hash to; `None` hashes nothing.
    pub digest: Option<Digest>,
    /// The exact byte length, when known.
    pub size: Option<u64>,
}

/// Hashes and counts the bytes it passes through. At end of stream it returns an
/// `InvalidData` error naming the blob and the expected and actual values when the digest or
/// size differ; reading past the expected size fails at once, so a lying peer cannot make us
/// read without bound.
pub(crate) struct VerifyReader<R> {
    inner: R,
    hasher: Option<Hasher>,
    count: u64,
    expect: Expect,
    finished: bool,
}

impl<R: Read> VerifyReader<R> {
    pub(crate) fn new(inner: R, expect: Expect) -> Self {
        let hasher = expect.digest.as_ref().map(|d| Hasher::new(d.algorithm()));
        Self {
            inner,
            hasher,
            count: 0,
            expect,
            finished: false,
        }
    }

    fn check_end(&mut self) -> io::Result<()> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        if let Some(size) = self.expect.size
            && size != self.count
        {
            return Err(invalid(format!(
                "{}: size mismatch: expected {size} bytes, got {}",
                self.expect.label, self.count
            )));
        }
        if let (Some(h), Some(d)) = (self.hasher.take(), &self.expect.digest) {
            let actual = h.finish_hex();
            if actual != d.hex() {
                return Err(invalid(format!(
                    "{}: digest mismatch: expected {d}, got {}:{actual}",
                    self.expect.label,
                    d.algorithm_str()
                )));
            }
        }
        Ok(())
    }
}

pub(crate) fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

impl<R: Read> Read for VerifyReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        if n == 0 {
            self.check_end()?;
            return Ok(0);
        }
        self.count += n as u64;
        if let Some(size) = self.expect.size
            && self.count > size
        {
            self.finished = true;
            return Err(invalid(format!(
                "{}: size mismatch: more than the expected {size} bytes",
                self.expect.label
            )));
        }
        if let (Some(h), Some(chunk)) = (self.hasher.as_mut(), buf.get(..n)) {
            h.update(chunk);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_parse_accepts_only_registered_algorithms_and_exact_hex() {
        let good = format!("sha256:{}", "a".repeat(64));
        let cases: &[(&str, bool)] = &[
            (&good, true),
            (&format!("sha512:{}", "0".repeat(128)), true),
            (&format!("sha256:{}", "A".repeat(64)), false),
            (&format!("sha256:{}", "a".repeat(63)), false),
            (&format!("md5:{}", "a".repeat(32)), false),
            ("sha256:../../etc/passwd", false),
            ("", false),
            ("sha256", false),
        ];
        for (s, ok) in cases {
            assert_eq!(Digest::parse(s, "test").is_ok(), *ok, "{s}");
        }
    }

    fn read_all(data: &[u8], expect: Expect) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        VerifyReader::new(data, expect).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn verify_reader_reports_digest_and_size_mismatches() {
        let data = b"hello";
        let d = Digest::sha256_of(data);
        let ok = Expect {
            label: "blob x".into(),
            digest: Some(d.clone()),
            size: Some(5),
        };
        assert_eq!(read_all(data, ok).unwrap(), data);
        let bad_digest = Expect {
            label: "blob x".into(),
            digest: Some(Digest::sha256_of(b"other")),
            size: None,
        };
        let e = read_all(data, bad_digest).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("digest mismatch"), "{e}");
        let short = Expect {
            label: "blob x".into(),
            digest: Some(d.clone()),
            size: Some(6),
        };
        assert!(
            read_all(data, short)
                .unwrap_err()
                .to_string()
                .contains("expected 6")
        );
        let long = Expect {
            label: "blob x".into(),
            digest: Some(d),
            size: Some(4),
        };
        assert!(
            read_all(data, long)
                .unwrap_err()
                .to_string()
                .contains("more than")
        );
    }
}
