//! Tokens and signing secrets, kept out of logs: the configuration's [`Secret`], whose `Debug` and `Display` never
//! show the value.

pub use config::Secret;
use subtle::ConstantTimeEq;

/// Compares two byte strings in time that depends only on their lengths, so a caller guessing a token learns
/// nothing from how long a refusal takes.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares_content_and_length() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
