//! API tokens: issued by `login` (for the admin API user) and `login_user` (for another user), checked on every
//! other call, expiring after `expires_in` seconds. A token acts as the user it was issued for.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng;
use rand::distr::Alphanumeric;

#[derive(Debug, Default)]
pub struct Tokens {
    /// Each live token: when it stops being valid, and the id of the user it acts as.
    live: Mutex<HashMap<String, (Instant, String)>>,
}

impl Tokens {
    /// Issues a new random 40-character token, like Looker's.
    pub fn issue(&self, lifetime: Duration, user_id: &str) -> String {
        let token: String = rand::rng().sample_iter(Alphanumeric).take(40).map(char::from).collect();
        self.lock()
            .insert(token.clone(), (Instant::now() + lifetime, user_id.to_owned()));
        token
    }

    /// The user a live token in an `Authorization` header (`token X` or `Bearer X`) acts as.
    pub fn user_of(&self, header: Option<&str>) -> Option<String> {
        let token = header.and_then(token_of)?;
        self.lock()
            .get(token)
            .filter(|(expiry, _)| Instant::now() < *expiry)
            .map(|(_, user)| user.clone())
    }

    #[cfg(test)]
    fn accepts(&self, header: Option<&str>) -> bool {
        self.user_of(header).is_some()
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

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, String)>> {
        self.live.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn token_of(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer")).then_some(token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_header_forms_and_expiry() {
        let tokens = Tokens::default();
        let t = tokens.issue(Duration::from_secs(60), "1");
        assert_eq!(tokens.user_of(Some(&format!("token {t}"))).as_deref(), Some("1"));
        assert!(tokens.accepts(Some(&format!("token {t}"))));
        assert!(tokens.accepts(Some(&format!("Bearer {t}"))));
        assert!(!tokens.accepts(Some(&format!("Basic {t}"))));
        assert!(!tokens.accepts(None));
        let short = tokens.issue(Duration::ZERO, "1");
        assert!(!tokens.accepts(Some(&format!("token {short}"))));
        tokens.expire_all();
        assert!(!tokens.accepts(Some(&format!("token {t}"))));
    }
}
