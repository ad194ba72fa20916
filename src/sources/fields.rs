//! Strict reading of a source's JSON object: unknown fields are rejected by name and
//! every type error names the field and the type that was found.

use serde_json::{Map, Value};

use super::SourceError;

/// The JSON type of `value`, as a user would name it in an error.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The fields of one source object, checked against the names its kind accepts.
pub(crate) struct Fields<'a> {
    kind: &'static str,
    map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    /// Checks that `map` holds only `type` and the `allowed` names.
    pub(crate) fn new(
        kind: &'static str,
        map: &'a Map<String, Value>,
        allowed: &[&str],
    ) -> Result<Self, SourceError> {
        if let Some(unknown) = map
            .keys()
            .find(|k| k.as_str() != "type" && !allowed.contains(&k.as_str()))
        {
            return Err(SourceError::Invalid(format!(
                "{kind} source: unknown field \"{unknown}\" (accepted: {})",
                allowed.join(", ")
            )));
        }
        Ok(Fields { kind, map })
    }

    /// A configuration error about this kind of source.
    pub(crate) fn error(&self, message: impl std::fmt::Display) -> SourceError {
        SourceError::Invalid(format!("{} source: {message}", self.kind))
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.map.get(name).is_some_and(|v| !v.is_null())
    }

    /// The raw value; JSON `null` counts as absent.
    pub(crate) fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    fn wrong_type(&self, name: &str, expected: &str, found: &Value) -> SourceError {
        self.error(format_args!(
            "field \"{name}\" must be {expected}, not {}",
            type_name(found)
        ))
    }

    pub(crate) fn opt_str(&self, name: &str) -> Result<Option<&'a str>, SourceError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(self.wrong_type(name, "a string", other)),
        }
    }

    /// A string that must be present and not blank.
    pub(crate) fn required_str(&self, name: &str) -> Result<&'a str, SourceError> {
        match self.opt_str(name)? {
            None => Err(self.error(format_args!("field \"{name}\" is required"))),
            Some(s) if s.trim().is_empty() => {
                Err(self.error(format_args!("field \"{name}\" must not be empty")))
            }
            Some(s) => Ok(s),
        }
    }

    /// An optional string that, when given, must not be blank.
    pub(crate) fn opt_nonempty_str(&self, name: &str) -> Result<Option<&'a str>, SourceError> {
        match self.opt_str(name)? {
            Some(s) if s.trim().is_empty() => {
                Err(self.error(format_args!("field \"{name}\" must not be empty")))
            }
            other => Ok(other),
        }
    }

    pub(crate) fn opt_bool(&self, name: &str) -> Result<Option<bool>, SourceError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.wrong_type(name, "a boolean (true or false)", other)),
        }
    }

    pub(crate) fn opt_number(&self, name: &str) -> Result<Option<f64>, SourceError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(other) => Err(self.wrong_type(name, "a number", other)),
        }
    }

    /// A non-empty array of non-blank strings.
    pub(crate) fn opt_str_list(&self, name: &str) -> Result<Option<Vec<String>>, SourceError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let Value::Array(items) = value else {
            return Err(self.wrong_type(name, "an array of strings", value));
        };
        if items.is_empty() {
            return Err(self.error(format_args!("field \"{name}\" must not be empty")));
        }
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) if s.trim().is_empty() => {
                    Err(self.error(format_args!("field \"{name}\": item {i} must not be empty")))
                }
                Value::String(s) => Ok(s.clone()),
                other => Err(self.error(format_args!(
                    "field \"{name}\": item {i} must be a string, not {}",
                    type_name(other)
                ))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}
