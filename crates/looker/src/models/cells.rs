//! The rows of a `json_detail` result, read straight into cells: a row is many small objects (a cell, its links),
//! and reading them as generic JSON first cost more than the rest of a delivery's reading.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A row of a result (or its totals): each field's entry by field name.
pub type Row = BTreeMap<String, RowEntry>;

/// What a row holds for a field: one cell, or, for a measure of a pivoted result, a cell per pivot key.
#[derive(Debug, Clone, PartialEq)]
pub enum RowEntry {
    Cell(Cell),
    Pivoted(BTreeMap<String, Cell>),
}

impl RowEntry {
    /// The cell of an unpivoted column (`pivot: None`) or of one pivot key of a pivoted one; `None` when the entry
    /// is of the other kind.
    pub fn cell(&self, pivot: Option<&str>) -> Option<&Cell> {
        match (self, pivot) {
            (RowEntry::Cell(cell), None) => Some(cell),
            (RowEntry::Pivoted(cells), Some(key)) => cells.get(key),
            _ => None,
        }
    }
}

/// One cell of a `json_detail` row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Cell {
    pub value: Value,
    /// Looker's formatted value; anything but text is left out.
    #[serde(deserialize_with = "text_only")]
    pub rendered: Option<String>,
    #[serde(deserialize_with = "list_or_nothing")]
    pub links: Vec<CellLink>,
}

impl Cell {
    /// What people see: Looker's rendered value, else the raw value; `None` for null.
    pub fn display(&self) -> Option<String> {
        if let Some(rendered) = &self.rendered {
            return Some(rendered.clone());
        }
        match &self.value {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }
}

/// A link on a cell: drills (`type: "drill"`, `"measure_default"`) and data actions (`type: "action"`). A link that
/// is not an object reads as an empty one.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CellLink {
    pub label: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub url: Option<String>,
    pub form_url: Option<String>,
    pub form: Option<Value>,
    /// A data action's link as Looker sent it, to be passed back to `perform_data_action` untouched (`Null` for
    /// other links).
    #[serde(skip)]
    pub raw: Value,
}

/// Read member by member, without building the link as generic JSON: a data action is rebuilt whole from its
/// members, any other link keeps only what the bot reads.
impl<'de> Deserialize<'de> for CellLink {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<CellLink, D::Error> {
        d.deserialize_any(LinkVisitor)
    }
}

/// The members of a link the bot reads.
const LINK_MEMBERS: [&str; 5] = ["label", "type", "url", "form_url", "form"];

struct LinkVisitor;

impl<'de> Visitor<'de> for LinkVisitor {
    type Value = CellLink;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a link")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<CellLink, A::Error> {
        let mut read: [Option<Value>; 5] = Default::default();
        let mut others = Vec::new();
        while let Some(key) = members.next_key::<LinkKey>()? {
            let value: Value = members.next_value()?;
            match key {
                LinkKey::Read(index) => read[index] = Some(value),
                LinkKey::Other(name) => others.push((name, value)),
            }
        }
        let is_action = read[1].as_ref().and_then(Value::as_str) == Some("action");
        let raw = if is_action {
            let present = LINK_MEMBERS.iter().zip(&read);
            let read = present.filter_map(|(name, value)| Some(((*name).to_owned(), value.clone()?)));
            Value::Object(read.chain(others).collect())
        } else {
            Value::Null
        };
        let [label, kind, url, form_url, form] = read.map(Option::unwrap_or_default);
        Ok(CellLink {
            label: into_text(label),
            kind: into_text(kind),
            url: into_text(url),
            form_url: into_text(form_url),
            form: Some(form).filter(|form| !form.is_null()),
            raw,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, items: A) -> Result<CellLink, A::Error> {
        IgnoredAny::deserialize(SeqAccessDeserializer::new(items))?;
        Ok(CellLink::default())
    }

    ignore_scalars!(CellLink::default());
}

fn into_text(value: Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text),
        _ => None,
    }
}

/// A link member's name: one the bot reads (by its place in [`LINK_MEMBERS`]), or any other.
enum LinkKey {
    Read(usize),
    Other(String),
}

impl<'de> Deserialize<'de> for LinkKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LinkKey, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = LinkKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<LinkKey, E> {
                Ok(match LINK_MEMBERS.iter().position(|read| *read == name) {
                    Some(index) => LinkKey::Read(index),
                    None => LinkKey::Other(name.to_owned()),
                })
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

fn text_only<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(text) => Some(text),
        _ => None,
    })
}

/// A list, or nothing when the member is anything else.
fn list_or_nothing<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    struct ListOrNothing<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for ListOrNothing<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, items: A) -> Result<Vec<T>, A::Error> {
            Vec::deserialize(SeqAccessDeserializer::new(items))
        }
        fn visit_map<A: MapAccess<'de>>(self, members: A) -> Result<Vec<T>, A::Error> {
            IgnoredAny::deserialize(MapAccessDeserializer::new(members))?;
            Ok(Vec::new())
        }
        ignore_scalars!(Vec::new());
    }
    d.deserialize_any(ListOrNothing(std::marker::PhantomData))
}

/// Visits of scalars that give `$empty`.
macro_rules! ignore_scalars {
    ($empty:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($empty)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($empty)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($empty)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($empty)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($empty)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($empty)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($empty)
        }
    };
}
use ignore_scalars;

/// Tells a cell from a pivoted entry as it reads: an object whose members are all objects is a measure's cells by
/// pivot key; one with any other member (`value`, `rendered`, `links`) is a cell. Anything but an object reads as
/// an empty cell.
impl<'de> Deserialize<'de> for RowEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RowEntry, D::Error> {
        d.deserialize_any(EntryVisitor)
    }
}

struct EntryVisitor;

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = RowEntry;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a cell or a pivoted measure's cells")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<RowEntry, A::Error> {
        let mut cell = Cell::default();
        let mut by_pivot = BTreeMap::new();
        let mut is_cell = false;
        while let Some(key) = members.next_key::<String>()? {
            match members.next_value_seed(MemberSeed { key: &key })? {
                Member::Object(pivot_cell) => {
                    by_pivot.insert(key, pivot_cell);
                }
                Member::Value(value) => (cell.value, is_cell) = (value, true),
                Member::Rendered(rendered) => (cell.rendered, is_cell) = (rendered, true),
                Member::Links(links) => (cell.links, is_cell) = (links, true),
                Member::Other => is_cell = true,
            }
        }
        Ok(if is_cell || by_pivot.is_empty() {
            RowEntry::Cell(cell)
        } else {
            RowEntry::Pivoted(by_pivot)
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, items: A) -> Result<RowEntry, A::Error> {
        IgnoredAny::deserialize(SeqAccessDeserializer::new(items))?;
        Ok(RowEntry::Cell(Cell::default()))
    }

    ignore_scalars!(RowEntry::Cell(Cell::default()));
}

/// A member of a row entry, read by what its key and its JSON kind make it.
enum Member {
    /// An object: a pivot key's cell.
    Object(Cell),
    Value(Value),
    Rendered(Option<String>),
    Links(Vec<CellLink>),
    Other,
}

struct MemberSeed<'k> {
    key: &'k str,
}

impl<'de> de::DeserializeSeed<'de> for MemberSeed<'_> {
    type Value = Member;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Member, D::Error> {
        d.deserialize_any(self)
    }
}

impl MemberSeed<'_> {
    fn scalar(self, value: Value) -> Member {
        match (self.key, value) {
            ("value", value) => Member::Value(value),
            ("rendered", Value::String(text)) => Member::Rendered(Some(text)),
            _ => Member::Other,
        }
    }
}

impl<'de> Visitor<'de> for MemberSeed<'_> {
    type Value = Member;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member of a cell")
    }

    fn visit_map<A: MapAccess<'de>>(self, members: A) -> Result<Member, A::Error> {
        Cell::deserialize(MapAccessDeserializer::new(members)).map(Member::Object)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, items: A) -> Result<Member, A::Error> {
        let items = SeqAccessDeserializer::new(items);
        Ok(match self.key {
            "links" => Member::Links(Vec::deserialize(items)?),
            "value" => Member::Value(Value::deserialize(items)?),
            _ => {
                IgnoredAny::deserialize(items)?;
                Member::Other
            }
        })
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Member, E> {
        Ok(self.scalar(value.into()))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Member, E> {
        Ok(self.scalar(value.into()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Member, E> {
        Ok(self.scalar(value.into()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Member, E> {
        Ok(self.scalar(value.into()))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Member, E> {
        Ok(self.scalar(value.into()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Member, E> {
        Ok(self.scalar(value.into()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Member, E> {
        Ok(self.scalar(Value::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<Member, E> {
        Ok(self.scalar(Value::Null))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::models::from_value;

    fn row(value: Value) -> Row {
        from_value(value).unwrap()
    }

    #[test]
    fn cells_and_pivoted_cells_are_told_apart() {
        let read = row(json!({
            "orders.status": {"value": "complete", "rendered": "Complete", "links": [{"type": "drill", "url": "/x"}]},
            "orders.count": {"complete": {"value": 3}, "$$$_row_total_$$$": {"value": 5, "rendered": null}},
            "orders.empty": {},
            "orders.nothing": {"value": null, "links": null},
        }));
        let status = read["orders.status"].cell(None).unwrap();
        assert_eq!(status.display().as_deref(), Some("Complete"));
        assert_eq!(status.links[0].url.as_deref(), Some("/x"));
        assert_eq!(read["orders.status"].cell(Some("complete")), None);
        let count = &read["orders.count"];
        assert_eq!(count.cell(Some("complete")).unwrap().value, json!(3));
        assert_eq!(
            count.cell(Some("$$$_row_total_$$$")).unwrap().display().as_deref(),
            Some("5")
        );
        assert_eq!(count.cell(None), None);
        assert_eq!(read["orders.empty"], RowEntry::Cell(Cell::default()));
        assert_eq!(read["orders.nothing"], RowEntry::Cell(Cell::default()));
    }

    #[test]
    fn a_pivot_key_named_like_a_cell_member_is_still_a_pivot() {
        let read = row(json!({"orders.count": {"value": {"value": 1}, "links": {"value": 2}}}));
        assert_eq!(read["orders.count"].cell(Some("links")).unwrap().value, json!(2));
        assert_eq!(read["orders.count"].cell(Some("value")).unwrap().value, json!(1));
    }

    #[test]
    fn odd_shapes_read_as_empty_not_as_errors() {
        let read = row(json!({
            "a": 5, "b": [1], "c": {"value": 1, "rendered": 7, "links": "none"}, "d": {"links": [3, {"type": 1}]},
        }));
        assert_eq!(read["a"], RowEntry::Cell(Cell::default()));
        assert_eq!(read["b"], RowEntry::Cell(Cell::default()));
        let c = read["c"].cell(None).unwrap();
        assert_eq!(
            (c.value.clone(), c.rendered.clone(), c.links.len()),
            (json!(1), None, 0)
        );
        let d = read["d"].cell(None).unwrap();
        assert_eq!(d.links, vec![CellLink::default(), CellLink::default()]);
    }

    #[test]
    fn only_a_data_action_keeps_its_link_whole() {
        let read = row(json!({"m": {"value": 1, "links": [
            {"type": "measure_default", "url": "/drill", "label": "Show All"},
            {"type": "action", "url": "https://hub/x", "label": "Send", "params": [{"name": "p", "value": "v"}],
             "form_url": null},
        ]}}));
        let links = &read["m"].cell(None).unwrap().links;
        assert_eq!(links[0].raw, Value::Null);
        assert_eq!(links[1].raw["params"][0]["value"], "v");
        assert_eq!(links[1].raw["form_url"], Value::Null, "a null member is kept");
        assert_eq!(links[1].raw.get("form"), None, "an absent one is not added");
        assert_eq!(links[1].form_url, None);
        assert_eq!(links[1].kind.as_deref(), Some("action"));
    }
}
