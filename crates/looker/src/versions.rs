//! Finding the API 4.0 endpoint from the configured API URL.

use url::Url;

/// The API host root of a configured API URL: `https://h:19999/api/3.1` -> `https://h:19999/`. A URL without an
/// `/api/x.y` suffix is taken as the root itself (the SDKs' `LOOKERSDK_BASE_URL` form).
pub fn api_root(configured: &Url) -> Url {
    let mut root = configured.clone();
    root.set_query(None);
    root.set_fragment(None);
    let path = configured.path().trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').collect();
    let keep = match segments.as_slice() {
        [rest @ .., "api", version] if is_version(version) => rest.join("/"),
        _ => path.to_string(),
    };
    root.set_path(&format!("{}/", keep.trim_end_matches('/')));
    root
}

/// The 3.x version the URL names, if any (then the client upgrades it to 4.0 and says so).
pub(crate) fn legacy_version(configured: &Url) -> Option<String> {
    let path = configured.path().trim_end_matches('/');
    let version = path.rsplit('/').next()?;
    (is_version(version) && version.starts_with('3') && path.ends_with(&format!("/api/{version}")))
        .then(|| version.to_string())
}

fn is_version(segment: &str) -> bool {
    let mut parts = segment.split('.');
    matches!((parts.next(), parts.next(), parts.next()), (Some(a), Some(b), None)
        if !a.is_empty() && !b.is_empty() && a.chars().all(|c| c.is_ascii_digit()) && b.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(s: &str) -> String {
        api_root(&Url::parse(s).unwrap()).to_string()
    }

    #[test]
    fn every_accepted_form_has_the_same_root() {
        for s in [
            "https://me.looker.com:19999/api/3.0",
            "https://me.looker.com:19999/api/3.1/",
            "https://me.looker.com:19999/api/4.0",
            "https://me.looker.com:19999",
            "https://me.looker.com:19999/",
        ] {
            assert_eq!(root(s), "https://me.looker.com:19999/", "{s}");
        }
        assert_eq!(
            root("https://proxy.example/looker/api/4.0"),
            "https://proxy.example/looker/"
        );
    }

    #[test]
    fn legacy_versions_are_noticed() {
        let v = |s: &str| legacy_version(&Url::parse(s).unwrap());
        assert_eq!(v("https://h:19999/api/3.0").as_deref(), Some("3.0"));
        assert_eq!(v("https://h:19999/api/3.1/").as_deref(), Some("3.1"));
        assert_eq!(v("https://h:19999/api/4.0"), None);
        assert_eq!(v("https://h:19999"), None);
    }
}
