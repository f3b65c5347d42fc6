//! Docker registry token authentication: short-lived JWTs (RFC 7519) signed with ES256
//! (RFC 7518 §3.4: P-256, SHA-256, signature = R || S, 64 bytes).
//!
//! Keys live in `<data>/keys/`: `token-es256.pk8` signs; `retired/<kid>.pub` only verify, so
//! tokens issued just before a rotation stay valid until they expire.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::signature::{self, EcdsaKeyPair, KeyPair};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Access granted for one resource (the `access` claim of the Docker token spec).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    /// `repository` or `registry`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Repository name or `catalog`.
    pub name: String,
    /// Granted actions.
    pub actions: Vec<String>,
}

/// Token claims.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Subject: user or robot name, empty for anonymous.
    pub sub: String,
    /// Audience: the service name.
    pub aud: String,
    /// Expiry (unix seconds).
    pub exp: i64,
    /// Not before.
    pub nbf: i64,
    /// Issued at.
    pub iat: i64,
    /// Unique id.
    pub jti: String,
    /// Granted access.
    pub access: Vec<Access>,
}

/// Key handling failures.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// File I/O.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The key file is not a valid PKCS#8 P-256 key.
    #[error("{path}: not a PKCS#8 ECDSA P-256 key")]
    BadKey {
        /// File.
        path: PathBuf,
    },
    /// Key generation failed.
    #[error("generating a signing key failed")]
    Generate,
}

/// Why a presented token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not three base64url parts / bad JSON.
    #[error("malformed token")]
    Malformed,
    /// Unknown key id or bad signature.
    #[error("bad token signature")]
    Signature,
    /// Expired or not yet valid.
    #[error("token expired")]
    Expired,
    /// Issued for another service.
    #[error("token audience mismatch")]
    Audience,
}

/// The signing key and the verify-only keys.
pub struct TokenKeys {
    signer: EcdsaKeyPair,
    kid: String,
    verifiers: Vec<(String, Vec<u8>)>,
}

fn kid_of(public: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(public))
        .chars()
        .take(16)
        .collect()
}

impl TokenKeys {
    /// Load `<dir>/token-es256.pk8`, creating it on first start; load `<dir>/retired/*.pub`.
    pub fn load_or_create(dir: &Path) -> Result<TokenKeys, KeyError> {
        fs_err::create_dir_all(dir)?;
        let path = dir.join("token-es256.pk8");
        let rng = ring::rand::SystemRandom::new();
        if !path.exists() {
            let doc =
                EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(|_| KeyError::Generate)?;
            write_private(&path, doc.as_ref())?;
        }
        let der = fs_err::read(&path)?;
        let signer =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &der, &rng)
                .map_err(|_| KeyError::BadKey { path: path.clone() })?;
        let public = signer.public_key().as_ref().to_vec();
        let kid = kid_of(&public);
        let mut verifiers = vec![(kid.clone(), public)];
        let retired = dir.join("retired");
        if retired.is_dir() {
            for e in fs_err::read_dir(&retired)? {
                let p = e?.path();
                if p.extension().is_some_and(|x| x == "pub") {
                    let k = fs_err::read(&p)?;
                    verifiers.push((kid_of(&k), k));
                }
            }
        }
        Ok(TokenKeys {
            signer,
            kid,
            verifiers,
        })
    }

    /// Retire the current key (kept for verification) and generate a new one.
    pub fn rotate(dir: &Path) -> Result<String, KeyError> {
        let old = TokenKeys::load_or_create(dir)?;
        let retired = dir.join("retired");
        fs_err::create_dir_all(&retired)?;
        let public = old.signer.public_key().as_ref();
        fs_err::write(retired.join(format!("{}.pub", old.kid)), public)?;
        let rng = ring::rand::SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| KeyError::Generate)?;
        let path = dir.join("token-es256.pk8");
        let tmp = dir.join("token-es256.pk8.new");
        write_private(&tmp, doc.as_ref())?;
        fs_err::rename(&tmp, &path)?;
        Ok(TokenKeys::load_or_create(dir)?.kid)
    }

    /// Key id of the signing key.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Sign claims into a compact JWS.
    pub fn issue(&self, claims: &Claims) -> Result<String, KeyError> {
        let header = serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": self.kid});
        let input = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(serde_json::to_vec(claims).map_err(|e| KeyError::Io(e.into()))?)
        );
        let rng = ring::rand::SystemRandom::new();
        let sig = self
            .signer
            .sign(&rng, input.as_bytes())
            .map_err(|_| KeyError::Generate)?;
        Ok(format!("{input}.{}", B64.encode(sig.as_ref())))
    }

    /// Verify a compact JWS and its time window and audience.
    pub fn verify(&self, token: &str, audience: &str, now: i64) -> Result<Claims, TokenError> {
        let mut parts = token.split('.');
        let (Some(h), Some(c), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: serde_json::Value =
            serde_json::from_slice(&B64.decode(h).map_err(|_| TokenError::Malformed)?)
                .map_err(|_| TokenError::Malformed)?;
        if header.get("alg").and_then(|a| a.as_str()) != Some("ES256") {
            return Err(TokenError::Signature);
        }
        let kid = header
            .get("kid")
            .and_then(|k| k.as_str())
            .ok_or(TokenError::Signature)?;
        let key = self
            .verifiers
            .iter()
            .find(|(k, _)| k == kid)
            .ok_or(TokenError::Signature)?;
        let sig = B64.decode(s).map_err(|_| TokenError::Malformed)?;
        let signed = token
            .get(..h.len() + 1 + c.len())
            .ok_or(TokenError::Malformed)?;
        signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &key.1)
            .verify(signed.as_bytes(), &sig)
            .map_err(|_| TokenError::Signature)?;
        let claims: Claims =
            serde_json::from_slice(&B64.decode(c).map_err(|_| TokenError::Malformed)?)
                .map_err(|_| TokenError::Malformed)?;
        // Small leeway for clock skew between token issue and use (RFC 7519 §4.1.4 allows it).
        if now > claims.exp || now + 30 < claims.nbf {
            return Err(TokenError::Expired);
        }
        if claims.aud != audience {
            return Err(TokenError::Audience);
        }
        Ok(claims)
    }
}

fn write_private(path: &Path, data: &[u8]) -> Result<(), KeyError> {
    use fs_err::os::unix::fs::OpenOptionsExt;
    use std::io::Write;
    let mut f = fs_err::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(data)?;
    f.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            iss: "kura".into(),
            sub: "alice".into(),
            aud: "kura".into(),
            exp,
            nbf: 0,
            iat: 0,
            jti: "x".into(),
            access: vec![Access {
                kind: "repository".into(),
                name: "p/a".into(),
                actions: vec!["pull".into()],
            }],
        }
    }

    #[test]
    fn issued_token_verifies_and_tampering_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let keys = TokenKeys::load_or_create(dir.path()).unwrap();
        let t = keys.issue(&claims(100)).unwrap();
        let c = keys.verify(&t, "kura", 50).unwrap();
        assert_eq!(c.sub, "alice");
        assert_eq!(
            keys.verify(&t, "kura", 101).unwrap_err(),
            TokenError::Expired
        );
        assert_eq!(
            keys.verify(&t, "other", 50).unwrap_err(),
            TokenError::Audience
        );
        let mut parts: Vec<&str> = t.split('.').collect();
        let forged = B64.encode(serde_json::to_vec(&claims(10_000)).unwrap());
        parts[1] = &forged;
        assert_eq!(
            keys.verify(&parts.join("."), "kura", 50).unwrap_err(),
            TokenError::Signature
        );
        for junk in ["", "a.b", "a.b.c", "....", "eyJ.eyJ.xx"] {
            assert!(keys.verify(junk, "kura", 50).is_err());
        }
    }

    #[test]
    fn rotation_keeps_old_tokens_valid_until_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let old = TokenKeys::load_or_create(dir.path()).unwrap();
        let t = old.issue(&claims(100)).unwrap();
        let new_kid = TokenKeys::rotate(dir.path()).unwrap();
        assert_ne!(new_kid, old.kid());
        let reloaded = TokenKeys::load_or_create(dir.path()).unwrap();
        assert_eq!(reloaded.kid(), new_kid);
        assert!(reloaded.verify(&t, "kura", 50).is_ok());
    }
}
