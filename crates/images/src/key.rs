//! Names for stored images: the URL is the only protection an image has, so it must be unguessable.

/// Bytes of randomness in a key: 256 bits.
const KEY_ENTROPY_BYTES: usize = 32;

/// A fresh object key: 64 hex characters from the thread-local CSPRNG, then `.png`.
pub(crate) fn random_png_key() -> String {
    let bytes: [u8; KEY_ENTROPY_BYTES] = rand::random();
    format!("{}.png", hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_long_hex_and_distinct() {
        let a = random_png_key();
        let b = random_png_key();
        assert_ne!(a, b);
        let stem = a.strip_suffix(".png").expect("ends in .png");
        assert_eq!(stem.len(), 64);
        assert!(stem.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
