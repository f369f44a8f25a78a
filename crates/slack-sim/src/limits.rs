//! Slack's documented usage limits, enforced so that the bot meets them in tests: `chat.postMessage` allows about
//! one message per second per channel with short bursts, and answers HTTP 429 with `Retry-After` past them (Slack's
//! "Rate limits" page); a `response_url` takes 5 posts within 30 minutes of the command (Slack's "Handling user
//! interaction"); conversations.history is Tier 3 with pages of at most 999 messages, or 1 call a minute and pages of
//! 15 for commercially distributed apps outside the Marketplace (its reference page, since May 2025).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::shared::lock;

/// A per-channel token bucket: `burst` posts at once, then one more each `interval`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PostRate {
    pub burst: u32,
    pub interval: Duration,
}

impl PostRate {
    /// Slack documents "1 per second, short bursts >1 allowed" without a number; the simulator allows 8.
    pub const SLACK: PostRate = PostRate {
        burst: 8,
        interval: Duration::from_secs(1),
    };
}

/// How conversations.history may be called: how often (one bucket for the workspace) and how many messages a page
/// holds at most, which is also the default `limit`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryLimits {
    pub rate: Option<PostRate>,
    pub max_page: usize,
    pub default_page: usize,
}

impl HistoryLimits {
    /// Tier 3, "50+ per minute", for internal and Marketplace apps (a burst of 50, then one every 1.2 s); `limit`
    /// defaults to 100, at most 999.
    pub const TIER_3: HistoryLimits = HistoryLimits {
        rate: Some(PostRate {
            burst: 50,
            interval: Duration::from_millis(1200),
        }),
        max_page: 999,
        default_page: 100,
    };

    /// Apps distributed outside the Marketplace: 1 call per minute, `limit` at most and by default 15.
    pub const NON_MARKETPLACE: HistoryLimits = HistoryLimits {
        rate: Some(PostRate {
            burst: 1,
            interval: Duration::from_secs(60),
        }),
        max_page: 15,
        default_page: 15,
    };
}

/// The buckets of every channel (or of every method, for a method's rate tier).
#[derive(Debug)]
pub struct PostLimiter {
    rate: Option<PostRate>,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl PostLimiter {
    pub fn new(rate: Option<PostRate>) -> PostLimiter {
        PostLimiter {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a post's token in `channel`, or says how long until one is free.
    pub fn take(&self, channel: &str) -> Result<(), Duration> {
        let Some(rate) = self.rate else {
            return Ok(());
        };
        let now = Instant::now();
        let burst = f64::from(rate.burst.max(1));
        let mut buckets = lock(&self.buckets);
        let (tokens, updated) = buckets.entry(channel.to_owned()).or_insert((burst, now));
        let refilled = now.duration_since(*updated).as_secs_f64() / rate.interval.as_secs_f64().max(f64::EPSILON);
        *tokens = (*tokens + refilled).min(burst);
        *updated = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            return Ok(());
        }
        Err(rate.interval.mul_f64(1.0 - *tokens))
    }
}

/// Why a `response_url` post was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseUrlRefusal {
    /// All its uses are spent.
    Used,
    /// Its time is up.
    Expired,
}

impl ResponseUrlRefusal {
    pub fn code(self) -> &'static str {
        match self {
            ResponseUrlRefusal::Used => "used_url",
            ResponseUrlRefusal::Expired => "expired_url",
        }
    }
}

/// Uses of each `response_url`, counted from its first post.
#[derive(Debug)]
pub struct ResponseUrlUses {
    max_uses: u32,
    lifetime: Duration,
    used: Mutex<HashMap<String, (Instant, u32)>>,
}

impl ResponseUrlUses {
    pub fn new(max_uses: u32, lifetime: Duration) -> ResponseUrlUses {
        ResponseUrlUses {
            max_uses,
            lifetime,
            used: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one post to the URL `id`, or refuses it.
    pub fn take(&self, id: &str) -> Result<(), ResponseUrlRefusal> {
        let mut used = lock(&self.used);
        let (first, count) = used.entry(id.to_owned()).or_insert((Instant::now(), 0));
        if first.elapsed() > self.lifetime {
            return Err(ResponseUrlRefusal::Expired);
        }
        if *count >= self.max_uses {
            return Err(ResponseUrlRefusal::Used);
        }
        *count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_goes_through_then_the_channel_waits() {
        let limiter = PostLimiter::new(Some(PostRate {
            burst: 3,
            interval: Duration::from_secs(60),
        }));
        for _ in 0..3 {
            assert_eq!(limiter.take("C1"), Ok(()));
        }
        let wait = limiter.take("C1").unwrap_err();
        assert!(
            wait > Duration::from_secs(50) && wait <= Duration::from_secs(60),
            "{wait:?}"
        );
        assert_eq!(limiter.take("C2"), Ok(()), "other channels have their own bucket");
        assert_eq!(PostLimiter::new(None).take("C1"), Ok(()));
    }

    #[test]
    fn a_response_url_takes_five_posts() {
        let uses = ResponseUrlUses::new(5, Duration::from_secs(1800));
        for _ in 0..5 {
            assert_eq!(uses.take("r1"), Ok(()));
        }
        assert_eq!(uses.take("r1"), Err(ResponseUrlRefusal::Used));
        assert_eq!(uses.take("r2"), Ok(()));
        let expired = ResponseUrlUses::new(5, Duration::ZERO);
        expired.take("r3").ok();
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(expired.take("r3"), Err(ResponseUrlRefusal::Expired));
    }
}
