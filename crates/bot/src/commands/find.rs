//! `find [look|dashboard] <words>`: the five Looks (or dashboards) whose titles best match. As in the original,
//! `find` may come anywhere in the message (`can you find orders`), unless a custom command starts it.

use async_trait::async_trait;
use looker::ContentSearch;
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::{Command, Usage, split_first_word};
use crate::commands::turn::Turn;
use crate::reply::{Block, Inline, Reply};

pub struct Find;

/// How many matches are shown.
pub const TOP: usize = 5;
/// How many titles are fetched to rank (Looker's own title search cannot rank fuzzily).
const CANDIDATES: u32 = 5000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Look,
    Dashboard,
}

/// What to look for, and where.
pub struct Search {
    kind: Kind,
    /// The Looker named before the words, if one was.
    looker: Option<crate::lookers::Looker>,
    words: String,
}

/// A piece of content that matched.
struct Found {
    title: String,
    url: String,
    folder: Option<String>,
}

#[async_trait]
impl Command for Find {
    type Request = Search;

    fn name(&self) -> &'static str {
        "find"
    }

    fn usage(&self) -> Option<Usage> {
        Some(Usage {
            syntax: "find [look|dashboard] <words>",
            description: "finds Looks (or dashboards) by title; start with a Looker's URL to search that one.",
        })
    }

    fn parse(&self, turn: &Turn<'_>, text: &str) -> Option<Search> {
        let mut rest = match after_find(text)? {
            (0, rest) => rest,
            (_, rest) if turn.catalog.find(text).is_none() => rest,
            _ => return None,
        };
        let mut kind = Kind::Look;
        let (word, after) = split_first_word(rest);
        match word.as_str() {
            "look" | "looks" => rest = after,
            "dashboard" | "dashboards" => {
                kind = Kind::Dashboard;
                rest = after;
            }
            _ => {}
        }
        let (word, after) = split_first_word(rest);
        let looker = match turn.lookers.named_by(&word) {
            Some(looker) if !after.is_empty() => {
                rest = after;
                Some(looker.clone())
            }
            _ => None,
        };
        let words = rest.trim().trim_end_matches(['?', '!', '.']).trim_end().to_string();
        Some(Search { kind, looker, words })
    }

    async fn run(&self, turn: &Turn<'_>, search: Search) {
        let Search { kind, looker, words } = search;
        let looker = match looker.as_ref().or_else(|| turn.lookers.default_looker()) {
            Some(looker) => looker,
            None => return turn.reply(Reply::warning("No Looker is configured.")).await,
        };
        if words.is_empty() {
            return turn
                .reply(Reply::text("Tell me what to look for, e.g. `find orders`."))
                .await;
        }
        let client = turn.client(looker);
        let base = looker.base();
        let search = ContentSearch {
            limit: Some(CANDIDATES),
            ..Default::default()
        };
        let candidates: Result<Vec<Found>, _> = match kind {
            Kind::Look => client.search_looks(&search).await.map(|looks| {
                looks
                    .into_iter()
                    .filter_map(|l| {
                        Some(Found {
                            url: format!("{base}/looks/{}", l.id?),
                            title: l.title?,
                            folder: l.folder.map(|f| f.name),
                        })
                    })
                    .collect()
            }),
            Kind::Dashboard => client.search_dashboards(&search).await.map(|dashboards| {
                dashboards
                    .into_iter()
                    .filter_map(|d| {
                        Some(Found {
                            url: format!("{base}/dashboards/{}", d.id?),
                            title: d.title?,
                            folder: d.folder.map(|f| f.name),
                        })
                    })
                    .collect()
            }),
        };
        let candidates = match candidates {
            Ok(c) => c,
            Err(e) => {
                return turn.reply(Reply::warning(format!("The search failed. {e}"))).await;
            }
        };
        let ranked = rank(&words, candidates);
        if ranked.is_empty() {
            return turn.reply(no_match(kind, &words)).await;
        }
        let blocks = ranked
            .into_iter()
            .map(|found| {
                let mut line = vec![Inline::Link {
                    text: found.title,
                    url: found.url,
                }];
                if let Some(folder) = found.folder {
                    line.push(Inline::Text(format!(" in {folder}")));
                }
                Block::Paragraph(line)
            })
            .collect();
        turn.reply(Reply::new(blocks)).await;
    }
}

/// Where the word `find` is in `text` (its word position) and what follows it, if it is there.
fn after_find(text: &str) -> Option<(usize, &str)> {
    let mut rest = text.trim();
    for position in 0.. {
        if rest.is_empty() {
            return None;
        }
        let (word, after) = split_first_word(rest);
        if word.trim_matches(|c: char| !c.is_alphanumeric()) == "find" {
            return Some((position, after));
        }
        rest = after;
    }
    None
}

/// Least per-word similarity for a title to count as a typo of the words.
const TYPO_SIMILARITY: f64 = 0.85;

/// The best [`TOP`] titles for `words`. Each title scores the better of two measures on one 0-to-1 scale: its fuzzy
/// subsequence score as a share of a perfect match (the words matched against themselves), and, for typos, how
/// well every word matches a word of the title. So `ordres` finds "Orders by Status" even when some other title
/// happens to contain the letters in order.
/// Nothing found: say so, and offer the other kind of content, which people often mean ("sales" is a dashboard).
fn no_match(kind: Kind, words: &str) -> Reply {
    let (searched, other, command) = match kind {
        Kind::Look => ("Looks", "dashboards", format!("find dashboard {words}")),
        Kind::Dashboard => ("dashboards", "Looks", format!("find {words}")),
    };
    Reply::new(vec![Block::Paragraph(vec![
        Inline::Text(format!(
            "No {searched} match \"{words}\". Try other words, or search {other}: "
        )),
        Inline::Code(command),
    ])])
}

fn rank(words: &str, candidates: Vec<Found>) -> Vec<Found> {
    let mut matcher = Matcher::new(Config::DEFAULT);
    let pattern = Pattern::parse(words, CaseMatching::Ignore, Normalization::Smart);
    let mut buffer = Vec::new();
    let perfect = pattern
        .score(Utf32Str::new(words, &mut buffer), &mut matcher)
        .map_or(1.0, |score| f64::from(score.max(1)));
    let mut scored: Vec<(usize, f64)> = candidates
        .iter()
        .enumerate()
        .filter_map(|(i, candidate)| {
            let fuzzy = pattern
                .score(Utf32Str::new(&candidate.title, &mut buffer), &mut matcher)
                .map_or(0.0, |score| f64::from(score) / perfect);
            let typo = word_similarity(words, &candidate.title);
            let typo = if typo >= TYPO_SIMILARITY { typo } else { 0.0 };
            let best = fuzzy.max(typo);
            (best > 0.0).then_some((i, best))
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut slots: Vec<Option<Found>> = candidates.into_iter().map(Some).collect();
    scored
        .into_iter()
        .take(TOP)
        .filter_map(|(i, _)| slots[i].take())
        .collect()
}

/// How well every query word matches some word of the title (Jaro-Winkler), averaged.
fn word_similarity(query: &str, title: &str) -> f64 {
    let title_words: Vec<String> = title.split_whitespace().map(str::to_lowercase).collect();
    let query_words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    if query_words.is_empty() || title_words.is_empty() {
        return 0.0;
    }
    let total: f64 = query_words
        .iter()
        .map(|q| {
            title_words
                .iter()
                .map(|t| strsim::jaro_winkler(q, t))
                .fold(0.0, f64::max)
        })
        .sum();
    total / query_words.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(titles: &[&str]) -> Vec<Found> {
        titles
            .iter()
            .map(|t| Found {
                title: t.to_string(),
                url: String::new(),
                folder: None,
            })
            .collect()
    }

    #[test]
    fn ranks_abbreviations_and_typos() {
        let titles = ["Revenue Dashboard", "Orders by Status", "Users", "Sales by State"];
        let top: Vec<String> = rank("rev dash", found(&titles)).into_iter().map(|f| f.title).collect();
        assert_eq!(top.first().map(String::as_str), Some("Revenue Dashboard"));
        let top: Vec<String> = rank("slaes", found(&titles)).into_iter().map(|f| f.title).collect();
        assert_eq!(top, vec!["Sales by State"]);
        assert!(rank("zebra", found(&titles)).is_empty());
    }

    #[test]
    fn a_typo_outranks_a_scattered_subsequence() {
        // "Order Details by Region, Shipping" holds o-r-d-r-e-s in order; the typo of "Orders" must still win.
        let titles = ["Order Details by Region, Shipping", "Orders by Status", "Users"];
        let top: Vec<String> = rank("ordres", found(&titles)).into_iter().map(|f| f.title).collect();
        assert_eq!(top.first().map(String::as_str), Some("Orders by Status"), "{top:?}");
    }

    #[test]
    fn find_is_found_anywhere_as_a_word() {
        assert_eq!(after_find("find orders"), Some((0, "orders")));
        assert_eq!(
            after_find("can you find dashboard sales?"),
            Some((2, "dashboard sales?"))
        );
        assert_eq!(after_find("Find look users"), Some((0, "look users")));
        assert_eq!(after_find("finder orders"), None);
        assert_eq!(after_find("orders"), None);
    }
}
