//! Where log lines go and how they look: stderr, plain text (coloured only on a terminal, so files, `docker logs`
//! and journald get no escape codes) or, with `LOG_FORMAT=json`, one JSON object per line with the fields of the
//! enclosing spans (request id, Slack user and channel ids). Warnings and errors are also kept in memory, the last
//! few, for the status page.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::sync::Mutex;

use config::LogFormat;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// How many warnings and errors the status page shows.
const RECENT_CAPACITY: usize = 20;

static RECENT: Mutex<VecDeque<endpoints::operations::LoggedProblem>> = Mutex::new(VecDeque::new());

/// Sets up logging for the process. `RUST_LOG` picks what (default: info, without the HTTP libraries' chatter).
pub fn init(verbose: bool, format: LogFormat) {
    let default = if verbose {
        "debug"
    } else {
        "info,hyper=warn,reqwest=warn"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let text = (format == LogFormat::Text).then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_target(false)
            .with_ansi(colour)
    });
    let json = (format == LogFormat::Json).then(|| {
        tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .with_current_span(false)
            .with_span_list(true)
            .flatten_event(true)
    });
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(text)
        .with(json)
        .with(KeepProblems)
        .try_init();
}

/// The last warnings and errors logged, newest first.
pub fn recent_problems() -> Vec<endpoints::operations::LoggedProblem> {
    let recent = RECENT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    recent.iter().rev().cloned().collect()
}

/// Keeps warnings and errors for [`recent_problems`].
struct KeepProblems;

impl<S: Subscriber> tracing_subscriber::Layer<S> for KeepProblems {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let level = *event.metadata().level();
        if level > Level::WARN {
            return;
        }
        let mut text = TextOf::default();
        event.record(&mut text);
        let problem = endpoints::operations::LoggedProblem {
            at: chrono::Utc::now(),
            level: level.to_string(),
            text: text.0,
        };
        let mut recent = RECENT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if recent.len() == RECENT_CAPACITY {
            recent.pop_front();
        }
        recent.push_back(problem);
    }
}

/// An event as one line: its message, then its other fields as `name=value`.
#[derive(Default)]
struct TextOf(String);

impl Visit for TextOf {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let rest = std::mem::take(&mut self.0);
            let _ = write!(self.0, "{value:?}{rest}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.insert_str(0, value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_and_errors_are_kept_newest_first_and_bounded() {
        let subscriber = tracing_subscriber::registry().with(KeepProblems);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("not kept");
            for n in 0..RECENT_CAPACITY + 5 {
                tracing::warn!(job = n, "could not post");
            }
            tracing::error!(error = "boom", "the HTTP server stopped");
        });
        let recent = recent_problems();
        assert_eq!(recent.len(), RECENT_CAPACITY);
        assert_eq!(recent[0].level, "ERROR");
        assert_eq!(recent[0].text, "the HTTP server stopped error=boom");
        assert_eq!(recent[1].text, format!("could not post job={}", RECENT_CAPACITY + 4));
        assert!(recent.iter().all(|p| !p.text.contains("not kept")));
    }
}
