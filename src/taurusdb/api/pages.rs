//! Reading an instance's task list one page at a time, for callers that may not need all
//! of it (a `terraform query` with a limit stops after the page that fills it). Every
//! page counts against the same [`Listing`] budget as a whole-list read, and a task name
//! seen on an earlier page is not handed out again.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::taurusdb::api::client::replication_url;
use crate::taurusdb::api::error::ApiError;
use crate::taurusdb::api::listing::{Listing, PAGE_SIZE};
use crate::taurusdb::api::response::MAX_BODY_BYTES;
use crate::taurusdb::api::transport::{Call, Transport};
use crate::taurusdb::api::wire::{self, ListBody, Replication};

/// An instance's task list, read page by page on demand.
pub struct TaskPages {
    transport: Arc<Transport>,
    cursor: PageCursor,
}

impl TaskPages {
    pub(super) fn new(transport: Arc<Transport>, project_id: &str, instance_id: &str) -> Self {
        Self {
            transport,
            cursor: PageCursor::new(project_id, instance_id),
        }
    }

    /// The tasks of the next page not seen before, or None after the last page.
    pub async fn next_page(
        &mut self,
        cancel: &CancellationToken,
    ) -> Result<Option<Vec<Replication>>, ApiError> {
        self.cursor.next(&self.transport, cancel).await
    }
}

/// Where a page-by-page read of one instance's list stands.
pub(super) struct PageCursor {
    project_id: String,
    instance_id: String,
    listing: Listing,
    done: bool,
}

impl PageCursor {
    pub(super) fn new(project_id: &str, instance_id: &str) -> Self {
        Self {
            project_id: project_id.to_string(),
            instance_id: instance_id.to_string(),
            listing: Listing::new(),
            done: false,
        }
    }

    /// The tasks of the next page not seen before, or None after the last page.
    pub(super) async fn next(
        &mut self,
        transport: &Transport,
        cancel: &CancellationToken,
    ) -> Result<Option<Vec<Replication>>, ApiError> {
        if self.done {
            return Ok(None);
        }
        if !self.listing.may_read_another_page() {
            self.done = true;
            if self.listing.remaining_budget() == 0 {
                return Err(self.listing.over_budget());
            }
            return Ok(None);
        }
        let url = format!(
            "{}?limit={PAGE_SIZE}&offset={}",
            replication_url(
                &transport.config.endpoint,
                &self.project_id,
                &self.instance_id,
                ""
            )?,
            self.listing.len()
        );
        let limit = self.listing.remaining_budget().min(MAX_BODY_BYTES);
        let call = Call::get(url, &self.project_id).with_body_limit(limit);
        let reply = match transport.send(call, cancel).await {
            Err(ApiError::BodyTooLarge { .. }) if limit < MAX_BODY_BYTES => {
                self.done = true;
                return Err(self.listing.over_budget());
            }
            Err(err) => {
                self.done = true;
                return Err(err);
            }
            Ok(reply) => reply,
        };
        if let Err(err) = self.listing.count_page(reply.body.len()) {
            self.done = true;
            return Err(err);
        }
        let page: ListBody = match wire::parse_body(&reply) {
            Ok(page) => page,
            Err(err) => {
                self.done = true;
                return Err(err);
            }
        };
        drop(reply);
        let total = page.total_count();
        let got = page.replications.len();
        let mut new = Vec::with_capacity(got);
        for task in page.replications {
            if self.listing.add(task.clone()) {
                new.push(task);
            }
        }
        // A short page, the announced total, or a page with nothing new (a server that
        // ignores offset) ends the listing.
        self.done =
            got < PAGE_SIZE || total.is_some_and(|t| self.listing.len() >= t) || new.is_empty();
        Ok(Some(new))
    }

    /// Every task read so far.
    pub(super) fn into_tasks(self) -> Vec<Replication> {
        self.listing.into_tasks()
    }
}
