//! Key schemas: parsing never panics, and rendering and matching are inverses.
//!
//! For every template `parse` accepts and every source key, `managed(render(k)) == k`
//! (the empty key excepted: an empty middle is never managed), and every destination key
//! `managed` claims renders back to itself, so the sync's boundary is exactly the set of
//! keys it can write.
#![no_main]

use arbitrary::Arbitrary;
use do_envsync::sync::{KeySchema, KeySchemaError};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    /// Picks a template built from schema-like parts (most inputs), or uses `raw`.
    parts: Vec<Part<'a>>,
    raw: Option<&'a str>,
    source_key: &'a str,
    environment: Option<&'a str>,
    other_key: &'a str,
}

#[derive(Arbitrary, Debug)]
enum Part<'a> {
    SecretKey,
    Environment,
    Underscore,
    Text(&'a str),
}

fn template(input: &Input<'_>) -> String {
    if let Some(raw) = input.raw {
        return raw.to_owned();
    }
    input
        .parts
        .iter()
        .map(|p| match p {
            Part::SecretKey => "{{secretKey}}",
            Part::Environment => "{{environment}}",
            Part::Underscore => "_",
            Part::Text(t) => t,
        })
        .collect()
}

fuzz_target!(|input: Input<'_>| {
    let template = template(&input);
    let schema = match KeySchema::parse(&template) {
        Ok(schema) => schema,
        Err(err) => {
            // A refusal is a message, never a panic; the message never echoes the template.
            let _ = err.to_string();
            return;
        }
    };
    assert_eq!(schema.as_str(), template);
    assert_eq!(KeySchema::parse(schema.as_str()).as_ref(), Ok(&schema));
    assert!(template.chars().count() <= 255);
    assert_eq!(template.matches("{{secretKey}}").count(), 1);

    let env = input.environment;
    let rendered = match schema.render(input.source_key, env) {
        Ok(rendered) => rendered,
        Err(KeySchemaError::MissingEnvironment) => {
            assert!(schema.uses_environment() && env.is_none());
            assert_eq!(
                schema.managed(input.other_key, env),
                Err(KeySchemaError::MissingEnvironment)
            );
            return;
        }
        Err(other) => panic!("render failed on a parsed schema: {other}"),
    };
    let (prefix, suffix) = schema.affixes(env).expect("render succeeded");
    assert_eq!(rendered, format!("{prefix}{}{suffix}", input.source_key));

    let back = schema.managed(&rendered, env).expect("render succeeded");
    if input.source_key.is_empty() {
        assert_eq!(back, None, "an empty middle is never managed");
    } else {
        assert_eq!(back.as_deref(), Some(input.source_key));
    }

    // Whatever `managed` claims renders back to exactly that key.
    if let Some(source) = schema
        .managed(input.other_key, env)
        .expect("render succeeded")
    {
        assert!(!source.is_empty());
        assert_eq!(schema.render(&source, env).unwrap(), input.other_key);
    } else {
        // And whatever it refuses is not a rendering of any non-empty key.
        let k = input.other_key;
        let is_rendering = k.len() > prefix.len() + suffix.len()
            && k.starts_with(prefix.as_str())
            && k.ends_with(suffix.as_str());
        assert!(
            !is_rendering,
            "{k:?} renders from a source key but is not managed"
        );
    }
});
