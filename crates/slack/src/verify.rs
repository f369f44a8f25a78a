//! Checks that a request really comes from Slack: the signing secret (HMAC of the raw body) or, for old apps, the
//! verification token inside the body.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secret::{Secret, constant_time_eq};

/// Requests signed longer ago than this (or this far in the future) are refused as replays.
pub const MAX_CLOCK_SKEW_SECS: i64 = 5 * 60;

pub const TIMESTAMP_HEADER: &str = "x-slack-request-timestamp";
pub const SIGNATURE_HEADER: &str = "x-slack-signature";

/// Why a request was refused. Every variant maps to HTTP 401; the text says what to check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("missing the {0} header: the request was not signed by Slack")]
    MissingHeader(&'static str),
    #[error("the X-Slack-Request-Timestamp header is not a Unix time")]
    BadTimestamp,
    #[error(
        "the request was signed {0} s away from now (more than 5 minutes): a replay, or this server's clock is wrong"
    )]
    Stale(i64),
    #[error("the X-Slack-Signature does not match: check SLACK_SIGNING_SECRET")]
    BadSignature,
    #[error("the verification token does not match: check SLACK_SLASH_COMMAND_TOKEN")]
    BadToken,
    #[error("the request carries no verification token")]
    MissingToken,
}

/// Verifies `X-Slack-Signature` with the app's signing secret.
#[derive(Debug, Clone)]
pub struct SigningVerifier {
    secret: Secret,
}

impl SigningVerifier {
    pub fn new(secret: Secret) -> Self {
        SigningVerifier { secret }
    }

    /// Checks the signature of `body` (the raw bytes as received) against the headers, at `now` (Unix seconds).
    pub fn verify(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<(), VerifyError> {
        let given = Self::check_headers(timestamp, signature, now)?;
        let timestamp = timestamp.unwrap_or_default();
        self.mac(timestamp, body)
            .verify_slice(&given)
            .map_err(|_| VerifyError::BadSignature)
    }

    /// What can be checked before the body is read: both headers present, the timestamp recent, the signature
    /// well-formed. Returns the signature's bytes.
    pub fn check_headers(timestamp: Option<&str>, signature: Option<&str>, now: i64) -> Result<Vec<u8>, VerifyError> {
        let timestamp = timestamp.ok_or(VerifyError::MissingHeader("X-Slack-Request-Timestamp"))?;
        let signature = signature.ok_or(VerifyError::MissingHeader("X-Slack-Signature"))?;
        let sent_at: i64 = timestamp.trim().parse().map_err(|_| VerifyError::BadTimestamp)?;
        // Saturating: a timestamp near i64::MIN or MAX must be stale, not an overflow.
        let skew = now.saturating_sub(sent_at);
        if skew.unsigned_abs() > MAX_CLOCK_SKEW_SECS.unsigned_abs() {
            return Err(VerifyError::Stale(skew));
        }
        signature
            .strip_prefix("v0=")
            .and_then(|hex_digest| hex::decode(hex_digest).ok())
            .ok_or(VerifyError::BadSignature)
    }

    /// The `X-Slack-Signature` value Slack would send for `body` at `timestamp`.
    pub fn sign(&self, timestamp: &str, body: &[u8]) -> String {
        format!("v0={}", hex::encode(self.mac(timestamp, body).finalize().into_bytes()))
    }

    fn mac(&self, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.secret.expose().as_bytes()).expect("HMAC takes any key");
        mac.update(b"v0:");
        mac.update(timestamp.as_bytes());
        mac.update(b":");
        mac.update(body);
        mac
    }
}

/// Checks the legacy verification token a request carries in its body.
pub fn verify_token(expected: &Secret, provided: Option<&str>) -> Result<(), VerifyError> {
    let provided = provided.ok_or(VerifyError::MissingToken)?;
    if constant_time_eq(expected.expose().as_bytes(), provided.as_bytes()) {
        Ok(())
    } else {
        Err(VerifyError::BadToken)
    }
}

/// How incoming HTTP requests are checked.
#[derive(Debug, Clone)]
pub enum Verification {
    /// The signing secret (preferred).
    SigningSecret(SigningVerifier),
    /// The legacy verification token (`SLACK_SLASH_COMMAND_TOKEN`).
    Token(Secret),
    /// Nothing configured: every request is refused (slash commands get an explanation).
    None,
}

impl Verification {
    /// The signing secret if set, else the token if set, else none.
    pub fn from_config(signing_secret: Option<Secret>, token: Option<Secret>) -> Self {
        match (
            signing_secret.filter(|s| !s.is_empty()),
            token.filter(|t| !t.is_empty()),
        ) {
            (Some(secret), _) => Verification::SigningSecret(SigningVerifier::new(secret)),
            (None, Some(token)) => Verification::Token(token),
            (None, None) => Verification::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn vector() -> Value {
        serde_json::from_str(include_str!("../tests/fixtures/signing_vector.json")).unwrap()
    }

    fn field<'a>(v: &'a Value, path: &[&str]) -> &'a str {
        path.iter().fold(v, |v, k| &v[*k]).as_str().unwrap()
    }

    #[test]
    fn official_vector_verifies() {
        let v = vector();
        let verifier = SigningVerifier::new(Secret::new(field(&v, &["signing_secret"])));
        let ts = field(&v, &["timestamp"]);
        let now: i64 = ts.parse().unwrap();
        let body = field(&v, &["body"]).as_bytes();
        assert_eq!(verifier.sign(ts, body), field(&v, &["expected_signature"]));
        let sig = field(&v, &["headers", "X-Slack-Signature"]);
        assert_eq!(verifier.verify(Some(ts), Some(sig), body, now), Ok(()));
        assert_eq!(verifier.verify(Some(ts), Some(sig), body, now + 299), Ok(()));
    }

    #[test]
    fn forged_stale_and_unsigned_are_refused() {
        let v = vector();
        let verifier = SigningVerifier::new(Secret::new(field(&v, &["signing_secret"])));
        let ts = field(&v, &["timestamp"]);
        let now: i64 = ts.parse().unwrap();
        let body = field(&v, &["body"]).as_bytes();
        let sig = field(&v, &["expected_signature"]);

        let mut tampered = body.to_vec();
        tampered[6] ^= 1;
        assert_eq!(
            verifier.verify(Some(ts), Some(sig), &tampered, now),
            Err(VerifyError::BadSignature)
        );
        let other = SigningVerifier::new(Secret::new("another-secret"));
        assert_eq!(
            other.verify(Some(ts), Some(sig), body, now),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verifier.verify(Some(ts), Some("v0=zz"), body, now),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verifier.verify(Some(ts), Some(&sig[3..]), body, now),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verifier.verify(Some(ts), Some(sig), body, now + 301),
            Err(VerifyError::Stale(301))
        );
        assert_eq!(
            verifier.verify(Some(ts), Some(sig), body, now - 301),
            Err(VerifyError::Stale(-301))
        );
        assert!(matches!(
            verifier.verify(None, Some(sig), body, now),
            Err(VerifyError::MissingHeader(_))
        ));
        assert!(matches!(
            verifier.verify(Some(ts), None, body, now),
            Err(VerifyError::MissingHeader(_))
        ));
        assert_eq!(
            verifier.verify(Some("soon"), Some(sig), body, now),
            Err(VerifyError::BadTimestamp)
        );
    }

    #[test]
    fn timestamps_at_the_ends_of_the_range_are_stale_not_an_overflow() {
        let verifier = SigningVerifier::new(Secret::new("secret"));
        let now = 1_700_000_000_i64;
        for sent_at in [i64::MIN, i64::MIN + 1, now - (1 << 62) - (1 << 62), i64::MAX, -1] {
            let ts = sent_at.to_string();
            let sig = verifier.sign(&ts, b"body");
            assert!(
                matches!(
                    verifier.verify(Some(&ts), Some(&sig), b"body", now),
                    Err(VerifyError::Stale(_))
                ),
                "{sent_at}"
            );
        }
    }

    #[test]
    fn legacy_token_must_match() {
        let expected = Secret::new("gIkuvaNzQIHg97ATvDxqgjtO");
        assert_eq!(verify_token(&expected, Some("gIkuvaNzQIHg97ATvDxqgjtO")), Ok(()));
        assert_eq!(
            verify_token(&expected, Some("gIkuvaNzQIHg97ATvDxqgjtX")),
            Err(VerifyError::BadToken)
        );
        assert_eq!(verify_token(&expected, None), Err(VerifyError::MissingToken));
    }

    #[test]
    fn configuration_prefers_the_signing_secret() {
        let both = Verification::from_config(Some("s".into()), Some("t".into()));
        assert!(matches!(both, Verification::SigningSecret(_)));
        assert!(matches!(
            Verification::from_config(Some("".into()), Some("t".into())),
            Verification::Token(_)
        ));
        assert!(matches!(Verification::from_config(None, None), Verification::None));
    }
}
