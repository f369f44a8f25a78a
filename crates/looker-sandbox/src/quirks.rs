//! Applies the [`Quirk`]s a test switched on to an answer, after it was completed and checked against the spec.

use serde_json::{Map, Value};

use crate::faults::Quirk;

/// A property no Looker release has, added to every object by [`Quirk::UnknownFields`].
const UNKNOWN_FIELD: &str = "added_in_a_later_looker";

pub fn apply(value: &mut Value, quirks: &[Quirk]) {
    if quirks.is_empty() {
        return;
    }
    match value {
        Value::Object(object) => {
            for field in object.values_mut() {
                apply(field, quirks);
            }
            apply_to_object(object, quirks);
        }
        Value::Array(items) => items.iter_mut().for_each(|item| apply(item, quirks)),
        _ => {}
    }
}

fn apply_to_object(object: &mut Map<String, Value>, quirks: &[Quirk]) {
    for quirk in quirks {
        match quirk {
            Quirk::NumericIds => {
                for (name, field) in object.iter_mut() {
                    let is_id = name == "id" || name.ends_with("_id");
                    if let (true, Some(number)) = (is_id, field.as_str().and_then(|s| s.parse::<u64>().ok())) {
                        *field = Value::from(number);
                    }
                }
            }
            Quirk::NullLists => {
                for field in object.values_mut() {
                    if field.as_array().is_some_and(Vec::is_empty) {
                        *field = Value::Null;
                    }
                }
            }
            Quirk::UnknownFields => {
                object.insert(
                    UNKNOWN_FIELD.to_owned(),
                    serde_json::json!({"kind": "surprise", "values": [1, null, "two"]}),
                );
            }
            Quirk::OmittedNulls => object.retain(|_, field| !field.is_null()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_quirk_changes_what_it_says() {
        let answer =
            || json!({"id": "12", "folder_id": "3", "title": "7", "pivots": [], "sorts": null, "f": {"id": "9"}});

        let mut numeric = answer();
        apply(&mut numeric, &[Quirk::NumericIds]);
        assert_eq!(numeric["id"], json!(12));
        assert_eq!(numeric["folder_id"], json!(3));
        assert_eq!(numeric["title"], json!("7"), "only ids");
        assert_eq!(numeric["f"]["id"], json!(9), "nested objects too");

        let mut null_lists = answer();
        apply(&mut null_lists, &[Quirk::NullLists]);
        assert_eq!(null_lists["pivots"], Value::Null);

        let mut unknown = answer();
        apply(&mut unknown, &[Quirk::UnknownFields]);
        assert!(unknown[UNKNOWN_FIELD].is_object());
        assert!(unknown["f"][UNKNOWN_FIELD].is_object());

        let mut omitted = answer();
        apply(&mut omitted, &[Quirk::OmittedNulls]);
        assert!(omitted.get("sorts").is_none());
        assert_eq!(omitted["pivots"], json!([]));
    }
}
