//! Small shared helpers: randomness, time, constant-time comparison.

use ring::rand::SecureRandom;

/// `n` random bytes as lowercase hex, from the OS CSPRNG.
pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    // SystemRandom only fails if the OS has no entropy source at all; an all-zero id would still be
    // unique per process because uploads are also keyed in the database, but we refuse to go on.
    if ring::rand::SystemRandom::new().fill(&mut buf).is_err() {
        tracing::error!("OS random source failed");
        std::process::abort();
    }
    hex::encode(buf)
}

/// Unix seconds now.
pub fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// RFC 3339 UTC timestamp with milliseconds.
pub fn rfc3339_now() -> String {
    let t = time::OffsetDateTime::now_utc();
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(&fmt)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}
