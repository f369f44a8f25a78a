//! Who may push to the bot: Looker's webhook token, or the Action Hub's `Authorization: Token token="..."`.

use axum::http::HeaderMap;
use bot::lookers::Lookers;
use config::Secret;
use subtle::ConstantTimeEq;
use url::Url;

/// The tokens pushes are checked against.
#[derive(Clone)]
pub struct PushAuth {
    pub lookers: Lookers,
    /// `LOOKERBOT_AUTH_TOKEN`.
    pub auth_token: Option<Secret>,
}

fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// The token of an `Authorization: Token token="..."` header (the Action Hub's form; `token` in any case).
fn action_hub_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("authorization")?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(char::is_whitespace)?;
    if !scheme.eq_ignore_ascii_case("token") {
        return None;
    }
    let rest = rest.trim();
    let quoted = rest.strip_prefix("token=").or_else(|| rest.strip_prefix("Token="))?;
    quoted.strip_prefix('"')?.strip_suffix('"')
}

impl PushAuth {
    /// Whether the request carries `LOOKERBOT_AUTH_TOKEN`.
    fn has_auth_token(&self, headers: &HeaderMap) -> bool {
        match (&self.auth_token, action_hub_token(headers)) {
            (Some(expected), Some(given)) => same(expected.expose(), given),
            _ => false,
        }
    }

    fn webhook_token(headers: &HeaderMap) -> Option<&str> {
        headers.get("x-looker-webhook-token")?.to_str().ok()
    }

    /// A scheduled delivery: the webhook token of the Looker the plan's URL belongs to, or the auth token.
    pub fn allows_plan(&self, headers: &HeaderMap, plan_url: Option<&str>) -> bool {
        if self.has_auth_token(headers) {
            return true;
        }
        let Some(given) = Self::webhook_token(headers) else {
            return false;
        };
        let looker = plan_url
            .and_then(|u| Url::parse(u).ok())
            .and_then(|u| self.lookers.owning(&u).cloned());
        let looker = looker.or_else(|| match self.lookers.all() {
            // A plan with only a query id comes from the one Looker there is.
            [only] if plan_url.is_none() => Some(only.clone()),
            _ => None,
        });
        looker
            .and_then(|l| l.instance().webhook_token.clone())
            .is_some_and(|expected| same(expected.expose(), given))
    }

    /// Action Hub and data-action calls: the auth token, or any configured Looker's webhook token.
    pub fn allows_action(&self, headers: &HeaderMap) -> bool {
        if self.has_auth_token(headers) {
            return true;
        }
        let Some(given) = Self::webhook_token(headers) else {
            return false;
        };
        self.lookers
            .all()
            .iter()
            .filter_map(|l| l.instance().webhook_token.as_ref())
            .any(|expected| same(expected.expose(), given))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_action_hub_header() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Token token=\"abc\"".parse().unwrap());
        assert_eq!(action_hub_token(&headers), Some("abc"));
        headers.insert("authorization", "token token=\"x y\"".parse().unwrap());
        assert_eq!(action_hub_token(&headers), Some("x y"));
        headers.insert("authorization", "Bearer abc".parse().unwrap());
        assert_eq!(action_hub_token(&headers), None);
        headers.insert("authorization", "Token token=abc".parse().unwrap());
        assert_eq!(action_hub_token(&headers), None);
    }
}
