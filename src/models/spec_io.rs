//! Reading and writing an [`AppSpec`] as JSON or as YAML (`.do/app.yaml`).
//!
//! Both directions go through a JSON value with preserved key order, so YAML -> JSON -> YAML
//! keeps keys in order and values unchanged.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::{AppSpec, Model};

/// An app spec text could not be read or written.
///
/// Messages come from the parser and name positions and kinds, never spec values.
#[derive(Debug, thiserror::Error)]
pub enum SpecFormatError {
    /// Not valid JSON.
    #[error("invalid JSON app spec{}: {message}", position(*.line, *.column))]
    Json {
        /// The parser's message.
        message: String,
        /// 1-based line, when known.
        line: Option<usize>,
        /// 1-based column, when known.
        column: Option<usize>,
    },
    /// Not valid YAML, or YAML that has no JSON equivalent (e.g. a non-string mapping key).
    #[error("invalid YAML app spec{}: {message}", position(*.line, *.column))]
    Yaml {
        /// The parser's message.
        message: String,
        /// 1-based line, when known.
        line: Option<usize>,
        /// 1-based column, when known.
        column: Option<usize>,
    },
    /// The document parsed, but its top level is not a mapping/object.
    #[error("an app spec must be an object at the top level, found {found}")]
    NotAnObject {
        /// The kind that was found ("an array", "a string", ...).
        found: &'static str,
    },
    /// The spec could not be written as YAML.
    #[error("cannot write the app spec as YAML: {message}")]
    YamlOutput {
        /// The emitter's message.
        message: String,
    },
}

fn position(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!(" at line {line}, column {column}"),
        (Some(line), None) => format!(" at line {line}"),
        _ => String::new(),
    }
}

fn json_error(err: &serde_json::Error) -> SpecFormatError {
    // serde_json reports line 0 for errors that have no position.
    let known = err.line() > 0;
    SpecFormatError::Json {
        message: strip_position(&err.to_string()),
        line: known.then(|| err.line()),
        column: known.then(|| err.column()),
    }
}

fn yaml_error(err: &serde_yaml_ng::Error) -> SpecFormatError {
    let location = err.location();
    SpecFormatError::Yaml {
        message: strip_position(&err.to_string()),
        line: location.as_ref().map(serde_yaml_ng::Location::line),
        column: location.as_ref().map(serde_yaml_ng::Location::column),
    }
}

/// Parsers append " at line L column C"; the error type carries those as fields instead.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

fn spec_from_value(value: Value) -> Result<AppSpec, SpecFormatError> {
    match value {
        Value::Object(_) => AppSpec::from_value(value).map_err(|err| json_error(&err)),
        other => Err(SpecFormatError::NotAnObject {
            found: super::lossless::kind(&other),
        }),
    }
}

/// A JSON value read from JSON or YAML text, refusing a mapping that has a key twice:
/// both parsers would otherwise keep the last one silently, and part of the spec would
/// vanish without a word.
struct UniqueKeys(Value);

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(UniqueKeysVisitor)
            .map(UniqueKeys)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // As serde_json's own `Value`: a non-finite float has no JSON form.
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        UniqueKeys::deserialize(deserializer).map(|v| v.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueKeys(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key {key:?}")));
            }
            let UniqueKeys(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

impl AppSpec {
    /// Reads a spec from JSON text. A key given twice in one object is an error.
    pub fn from_json_str(text: &str) -> Result<Self, SpecFormatError> {
        let UniqueKeys(value) = serde_json::from_str(text).map_err(|err| json_error(&err))?;
        spec_from_value(value)
    }

    /// Reads a spec from YAML text in DigitalOcean's `.do/app.yaml` format. A key given
    /// twice in one mapping is an error.
    pub fn from_yaml_str(text: &str) -> Result<Self, SpecFormatError> {
        let UniqueKeys(value) = serde_yaml_ng::from_str(text).map_err(|err| yaml_error(&err))?;
        spec_from_value(value)
    }

    /// Writes the spec as JSON, compact or pretty (two-space indent).
    pub fn to_json_string(&self, pretty: bool) -> String {
        let written = if pretty {
            serde_json::to_string_pretty(self)
        } else {
            serde_json::to_string(self)
        };
        // Models only hold string-keyed maps and JSON scalars, which always serialize.
        written.expect("an AppSpec always serializes to JSON")
    }

    /// Writes the spec as YAML.
    pub fn to_yaml_string(&self) -> Result<String, SpecFormatError> {
        serde_yaml_ng::to_string(self).map_err(|err| SpecFormatError::YamlOutput {
            message: err.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_given_twice_is_refused_in_json_and_yaml() {
        let err = AppSpec::from_json_str(r#"{"name": "a", "envs": [{"key": "K", "key": "L"}]}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains(r#"duplicate key "key""#), "{err}");
        let err = AppSpec::from_yaml_str("name: a\nregion: nyc\nname: b\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(r#"duplicate key "name""#), "{err}");
        // The same key in different objects is fine, and values keep their kinds.
        let spec = AppSpec::from_json_str(
            r#"{"name": "a", "services": [{"name": "w", "n": 1.5, "m": -2, "z": null}]}"#,
        )
        .unwrap();
        assert_eq!(
            spec.to_json_string(false),
            r#"{"name":"a","services":[{"name":"w","n":1.5,"m":-2,"z":null}]}"#
        );
    }
}
