//! `lookerbot check`: tries every configured connection once and says, one line per check, what was found and,
//! when something is wrong, what to change.

mod identity;
mod looker;
mod slack;

use std::io::{self, Write};

use async_trait::async_trait;
use config::{Config, ImageStoreSettings};

/// How a check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// Works, but something is off or turned off; the detail says what to change.
    Warn,
    /// Does not work; the detail says what to fix.
    Fail,
}

impl Outcome {
    fn tag(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Warn => "WARN",
            Outcome::Fail => "FAIL",
        }
    }

    /// ANSI color of the tag: green, yellow, red.
    fn color(self) -> &'static str {
        match self {
            Outcome::Pass => "\x1b[32m",
            Outcome::Warn => "\x1b[33m",
            Outcome::Fail => "\x1b[31m",
        }
    }
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckLine {
    /// What was checked, e.g. `Looker https://mycompany.looker.com login`.
    pub subject: String,
    pub outcome: Outcome,
    /// What was found, and for `Warn`/`Fail` what to fix.
    pub detail: String,
}

impl CheckLine {
    pub fn pass(subject: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(subject, Outcome::Pass, detail)
    }

    pub fn warn(subject: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(subject, Outcome::Warn, detail)
    }

    pub fn fail(subject: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(subject, Outcome::Fail, detail)
    }

    fn new(subject: impl Into<String>, outcome: Outcome, detail: impl Into<String>) -> Self {
        CheckLine {
            subject: subject.into(),
            outcome,
            detail: detail.into(),
        }
    }
}

/// The image store as `check` sees it; the binary implements it with the `images` crate, which this crate does
/// not depend on.
#[async_trait]
pub trait StoreProbe: Send + Sync {
    /// A short name for people, like `S3 bucket charts (eu-west-1)`.
    fn name(&self) -> String;
    /// Writes (and removes) a small object, or says what is wrong.
    async fn check(&self) -> Result<(), String>;
}

/// Runs every check in order: each Looker, then Slack, then the image store.
pub async fn run_checks(config: &Config, store: Option<&dyn StoreProbe>) -> Vec<CheckLine> {
    let mut lines = looker::check_all(config).await;
    lines.extend(slack::check(config).await);
    lines.push(check_store(config, store).await);
    lines
}

async fn check_store(config: &Config, store: Option<&dyn StoreProbe>) -> CheckLine {
    const SUBJECT: &str = "Image store";
    match (store, &config.image_store) {
        (Some(probe), _) => match probe.check().await {
            Ok(()) => CheckLine::pass(SUBJECT, format!("{}: a test image was written", probe.name())),
            Err(problem) => CheckLine::fail(SUBJECT, format!("{}: {problem}", probe.name())),
        },
        (None, Some(settings)) => CheckLine::warn(
            SUBJECT,
            format!("{} is configured but was not checked", store_kind(settings)),
        ),
        (None, None) => CheckLine::pass(
            SUBJECT,
            "none configured: chart images are uploaded into Slack (files:write needed)",
        ),
    }
}

fn store_kind(settings: &ImageStoreSettings) -> &'static str {
    match settings {
        ImageStoreSettings::S3 { .. } => "an S3 bucket",
        ImageStoreSettings::Azure { .. } => "an Azure container",
        ImageStoreSettings::Gcs { .. } => "a Google Cloud Storage bucket",
    }
}

/// Writes one line per check; `color` adds ANSI colors to the outcome (for terminals).
pub fn print(lines: &[CheckLine], out: &mut dyn Write, color: bool) -> io::Result<()> {
    for line in lines {
        let tag = line.outcome.tag();
        let tag = if color {
            format!("{}{tag}\x1b[0m", line.outcome.color())
        } else {
            tag.to_string()
        };
        writeln!(out, "{tag}  {}: {}", one_line(&line.subject), one_line(&line.detail))?;
    }
    Ok(())
}

/// Folds line breaks (Looker's error details carry some) so that every check stays on one line.
fn one_line(text: &str) -> String {
    text.split(['\r', '\n'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" / ")
}

/// The process exit code: 0 when nothing failed (warnings allowed), 1 otherwise.
pub fn exit_code(lines: &[CheckLine]) -> i32 {
    if lines.iter().any(|line| line.outcome == Outcome::Fail) {
        1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn print_keeps_each_check_on_one_line() {
        let lines = vec![
            CheckLine::pass("Slack token", "bot @looker in Acme"),
            CheckLine::fail("Looker x login", "refused\nfirst detail\r\nsecond"),
        ];
        let mut out = Vec::new();
        print(&lines, &mut out, false).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "PASS  Slack token: bot @looker in Acme\nFAIL  Looker x login: refused / first detail / second\n"
        );
        let mut colored = Vec::new();
        print(&lines, &mut colored, true).unwrap();
        let colored = String::from_utf8(colored).unwrap();
        assert!(colored.starts_with("\x1b[32mPASS\x1b[0m"), "{colored:?}");
        assert_eq!(colored.lines().count(), 2);
    }

    #[test]
    fn only_failures_fail_the_exit_code() {
        let warn = vec![CheckLine::pass("a", ""), CheckLine::warn("b", "")];
        assert_eq!(exit_code(&warn), 0);
        let failed = vec![CheckLine::warn("b", ""), CheckLine::fail("c", "")];
        assert_eq!(exit_code(&failed), 1);
    }
}
