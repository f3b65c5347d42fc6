//! Argon2id password and secret hashing (RFC 9106, PHC string format).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Hashing failures.
#[derive(Debug, thiserror::Error)]
#[error("password hashing: {0}")]
pub struct HashError(String);

fn argon() -> Argon2<'static> {
    // RFC 9106 §4 second recommended option scaled to a server: 19 MiB, t=2, p=1 (OWASP minimum).
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hash a password with a fresh random salt.
pub fn hash(password: &str) -> Result<String, HashError> {
    let salt_bytes = crate::util::random_hex(16);
    let salt =
        SaltString::encode_b64(salt_bytes.as_bytes()).map_err(|e| HashError(e.to_string()))?;
    argon()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Check a password against a stored PHC hash (the comparison inside is constant-time).
pub fn verify(stored: &str, password: &str) -> bool {
    PasswordHash::new(stored)
        .is_ok_and(|h| argon().verify_password(password.as_bytes(), &h).is_ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn hash_verifies_only_the_right_password() {
        let h = super::hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify(&h, "correct horse"));
        assert!(!super::verify(&h, "correct hors"));
        assert!(!super::verify("not a hash", "x"));
    }
}
