//! Where env lists and components live inside an app spec (`serde_json::Value`).

use serde_json::Value;

/// Component kinds whose entries carry an `envs` list.
pub(crate) const ENV_COMPONENT_KINDS: [&str; 5] =
    ["services", "workers", "jobs", "static_sites", "functions"];

/// Every component kind; names must be unique across all of them.
pub(crate) const COMPONENT_KINDS: [&str; 6] = [
    "services",
    "workers",
    "jobs",
    "static_sites",
    "functions",
    "databases",
];

/// Location of one env list: app level (`envs`) or `<kind>[<index>].envs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnvListPath {
    pub(crate) component: Option<(&'static str, usize)>,
}

impl EnvListPath {
    pub(crate) fn display(&self) -> String {
        match self.component {
            None => "envs".to_string(),
            Some((kind, index)) => format!("{kind}[{index}].envs"),
        }
    }
}

fn kind_of(key: &str) -> Option<&'static str> {
    ENV_COMPONENT_KINDS.iter().copied().find(|k| *k == key)
}

/// All env lists of a spec (only those that are JSON arrays), in spec key order.
pub(crate) fn env_lists(spec: &Value) -> Vec<(EnvListPath, &Vec<Value>)> {
    let mut out = Vec::new();
    let Some(obj) = spec.as_object() else {
        return out;
    };
    for (key, value) in obj {
        if key == "envs" {
            if let Value::Array(list) = value {
                out.push((EnvListPath { component: None }, list));
            }
        } else if let (Some(kind), Value::Array(components)) = (kind_of(key), value) {
            for (index, component) in components.iter().enumerate() {
                if let Some(Value::Array(list)) = component.get("envs") {
                    out.push((
                        EnvListPath {
                            component: Some((kind, index)),
                        },
                        list,
                    ));
                }
            }
        }
    }
    out
}

/// Mutable twin of [`env_lists`].
pub(crate) fn env_lists_mut(spec: &mut Value) -> Vec<(EnvListPath, &mut Vec<Value>)> {
    let mut out = Vec::new();
    let Some(obj) = spec.as_object_mut() else {
        return out;
    };
    for (key, value) in obj.iter_mut() {
        if key == "envs" {
            if let Value::Array(list) = value {
                out.push((EnvListPath { component: None }, list));
            }
        } else if let (Some(kind), Value::Array(components)) = (kind_of(key), value) {
            for (index, component) in components.iter_mut().enumerate() {
                if let Some(Value::Array(list)) = component.get_mut("envs") {
                    out.push((
                        EnvListPath {
                            component: Some((kind, index)),
                        },
                        list,
                    ));
                }
            }
        }
    }
    out
}

/// `(kind, component)` for every component of the spec, in spec order.
pub(crate) fn components(spec: &Value) -> Vec<(&'static str, &Value)> {
    let mut out = Vec::new();
    for kind in COMPONENT_KINDS {
        if let Some(Value::Array(list)) = spec.get(kind) {
            out.extend(list.iter().map(|c| (kind, c)));
        }
    }
    out
}

/// Names of the components of one kind.
pub(crate) fn component_names<'a>(spec: &'a Value, kind: &str) -> Vec<&'a str> {
    match spec.get(kind) {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|c| c.get("name").and_then(Value::as_str))
            .collect(),
        _ => Vec::new(),
    }
}

/// True when the spec has a component (of any kind) with this name.
pub(crate) fn has_component(spec: &Value, name: &str) -> bool {
    components(spec)
        .iter()
        .any(|(_, c)| c.get("name").and_then(Value::as_str) == Some(name))
}
