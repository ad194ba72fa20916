//! The desired secrets of a sync: source key -> value, with optional type and scope.

use std::fmt;
use std::str::FromStr;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// An env var's type, with DigitalOcean's exact strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VarType {
    #[serde(rename = "GENERAL")]
    General,
    #[serde(rename = "SECRET")]
    Secret,
}

/// An env var's scope, with DigitalOcean's exact strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    #[serde(rename = "RUN_TIME")]
    RunTime,
    #[serde(rename = "BUILD_TIME")]
    BuildTime,
    #[serde(rename = "RUN_AND_BUILD_TIME")]
    RunAndBuildTime,
    #[serde(rename = "UNSET")]
    Unset,
}

/// A string that is not one of the accepted names.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid {what} {value:?}; expected one of: {expected}")]
pub struct ParseEnumError {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl VarType {
    /// DigitalOcean's name.
    pub fn as_str(self) -> &'static str {
        match self {
            VarType::General => "GENERAL",
            VarType::Secret => "SECRET",
        }
    }

    /// The type of an env entry as App Platform reads it: absent means `GENERAL`.
    /// `None` when the field holds something unknown.
    pub fn of_entry(entry: &serde_json::Value) -> Option<VarType> {
        match entry.get("type") {
            None | Some(serde_json::Value::Null) => Some(VarType::General),
            Some(serde_json::Value::String(s)) => s.parse().ok(),
            Some(_) => None,
        }
    }
}

impl Scope {
    /// DigitalOcean's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::RunTime => "RUN_TIME",
            Scope::BuildTime => "BUILD_TIME",
            Scope::RunAndBuildTime => "RUN_AND_BUILD_TIME",
            Scope::Unset => "UNSET",
        }
    }

    /// The scope of an env entry as App Platform reads it: absent means `RUN_AND_BUILD_TIME`.
    /// `None` when the field holds something unknown.
    pub fn of_entry(entry: &serde_json::Value) -> Option<Scope> {
        match entry.get("scope") {
            None | Some(serde_json::Value::Null) => Some(Scope::RunAndBuildTime),
            Some(serde_json::Value::String(s)) => s.parse().ok(),
            Some(_) => None,
        }
    }
}

impl FromStr for VarType {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "GENERAL" => Ok(VarType::General),
            "SECRET" => Ok(VarType::Secret),
            _ => Err(ParseEnumError {
                what: "env var type",
                value: s.to_owned(),
                expected: "GENERAL, SECRET",
            }),
        }
    }
}

impl FromStr for Scope {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "RUN_TIME" => Ok(Scope::RunTime),
            "BUILD_TIME" => Ok(Scope::BuildTime),
            "RUN_AND_BUILD_TIME" => Ok(Scope::RunAndBuildTime),
            "UNSET" => Ok(Scope::Unset),
            _ => Err(ParseEnumError {
                what: "env var scope",
                value: s.to_owned(),
                expected: "RUN_TIME, BUILD_TIME, RUN_AND_BUILD_TIME, UNSET",
            }),
        }
    }
}

impl fmt::Display for VarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One desired secret. `var_type`/`scope` set by the caller win over an
/// existing key's; left `None`, an existing key keeps its own and a new key
/// gets the sync's defaults.
#[derive(Clone, PartialEq, Eq)]
pub struct DesiredValue {
    pub value: String,
    pub var_type: Option<VarType>,
    pub scope: Option<Scope>,
}

impl DesiredValue {
    /// A value with no explicit type or scope.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            var_type: None,
            scope: None,
        }
    }

    pub fn with_type(mut self, var_type: VarType) -> Self {
        self.var_type = Some(var_type);
        self
    }

    pub fn with_scope(mut self, scope: Scope) -> Self {
        self.scope = Some(scope);
        self
    }

    /// Whether the value holds an App Platform bindable reference (`${...}`),
    /// which DigitalOcean resolves and the sync must pass through untouched.
    pub fn is_bindable(&self) -> bool {
        self.value
            .find("${")
            .is_some_and(|at| self.value[at..].contains('}'))
    }
}

impl fmt::Debug for DesiredValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DesiredValue")
            .field("value", &"<redacted>")
            .field("var_type", &self.var_type)
            .field("scope", &self.scope)
            .finish()
    }
}

/// The desired set: source key -> value, in the caller's order.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Desired {
    entries: IndexMap<String, DesiredValue>,
}

impl Desired {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add or replace a source key.
    pub fn insert(&mut self, source_key: impl Into<String>, value: DesiredValue) {
        self.entries.insert(source_key.into(), value);
    }

    pub fn get(&self, source_key: &str) -> Option<&DesiredValue> {
        self.entries.get(source_key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &DesiredValue)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<K: Into<String>> FromIterator<(K, DesiredValue)> for Desired {
    fn from_iter<I: IntoIterator<Item = (K, DesiredValue)>>(iter: I) -> Self {
        let mut desired = Desired::new();
        for (k, v) in iter {
            desired.insert(k, v);
        }
        desired
    }
}

impl fmt::Debug for Desired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.entries.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_values() {
        let d: Desired = [(
            "K",
            DesiredValue::new("canary-xyz").with_type(VarType::Secret),
        )]
        .into_iter()
        .collect();
        let shown = format!("{d:?} {:?}", d.get("K").unwrap());
        assert!(!shown.contains("canary-xyz"), "{shown}");
        assert!(shown.contains("Secret"));
    }

    #[test]
    fn strings_round_trip() {
        for t in [VarType::General, VarType::Secret] {
            assert_eq!(t.as_str().parse::<VarType>().unwrap(), t);
        }
        for s in [
            Scope::RunTime,
            Scope::BuildTime,
            Scope::RunAndBuildTime,
            Scope::Unset,
        ] {
            assert_eq!(s.as_str().parse::<Scope>().unwrap(), s);
        }
        assert!("secret".parse::<VarType>().is_err());
    }

    #[test]
    fn bindable_detection() {
        assert!(DesiredValue::new("${db.DATABASE_URL}").is_bindable());
        assert!(DesiredValue::new("x-${APP_URL}/y").is_bindable());
        assert!(!DesiredValue::new("$HOME").is_bindable());
        assert!(!DesiredValue::new("${unterminated").is_bindable());
    }
}
