//! Checking a link before it goes to Slack: only http(s) URLs, written the way the URL standard writes them.
//!
//! A full parse (`url::Url`) costs about as much as rendering the rest of a table cell, and a table can hold a drill
//! link in every row. Looker's links are nearly always already in the standard's form, so they are first checked
//! by a scan that accepts only text a parse would give back unchanged; anything else is parsed.

use std::borrow::Cow;

/// `url` as an absolute http(s) URL in the standard's form, or `None` when it is not one.
pub fn http_url(url: &str) -> Option<Cow<'_, str>> {
    if is_written_as_parsed(url) {
        return Some(Cow::Borrowed(url));
    }
    let parsed = url::Url::parse(url.trim()).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| Cow::Owned(parsed.into()))
}

/// Whether `url` is an http(s) URL that parsing would leave exactly as it is. Errs towards `false`: a URL it turns
/// away is parsed instead.
fn is_written_as_parsed(url: &str) -> bool {
    let (rest, default_port) = if let Some(rest) = url.strip_prefix("https://") {
        (rest, "443")
    } else if let Some(rest) = url.strip_prefix("http://") {
        (rest, "80")
    } else {
        return false;
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    (plain_host(host) || plain_ipv4(host)) && port.is_none_or(|port| plain_port(port, default_port)) && plain_tail(tail)
}

/// Lowercase ASCII labels of letters, digits and inner hyphens, the last one starting with a letter (so that it
/// is not read as an IPv4 address), none of them Punycode (which a parse checks).
fn plain_host(host: &str) -> bool {
    let mut last_label_start = None;
    let all_plain = host.as_bytes().split(|b| *b == b'.').all(|label| {
        last_label_start = label.first().copied();
        !label.is_empty()
            && label
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
            && label[0] != b'-'
            && label[label.len() - 1] != b'-'
            && !label.starts_with(b"xn--")
    });
    all_plain && last_label_start.is_some_and(|b| b.is_ascii_lowercase())
}

/// An IPv4 address as a parse writes it: four numbers up to 255, without leading zeros. (Split as bytes: this
/// runs for every link of a result, and a `char` split was a tenth of a delivery's link checks.)
fn plain_ipv4(host: &str) -> bool {
    let mut parts = 0;
    let all_plain = host.as_bytes().split(|b| *b == b'.').all(|part| {
        parts += 1;
        (1..=3).contains(&part.len())
            && part.iter().all(u8::is_ascii_digit)
            && (part == b"0" || part[0] != b'0')
            && part.iter().fold(0u32, |n, digit| n * 10 + u32::from(digit - b'0')) <= 255
    });
    all_plain && parts == 4
}

/// A port a parse keeps: digits without a leading zero, within range, not the scheme's default.
fn plain_port(port: &str, default_port: &str) -> bool {
    port.bytes().all(|b| b.is_ascii_digit())
        && !port.starts_with('0')
        && port != default_port
        && port.parse::<u16>().is_ok()
}

/// A path (starting with `/`), query and fragment of printable ASCII that no part of a parse encodes or rewrites:
/// no `.` segments, no backslash, no characters a parse percent-encodes, `%` only before two hex digits. One pass:
/// Looker's drill links run to hundreds of characters.
fn plain_tail(tail: &str) -> bool {
    let bytes = tail.as_bytes();
    if bytes.first() != Some(&b'/') {
        return false;
    }
    let mut in_path = true;
    let mut fragments = 0;
    for (at, &b) in bytes.iter().enumerate() {
        if b.is_ascii_alphanumeric() {
            continue;
        }
        if !KEPT[usize::from(b)] {
            return false;
        }
        match b {
            b'?' => in_path = false,
            b'#' => {
                in_path = false;
                fragments += 1;
                if fragments > 1 {
                    return false;
                }
            }
            b'/' if in_path && bytes.get(at + 1) == Some(&b'.') => return false,
            b'%' => {
                let Some(hex) = bytes
                    .get(at + 1..at + 3)
                    .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))
                else {
                    return false;
                };
                if in_path && hex.eq_ignore_ascii_case(b"2e") {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}

/// The bytes a parse leaves as they are in a path, query or fragment.
const KEPT: [bool; 256] = {
    let mut kept = [false; 256];
    let mut b = b'!';
    while b <= b'~' {
        kept[b as usize] = !matches!(b, b'"' | b'<' | b'>' | b'`' | b'{' | b'}' | b'\\' | b'\'');
        b += 1;
    }
    kept
};

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn looker_links_are_taken_as_they_are() {
        let drill = "https://me.looker.com/explore/ecommerce/orders?fields=orders.id,users.name\
                     &f[orders.created_month]=2017-07&limit=500&query_timezone=UTC";
        assert!(is_written_as_parsed(drill));
        assert!(matches!(http_url(drill), Some(Cow::Borrowed(_))));
        assert!(is_written_as_parsed("http://localhost:9999/looks/1"));
        assert!(is_written_as_parsed("http://127.0.0.1:9999/explore/m/v?f[a.b]=1"));
    }

    #[test]
    fn other_urls_are_parsed_and_only_http_ones_kept() {
        let cases = [
            ("HTTPS://Me.Looker.com/a", Some("https://me.looker.com/a")),
            ("https://me.looker.com", Some("https://me.looker.com/")),
            ("https://me.looker.com:443/a", Some("https://me.looker.com/a")),
            ("https://me.looker.com/a/../b", Some("https://me.looker.com/b")),
            ("https://me.looker.com/a b", Some("https://me.looker.com/a%20b")),
            ("https://127.1/x", Some("https://127.0.0.1/x")),
            ("https://127.0.0.01/x", Some("https://127.0.0.1/x")),
            ("javascript:alert(1)", None),
            ("ftp://me.looker.com/a", None),
            ("not a url", None),
        ];
        for (given, expected) in cases {
            assert!(!is_written_as_parsed(given), "{given}");
            assert_eq!(http_url(given).as_deref(), expected, "{given}");
        }
    }

    fn url_like() -> impl Strategy<Value = String> {
        let scheme = prop_oneof!["https://", "http://", "HTTP://", "ftp://"];
        let host = prop_oneof![
            "[a-z0-9-]{1,8}(\\.[a-z0-9-]{0,8}){0,3}",
            "[0-9]{1,4}(\\.[0-9x]{1,3}){0,3}",
            "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
            "xn--[a-z0-9]{1,6}\\.com",
            "[A-Za-z.\\-]{1,10}",
        ];
        let port = prop_oneof!["", ":[0-9]{0,6}", ":80", ":443"];
        let tail = "[/?#a-zA-Z0-9%.\\-_~!$&'()*+,;=:@\\[\\]^|{}`\"<> \\\\\t]{0,24}";
        (scheme, host, port, tail).prop_map(|(s, h, p, t)| format!("{s}{h}{p}{t}"))
    }

    proptest! {
        /// What the scan accepts, a parse gives back unchanged, as an http(s) URL.
        #[test]
        fn what_the_scan_accepts_a_parse_leaves_unchanged(url in url_like()) {
            if is_written_as_parsed(&url) {
                let parsed = url::Url::parse(&url).expect("the scan accepted a URL that does not parse");
                prop_assert_eq!(parsed.as_str(), url.as_str());
                prop_assert!(matches!(parsed.scheme(), "http" | "https"));
            }
        }
    }
}
