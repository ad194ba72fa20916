//! Secrets given directly in the configuration: `{"type":"inline","secrets":{...}}`.

use indexmap::IndexMap;
use secrecy::{ExposeSecret, SecretString};

use super::SourceSecrets;

/// A fixed mapping. Its values are secrets: they go only into the secret part of
/// [`SourceSpec::split`](super::SourceSpec::split) and never into Debug output.
#[derive(Clone, Default)]
pub struct InlineSource {
    pub secrets: IndexMap<String, SecretString>,
}

impl std::fmt::Debug for InlineSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InlineSource")
            .field("keys", &self.secrets.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl InlineSource {
    pub(crate) fn read(&self) -> SourceSecrets {
        self.secrets
            .iter()
            .map(|(k, v)| (k.clone(), v.expose_secret().to_string()))
            .collect()
    }

    pub(crate) fn describe(&self) -> String {
        match self.secrets.len() {
            1 => "inline: 1 key".to_string(),
            n => format!("inline: {n} keys"),
        }
    }
}
