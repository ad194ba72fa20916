//! Request bodies: JSON objects, with Infisical-shaped errors (axum's own rejections are
//! plain text), and the scrubber for tokens a body carries.

use axum::extract::{FromRequest, Request};
use bytes::Bytes;
use serde_json::{Map, Value};

use super::error::ApiError;
use crate::client::Scrubber;

/// A JSON object body. An empty body counts as `{}`.
pub struct JsonBody(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::new(e.status(), e.body_text()))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(Map::new()));
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(ApiError::bad_request("body must be a JSON object")),
            // serde's message names a position, never the content.
            Err(e) => Err(ApiError::bad_request(format!(
                "body is not valid JSON: {e}"
            ))),
        }
    }
}

/// Every string under a `credentials`, `apiToken` or `token` key of the body, to scrub
/// from error messages.
pub fn token_scrubber(body: &Map<String, Value>) -> Scrubber {
    fn walk(v: &Value, secret: bool, out: &mut Scrubber) {
        match v {
            Value::String(s) if secret => out.add(s),
            Value::Object(m) => {
                for (k, v) in m {
                    let secretish = matches!(
                        k.as_str(),
                        "credentials"
                            | "apiToken"
                            | "api_token"
                            | "token"
                            | "client_secret"
                            | "secrets"
                    );
                    walk(v, secret || secretish, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, secret, out)),
            _ => {}
        }
    }
    let mut scrubber = Scrubber::new();
    for (k, v) in body {
        let secretish = matches!(
            k.as_str(),
            "credentials" | "apiToken" | "api_token" | "token" | "source"
        );
        walk(v, secretish && k != "source", &mut scrubber);
        if k == "source" {
            walk(v, false, &mut scrubber);
        }
    }
    scrubber
}
