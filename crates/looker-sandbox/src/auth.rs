//! API tokens: issued by `login`, checked on every other call, expiring after `expires_in` seconds.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng;
use rand::distr::Alphanumeric;

#[derive(Debug, Default)]
pub struct Tokens {
    /// Each live token and when it stops being valid.
    live: Mutex<HashMap<String, Instant>>,
}

impl Tokens {
    /// Issues a new random 40-character token, like Looker's.
    pub fn issue(&self, lifetime: Duration) -> String {
        let token: String = rand::rng()
            .sample_iter(Alphanumeric)
            .take(40)
            .map(char::from)
            .collect();
        self.lock().insert(token.clone(), Instant::now() + lifetime);
        token
    }

    /// Whether an `Authorization` header carries a live token, as `token X` or `Bearer X`.
    pub fn accepts(&self, header: Option<&str>) -> bool {
        let Some(token) = header.and_then(token_of) else {
            return false;
        };
        self.lock()
            .get(token)
            .is_some_and(|expiry| Instant::now() < *expiry)
    }

    /// Forgets a token (`logout`).
    pub fn revoke(&self, header: Option<&str>) {
        if let Some(token) = header.and_then(token_of) {
            self.lock().remove(token);
        }
    }

    /// Makes every token issued so far invalid.
    pub fn expire_all(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn token_of(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer"))
        .then_some(token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_header_forms_and_expiry() {
        let tokens = Tokens::default();
        let t = tokens.issue(Duration::from_secs(60));
        assert!(tokens.accepts(Some(&format!("token {t}"))));
        assert!(tokens.accepts(Some(&format!("Bearer {t}"))));
        assert!(!tokens.accepts(Some(&format!("Basic {t}"))));
        assert!(!tokens.accepts(None));
        let short = tokens.issue(Duration::ZERO);
        assert!(!tokens.accepts(Some(&format!("token {short}"))));
        tokens.expire_all();
        assert!(!tokens.accepts(Some(&format!("token {t}"))));
    }
}
