//! The status page's HTML. Every piece of data goes through [`esc`]: error texts, channel names and log lines come
//! from Looker, Slack and people, and must not become markup.

use std::fmt::Write as _;

use bot::delivery::{Delivery, Target};
use queue::{Counts, Job};

use crate::operations::{LoggedProblem, Probe};

/// What the page shows.
pub(super) struct View {
    pub csrf: String,
    pub notice: Option<String>,
    pub connections: Vec<Probe>,
    pub checks: Vec<Probe>,
    pub counts: Result<Counts, String>,
    pub failed: Result<Vec<Job>, String>,
    pub waiting: Result<Vec<Job>, String>,
    pub problems: Vec<LoggedProblem>,
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}\
table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;\
vertical-align:top}.ok{color:#176f2c}.warning{color:#9a6700}.failed{color:#b42318;font-weight:bold}\
.notice{background:#eef6ff;border:1px solid #9cc3f5;padding:.5em 1em}form.inline{display:inline}";

fn esc(text: &str) -> String {
    html_escape::encode_text(text).into_owned()
}

fn attr(text: &str) -> String {
    html_escape::encode_double_quoted_attribute(text).into_owned()
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{}</title><style>{STYLE}</style></head>\
         <body>{body}</body></html>",
        esc(title)
    )
}

pub(super) fn login_page(problem: Option<&str>) -> String {
    let problem = problem
        .map(|p| format!("<p class=\"failed\" id=\"login-problem\">{}</p>", esc(p)))
        .unwrap_or_default();
    document(
        "Lookerbot status: log in",
        &format!(
            "<h1>Lookerbot status</h1>{problem}\
             <form method=\"post\" action=\"/status/login\">\
             <label>Status token (LOOKERBOT_STATUS_TOKEN) <input type=\"password\" name=\"token\" id=\"token\" \
             autocomplete=\"current-password\" required></label> <button type=\"submit\" id=\"login\">Log in</button>\
             </form>"
        ),
    )
}

pub(super) fn status_page(view: &View) -> String {
    let mut body = String::from("<h1>Lookerbot status</h1>");
    let _ = write!(
        body,
        "<form class=\"inline\" method=\"post\" action=\"/status/logout\"><input type=\"hidden\" name=\"csrf\" \
         value=\"{}\"><button type=\"submit\">Log out</button></form>",
        attr(&view.csrf)
    );
    if let Some(notice) = &view.notice {
        let _ = write!(body, "<p class=\"notice\" id=\"notice\">{}</p>", esc(notice));
    }
    body.push_str("<h2>Connections</h2>");
    body.push_str(&probe_table("connections", &view.connections));
    body.push_str("<h2>Checks (<code>lookerbot check</code>)</h2>");
    body.push_str(&probe_table("checks", &view.checks));
    body.push_str("<h2>Delivery queue</h2>");
    match &view.counts {
        Ok(c) => {
            let _ = write!(
                body,
                "<p id=\"counts\">{} waiting, {} running, {} done, {} failed</p>",
                c.pending, c.running, c.done, c.failed
            );
        }
        Err(e) => {
            let _ = write!(body, "<p class=\"failed\">The queue cannot be read: {}</p>", esc(e));
        }
    }
    body.push_str("<h3>Failed deliveries</h3>");
    body.push_str(&job_table("failed", &view.failed, Some(&view.csrf)));
    body.push_str("<h3>Waiting and running</h3>");
    body.push_str(&job_table("waiting", &view.waiting, None));
    body.push_str("<h2>Recent warnings and errors</h2>");
    if view.problems.is_empty() {
        body.push_str("<p id=\"problems\">None since the bot started.</p>");
    } else {
        body.push_str("<table id=\"problems\"><tr><th>when (UTC)</th><th>level</th><th>what</th></tr>");
        for p in &view.problems {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                p.at.format("%Y-%m-%d %H:%M:%S"),
                esc(&p.level),
                esc(&p.text)
            );
        }
        body.push_str("</table>");
    }
    document("Lookerbot status", &body)
}

fn probe_table(id: &str, probes: &[Probe]) -> String {
    let mut out = format!("<table id=\"{id}\"><tr><th>what</th><th>state</th><th>details</th></tr>");
    for probe in probes {
        let class = probe.outcome.label();
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"{class}\">{class}</td><td>{}</td></tr>",
            esc(&probe.name),
            esc(&probe.detail)
        );
    }
    out.push_str("</table>");
    out
}

/// Jobs as a table; with `retry_csrf`, each row gets a Retry button (a POST form carrying the CSRF token).
fn job_table(id: &str, jobs: &Result<Vec<Job>, String>, retry_csrf: Option<&str>) -> String {
    let jobs = match jobs {
        Ok(jobs) if jobs.is_empty() => return format!("<p id=\"{id}\">None.</p>"),
        Ok(jobs) => jobs,
        Err(e) => return format!("<p class=\"failed\" id=\"{id}\">Cannot be read: {}</p>", esc(e)),
    };
    let mut out = format!(
        "<table id=\"{id}\"><tr><th>id</th><th>queued (UTC)</th><th>to</th><th>attempts</th><th>last error</th>{}</tr>",
        if retry_csrf.is_some() { "<th></th>" } else { "" }
    );
    for job in jobs {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            job.id,
            job.queued_at.format("%Y-%m-%d %H:%M:%S"),
            esc(&destination(job)),
            job.attempts,
            esc(job.last_error.as_deref().unwrap_or(""))
        );
        if let Some(csrf) = retry_csrf {
            let _ = write!(
                out,
                "<td><form method=\"post\" action=\"/status/retry\"><input type=\"hidden\" name=\"id\" value=\"{}\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\" id=\"retry-{}\">Retry</button>\
                 </form></td>",
                job.id,
                attr(csrf),
                job.id
            );
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
    out
}

/// Where a delivery goes, as a person would write it.
fn destination(job: &Job) -> String {
    match job.payload.read::<Delivery>() {
        Ok(delivery) => match delivery.target() {
            Target::Channel(name) => format!("#{name}"),
            Target::Group(name) => format!("private #{name}"),
            Target::Person(name) => format!("@{name}"),
        },
        Err(_) => format!("({})", job.kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::Outcome;

    #[test]
    fn data_never_becomes_markup() {
        let view = View {
            csrf: "c\"><script>".into(),
            notice: Some("<b>hi</b>".into()),
            connections: [Outcome::Pass, Outcome::Warn, Outcome::Fail]
                .into_iter()
                .map(|outcome| Probe {
                    name: "<img src=x onerror=alert(1)>".into(),
                    outcome,
                    detail: "a & b <i>".into(),
                })
                .collect(),
            checks: vec![],
            counts: Err("<script>alert(1)</script>".into()),
            failed: Ok(vec![]),
            waiting: Err("</table>".into()),
            problems: vec![LoggedProblem {
                at: chrono::Utc::now(),
                level: "ERROR".into(),
                text: "<script>x</script>".into(),
            }],
        };
        let page = status_page(&view);
        for raw in ["<script", "<img", "<b>hi", "<i>", "c\">"] {
            assert!(!page.contains(raw), "{raw} reached the page unescaped");
        }
        assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(login_page(Some("<x>")).contains("&lt;x&gt;"));
    }
}
