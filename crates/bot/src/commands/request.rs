//! The text after a custom command's name, parsed once into what was asked, and matched against the command's
//! parameters. Pure: no Looker, no chat, so every rule here is tested directly.
//!
//! - nothing: every parameter takes its default;
//! - `California` (no names): that value for every parameter, the original Lookerbot's meaning;
//! - `state: California, date: last 7 days` or `state=California`: values by name. Names match a parameter's title
//!   or other names case-insensitively, or as an unambiguous prefix (`st`). A comma starts a new `name: value`
//!   only when a name follows it, so `state: California, Texas` is one value (Looker's "either"). Quoted values
//!   keep their commas as literal commas (`region: "North, East"`).

/// What the text after a command asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// No text: defaults only.
    Defaults,
    /// Text without filter names: the value of every parameter, exactly as typed.
    EveryParameter(String),
    /// Values by parameter name, in the order typed.
    Named(Vec<NamedValue>),
}

/// `name: value` as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedValue {
    pub name: String,
    pub value: FilterValue,
}

/// A filter value: the Looker filter expression, and the text as people typed it (without quotes), for replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterValue {
    pub expression: String,
    pub shown: String,
}

impl FilterValue {
    /// A value taken as it is (a default, or the one-value form).
    pub fn verbatim(text: &str) -> FilterValue {
        FilterValue {
            expression: text.to_string(),
            shown: text.to_string(),
        }
    }

    /// Whether the value is one plain value (no list, no operator, no wildcard): the kind a typo can spoil.
    pub fn is_single_value(&self) -> bool {
        let shown = self.shown.trim();
        !shown.is_empty()
            && self.expression == shown
            && !shown.contains([',', '%', '^', '"'])
            && !shown.starts_with(['-', '>', '<', '=', '!', '[', '('])
    }
}

/// Characters that open or close a quoted value: straight quotes, and the curly ones chat apps type.
const QUOTES: [char; 3] = ['"', '\u{201c}', '\u{201d}'];

impl Request {
    pub fn parse(text: &str) -> Request {
        let text = text.trim();
        if text.is_empty() {
            return Request::Defaults;
        }
        let segments = split_segments(text);
        if segments.first().and_then(|s| name_of(s)).is_none() {
            return Request::EveryParameter(text.to_string());
        }
        let mut named: Vec<NamedValue> = Vec::new();
        for segment in &segments {
            match (name_of(segment), named.last_mut()) {
                (Some((name, rest)), _) => named.push(NamedValue {
                    name,
                    value: value_of(rest),
                }),
                // A comma without a name after it continues the value: a list of alternatives.
                (None, Some(last)) => {
                    let more = value_of(segment);
                    last.value.expression = format!("{}, {}", last.value.expression, more.expression);
                    last.value.shown = format!("{}, {}", last.value.shown, more.shown);
                }
                (None, None) => {}
            }
        }
        Request::Named(named)
    }
}

/// Splits on commas outside quotes; each segment keeps its quotes.
fn split_segments(text: &str) -> Vec<&str> {
    let mut segments = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (at, c) in text.char_indices() {
        if QUOTES.contains(&c) {
            quoted = !quoted;
        } else if c == ',' && !quoted {
            segments.push(&text[start..at]);
            start = at + 1;
        }
    }
    segments.push(&text[start..]);
    segments
}

/// `name: rest` or `name=rest`: the name (lowercased, spaces collapsed) and the rest, when the segment starts with
/// a name. A name is words that start with a letter and hold letters, digits, `_` and `.` (so `10:00` and
/// `2024-01-01 10:00` are values, not names).
fn name_of(segment: &str) -> Option<(String, &str)> {
    let at = segment.find([':', '='])?;
    let name = segment[..at].trim();
    let good = !name.is_empty()
        && name.split_whitespace().all(|word| {
            word.chars().next().is_some_and(char::is_alphabetic)
                && word.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '.'))
        });
    good.then(|| (normalize(name), &segment[at + 1..]))
}

/// A value as typed: trimmed; quoted parts lose their quotes and keep commas as Looker's literal comma (`^,`).
fn value_of(text: &str) -> FilterValue {
    let (mut expression, mut shown, mut quoted) = (String::new(), String::new(), false);
    for c in text.trim().chars() {
        if QUOTES.contains(&c) {
            quoted = !quoted;
            continue;
        }
        if quoted && c == ',' {
            expression.push('^');
        }
        expression.push(c);
        shown.push(c);
    }
    FilterValue {
        expression: expression.trim().to_string(),
        shown: shown.trim().to_string(),
    }
}

/// Lowercase, `_` as a space, runs of spaces as one: `Created_Date` and `created  date` are the same name.
pub fn normalize(name: &str) -> String {
    name.to_lowercase()
        .replace('_', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Something a command can be given: a dashboard filter, or a Look's query filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    /// What the command's tiles listen for: the dashboard filter's name, or the Look's field.
    pub key: String,
    /// What people see: the filter's title, or the field's label.
    pub title: String,
    /// Other names that match it (the filter's name; the field's name and short label).
    pub aliases: Vec<String>,
    /// What it is when not given; `None` for no default.
    pub default: Option<String>,
    /// Whether the command may only run once it has a value.
    pub required: bool,
}

impl Parameter {
    /// "State", "Date (default 7 days)", "Brand (required)": how help and refusals list it.
    pub fn summary(&self) -> String {
        match (&self.default, self.required) {
            (Some(default), _) => format!("{} (default {default})", self.title),
            (None, true) => format!("{} (required)", self.title),
            (None, false) => self.title.clone(),
        }
    }

    fn names(&self) -> impl Iterator<Item = String> + '_ {
        std::iter::once(&self.title).chain(&self.aliases).map(|n| normalize(n))
    }
}

/// Where a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Given,
    Default,
}

/// The value a parameter takes for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub value: FilterValue,
    pub origin: Origin,
}

/// Why a request cannot run; each is answered with what the command takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No parameter goes by this name.
    Unknown { name: String },
    /// The name is the start of several parameters' names: their titles.
    Ambiguous { name: String, matches: Vec<String> },
    /// Required parameters with neither a value nor a default: their titles.
    Missing(Vec<String>),
}

/// The value of each parameter (aligned with `parameters`; `None` for none), or why the request cannot run.
pub fn resolve(request: &Request, parameters: &[Parameter]) -> Result<Vec<Option<Applied>>, Refusal> {
    let given = |value: FilterValue| {
        Some(Applied {
            value,
            origin: Origin::Given,
        })
    };
    let mut applied: Vec<Option<Applied>> = vec![None; parameters.len()];
    match request {
        Request::Defaults => {}
        Request::EveryParameter(text) => applied.fill(given(FilterValue::verbatim(text))),
        Request::Named(named) => {
            for NamedValue { name, value } in named {
                let index = find_parameter(name, parameters)?;
                applied[index] = given(value.clone());
            }
        }
    }
    for (slot, parameter) in applied.iter_mut().zip(parameters) {
        if slot.is_none() {
            *slot = parameter.default.as_deref().filter(|d| !d.is_empty()).map(|d| Applied {
                value: FilterValue::verbatim(d),
                origin: Origin::Default,
            });
        }
    }
    let missing: Vec<String> = parameters
        .iter()
        .zip(&applied)
        .filter(|(p, a)| p.required && a.as_ref().is_none_or(|a| a.value.expression.trim().is_empty()))
        .map(|(p, _)| p.title.clone())
        .collect();
    if missing.is_empty() {
        Ok(applied)
    } else {
        Err(Refusal::Missing(missing))
    }
}

/// The one parameter `name` (already normalized) means: an exact name first, else the only one it starts.
fn find_parameter(name: &str, parameters: &[Parameter]) -> Result<usize, Refusal> {
    let matching = |test: &dyn Fn(&str) -> bool| -> Vec<usize> {
        (0..parameters.len())
            .filter(|&i| parameters[i].names().any(|n| test(&n)))
            .collect()
    };
    let mut found = matching(&|n| n == name);
    if found.is_empty() {
        found = matching(&|n| n.starts_with(name));
    }
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(Refusal::Unknown { name: name.to_string() }),
        several => Err(Refusal::Ambiguous {
            name: name.to_string(),
            matches: several.iter().map(|&i| parameters[i].title.clone()).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(pairs: &[(&str, &str)]) -> Request {
        Request::Named(
            pairs
                .iter()
                .map(|(name, value)| NamedValue {
                    name: name.to_string(),
                    value: FilterValue::verbatim(value),
                })
                .collect(),
        )
    }

    fn parameter(title: &str, aliases: &[&str], default: Option<&str>, required: bool) -> Parameter {
        Parameter {
            key: title.into(),
            title: title.into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            default: default.map(str::to_string),
            required,
        }
    }

    fn sales() -> Vec<Parameter> {
        vec![
            parameter("State", &["state"], None, false),
            parameter("Status", &["orders.status"], None, false),
            parameter("Date", &["date"], Some("7 days"), false),
        ]
    }

    #[test]
    fn plain_text_is_every_parameter_as_typed() {
        assert_eq!(
            Request::parse("after 10:00"),
            Request::EveryParameter("after 10:00".into())
        );
        assert_eq!(Request::parse("  "), Request::Defaults);
        assert_eq!(
            Request::parse(" California "),
            Request::EveryParameter("California".into())
        );
        assert_eq!(
            Request::parse("New York, Texas"),
            Request::EveryParameter("New York, Texas".into())
        );
        // A colon later on, or after something that is no name, does not make names.
        assert_eq!(
            Request::parse("after 2024-01-01 10:00"),
            Request::EveryParameter("after 2024-01-01 10:00".into())
        );
        assert_eq!(Request::parse("\"a: b\""), Request::EveryParameter("\"a: b\"".into()));
    }

    #[test]
    fn names_with_colons_or_equals_and_lists_of_alternatives() {
        assert_eq!(
            Request::parse("State: California, Date: last 7 days"),
            named(&[("state", "California"), ("date", "last 7 days")])
        );
        assert_eq!(
            Request::parse("state=California,date =7 days"),
            named(&[("state", "California"), ("date", "7 days")])
        );
        assert_eq!(
            Request::parse("state: California, Texas, created_Date: 2024"),
            named(&[("state", "California, Texas"), ("created date", "2024")])
        );
        assert_eq!(Request::parse("state:"), named(&[("state", "")]));
    }

    #[test]
    fn quoted_values_keep_commas_as_literal_commas() {
        let Request::Named(values) = Request::parse("region: \"North, East\", state: \u{201c}New York\u{201d}") else {
            panic!("names expected")
        };
        assert_eq!(values[0].value.expression, "North^, East");
        assert_eq!(values[0].value.shown, "North, East");
        assert_eq!(values[1].value, FilterValue::verbatim("New York"));
    }

    #[test]
    fn names_match_titles_aliases_and_unambiguous_prefixes() {
        let parameters = sales();
        let applied = resolve(
            &Request::parse("STATE: California, orders.status: complete"),
            &parameters,
        )
        .unwrap();
        assert_eq!(applied[0].as_ref().unwrap().value.expression, "California");
        assert_eq!(applied[1].as_ref().unwrap().value.expression, "complete");
        let applied = resolve(&Request::parse("da: 2 days"), &parameters).unwrap();
        assert_eq!(applied[2].as_ref().unwrap().value.expression, "2 days");
        assert_eq!(
            resolve(&Request::parse("stat: x"), &parameters),
            Err(Refusal::Ambiguous {
                name: "stat".into(),
                matches: vec!["State".into(), "Status".into()]
            })
        );
        // An exact name wins over longer names it starts.
        assert!(resolve(&Request::parse("state: x"), &parameters).is_ok());
        assert_eq!(
            resolve(&Request::parse("region: North"), &parameters),
            Err(Refusal::Unknown { name: "region".into() })
        );
    }

    #[test]
    fn defaults_fill_what_is_not_given_and_are_marked() {
        let parameters = sales();
        let applied = resolve(&Request::Defaults, &parameters).unwrap();
        assert_eq!(applied[0], None);
        assert_eq!(
            applied[2],
            Some(Applied {
                value: FilterValue::verbatim("7 days"),
                origin: Origin::Default
            })
        );
        let applied = resolve(&Request::parse("date: 30 days"), &parameters).unwrap();
        assert_eq!(applied[2].as_ref().unwrap().origin, Origin::Given);
        let every = resolve(&Request::parse("Texas"), &parameters).unwrap();
        assert!(every.iter().all(|a| a.as_ref().unwrap().origin == Origin::Given));
    }

    #[test]
    fn required_parameters_without_value_or_default_are_missing() {
        let parameters = vec![
            parameter("Brand", &[], None, true),
            parameter("Region", &[], Some("West"), true),
        ];
        assert_eq!(
            resolve(&Request::Defaults, &parameters),
            Err(Refusal::Missing(vec!["Brand".into()]))
        );
        assert_eq!(
            resolve(&Request::parse("brand:"), &parameters),
            Err(Refusal::Missing(vec!["Brand".into()]))
        );
        assert!(resolve(&Request::parse("brand: Acme"), &parameters).is_ok());
    }

    #[test]
    fn single_values_are_told_from_expressions() {
        assert!(FilterValue::verbatim("California").is_single_value());
        assert!(FilterValue::verbatim("New York").is_single_value());
        for expression in ["A, B", "-Texas", "%ork", ">10", "", "North^, East"] {
            assert!(!FilterValue::verbatim(expression).is_single_value(), "{expression}");
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        proptest! {
            #[test]
            fn parsing_and_resolving_never_panic(text in "\\PC{0,80}", names in proptest::collection::vec("[a-zA-Z_ .]{0,12}", 0..4)) {
                let request = Request::parse(&text);
                let parameters: Vec<Parameter> = names
                    .iter()
                    .map(|n| Parameter { key: n.clone(), title: n.clone(), aliases: vec![], default: None, required: n.len() % 2 == 0 })
                    .collect();
                let _ = resolve(&request, &parameters);
            }

            #[test]
            fn text_with_quotes_commas_and_separators_never_panics(text in "[a-zé \"\u{201c}\u{201d},:=^-]{0,60}") {
                if let Request::Named(values) = Request::parse(&text) {
                    for value in values {
                        prop_assert!(!value.name.is_empty());
                    }
                }
            }

            #[test]
            fn a_named_value_comes_back_as_typed(value in "[A-Za-z][A-Za-z0-9 ]{0,20}") {
                let request = Request::parse(&format!("state: {value}"));
                let expected = Request::Named(vec![NamedValue { name: "state".into(), value: FilterValue::verbatim(value.trim()) }]);
                prop_assert_eq!(request, expected);
            }
        }
    }
}
