//! Typed models for every App Platform (and `/v2/account`) schema, with exact JSON round trips.
//!
//! `generated.rs` is written by `tools/gen_models.py` from DigitalOcean's OpenAPI bundle; do not
//! edit it by hand. Every generated struct keeps unknown keys, `null`s and values of an
//! undocumented type verbatim (see [`lossless`]), so reading an app and writing it back never
//! loses what the typed model does not know about.

mod digits;
pub mod lossless;
pub mod spec_io;

pub mod generated;

pub use digits::has_long_digit_run;
pub use generated::*;
pub use spec_io::SpecFormatError;

use serde_json::{Map, Value};

/// What every generated struct offers beyond serde.
pub trait Model:
    serde::Serialize + serde::de::DeserializeOwned + Clone + Default + PartialEq + std::fmt::Debug
{
    /// The schema's name in the OpenAPI bundle (`"app_spec"`); inline schemas use their path
    /// (`"account.team"`) and inline response bodies `"responses/<name>"`.
    const SCHEMA: &'static str;

    /// Reads a JSON value. Fails only when the value is not an object; anything that does not
    /// fit a typed field is kept in [`Model::extra`].
    fn from_value(value: Value) -> Result<Self, serde_json::Error>;

    /// The JSON value: original keys in their original order, then keys set in code.
    fn to_value(&self) -> Value;

    /// Keys not held by a typed field: unknown keys, and documented keys whose value is `null`
    /// or not of the documented type.
    fn extra(&self) -> &Map<String, Value>;

    /// Mutable access to [`Model::extra`] (remove a key here to drop it from the output).
    fn extra_mut(&mut self) -> &mut Map<String, Value>;
}

impl AppVariableDefinition {
    /// Whether the value must be treated as secret: `type` is `SECRET`, or anything other than
    /// the documented `GENERAL` (unknown or malformed types are treated as secret, to be safe).
    pub fn is_secret(&self) -> bool {
        match &self.r#type {
            Some(AppVariableDefinitionType::General) => false,
            Some(_) => true,
            None => self.extra.contains_key("type"),
        }
    }

    /// Debug shows `***` for a secret value, except ciphertext, which it shows as `EV[…]`.
    pub(crate) fn debug_masks_value(&self) -> bool {
        self.is_secret()
            && !self
                .value
                .as_deref()
                .is_some_and(|value| value.starts_with("EV["))
    }
}

/// One API operation and the schemas of its JSON bodies (names as in [`schema_names`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operation {
    /// The OpenAPI `operationId` (`"apps_get"`).
    pub operation_id: &'static str,
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path template (`"/v2/apps/{id}"`).
    pub path: &'static str,
    /// Schema of the JSON request body, if any.
    pub request_schema: Option<&'static str>,
    /// Schema of the JSON success response body, if any (`None`: empty body).
    pub response_schema: Option<&'static str>,
}

/// Deserializes `value` into the typed model for `schema` (a name from [`schema_names`]) and
/// serializes it back. `None` when the schema is unknown.
pub fn roundtrip_schema(schema: &str, value: Value) -> Option<Result<Value, serde_json::Error>> {
    generated::roundtrip_generated(schema, value)
}

/// Every schema name [`roundtrip_schema`] knows, in bundle order.
pub fn schema_names() -> &'static [&'static str] {
    generated::SCHEMA_NAMES
}
