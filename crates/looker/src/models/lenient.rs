//! The one reading policy for everything Looker sends: a `null` where a typed value belongs reads as its absence.
//!
//! The policy is a [`Deserializer`] wrapper rather than a pass over parsed JSON, so that an answer is read once,
//! straight into its model: a field the model does not keep is skipped, not built and thrown away. Before it reads a
//! typed value (a string, a number, a list, an object...) it looks for `null`, and reads `null` as that type's empty
//! value, which is what an absent member of a `#[serde(default)]` model gets. Optional values and free-form JSON
//! (`Value`, maps of `Value`) keep `null` as `null`: for them `null` is a value, and the code reading them treats it
//! like absence.

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Unexpected, VariantAccess,
    Visitor,
};
use serde_json::Value;

/// Reads a Looker answer (or webhook body) into a model, `null` reading as absent. The body's UTF-8 is checked once,
/// whole, which costs less than serde_json checking each string of it in turn; a body that is not UTF-8 is read as
/// bytes, so that the error says where.
pub fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    match std::str::from_utf8(bytes) {
        Ok(text) => read_whole(serde_json::Deserializer::from_str(text)),
        Err(_) => read_whole(serde_json::Deserializer::from_slice(bytes)),
    }
}

/// Reads one model, and then nothing but white space.
fn read_whole<'de, R, T>(mut reader: serde_json::Deserializer<R>) -> Result<T, serde_json::Error>
where
    R: serde_json::de::Read<'de>,
    T: DeserializeOwned,
{
    let model = T::deserialize(NullAsAbsent(&mut reader))?;
    reader.end()?;
    Ok(model)
}

/// Reads already parsed JSON into a model, `null` reading as absent.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, serde_json::Error> {
    T::deserialize(NullAsAbsent(value))
}

/// A deserializer whose typed reads take `null` as the type's empty value, at every depth.
struct NullAsAbsent<D>(D);

/// What a typed read asked for, kept while looking for `null` so the read can go on when there is none.
#[derive(Clone, Copy)]
enum Wanted {
    Bool,
    Signed,
    Unsigned,
    Float,
    Char,
    Str,
    String,
    Bytes,
    ByteBuf,
    Seq,
    Tuple(usize),
    TupleStruct(&'static str, usize),
    Map,
    Struct(&'static str, &'static [&'static str]),
    Enum(&'static str, &'static [&'static str]),
}

impl<'de, D: Deserializer<'de>> NullAsAbsent<D> {
    fn read<V: Visitor<'de>>(self, wanted: Wanted, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_option(NullOr { wanted, visitor })
    }
}

/// Sees whether the value is `null` (through `deserialize_option`): if it is, gives the empty value of what was
/// wanted; if not, reads what was wanted.
struct NullOr<V> {
    wanted: Wanted,
    visitor: V,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for NullOr<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        empty(self.wanted, self.visitor)
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        empty(self.wanted, self.visitor)
    }

    fn visit_some<D: Deserializer<'de>>(self, value: D) -> Result<V::Value, D::Error> {
        let visitor = Lenient(self.visitor);
        match self.wanted {
            Wanted::Bool => value.deserialize_bool(visitor),
            Wanted::Signed => value.deserialize_i64(visitor),
            Wanted::Unsigned => value.deserialize_u64(visitor),
            Wanted::Float => value.deserialize_f64(visitor),
            Wanted::Char => value.deserialize_char(visitor),
            Wanted::Str => value.deserialize_str(visitor),
            Wanted::String => value.deserialize_string(visitor),
            Wanted::Bytes => value.deserialize_bytes(visitor),
            Wanted::ByteBuf => value.deserialize_byte_buf(visitor),
            Wanted::Seq => value.deserialize_seq(visitor),
            Wanted::Tuple(len) => value.deserialize_tuple(len, visitor),
            Wanted::TupleStruct(name, len) => value.deserialize_tuple_struct(name, len, visitor),
            Wanted::Map => value.deserialize_map(visitor),
            Wanted::Struct(name, fields) => value.deserialize_struct(name, fields, visitor),
            Wanted::Enum(name, variants) => value.deserialize_enum(name, variants, visitor),
        }
    }
}

/// The value an absent member of this type reads as: `false`, zero, empty text, an empty list or object. A
/// character, an enum and a tuple with members have no empty value: `null` stays an error for them.
fn empty<'de, V: Visitor<'de>, E: de::Error>(wanted: Wanted, visitor: V) -> Result<V::Value, E> {
    match wanted {
        Wanted::Bool => visitor.visit_bool(false),
        Wanted::Signed => visitor.visit_i64(0),
        Wanted::Unsigned => visitor.visit_u64(0),
        Wanted::Float => visitor.visit_f64(0.0),
        Wanted::Str | Wanted::String => visitor.visit_str(""),
        Wanted::Bytes | Wanted::ByteBuf => visitor.visit_bytes(&[]),
        Wanted::Seq | Wanted::Tuple(_) | Wanted::TupleStruct(..) => {
            visitor.visit_seq(SeqDeserializer::<_, E>::new(std::iter::empty::<()>()))
        }
        Wanted::Map | Wanted::Struct(..) => {
            visitor.visit_map(MapDeserializer::<_, E>::new(std::iter::empty::<((), ())>()))
        }
        Wanted::Char | Wanted::Enum(..) => Err(E::invalid_type(Unexpected::Unit, &visitor)),
    }
}

macro_rules! typed_reads {
    ($($method:ident => $wanted:expr),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.read($wanted, visitor)
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for NullAsAbsent<D> {
    type Error = D::Error;

    typed_reads! {
        deserialize_bool => Wanted::Bool,
        deserialize_i8 => Wanted::Signed,
        deserialize_i16 => Wanted::Signed,
        deserialize_i32 => Wanted::Signed,
        deserialize_i64 => Wanted::Signed,
        deserialize_u8 => Wanted::Unsigned,
        deserialize_u16 => Wanted::Unsigned,
        deserialize_u32 => Wanted::Unsigned,
        deserialize_u64 => Wanted::Unsigned,
        deserialize_f32 => Wanted::Float,
        deserialize_f64 => Wanted::Float,
        deserialize_char => Wanted::Char,
        deserialize_str => Wanted::Str,
        deserialize_string => Wanted::String,
        deserialize_bytes => Wanted::Bytes,
        deserialize_byte_buf => Wanted::ByteBuf,
        deserialize_seq => Wanted::Seq,
        deserialize_map => Wanted::Map,
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, D::Error> {
        self.read(Wanted::Tuple(len), visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.read(Wanted::TupleStruct(name, len), visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.read(Wanted::Struct(name, fields), visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.read(Wanted::Enum(name, variants), visitor)
    }

    // Free-form and optional reads keep `null`; what they contain is still read leniently.
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(Lenient(visitor))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_option(Lenient(visitor))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit(Lenient(visitor))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, Lenient(visitor))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, Lenient(visitor))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_identifier(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_ignored_any(visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// A visitor whose nested reads (list items, object members, enum contents) go through [`NullAsAbsent`].
struct Lenient<V>(V);

macro_rules! forward_visits {
    ($($method:ident($type:ty)),* $(,)?) => {$(
        fn $method<E: de::Error>(self, value: $type) -> Result<V::Value, E> {
            self.0.$method(value)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Lenient<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        self.0.expecting(f)
    }

    forward_visits! {
        visit_bool(bool),
        visit_i8(i8), visit_i16(i16), visit_i32(i32), visit_i64(i64), visit_i128(i128),
        visit_u8(u8), visit_u16(u16), visit_u32(u32), visit_u64(u64), visit_u128(u128),
        visit_f32(f32), visit_f64(f64), visit_char(char),
        visit_str(&str), visit_borrowed_str(&'de str), visit_string(String),
        visit_bytes(&[u8]), visit_borrowed_bytes(&'de [u8]), visit_byte_buf(Vec<u8>),
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, value: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(NullAsAbsent(value))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, value: D) -> Result<V::Value, D::Error> {
        self.0.visit_newtype_struct(NullAsAbsent(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, items: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(Lenient(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, members: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(Lenient(members))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(Lenient(data))
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Lenient<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, value: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(NullAsAbsent(value))
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Lenient<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Lenient(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Lenient<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(seed)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(Lenient(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Lenient<A> {
    type Error = A::Error;
    type Variant = Lenient<A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, Self::Variant), A::Error> {
        let (name, variant) = self.0.variant_seed(seed)?;
        Ok((name, Lenient(variant)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Lenient<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(Lenient(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Lenient(visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, Lenient(visitor))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default)]
    struct Shape {
        name: String,
        count: u32,
        share: f64,
        shown: bool,
        list: Vec<String>,
        inner: Option<Inner>,
        nested: Inner,
        free: Value,
        members: BTreeMap<String, Value>,
        pair: (u8, u8),
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default)]
    struct Inner {
        values: Vec<u32>,
        label: Option<String>,
    }

    #[test]
    fn null_reads_as_absent_at_every_depth() {
        let with_nulls = json!({
            "name": null, "count": null, "share": null, "shown": null, "list": null, "nested": {"values": null},
            "inner": {"values": null, "label": null}, "free": null, "members": null, "extra": 1,
        });
        let absent = json!({"inner": {}});
        for read in [from_value::<Shape>, |v: Value| {
            from_json::<Shape>(v.to_string().as_bytes())
        }] {
            let (with_nulls, absent) = (read(with_nulls.clone()).unwrap(), read(absent.clone()).unwrap());
            assert_eq!(with_nulls, absent);
            assert_eq!(with_nulls.inner, Some(Inner::default()));
        }
    }

    #[test]
    fn text_is_read_whole_and_a_body_that_is_not_utf8_is_refused_saying_where() {
        let shape: Shape = from_json("{\"name\": \"Zoë ✓\", \"list\": [\"日本\"]}".as_bytes()).unwrap();
        assert_eq!(
            (shape.name.as_str(), shape.list.as_slice()),
            ("Zoë ✓", ["日本".to_string()].as_slice())
        );
        let error = from_json::<Shape>(b"{\"name\":\n \"a\xff\"}").unwrap_err();
        assert_eq!((error.line(), error.column()), (2, 4), "{error}");
        assert!(
            from_json::<Shape>(b"{} {}").is_err(),
            "nothing but white space may follow"
        );
    }

    #[test]
    fn nulls_inside_lists_and_free_form_json_stay_null() {
        let shape: Shape = from_json(br#"{"free": {"a": null, "b": [null]}, "members": {"m": null}}"#).unwrap();
        assert_eq!(shape.free, json!({"a": null, "b": [null]}));
        assert_eq!(shape.members["m"], Value::Null);
        let items: Vec<Option<Inner>> = from_json(br#"[null, {"values": null}]"#).unwrap();
        assert_eq!(items, [None, Some(Inner::default())], "a position keeps its null");
    }

    #[test]
    fn values_are_kept_and_wrong_types_are_still_errors() {
        let shape: Shape =
            from_json(br#"{"name": "n", "count": 3, "list": ["a", "b"], "inner": {"values": [1]}, "pair": [1, 2]}"#)
                .unwrap();
        assert_eq!((shape.name.as_str(), shape.count, shape.pair), ("n", 3, (1, 2)));
        assert_eq!(shape.list, ["a", "b"]);
        assert_eq!(shape.inner.unwrap().values, [1]);
        assert!(from_json::<Shape>(br#"{"count": "three"}"#).is_err());
        assert!(from_json::<Shape>(br#"{"name": "n"} trailing"#).is_err());
    }

    #[test]
    fn an_enum_has_no_empty_value() {
        #[derive(Debug, Deserialize, PartialEq)]
        enum Kind {
            Look,
        }
        assert_eq!(from_json::<Kind>(br#""Look""#).unwrap(), Kind::Look);
        assert!(from_json::<Kind>(b"null").is_err());
        assert_eq!(from_json::<Option<Kind>>(b"null").unwrap(), None);
    }
}
