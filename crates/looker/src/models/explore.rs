//! What the bot reads of a LookML explore (field labels, for Look commands' parameters) and of a field's
//! suggestions (the values people may have meant).

use serde::{Deserialize, Deserializer, Serialize};

/// A list Looker may send as null.
fn list_or_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// `LookmlModelExploreField`: a field of an explore, with the labels Looker shows for it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExploreField {
    pub name: Option<String>,
    /// "Orders Status": the view label and the short label.
    pub label: Option<String>,
    /// "Status".
    pub label_short: Option<String>,
    pub view_label: Option<String>,
    pub suggestable: Option<bool>,
}

/// `LookmlModelExploreFieldset`: every list may be null or absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExploreFieldset {
    #[serde(deserialize_with = "list_or_null")]
    pub dimensions: Vec<ExploreField>,
    #[serde(deserialize_with = "list_or_null")]
    pub measures: Vec<ExploreField>,
    #[serde(deserialize_with = "list_or_null")]
    pub filters: Vec<ExploreField>,
    #[serde(deserialize_with = "list_or_null")]
    pub parameters: Vec<ExploreField>,
}

impl ExploreFieldset {
    /// The field named `name` (`view.field`), whatever its kind.
    pub fn field(&self, name: &str) -> Option<&ExploreField> {
        self.dimensions
            .iter()
            .chain(&self.measures)
            .chain(&self.filters)
            .chain(&self.parameters)
            .find(|f| f.name.as_deref() == Some(name))
    }
}

/// `LookmlModelExplore`, reduced to what the bot reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LookmlModelExplore {
    pub name: Option<String>,
    pub label: Option<String>,
    pub fields: Option<ExploreFieldset>,
}

/// `ModelFieldSuggestions`: the values Looker suggests for a field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelFieldSuggestions {
    #[serde(deserialize_with = "list_or_null")]
    pub suggestions: Vec<String>,
    pub error: Option<String>,
    pub from_cache: Option<bool>,
    pub hit_limit: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_and_absences_parse() {
        let explore: LookmlModelExplore = serde_json::from_str(
            r#"{"name":null,"fields":{"dimensions":null,"measures":[{"name":"a.b","label":null}]}}"#,
        )
        .unwrap();
        let fields = explore.fields.unwrap();
        assert!(fields.dimensions.is_empty());
        assert_eq!(fields.field("a.b").and_then(|f| f.label.clone()), None);
        let suggestions: ModelFieldSuggestions =
            serde_json::from_str(r#"{"suggestions":null,"error":null,"hit_limit":null}"#).unwrap();
        assert!(suggestions.suggestions.is_empty());
        let empty: ModelFieldSuggestions = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, ModelFieldSuggestions::default());
    }
}
