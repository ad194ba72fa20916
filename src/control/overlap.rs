//! Whether two syncs of one app would fight over keys: each would delete or
//! overwrite what the other writes.
//!
//! Two syncs overlap when their targets intersect (app-level `envs` with app-level,
//! or a component both name) and some key can be managed by both. Without a key
//! schema a sync manages every key; with one it manages `prefix*suffix` (non-empty
//! middle). Patterns `p1*s1` and `p2*s2` can match a common key exactly when one
//! prefix is a prefix of the other and one suffix is a suffix of the other: the key
//! `longer prefix + "X" + longer suffix` then matches both.

use crate::sync::Targets;

/// The keys a sync manages in an app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Managed {
    pub targets: Targets,
    /// Rendered (prefix, suffix) of the key schema; `None` manages every key.
    pub affixes: Option<(String, String)>,
}

/// The targets both syncs write, as labels (`(app)` or component names); empty when
/// they are disjoint.
pub fn shared_targets(a: &Targets, b: &Targets) -> Vec<String> {
    match (a, b) {
        (Targets::App, Targets::App) => vec!["(app)".to_owned()],
        (Targets::Components(x), Targets::Components(y)) => {
            x.iter().filter(|c| y.contains(c)).cloned().collect()
        }
        _ => Vec::new(),
    }
}

/// Whether some key is managed by both affix patterns.
pub fn keys_can_intersect(a: Option<&(String, String)>, b: Option<&(String, String)>) -> bool {
    match (a, b) {
        (Some((p1, s1)), Some((p2, s2))) => {
            (p1.starts_with(p2.as_str()) || p2.starts_with(p1.as_str()))
                && (s1.ends_with(s2.as_str()) || s2.ends_with(s1.as_str()))
        }
        _ => true,
    }
}

/// The targets over which `a` and `b` would fight; empty when they can coexist.
pub fn conflict(a: &Managed, b: &Managed) -> Vec<String> {
    if !keys_can_intersect(a.affixes.as_ref(), b.affixes.as_ref()) {
        return Vec::new();
    }
    shared_targets(&a.targets, &b.targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(targets: Targets, affixes: Option<(&str, &str)>) -> Managed {
        Managed {
            targets,
            affixes: affixes.map(|(p, s)| (p.to_owned(), s.to_owned())),
        }
    }

    fn comps(names: &[&str]) -> Targets {
        Targets::Components(names.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn targets() {
        let all = m(Targets::App, None);
        assert_eq!(conflict(&all, &all), vec!["(app)"]);
        assert!(conflict(&all, &m(comps(&["web"]), None)).is_empty());
        assert_eq!(
            conflict(&m(comps(&["web", "api"]), None), &m(comps(&["api"]), None)),
            vec!["api"]
        );
        assert!(conflict(&m(comps(&["web"]), None), &m(comps(&["api"]), None)).is_empty());
    }

    #[test]
    fn affixes() {
        let app = |p, s| m(Targets::App, Some((p, s)));
        // No schema manages everything.
        assert!(!conflict(&m(Targets::App, None), &app("A_", "")).is_empty());
        // Disjoint prefixes.
        assert!(conflict(&app("PROD_", ""), &app("DEV_", "")).is_empty());
        // Nested prefixes: PROD_DB_X is managed by both.
        assert!(!conflict(&app("PROD_", ""), &app("PROD_DB_", "")).is_empty());
        // Prefix vs suffix: A_X_B matches A_* and *_B.
        assert!(!conflict(&app("A_", ""), &app("", "_B")).is_empty());
        // Disjoint suffixes.
        assert!(conflict(&app("", "_V1"), &app("", "_V2")).is_empty());
        // Same prefix, disjoint suffixes.
        assert!(conflict(&app("APP_", "_V1"), &app("APP_", "_V2")).is_empty());
        // Nested suffixes with nested prefixes.
        assert!(!conflict(&app("APP_", "_V1"), &app("A", "V1")).is_empty());
    }
}
