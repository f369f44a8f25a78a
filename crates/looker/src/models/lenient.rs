//! The one reading policy for everything Looker sends: `null` members count as absent.

use serde::de::DeserializeOwned;
use serde_json::Value;

/// Reads a Looker answer (or webhook body) into a model, with `null` object members treated as absent.
pub fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    from_value(serde_json::from_slice(bytes)?)
}

/// Reads already parsed JSON into a model, with `null` object members treated as absent.
pub fn from_value<T: DeserializeOwned>(mut value: Value) -> Result<T, serde_json::Error> {
    drop_null_members(&mut value);
    T::deserialize(value)
}

/// Removes every object member whose value is `null`, at every depth. Array elements are kept as they are: their
/// positions can mean something.
fn drop_null_members(value: &mut Value) {
    match value {
        Value::Object(members) => {
            members.retain(|_, member| !member.is_null());
            members.values_mut().for_each(drop_null_members);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null_members),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default)]
    struct Shape {
        name: String,
        list: Vec<String>,
        inner: Option<Inner>,
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default)]
    struct Inner {
        values: Vec<u32>,
    }

    #[test]
    fn null_reads_as_absent_at_every_depth() {
        let with_nulls: Shape =
            from_value(json!({"name": null, "list": null, "inner": {"values": null}, "extra": 1})).unwrap();
        let absent: Shape = from_value(json!({"inner": {}})).unwrap();
        assert_eq!(with_nulls, absent);
        assert_eq!(with_nulls.inner, Some(Inner::default()));
    }

    #[test]
    fn values_are_kept() {
        let shape: Shape = from_json(br#"{"name": "n", "list": ["a", "b"], "inner": {"values": [1]}}"#).unwrap();
        assert_eq!(shape.name, "n");
        assert_eq!(shape.list, ["a", "b"]);
        assert_eq!(shape.inner.unwrap().values, [1]);
    }
}
