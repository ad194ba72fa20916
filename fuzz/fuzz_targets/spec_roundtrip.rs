//! App spec text round trips: arbitrary JSON or YAML either fails to read with an error
//! (never a panic), or reads into an `AppSpec` that writes back as JSON byte-identical to
//! the normalized input (the same document through `serde_json::Value`, key order
//! preserved), and survives JSON -> YAML -> JSON unchanged.
#![no_main]

use do_envsync::models::AppSpec;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let yaml = selector & 1 == 1;
    let (parsed, normalized) = if yaml {
        (
            AppSpec::from_yaml_str(text),
            serde_yaml_ng::from_str::<Value>(text).ok(),
        )
    } else {
        (
            AppSpec::from_json_str(text),
            serde_json::from_str::<Value>(text).ok(),
        )
    };
    let spec = match parsed {
        Ok(spec) => spec,
        Err(err) => {
            let _ = err.to_string();
            return;
        }
    };
    let normalized = normalized.expect("the spec parsed, so the document does");
    let json = spec.to_json_string(false);
    assert_eq!(
        json,
        serde_json::to_string(&normalized).unwrap(),
        "the spec does not write back as it was read"
    );
    let pretty = spec.to_json_string(true);
    assert_eq!(
        serde_json::from_str::<Value>(&pretty).unwrap(),
        normalized,
        "pretty JSON differs"
    );

    let yaml_text = match spec.to_yaml_string() {
        Ok(text) => text,
        Err(err) => {
            let _ = err.to_string();
            return;
        }
    };
    let again = AppSpec::from_yaml_str(&yaml_text)
        .unwrap_or_else(|e| panic!("written YAML does not read back: {e}\n{yaml_text}"));
    assert_eq!(
        again.to_json_string(false),
        json,
        "JSON -> YAML -> JSON changed the spec:\n{yaml_text}"
    );
});
