//! DigitalOcean collection pagination: `page`, `per_page` (default 20, max 200),
//! `links.pages.{first,prev,next,last}` as absolute URLs, `meta.total`.

use serde::Serialize;
use serde_json::{Map, Value};

use super::errors::ApiError;

pub(crate) const DEFAULT_PER_PAGE: usize = 20;
pub(crate) const MAX_PER_PAGE: usize = 200;

/// Decoded query string, in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query(pub(crate) Vec<(String, String)>);

impl Query {
    pub(crate) fn parse(raw: Option<&str>) -> Query {
        Query(
            raw.map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default(),
        )
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// All values of a repeated (or comma-separated) list parameter.
    pub(crate) fn list(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key || k.strip_suffix("[]") == Some(key))
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    pub(crate) page: usize,
    pub(crate) per_page: usize,
}

fn positive(query: &Query, key: &str, default: usize, max: usize) -> Result<usize, ApiError> {
    match query.get(key) {
        None => Ok(default),
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                if max == usize::MAX {
                    ApiError::invalid(format!("{key} must be a positive integer"))
                } else {
                    ApiError::invalid(format!("{key} must be an integer between 1 and {max}"))
                }
            }),
    }
}

impl Page {
    pub(crate) fn from_query(query: &Query) -> Result<Page, ApiError> {
        Ok(Page {
            page: positive(query, "page", 1, usize::MAX)?,
            per_page: positive(query, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)?,
        })
    }

    /// The index range of this page within `total` items.
    pub(crate) fn range(&self, total: usize) -> std::ops::Range<usize> {
        let start = (self.page - 1).saturating_mul(self.per_page).min(total);
        let end = start.saturating_add(self.per_page).min(total);
        start..end
    }

    pub(crate) fn last_page(&self, total: usize) -> usize {
        total.div_ceil(self.per_page).max(1)
    }
}

#[derive(Serialize)]
pub(crate) struct Links {
    pub(crate) pages: Map<String, Value>,
}

#[derive(Serialize)]
pub(crate) struct Meta {
    pub(crate) total: usize,
}

/// Builds `links` for one page, on `origin` (scheme://host:port) and `path`, keeping
/// the request's other query parameters.
pub(crate) fn links(origin: &str, path: &str, query: &Query, page: Page, total: usize) -> Links {
    let last = page.last_page(total);
    let url = |n: usize| {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        out.append_pair("page", &n.to_string());
        out.append_pair("per_page", &page.per_page.to_string());
        for (k, v) in &query.0 {
            if k != "page" && k != "per_page" {
                out.append_pair(k, v);
            }
        }
        Value::String(format!("{origin}{path}?{}", out.finish()))
    };
    let mut pages = Map::new();
    if page.page > 1 {
        pages.insert("first".into(), url(1));
        pages.insert("prev".into(), url((page.page - 1).min(last)));
    }
    if page.page < last {
        pages.insert("next".into(), url(page.page + 1));
        pages.insert("last".into(), url(last));
    }
    Links { pages }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(raw: &str) -> Query {
        Query::parse(Some(raw))
    }

    #[test]
    fn page_parsing_and_bounds() {
        assert_eq!(
            Page::from_query(&Query::default()).unwrap(),
            Page {
                page: 1,
                per_page: 20
            }
        );
        assert!(Page::from_query(&q("per_page=201")).is_err());
        assert!(Page::from_query(&q("per_page=0")).is_err());
        assert!(Page::from_query(&q("page=0")).is_err());
        assert!(Page::from_query(&q("page=x")).is_err());
        let p = Page::from_query(&q("page=3&per_page=200")).unwrap();
        assert_eq!(p.range(450), 400..450);
        assert_eq!(p.last_page(450), 3);
        assert_eq!(
            Page {
                page: 9,
                per_page: 10
            }
            .range(5),
            5..5
        );
    }

    #[test]
    fn links_per_position() {
        let origin = "http://127.0.0.1:1";
        let first = links(
            origin,
            "/v2/apps",
            &q("per_page=200"),
            Page {
                page: 1,
                per_page: 200,
            },
            450,
        );
        assert_eq!(first.pages.keys().collect::<Vec<_>>(), vec!["next", "last"]);
        assert_eq!(
            first.pages["next"],
            "http://127.0.0.1:1/v2/apps?page=2&per_page=200"
        );
        assert_eq!(
            first.pages["last"],
            "http://127.0.0.1:1/v2/apps?page=3&per_page=200"
        );
        let mid = links(
            origin,
            "/v2/apps",
            &Query::default(),
            Page {
                page: 2,
                per_page: 200,
            },
            450,
        );
        assert_eq!(mid.pages.len(), 4);
        let last = links(
            origin,
            "/v2/apps",
            &q("x=1"),
            Page {
                page: 3,
                per_page: 200,
            },
            450,
        );
        assert_eq!(last.pages.keys().collect::<Vec<_>>(), vec!["first", "prev"]);
        assert_eq!(
            last.pages["prev"],
            "http://127.0.0.1:1/v2/apps?page=2&per_page=200&x=1"
        );
        assert!(links(
            origin,
            "/v2/apps",
            &Query::default(),
            Page {
                page: 1,
                per_page: 20
            },
            3
        )
        .pages
        .is_empty());
        assert_eq!(q("a=x&a=y,z&b=1").list("a"), vec!["x", "y", "z"]);
    }
}
