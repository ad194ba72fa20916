//! Lazy pagination over DigitalOcean list operations: `per_page=200`, then `links.pages.next`
//! as long as it stays on the base origin, up to the client's page cap.
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;

use bytes::Bytes;
use futures::{Stream, TryStreamExt};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use url::Url;

use super::error::Error;
use super::operations::Operation;
use super::transport::{Client, Response};
use super::urls;

/// DigitalOcean's maximum page size.
pub const MAX_PER_PAGE: u32 = 200;

enum Next {
    Url(Url),
    /// A deferred failure (bad parameters, off-origin link), reported by the next call.
    Failed(Error),
    Done,
}

/// A lazy page cursor. Owns a `Client` clone, so it can outlive the borrow it came from.
pub struct Pages {
    client: Client,
    op: &'static Operation,
    list_key: &'static str,
    next: Next,
    pages_fetched: usize,
}

impl fmt::Debug for Pages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("operation", &self.op.name)
            .field("pages_fetched", &self.pages_fetched)
            .field("done", &matches!(self.next, Next::Done))
            .finish()
    }
}

impl Pages {
    pub(crate) fn new(
        client: Client,
        op: &'static Operation,
        path_params: &[(&str, &str)],
        query: &[(String, String)],
    ) -> Self {
        let next = match op.list_key {
            None => Next::Failed(Error::Config(format!(
                "operation {} is not a paginated list",
                op.name
            ))),
            Some(_) => {
                let mut query = query.to_vec();
                if !query.iter().any(|(k, _)| k == "per_page") {
                    query.push(("per_page".into(), MAX_PER_PAGE.to_string()));
                }
                match urls::operation_url(client.base_url(), op, path_params, &query) {
                    Ok(url) => Next::Url(url),
                    Err(e) => Next::Failed(e),
                }
            }
        };
        Pages {
            client,
            op,
            list_key: op.list_key.unwrap_or(""),
            next,
            pages_fetched: 0,
        }
    }

    pub fn pages_fetched(&self) -> usize {
        self.pages_fetched
    }

    /// Whether another page is to be fetched (a failure to report counts as one).
    pub fn has_next(&self) -> bool {
        !matches!(self.next, Next::Done)
    }

    /// The raw body of the next page; `None` once the listing is complete.
    pub async fn next_page(&mut self) -> Result<Option<Bytes>, Error> {
        let Some(response) = self.fetch().await? else {
            return Ok(None);
        };
        let page: Page<ItemCount> = self.parse(&response)?;
        self.advance(page.next, page.items.map_or(0, |c| c.0));
        Ok(Some(response.body))
    }

    /// The next page's items as raw JSON texts, checked and split in one pass without
    /// building values, so the caller can decode them one at a time.
    pub async fn next_page_items(&mut self) -> Result<Option<PageItems>, Error> {
        let Some(response) = self.fetch().await? else {
            return Ok(None);
        };
        let (spans, next) = {
            let page: Page<Vec<&RawValue>> = self.parse(&response)?;
            let start = response.body.as_ptr() as usize;
            let spans: Vec<Range<usize>> = page
                .items
                .unwrap_or_default()
                .iter()
                .map(|raw| {
                    let text = raw.get();
                    let at = text.as_ptr() as usize - start;
                    at..at + text.len()
                })
                .collect();
            (spans, page.next)
        };
        self.advance(next, spans.len());
        Ok(Some(PageItems {
            body: response.body,
            spans,
        }))
    }

    /// The items under the operation's list key, one by one, fetching pages as needed.
    pub fn into_item_stream(self) -> impl Stream<Item = Result<serde_json::Value, Error>> + Send {
        futures::stream::try_unfold(self, |mut pages| async move {
            let Some(response) = pages.fetch().await? else {
                return Ok(None);
            };
            let page: Page<Vec<serde_json::Value>> = pages.parse(&response)?;
            let items = page.items.unwrap_or_default();
            pages.advance(page.next, items.len());
            Ok(Some((
                futures::stream::iter(items.into_iter().map(Ok)),
                pages,
            )))
        })
        .try_flatten()
    }

    /// Sends the request for the next page. A failed request leaves the cursor in place so
    /// the caller may try again.
    async fn fetch(&mut self) -> Result<Option<Response>, Error> {
        let url = match std::mem::replace(&mut self.next, Next::Done) {
            Next::Done => return Ok(None),
            Next::Failed(error) => return Err(error),
            Next::Url(url) => url,
        };
        if self.pages_fetched >= self.client.max_pages() {
            self.next = Next::Url(url);
            return Err(Error::PageLimit {
                pages: self.pages_fetched,
            });
        }
        match self
            .client
            .execute(
                self.op.method.clone(),
                url.clone(),
                None,
                self.op.is_retryable(),
            )
            .await
        {
            Ok(response) => {
                self.pages_fetched += 1;
                Ok(Some(response))
            }
            Err(error) => {
                self.next = Next::Url(url);
                Err(error)
            }
        }
    }

    /// Reads a page; a body that is not a list page ends the listing with a decode error.
    fn parse<'b, T: Deserialize<'b>>(&self, response: &'b Response) -> Result<Page<T>, Error> {
        let mut deserializer = serde_json::Deserializer::from_slice(&response.body);
        let seed = PageSeed::<T> {
            list_key: self.list_key,
            marker: PhantomData,
        };
        seed.deserialize(&mut deserializer)
            .and_then(|page| deserializer.end().map(|()| page))
            .map_err(|e| {
                Error::decode(
                    response.status,
                    &e,
                    &response.body,
                    response.request_id.clone(),
                )
            })
    }

    /// Decides where the cursor goes after a page with `item_count` items.
    fn advance(&mut self, next: Option<String>, item_count: usize) {
        self.next = match next {
            _ if item_count == 0 => Next::Done,
            None => Next::Done,
            Some(link) => {
                let base = self.client.base_url();
                match Url::parse(&link).or_else(|_| base.join(&link)) {
                    Ok(url) if urls::same_origin(&url, base) => Next::Url(url),
                    Ok(url) => {
                        tracing::warn!(
                            operation = self.op.name,
                            "refusing an off-origin next link"
                        );
                        Next::Failed(Error::OffOrigin {
                            url: urls::display_without_query(&url),
                        })
                    }
                    Err(e) => Next::Failed(Error::Decode {
                        status: 200,
                        message: format!("invalid links.pages.next: {e}"),
                        excerpt: String::new(),
                        request_id: None,
                    }),
                }
            }
        };
    }
}

/// The items of one page: the page's body and where each item's JSON text lies in it.
#[derive(Debug, Clone)]
pub struct PageItems {
    body: Bytes,
    spans: Vec<Range<usize>>,
}

impl PageItems {
    /// Each item's JSON text, in page order.
    pub fn items(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        self.spans.iter().map(|span| &self.body[span.clone()])
    }
}

/// What pagination needs from a page: the items (counted or collected) and the next link.
/// Everything else is skipped without building values.
struct Page<T> {
    items: Option<T>,
    next: Option<String>,
}

#[derive(Deserialize)]
struct Links {
    pages: Option<PageLinks>,
}

#[derive(Deserialize)]
struct PageLinks {
    next: Option<String>,
}

struct PageSeed<T> {
    list_key: &'static str,
    marker: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for PageSeed<T> {
    type Value = Page<T>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Page<T>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for PageSeed<T> {
    type Value = Page<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a list page object with `{}` and `links`", self.list_key)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Page<T>, A::Error> {
        let mut page = Page {
            items: None,
            next: None,
        };
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == self.list_key {
                page.items = map.next_value::<Option<T>>()?;
            } else if key == "links" {
                let links = map.next_value::<Option<Links>>()?;
                page.next = links.and_then(|l| l.pages).and_then(|p| p.next);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(page)
    }
}

/// Counts the elements of a JSON array without materialising them.
struct ItemCount(usize);

impl<'de> Deserialize<'de> for ItemCount {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CountVisitor;
        impl<'de> Visitor<'de> for CountVisitor {
            type Value = ItemCount;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of items")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ItemCount, A::Error> {
                let mut n = 0;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    n += 1;
                }
                Ok(ItemCount(n))
            }
        }
        deserializer.deserialize_seq(CountVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<'a, T: Deserialize<'a>>(json: &'a str) -> Page<T> {
        let mut d = serde_json::Deserializer::from_str(json);
        PageSeed::<T> {
            list_key: "apps",
            marker: PhantomData,
        }
        .deserialize(&mut d)
        .unwrap()
    }

    #[test]
    fn reads_only_items_and_next_link() {
        let json = r#"{"apps":[{"id":"a","spec":{"x":[1,2]}},{"id":"b"}],"links":{"pages":{"last":"l","next":"https://api.digitalocean.com/v2/apps?page=2"}},"meta":{"total":3}}"#;
        let page: Page<ItemCount> = parse(json);
        assert_eq!(page.items.unwrap().0, 2);
        assert_eq!(
            page.next.as_deref(),
            Some("https://api.digitalocean.com/v2/apps?page=2")
        );
        let page: Page<Vec<serde_json::Value>> = parse(json);
        assert_eq!(page.items.unwrap()[1]["id"], "b");
        let page: Page<Vec<&RawValue>> = parse(json);
        let raw: Vec<&str> = page.items.unwrap().iter().map(|r| r.get()).collect();
        assert_eq!(raw, [r#"{"id":"a","spec":{"x":[1,2]}}"#, r#"{"id":"b"}"#]);
    }

    #[test]
    fn tolerates_missing_or_null_links_and_items() {
        let page: Page<ItemCount> = parse(r#"{"links":{},"meta":{"total":0}}"#);
        assert!(page.items.is_none() && page.next.is_none());
        let page: Page<ItemCount> = parse(r#"{"apps":null,"links":null}"#);
        assert!(page.items.is_none() && page.next.is_none());
        let page: Page<ItemCount> = parse(r#"{"apps":[],"links":{"pages":null}}"#);
        assert_eq!(page.items.unwrap().0, 0);
    }
}
