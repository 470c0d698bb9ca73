//! Walking the pages of a paged listing as one [`Stream`] of its items.
//!
//! The listings whose payload is a [`Page`] (`total`, `previous`, `next`, `list`) and that take a
//! `page` query parameter (`getPaymentsByStatus`, `getAllPaymentsByMerchantUid`,
//! `customer_payments`) are walked by [`pages`]: it asks for page 1, yields its items, then
//! follows `next` until it is 0. An error (of any page) is yielded once and ends the stream.
//!
//! ```no_run
//! use iamport_client::{Error, IamportClient, pages};
//!
//! # async fn run() -> Result<(), Error> {
//! let client = IamportClient::new("imp_key", "imp_secret")?;
//! let mut paid = pages(|page| client.get_payments_by_status("paid").page(page));
//! while let Some(payment) = paid.next_item().await {
//!     let payment = payment?;
//!     println!("{} {} {}", *payment.imp_uid, *payment.merchant_uid, payment.amount);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! [`Pages`] is a [`futures_core::Stream`], so the `futures` combinators work on it too.

use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use crate::error::Error;
use crate::types::{PagedPaymentAnnotation, PaymentAnnotation};

/// A payload that is one page of a listing.
pub trait Page {
    /// One element of the page's list.
    type Item;
    /// The number of the page after this one; 0 when this is the last.
    fn next_page(&self) -> i64;
    /// The page's elements, in order.
    fn into_items(self) -> Vec<Self::Item>;
}

impl Page for PagedPaymentAnnotation {
    type Item = PaymentAnnotation;

    fn next_page(&self) -> i64 {
        self.next
    }

    fn into_items(self) -> Vec<PaymentAnnotation> {
        self.list.unwrap_or_default()
    }
}

type PageFuture<'a, P> = Pin<Box<dyn Future<Output = Result<P, Error>> + Send + 'a>>;
type Fetch<'a, P> = Box<dyn FnMut(i64) -> PageFuture<'a, P> + Send + 'a>;

/// The items of every page of a listing: `fetch(page)` makes the request for one page (usually
/// the generated request with `.page(page)` set). See the [module docs](self).
pub fn pages<'a, P, F, R>(mut fetch: F) -> Pages<'a, P>
where
    P: Page + 'a,
    F: FnMut(i64) -> R + Send + 'a,
    R: IntoFuture<Output = Result<P, Error>>,
    R::IntoFuture: Send + 'a,
{
    Pages {
        fetch: Box::new(move |page| Box::pin(fetch(page).into_future())),
        pending: None,
        items: VecDeque::new(),
        page: 0,
        next: Some(1),
        trailing: None,
    }
}

/// The [`Stream`] made by [`pages`]: every item of every page, in order, then the end; or, at the
/// first error, that error once and the end.
#[must_use = "a stream does nothing unless polled"]
pub struct Pages<'a, P: Page> {
    fetch: Fetch<'a, P>,
    /// The request for page `page`, while it runs.
    pending: Option<PageFuture<'a, P>>,
    /// Items of the last page not yet yielded.
    items: VecDeque<P::Item>,
    /// The page last asked for.
    page: i64,
    /// The page to ask for once `items` is empty; `None` when there is none.
    next: Option<i64>,
    /// An error to yield once `items` is empty (a page with a bad `next`).
    trailing: Option<Error>,
}

impl<P: Page> Pages<'_, P> {
    /// The next item, or `None` at the end: the stream's `next` without a `futures` import.
    pub async fn next_item(&mut self) -> Option<Result<P::Item, Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Every item of every page, or the first error.
    pub async fn collect_all(mut self) -> Result<Vec<P::Item>, Error> {
        let mut all = Vec::new();
        while let Some(item) = self.next_item().await {
            all.push(item?);
        }
        Ok(all)
    }
}

// Nothing is pinned in place: the futures are boxed.
impl<P: Page> Unpin for Pages<'_, P> {}

impl<P: Page> Stream for Pages<'_, P> {
    type Item = Result<P::Item, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(item) = this.items.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            if let Some(pending) = &mut this.pending {
                let result = match pending.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(result) => result,
                };
                this.pending = None;
                match result {
                    Err(error) => {
                        this.next = None;
                        return Poll::Ready(Some(Err(error)));
                    }
                    Ok(page) => {
                        let next = page.next_page();
                        this.items.extend(page.into_items());
                        if next == 0 {
                            this.next = None;
                        } else if next <= this.page {
                            // Following it could loop forever.
                            this.next = None;
                            this.trailing = Some(Error::InvalidPage {
                                page: this.page,
                                next,
                            });
                        } else {
                            this.next = Some(next);
                        }
                    }
                }
                continue;
            }
            match this.next.take() {
                Some(page) => {
                    this.page = page;
                    this.pending = Some((this.fetch)(page));
                }
                None => return Poll::Ready(this.trailing.take().map(Err)),
            }
        }
    }
}

impl<P: Page> fmt::Debug for Pages<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("page", &self.page)
            .field("next", &self.next)
            .field("buffered", &self.items.len())
            .field("running", &self.pending.is_some())
            .finish_non_exhaustive()
    }
}
