//! Failed-login throttling per user name and per source address (OWASP ASVS V2.2.1).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts failures in a sliding window and locks a key out after too many.
pub struct Throttle {
    max_failures: u32,
    window: Duration,
    lockout: Duration,
    state: Mutex<HashMap<String, Entry>>,
}

struct Entry {
    failures: u32,
    first: Instant,
    locked_until: Option<Instant>,
}

impl Throttle {
    /// `max_failures` within `window` locks the key for `lockout`.
    pub fn new(max_failures: u32, window: Duration, lockout: Duration) -> Throttle {
        Throttle {
            max_failures,
            window,
            lockout,
            state: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds the key remains locked, if it is.
    pub fn locked(&self, key: &str) -> Option<u64> {
        let now = Instant::now();
        let m = self.state.lock().ok()?;
        let until = m.get(key)?.locked_until?;
        (until > now).then(|| (until - now).as_secs().max(1))
    }

    /// Record a failure.
    pub fn fail(&self, key: &str) {
        let now = Instant::now();
        let Ok(mut m) = self.state.lock() else { return };
        if m.len() > 100_000 {
            // Bound memory under a spray of distinct names: drop expired entries.
            m.retain(|_, e| {
                e.locked_until.is_some_and(|u| u > now) || now.duration_since(e.first) < self.window
            });
        }
        let e = m.entry(key.to_owned()).or_insert(Entry {
            failures: 0,
            first: now,
            locked_until: None,
        });
        if now.duration_since(e.first) > self.window {
            *e = Entry {
                failures: 0,
                first: now,
                locked_until: None,
            };
        }
        e.failures += 1;
        if e.failures >= self.max_failures {
            e.locked_until = Some(now + self.lockout);
            e.failures = 0;
            e.first = now;
        }
    }

    /// Forget failures after a success.
    pub fn succeed(&self, key: &str) {
        if let Ok(mut m) = self.state.lock() {
            m.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_failures_and_success_resets() {
        let t = Throttle::new(3, Duration::from_secs(60), Duration::from_secs(60));
        t.fail("u:a");
        t.fail("u:a");
        assert!(t.locked("u:a").is_none());
        t.succeed("u:a");
        t.fail("u:a");
        t.fail("u:a");
        assert!(t.locked("u:a").is_none());
        t.fail("u:a");
        assert!(t.locked("u:a").is_some());
        assert!(t.locked("u:b").is_none());
    }
}
