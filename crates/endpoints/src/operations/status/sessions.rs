//! Status page sessions: random ids in an HttpOnly cookie, kept in memory (a restart logs everyone out), each with
//! its own CSRF token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub(super) const COOKIE: &str = "lookerbot_status";
/// A session ends this long after login.
pub(super) const LIFETIME: Duration = Duration::from_secs(8 * 3600);

#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub id: String,
    pub csrf: String,
    opened: Instant,
}

impl Session {
    pub fn csrf_matches(&self, given: &str) -> bool {
        same_token(given, &self.csrf)
    }
}

#[derive(Clone, Default)]
pub(crate) struct Sessions(Arc<Mutex<HashMap<String, Session>>>);

impl Sessions {
    pub fn open(&self) -> Session {
        let session = Session {
            id: random_token(),
            csrf: random_token(),
            opened: Instant::now(),
        };
        let mut all = self.lock();
        all.retain(|_, s| s.opened.elapsed() < LIFETIME);
        all.insert(session.id.clone(), session.clone());
        session
    }

    /// The live session named by the request's cookie.
    pub fn find(&self, headers: &HeaderMap) -> Option<Session> {
        let id = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == COOKIE)
            .map(|(_, value)| value.to_string())?;
        let all = self.lock();
        let session = all.get(&id)?;
        (session.opened.elapsed() < LIFETIME).then(|| session.clone())
    }

    pub fn close(&self, session: &Session) {
        self.lock().remove(&session.id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Compares two tokens in constant time (of their SHA-256 digests, so that not even the length leaks).
pub(super) fn same_token(given: &str, expected: &str) -> bool {
    let given = Sha256::digest(given.as_bytes());
    let expected = Sha256::digest(expected.as_bytes());
    bool::from(given.ct_eq(&expected))
}

fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}
