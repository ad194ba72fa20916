//! A listing that reads ahead: once the caller has asked for a second page, each page is
//! requested in the background while the caller works through the one before it, so the
//! server's time and the network overlap the caller's decoding. A listing abandoned after
//! its first page costs no extra request; one abandoned later costs at most one.
use std::fmt;

use tokio::task::JoinHandle;

use super::error::Error;
use super::pagination::{PageItems, Pages};

/// Pages delivered before reading ahead starts.
const READ_AHEAD_AFTER: usize = 2;

type Fetched = (Box<Pages>, Result<Option<PageItems>, Error>);

enum State {
    Ready(Box<Pages>),
    InFlight(JoinHandle<Fetched>),
    /// The caller dropped a call while it awaited a page read ahead: the cursor went with it.
    Lost,
}

/// [`Pages`] with read-ahead. Needs a tokio runtime to read ahead on.
pub struct PrefetchPages {
    state: State,
    delivered: usize,
}

impl fmt::Debug for PrefetchPages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrefetchPages")
            .field("delivered", &self.delivered)
            .field("in_flight", &matches!(self.state, State::InFlight(_)))
            .finish()
    }
}

impl PrefetchPages {
    pub fn new(pages: Pages) -> Self {
        Self {
            state: State::Ready(Box::new(pages)),
            delivered: 0,
        }
    }

    /// Pages handed to the caller so far.
    pub fn pages_delivered(&self) -> usize {
        self.delivered
    }

    /// The next page's items; `None` once the listing is complete. A failed page is
    /// reported here and may be asked for again, as with [`Pages::next_page_items`].
    pub async fn next(&mut self) -> Result<Option<PageItems>, Error> {
        let (pages, result) = match std::mem::replace(&mut self.state, State::Lost) {
            State::Ready(mut pages) => {
                let result = pages.next_page_items().await;
                (pages, result)
            }
            State::InFlight(task) => task
                .await
                .map_err(|e| Error::Config(format!("reading the next page ahead failed: {e}")))?,
            State::Lost => {
                return Err(Error::Config(
                    "this listing was interrupted while a page was in flight; start it again"
                        .to_owned(),
                ))
            }
        };
        let delivered = matches!(result, Ok(Some(_)));
        if delivered {
            self.delivered += 1;
        }
        self.state = if delivered && self.delivered >= READ_AHEAD_AFTER && pages.has_next() {
            State::InFlight(tokio::spawn(async move {
                let mut pages = pages;
                let result = pages.next_page_items().await;
                (pages, result)
            }))
        } else {
            State::Ready(pages)
        };
        result
    }
}

impl Drop for PrefetchPages {
    fn drop(&mut self) {
        // Nobody will read the page ahead any more: stop it (a request already sent stays sent).
        if let State::InFlight(task) = &self.state {
            task.abort();
        }
    }
}
