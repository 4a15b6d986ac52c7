//! Reading an instance's task list one page at a time, for callers that may not need all
//! of it (a `terraform query` with a limit stops after the page that fills it). Every
//! page counts against the same [`Listing`] bounds as a whole-list read, and a task name
//! seen on an earlier page is not handed out again. One listing, all its pages, must end
//! within the client's `list_deadline` ([`LIST_DEADLINE`](super::transport::LIST_DEADLINE)),
//! counted from its first request; a page still in flight then is abandoned. A listed
//! task whose name is not a string is left out and reported with its page
//! ([`ListedPage::unreadable`]); it still counts for the next page's offset.

use std::sync::Arc;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::client::replication_url;
use crate::error::ApiError;
use crate::listing::{Listing, MAX_PAGES, PAGE_SIZE, TaskList, UnreadableTasks};
use crate::response::MAX_BODY_BYTES;
use crate::transport::{Call, Transport};
use crate::wire::{self, ListBody, ReplicationTask, UnreadableTask};

/// What one page brought that was not seen before.
#[derive(Debug, Default)]
pub struct ListedPage {
    /// The tasks not listed on an earlier page (none for a collecting cursor).
    pub tasks: Vec<ReplicationTask>,
    /// The tasks of this page left out because their name is not a string.
    pub unreadable: UnreadableTasks,
}

/// An instance's task list, read page by page on demand.
pub struct TaskPages {
    transport: Arc<Transport>,
    cursor: PageCursor,
}

impl TaskPages {
    pub(super) fn new(transport: Arc<Transport>, project_id: &str, instance_id: &str) -> Self {
        Self {
            transport,
            cursor: PageCursor::handing_out(project_id, instance_id),
        }
    }

    /// The tasks of the next page not seen before, and those it left out, or None after
    /// the last page.
    pub async fn next_page(
        &mut self,
        cancel: &CancellationToken,
    ) -> Result<Option<ListedPage>, ApiError> {
        self.cursor.next(&self.transport, cancel).await
    }
}

/// Where a page-by-page read of one instance's list stands.
pub(super) struct PageCursor {
    project_id: String,
    instance_id: String,
    listing: Listing,
    /// When the listing must be over; set by its first request.
    deadline: Option<Instant>,
    done: bool,
}

impl PageCursor {
    /// A cursor whose listing keeps every task ([`PageCursor::into_list`]); `next`
    /// hands out none.
    pub(super) fn collecting(project_id: &str, instance_id: &str) -> Self {
        Self::with(project_id, instance_id, Listing::new())
    }

    /// A cursor that hands each new task out once and keeps only names.
    pub(super) fn handing_out(project_id: &str, instance_id: &str) -> Self {
        Self::with(project_id, instance_id, Listing::handing_out())
    }

    fn with(project_id: &str, instance_id: &str, listing: Listing) -> Self {
        Self {
            project_id: project_id.to_string(),
            instance_id: instance_id.to_string(),
            listing,
            deadline: None,
            done: false,
        }
    }

    /// The tasks of the next page not seen before (none when collecting) and those it
    /// left out, or None after the last page.
    pub(super) async fn next(
        &mut self,
        transport: &Transport,
        cancel: &CancellationToken,
    ) -> Result<Option<ListedPage>, ApiError> {
        if self.done {
            return Ok(None);
        }
        let result = self.read_page(transport, cancel).await;
        if !matches!(result, Ok(Some(_))) {
            self.done = true;
        }
        result
    }

    async fn read_page(
        &mut self,
        transport: &Transport,
        cancel: &CancellationToken,
    ) -> Result<Option<ListedPage>, ApiError> {
        let allowed = transport.config.list_deadline;
        let deadline = *self
            .deadline
            .get_or_insert_with(|| Instant::now() + allowed);
        if Instant::now() >= deadline {
            return Err(self.too_slow(allowed));
        }
        if !self.listing.may_read_another_page() {
            return Err(self.listing.over_budget());
        }
        let url = format!(
            "{}?limit={PAGE_SIZE}&offset={}",
            replication_url(
                &transport.config.endpoint,
                &self.project_id,
                &self.instance_id,
                ""
            )?,
            self.listing.entries()
        );
        let limit = self.listing.remaining_budget().min(MAX_BODY_BYTES);
        let call = Call::get(url, &self.project_id).with_body_limit(limit);
        let reply = match tokio::time::timeout_at(deadline, transport.send(call, cancel)).await {
            Err(_elapsed) => return Err(self.too_slow(allowed)),
            Ok(Err(ApiError::BodyTooLarge { .. })) if limit < MAX_BODY_BYTES => {
                return Err(self.listing.over_budget());
            }
            Ok(reply) => reply?,
        };
        self.listing.count_page(reply.body.len())?;
        let page: ListBody = wire::parse_body(&reply)?;
        drop(reply);
        let total = page.total_count();
        let page = page.page;
        let (got, named) = (page.entries, page.tasks.len());
        let offset = self.listing.entries();
        let before = self.listing.len();
        let mut new = ListedPage::default();
        for (index, found) in page.unreadable {
            let task = UnreadableTask {
                position: offset + index + 1,
                found,
            };
            self.listing.add_unreadable(task);
            new.unreadable.add(task);
        }
        for task in page.tasks {
            if let Some(task) = self.listing.add(task)? {
                new.tasks.push(task);
            }
        }
        let added = self.listing.len() - before;
        // A short page, the announced total, or a page whose named tasks were all listed
        // before (a server that ignores offset) ends the listing.
        let last = got < PAGE_SIZE
            || total.is_some_and(|t| self.listing.entries() >= t)
            || (added == 0 && named > 0);
        if last {
            self.done = true;
        } else if self.listing.pages() == MAX_PAGES {
            // Another page would be one more than a listing may read.
            self.done = true;
            return Err(self.listing.too_many_pages());
        }
        Ok(Some(new))
    }

    fn too_slow(&self, deadline: std::time::Duration) -> ApiError {
        ApiError::ListTooSlow {
            deadline,
            pages: self.listing.pages(),
        }
    }

    /// Every task read so far, and those left out.
    pub(super) fn into_list(self) -> TaskList {
        self.listing.into_list()
    }
}
