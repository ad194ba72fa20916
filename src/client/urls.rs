//! Building request URLs and deciding which URLs may receive the token.
use url::Url;

use super::error::Error;
use super::operations::Operation;

/// Same scheme, host and port (default ports made explicit).
pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

/// A URL for messages: no credentials, query string or fragment.
pub(crate) fn display_without_query(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    // Only fails for URLs that cannot carry credentials, which then have none to hide.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

fn append_query(url: &mut Url, query: &[(String, String)]) {
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
}

/// The URL of `op` with its path parameters filled in (percent-encoded, so a value can never
/// add a path segment) and `query` appended.
pub(crate) fn operation_url(
    base: &Url,
    op: &Operation,
    path_params: &[(&str, &str)],
    query: &[(String, String)],
) -> Result<Url, Error> {
    for (name, _) in path_params {
        if !op.path_params().any(|p| p == *name) {
            return Err(Error::Config(format!(
                "operation {} has no path parameter `{name}`",
                op.name
            )));
        }
    }
    let mut url = base.clone();
    {
        let mut segments = url
            .path_segments_mut()
            .map_err(|()| Error::Config("the base URL cannot have a path".into()))?;
        segments.pop_if_empty();
        for segment in op.path.split('/').filter(|s| !s.is_empty()) {
            let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
                segments.push(segment);
                continue;
            };
            let value = path_params
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| *v)
                .ok_or_else(|| {
                    Error::Config(format!(
                        "operation {} needs the path parameter `{name}`",
                        op.name
                    ))
                })?;
            if value.is_empty() || value == "." || value == ".." {
                return Err(Error::Config(format!(
                    "path parameter `{name}` of {} must not be empty, `.` or `..`",
                    op.name
                )));
            }
            segments.push(value);
        }
    }
    append_query(&mut url, query);
    Ok(url)
}

/// The URL for `Client::request`: a path (`/v2/...`, below the base URL's path) or an absolute
/// URL on the base origin. Anything else is refused.
pub(crate) fn raw_url(base: &Url, path: &str, query: &[(String, String)]) -> Result<Url, Error> {
    let mut url = if path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\") {
        let origin = &base[..url::Position::BeforePath];
        let prefix = base.path().trim_end_matches('/');
        let url = Url::parse(&format!("{origin}{prefix}{path}"))
            .map_err(|e| Error::Config(format!("invalid request path: {e}")))?;
        if !same_origin(&url, base) {
            return Err(Error::Config(
                "the request path leaves the base origin".into(),
            ));
        }
        url
    } else if let Ok(url) = Url::parse(path) {
        if !same_origin(&url, base) {
            return Err(Error::OffOrigin {
                url: display_without_query(&url),
            });
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::Config(
                "request URLs must not carry credentials".into(),
            ));
        }
        url
    } else {
        return Err(Error::Config(
            "a request path must start with `/` or be an absolute URL on the base origin".into(),
        ));
    };
    url.set_fragment(None);
    append_query(&mut url, query);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::operations::operation;

    fn base() -> Url {
        Url::parse("https://api.digitalocean.com").unwrap()
    }

    #[test]
    fn fills_and_encodes_path_parameters() {
        let op = operation("get_logs").unwrap();
        let url = operation_url(
            &base(),
            op,
            &[
                ("app_id", "a/b?c"),
                ("deployment_id", "d 1"),
                ("component_name", "web%"),
            ],
            &[("type".into(), "RUN".into())],
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://api.digitalocean.com/v2/apps/a%2Fb%3Fc/deployments/d%201/components/web%25/logs?type=RUN"
        );
    }

    #[test]
    fn rejects_missing_unknown_and_dot_parameters() {
        let op = operation("get").unwrap();
        assert!(matches!(
            operation_url(&base(), op, &[], &[]),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            operation_url(&base(), op, &[("id", "x"), ("other", "y")], &[]),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            operation_url(&base(), op, &[("id", "..")], &[]),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn keeps_a_base_path_prefix() {
        let base = Url::parse("http://127.0.0.1:9000/prefix/").unwrap();
        let url = operation_url(&base, operation("list").unwrap(), &[], &[]).unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:9000/prefix/v2/apps");
        let url = raw_url(&base, "/v2/account?x=1", &[("y".into(), "2".into())]).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9000/prefix/v2/account?x=1&y=2"
        );
    }

    #[test]
    fn raw_urls_stay_on_the_base_origin() {
        let b = base();
        assert!(raw_url(&b, "https://api.digitalocean.com/v2/apps", &[]).is_ok());
        assert!(raw_url(&b, "https://API.digitalocean.com:443/v2/apps", &[]).is_ok());
        assert!(matches!(
            raw_url(&b, "https://evil.example/v2/apps?token=x", &[]),
            Err(Error::OffOrigin { url }) if url == "https://evil.example/v2/apps"
        ));
        assert!(matches!(
            raw_url(&b, "http://api.digitalocean.com/v2", &[]),
            Err(Error::OffOrigin { .. })
        ));
        assert!(matches!(
            raw_url(&b, "https://api.digitalocean.com:8443/v2", &[]),
            Err(Error::OffOrigin { .. })
        ));
        assert!(matches!(
            raw_url(&b, "//evil.example/v2", &[]),
            Err(Error::Config(_))
        ));
        assert!(matches!(raw_url(&b, "v2/apps", &[]), Err(Error::Config(_))));
        assert!(matches!(
            raw_url(&b, "https://user:pw@api.digitalocean.com/v2", &[]),
            Err(Error::Config(_))
        ));
    }
}
