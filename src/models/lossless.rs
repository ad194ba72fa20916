//! Machinery behind the generated models: exact JSON round trips.
//!
//! The real API drifts from its OpenAPI description (new keys, `null`s, values of an
//! undocumented type). A client that PUTs back what it read must not lose any of that, so
//! every generated struct keeps:
//! - typed fields (`Option<T>`) for documented keys whose value has the documented kind;
//! - `extra`: every other key, verbatim. That is unknown keys, and documented keys whose value
//!   is `null` or not of the documented kind (their typed field stays `None`);
//! - `key_order`: the key order of the object it was read from.
//!
//! Serialization writes the original keys in their original order (typed value if set, else
//! the verbatim value kept in `extra`, else nothing: clearing a typed field removes its key),
//! then documented keys set in code in schema order, then keys added to `extra` in code.

use std::fmt;

use serde::de::{Deserialize, Deserializer, Error as _};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Number, Value};

/// Conversion between a JSON value and a typed field value, without loss.
///
/// Contract: `from_json` succeeds exactly when `accepts` is true, and serializing the result
/// gives back the same JSON value.
pub trait Field: Serialize + Sized {
    /// Whether `value` has the documented kind. Shallow for objects: any object is accepted,
    /// because models keep whatever does not fit their typed fields.
    fn accepts(value: &Value) -> bool;

    /// Converts `value`, or hands it back unchanged when it does not have the documented kind.
    fn from_json(value: Value) -> Result<Self, Value>;
}

impl Field for String {
    fn accepts(value: &Value) -> bool {
        value.is_string()
    }

    fn from_json(value: Value) -> Result<Self, Value> {
        match value {
            Value::String(s) => Ok(s),
            other => Err(other),
        }
    }
}

impl Field for i64 {
    fn accepts(value: &Value) -> bool {
        value.as_i64().is_some()
    }

    fn from_json(value: Value) -> Result<Self, Value> {
        value.as_i64().ok_or(value)
    }
}

impl Field for bool {
    fn accepts(value: &Value) -> bool {
        value.is_boolean()
    }

    fn from_json(value: Value) -> Result<Self, Value> {
        value.as_bool().ok_or(value)
    }
}

impl Field for Number {
    fn accepts(value: &Value) -> bool {
        value.is_number()
    }

    fn from_json(value: Value) -> Result<Self, Value> {
        match value {
            Value::Number(n) => Ok(n),
            other => Err(other),
        }
    }
}

/// Free-form values accept anything; `null` as a whole field value is still kept in `extra`
/// by [`set`], so a typed `Some(Value::Null)` never appears.
impl Field for Value {
    fn accepts(_value: &Value) -> bool {
        true
    }

    fn from_json(value: Value) -> Result<Self, Value> {
        Ok(value)
    }
}

impl<T: Field> Field for Vec<T> {
    fn accepts(value: &Value) -> bool {
        value
            .as_array()
            .is_some_and(|items| items.iter().all(T::accepts))
    }

    fn from_json(value: Value) -> Result<Self, Value> {
        // Check every element first so that a mismatch hands back the untouched array.
        if !Self::accepts(&value) {
            return Err(value);
        }
        let Value::Array(items) = value else {
            return Err(value);
        };
        items.into_iter().map(T::from_json).collect()
    }
}

/// Order of the keys of the JSON object a model was read from.
///
/// Presentation only: it never makes two models unequal.
#[derive(Clone, Default)]
pub struct KeyOrder(Vec<String>);

impl KeyOrder {
    /// The keys, in the order they were read.
    pub fn keys(&self) -> &[String] {
        &self.0
    }

    /// Forgets the original order: the model then serializes like one built in code.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    fn contains(&self, key: &str) -> bool {
        self.0.iter().any(|k| k == key)
    }
}

impl PartialEq for KeyOrder {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl fmt::Debug for KeyOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyOrder({} keys)", self.0.len())
    }
}

/// What a generated struct provides so the functions below can (de)serialize it.
pub trait Object: Default {
    /// Documented JSON keys in schema order.
    const FIELDS: &'static [&'static str];

    /// Stores `value` in the typed field for `key`; hands it back when `key` is not documented
    /// or the value is `null` or not of the documented kind.
    fn set_field(&mut self, key: &str, value: Value) -> Result<(), Value>;

    /// Writes the typed field number `index` (into [`Self::FIELDS`]) if it is set.
    fn write_field<M: SerializeMap>(&self, index: usize, map: &mut M) -> Result<bool, M::Error>;

    /// Keys that are not held by a typed field, verbatim.
    fn object_extra(&self) -> &Map<String, Value>;

    /// Mutable access to [`Object::object_extra`].
    fn object_extra_mut(&mut self) -> &mut Map<String, Value>;

    /// Mutable access to the original key order.
    fn key_order_mut(&mut self) -> &mut KeyOrder;

    /// The original key order.
    fn key_order(&self) -> &KeyOrder;
}

/// Stores a JSON value in a typed slot (see [`Object::set_field`]).
pub fn set<T: Field>(slot: &mut Option<T>, value: Value) -> Result<(), Value> {
    if value.is_null() {
        return Err(value);
    }
    *slot = Some(T::from_json(value)?);
    Ok(())
}

/// Writes a typed slot as a map entry if it is set; returns whether it wrote anything.
pub fn write<M: SerializeMap, T: Serialize>(
    map: &mut M,
    key: &str,
    slot: &Option<T>,
) -> Result<bool, M::Error> {
    match slot {
        Some(value) => {
            map.serialize_entry(key, value)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Builds a model from a JSON object, keeping everything (see the module docs).
pub fn object_from_map<T: Object>(map: Map<String, Value>) -> T {
    let mut out = T::default();
    let mut order = Vec::with_capacity(map.len());
    let mut extra = Map::new();
    for (key, value) in map {
        if let Err(value) = out.set_field(&key, value) {
            extra.insert(key.clone(), value);
        }
        order.push(key);
    }
    *out.object_extra_mut() = extra;
    *out.key_order_mut() = KeyOrder(order);
    out
}

/// Serializes a model (see the module docs for the key order).
pub fn serialize_object<T: Object, S: Serializer>(
    object: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let fields = T::FIELDS;
    // Generated structs have at most 128 documented keys (checked by the generator).
    let mut written: u128 = 0;
    let extra = object.object_extra();
    let order = object.key_order();
    let mut map = serializer.serialize_map(None)?;
    for key in order.keys() {
        match fields.iter().position(|f| f == key) {
            Some(index) => {
                if object.write_field(index, &mut map)? {
                    written |= 1 << index;
                } else if let Some(raw) = extra.get(key) {
                    map.serialize_entry(key, raw)?;
                    written |= 1 << index;
                }
            }
            None => {
                if let Some(raw) = extra.get(key) {
                    map.serialize_entry(key, raw)?;
                }
            }
        }
    }
    for index in 0..fields.len() {
        if written & (1 << index) == 0 && object.write_field(index, &mut map)? {
            written |= 1 << index;
        }
    }
    for (key, raw) in extra {
        if order.contains(key) {
            continue;
        }
        let already = fields
            .iter()
            .position(|f| f == key)
            .is_some_and(|index| written & (1 << index) != 0);
        if !already {
            map.serialize_entry(key, raw)?;
        }
    }
    map.end()
}

/// Deserializes a model from anything that holds a JSON object.
pub fn deserialize_object<'de, T: Object, D: Deserializer<'de>>(
    deserializer: D,
    type_name: &str,
) -> Result<T, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::Object(map) => Ok(object_from_map(map)),
        // Name only the kind: the value itself might be a secret.
        other => Err(D::Error::custom(format_args!(
            "expected a JSON object for {type_name}, found {}",
            kind(&other)
        ))),
    }
}

/// Builds a model from a JSON value; only the top level must be an object.
pub fn model_from_value<T: Object>(value: Value, type_name: &str) -> Result<T, serde_json::Error> {
    match value {
        Value::Object(map) => Ok(object_from_map(map)),
        other => Err(serde_json::Error::custom(format_args!(
            "expected a JSON object for {type_name}, found {}",
            kind(&other)
        ))),
    }
}

/// Round trip through a generated struct (see [`crate::models::roundtrip_schema`]).
pub fn roundtrip_model<T: crate::models::Model>(value: Value) -> Result<Value, serde_json::Error> {
    T::from_value(value).map(|model| model.to_value())
}

/// Serializes anything generated into a JSON value.
pub fn to_value<T: Serialize>(value: &T) -> Value {
    // Models only hold string-keyed maps and JSON scalars, which always serialize.
    serde_json::to_value(value).expect("a generated model always serializes to JSON")
}

/// Round trip through a non-object type (string enum, string alias): checks the kind.
pub fn roundtrip_field<T: Field>(value: Value, schema: &str) -> Result<Value, serde_json::Error> {
    match T::from_json(value) {
        Ok(typed) => Ok(to_value(&typed)),
        Err(other) => Err(serde_json::Error::custom(format_args!(
            "{} does not match schema {schema}",
            kind(&other)
        ))),
    }
}

/// Short description of a JSON value's kind, for error messages that must not echo data.
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Debug rendering that never shows a secret.
///
/// Strings starting with `EV[` (App Platform ciphertext) print as `"EV[…]"`; in free-form
/// JSON, the `value` of any object whose `type` is `SECRET` prints as `"***"`.
pub trait RedactedDebug {
    /// Writes the redacted Debug form.
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

/// Adapter: `Debug` through [`RedactedDebug`].
pub struct Redacted<'a, T: ?Sized>(pub &'a T);

impl<T: RedactedDebug + ?Sized> fmt::Debug for Redacted<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_redacted(f)
    }
}

const CIPHERTEXT_PREFIX: &str = "EV[";

fn fmt_str_redacted(s: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if s.starts_with(CIPHERTEXT_PREFIX) {
        f.write_str("\"EV[…]\"")
    } else {
        fmt::Debug::fmt(s, f)
    }
}

impl RedactedDebug for String {
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_str_redacted(self, f)
    }
}

impl RedactedDebug for i64 {
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl RedactedDebug for bool {
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl RedactedDebug for Number {
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl RedactedDebug for Value {
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => fmt::Debug::fmt(b, f),
            Value::Number(n) => fmt::Display::fmt(n, f),
            Value::String(s) => fmt_str_redacted(s, f),
            Value::Array(items) => f.debug_list().entries(items.iter().map(Redacted)).finish(),
            Value::Object(map) => {
                let secret = map.get("type").and_then(Value::as_str) == Some("SECRET");
                let mut d = f.debug_map();
                for (key, value) in map {
                    if secret && key == "value" {
                        d.entry(key, &Masked);
                    } else {
                        d.entry(key, &Redacted(value));
                    }
                }
                d.finish()
            }
        }
    }
}

impl<T: RedactedDebug> RedactedDebug for Vec<T> {
    fn fmt_redacted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter().map(Redacted)).finish()
    }
}

/// Prints `***` in place of a secret.
struct Masked;

impl fmt::Debug for Masked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Debug builder for generated structs: shows set fields (redacted) and the names of the
/// keys kept in `extra` (names only: their values are not typed and could be anything).
pub struct DebugModel<'a, 'b: 'a> {
    inner: fmt::DebugStruct<'a, 'b>,
}

impl<'a, 'b: 'a> DebugModel<'a, 'b> {
    /// Starts the Debug output of a struct.
    pub fn new(f: &'a mut fmt::Formatter<'b>, name: &str) -> Self {
        Self {
            inner: f.debug_struct(name),
        }
    }

    /// Adds a field if it is set.
    pub fn field<T: RedactedDebug>(&mut self, name: &str, slot: &Option<T>) -> &mut Self {
        if let Some(value) = slot {
            self.inner.field(name, &Redacted(value));
        }
        self
    }

    /// Adds a field if it is set, printing `***` instead of its value when `masked`.
    pub fn secret<T: RedactedDebug>(
        &mut self,
        name: &str,
        slot: &Option<T>,
        masked: bool,
    ) -> &mut Self {
        if masked {
            if slot.is_some() {
                self.inner.field(name, &Masked);
            }
            self
        } else {
            self.field(name, slot)
        }
    }

    /// Adds the names of the keys in `extra` and finishes.
    pub fn finish(&mut self, extra: &Map<String, Value>) -> fmt::Result {
        if !extra.is_empty() {
            let keys: Vec<&str> = extra.keys().map(String::as_str).collect();
            self.inner.field("extra_keys", &keys);
        }
        self.inner.finish()
    }
}

/// Implements serde, [`Field`], [`RedactedDebug`] and [`crate::models::Model`] for a generated
/// struct that implements [`Object`].
macro_rules! lossless_model {
    ($ty:ident, $schema:literal) => {
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                $crate::models::lossless::serialize_object(self, serializer)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                $crate::models::lossless::deserialize_object(deserializer, stringify!($ty))
            }
        }

        impl $crate::models::lossless::Field for $ty {
            fn accepts(value: &::serde_json::Value) -> bool {
                value.is_object()
            }

            fn from_json(value: ::serde_json::Value) -> Result<Self, ::serde_json::Value> {
                match value {
                    ::serde_json::Value::Object(map) => {
                        Ok($crate::models::lossless::object_from_map(map))
                    }
                    other => Err(other),
                }
            }
        }

        impl $crate::models::lossless::RedactedDebug for $ty {
            fn fmt_redacted(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Debug::fmt(self, f)
            }
        }

        impl $crate::models::Model for $ty {
            const SCHEMA: &'static str = $schema;

            fn from_value(value: ::serde_json::Value) -> Result<Self, ::serde_json::Error> {
                $crate::models::lossless::model_from_value(value, stringify!($ty))
            }

            fn to_value(&self) -> ::serde_json::Value {
                $crate::models::lossless::to_value(self)
            }

            fn extra(&self) -> &::serde_json::Map<String, ::serde_json::Value> {
                &self.extra
            }

            fn extra_mut(&mut self) -> &mut ::serde_json::Map<String, ::serde_json::Value> {
                &mut self.extra
            }
        }
    };
}
pub(crate) use lossless_model;

/// Defines a string enum: the documented values plus `Other(String)`, which keeps any other
/// string verbatim so that parsing never fails on a value the schema does not list.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $name:ident, default = $default:ident,
        { $($variant:ident => $value:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $(
                #[doc = concat!("`", $value, "`")]
                $variant,
            )+
            /// A value the schema does not document, kept verbatim.
            Other(String),
        }

        impl $name {
            /// The documented values, in schema order.
            pub const DOCUMENTED: &'static [&'static str] = &[$($value),+];

            /// The JSON string.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $value,)+
                    Self::Other(other) => other,
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::$default
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($value => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                match value.as_str() {
                    $($value => Self::$variant,)+
                    _ => Self::Other(value),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self::from)
            }
        }

        impl $crate::models::lossless::Field for $name {
            fn accepts(value: &::serde_json::Value) -> bool {
                value.is_string()
            }

            fn from_json(value: ::serde_json::Value) -> Result<Self, ::serde_json::Value> {
                match value {
                    ::serde_json::Value::String(s) => Ok(Self::from(s)),
                    other => Err(other),
                }
            }
        }

        impl $crate::models::lossless::RedactedDebug for $name {
            fn fmt_redacted(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Debug::fmt(self, f)
            }
        }
    };
}
pub(crate) use string_enum;
