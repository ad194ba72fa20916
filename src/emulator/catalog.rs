//! Static App Platform catalogs (instance sizes, regions), taken from the examples of
//! DigitalOcean's OpenAPI bundle. The legacy size slugs (`basic-xxs` … `professional-xl`,
//! listed as deprecated in the bundle's `instance_size_slug` enum and still accepted) come
//! from DigitalOcean's earlier `instance_sizes` example, which listed them with their
//! tiers and prices; they carry `deprecation_intent: true`.

use std::sync::LazyLock;

use serde_json::{json, Value};

static INSTANCE_SIZES: LazyLock<Vec<Value>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("fixtures/instance_sizes.json"))
        .expect("instance size fixture is valid JSON")
});

static REGIONS: LazyLock<Vec<Value>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("fixtures/regions.json"))
        .expect("region fixture is valid JSON")
});

/// Region used when a spec names none (App Platform picks the nearest; we pick the default).
pub(crate) const DEFAULT_REGION: &str = "nyc";

pub(crate) fn instance_sizes() -> &'static [Value] {
    &INSTANCE_SIZES
}

pub(crate) fn instance_size(slug: &str) -> Option<&'static Value> {
    INSTANCE_SIZES
        .iter()
        .find(|s| s.get("slug").and_then(Value::as_str) == Some(slug))
}

pub(crate) fn regions() -> &'static [Value] {
    &REGIONS
}

/// The region object of an app; an unknown slug (region slugs are free-form) gets a
/// minimal object naming it.
pub(crate) fn region(slug: &str) -> Value {
    REGIONS
        .iter()
        .find(|r| r.get("slug").and_then(Value::as_str) == Some(slug))
        .cloned()
        .unwrap_or_else(|| json!({"slug": slug, "label": slug, "data_centers": []}))
}

/// Monthly price in USD of one instance of a size (0 for unknown sizes).
pub(crate) fn monthly_usd(slug: &str) -> f64 {
    instance_size(slug)
        .and_then(|s| s.get("usd_per_month"))
        .and_then(Value::as_str)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0)
}

/// `professional` when any component uses a professional-tier size, else `basic`.
pub(crate) fn tier_of(slugs: impl IntoIterator<Item = String>) -> &'static str {
    let professional = slugs.into_iter().any(|slug| {
        instance_size(&slug)
            .and_then(|s| s.get("tier_slug"))
            .and_then(Value::as_str)
            == Some("professional")
    });
    if professional {
        "professional"
    } else {
        "basic"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_load() {
        assert!(instance_sizes().len() > 5);
        assert!(instance_size("apps-s-1vcpu-0.5gb").is_some());
        assert!(instance_size("nope").is_none());
        assert_eq!(region("ams")["label"], "Amsterdam");
        assert_eq!(region("xyz")["slug"], "xyz");
        assert!(regions().iter().any(|r| r["slug"] == DEFAULT_REGION));
        assert_eq!(monthly_usd("apps-s-1vcpu-0.5gb"), 5.0);
        assert_eq!(tier_of(["apps-s-1vcpu-1gb".to_string()]), "professional");
        assert_eq!(tier_of(Vec::new()), "basic");
        // Legacy slugs the API still accepts, priced and tiered as DigitalOcean listed them.
        assert_eq!(monthly_usd("basic-xxs"), 5.0);
        assert_eq!(monthly_usd("professional-xl"), 300.0);
        assert_eq!(tier_of(["basic-m".to_string()]), "basic");
        assert_eq!(tier_of(["professional-xs".to_string()]), "professional");
    }
}
