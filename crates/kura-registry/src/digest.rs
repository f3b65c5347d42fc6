//! Content digests (OCI image-spec `descriptor.md#digests`): `algorithm ":" encoded`.
//!
//! Only registered algorithms with a fixed, lowercase-hex encoding are accepted, so a [`Digest`]
//! is always safe to turn into a storage key or a path component.

use sha2::Digest as _;
use std::fmt;
use std::str::FromStr;

/// A hash algorithm the registry can verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// SHA-256, the canonical algorithm.
    Sha256,
    /// SHA-512, registered by image-spec v1.0.
    Sha512,
}

impl Algorithm {
    /// Name as it appears before the colon.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }
    fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }
    /// A fresh streaming hasher for this algorithm.
    pub fn hasher(self) -> Hasher {
        match self {
            Algorithm::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            Algorithm::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
        }
    }
}

/// A validated digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algo: Algorithm,
    hex: String,
}

/// Why a digest string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    /// Not `algorithm:encoded` per the digest grammar.
    #[error("digest {0:?} does not match the grammar algorithm \":\" encoded")]
    Malformed(String),
    /// Syntactically valid but the algorithm is not one we verify.
    #[error("digest algorithm {0:?} is not supported (sha256, sha512 are)")]
    UnsupportedAlgorithm(String),
    /// Wrong length or non-lowercase-hex encoding for the algorithm.
    #[error("digest {0:?} has an invalid encoded part for its algorithm")]
    BadEncoding(String),
}

impl Digest {
    /// The algorithm part.
    pub fn algorithm(&self) -> Algorithm {
        self.algo
    }
    /// The lowercase hex part.
    pub fn hex(&self) -> &str {
        &self.hex
    }
    /// Digest of a byte slice.
    pub fn of(algo: Algorithm, data: &[u8]) -> Digest {
        let mut h = algo.hasher();
        h.update(data);
        h.finish()
    }
    /// Storage key: `sha256/ab/abcdef…`. Only built from validated hex, so never contains `..` or `/`.
    pub fn key(&self) -> String {
        format!("{}/{}/{}", self.algo.name(), &self.hex[..2], self.hex)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algo.name(), self.hex)
    }
}

impl FromStr for Digest {
    type Err = DigestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (algo, enc) = s
            .split_once(':')
            .ok_or_else(|| DigestError::Malformed(s.to_owned()))?;
        // Grammar (image-spec descriptor.md): algorithm-component [a-z0-9]+ joined by [+._-],
        // encoded [a-zA-Z0-9=_-]+.
        let algo_ok = !algo.is_empty()
            && algo.split(['+', '.', '_', '-']).all(|c| {
                !c.is_empty()
                    && c.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        let enc_ok = !enc.is_empty()
            && enc
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'));
        if !algo_ok || !enc_ok {
            return Err(DigestError::Malformed(s.to_owned()));
        }
        let algo = match algo {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            other => return Err(DigestError::UnsupportedAlgorithm(other.to_owned())),
        };
        if enc.len() != algo.hex_len()
            || !enc.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(DigestError::BadEncoding(s.to_owned()));
        }
        Ok(Digest {
            algo,
            hex: enc.to_owned(),
        })
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Streaming hasher for one algorithm.
#[derive(Clone)]
pub enum Hasher {
    /// SHA-256 state.
    Sha256(sha2::Sha256),
    /// SHA-512 state.
    Sha512(sha2::Sha512),
}

impl Hasher {
    /// Feed bytes.
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }
    /// The algorithm of this hasher.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            Hasher::Sha256(_) => Algorithm::Sha256,
            Hasher::Sha512(_) => Algorithm::Sha512,
        }
    }
    /// Finish and return the digest.
    pub fn finish(self) -> Digest {
        let (algo, hex) = match self {
            Hasher::Sha256(h) => (Algorithm::Sha256, hex::encode(h.finalize())),
            Hasher::Sha512(h) => (Algorithm::Sha512, hex::encode(h.finalize())),
        };
        Digest { algo, hex }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_parsing_table() {
        let ok256 = format!("sha256:{}", "a".repeat(64));
        let ok512 = format!("sha512:{}", "0".repeat(128));
        let cases: Vec<(String, Result<(), &str>)> = vec![
            (ok256.clone(), Ok(())),
            (ok512, Ok(())),
            (format!("sha256:{}", "A".repeat(64)), Err("enc")),
            (format!("sha256:{}", "a".repeat(63)), Err("enc")),
            (format!("sha384:{}", "a".repeat(96)), Err("algo")),
            ("sha256".into(), Err("mal")),
            (":abc".into(), Err("mal")),
            ("sha256:".into(), Err("mal")),
            ("sha256:../../etc".into(), Err("mal")),
            ("SHA256:abc".into(), Err("mal")),
        ];
        for (input, want) in cases {
            let got = input.parse::<Digest>();
            match (want, got) {
                (Ok(()), Ok(d)) => assert_eq!(d.to_string(), input),
                (Err("enc"), Err(DigestError::BadEncoding(_))) => {}
                (Err("algo"), Err(DigestError::UnsupportedAlgorithm(_))) => {}
                (Err("mal"), Err(DigestError::Malformed(_))) => {}
                (w, g) => panic!("{input}: want {w:?}, got {g:?}"),
            }
        }
    }

    #[test]
    fn digest_of_matches_known_vector() {
        let d = Digest::of(Algorithm::Sha256, b"");
        assert_eq!(
            d.to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(d.key(), format!("sha256/e3/{}", d.hex()));
    }

    proptest::proptest! {
        #[test]
        fn digest_parse_never_panics(s in "\\PC*") {
            let _ = s.parse::<Digest>();
        }
    }
}
