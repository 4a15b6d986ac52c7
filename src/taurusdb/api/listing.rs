//! One listing of an instance's tasks, page by page, within a budget.
//!
//! The list call is paged and the service decides what a page holds, so a hostile or
//! broken server could answer page after page of ever-new names until memory runs out.
//! A [`Listing`] therefore counts the response bytes of all its pages against one budget
//! ([`LIST_BUDGET_BYTES`]; with [`MAX_PAGES`] as a second bound) and keeps each task name
//! once: the index of names refers to the collected tasks instead of copying the names.

use std::hash::BuildHasher;

use crate::taurusdb::api::error::ApiError;
use crate::taurusdb::api::wire::Replication;

/// The list call's page size (the API's maximum).
pub const PAGE_SIZE: usize = 100;
/// At most this many pages are read (100,000 tasks), whatever the server says.
pub const MAX_PAGES: usize = 1000;
/// All response bodies of one listing together may be at most this large. Real task
/// lists are a few hundred bytes per task; 32 MiB is ample for [`MAX_PAGES`] of them.
pub const LIST_BUDGET_BYTES: usize = 32 << 20;

/// The tasks collected so far and what reading them cost.
#[derive(Debug)]
pub struct Listing {
    tasks: Vec<Replication>,
    /// Indices into `tasks`, hashed by task name.
    names: hashbrown::HashTable<usize>,
    hasher: std::hash::RandomState,
    bytes_read: usize,
    pages: usize,
}

impl Default for Listing {
    fn default() -> Self {
        Self::new()
    }
}

impl Listing {
    pub fn new() -> Self {
        Self {
            tasks: Vec::new(),
            names: hashbrown::HashTable::new(),
            hasher: std::hash::RandomState::new(),
            bytes_read: 0,
            pages: 0,
        }
    }

    /// How many bytes the next page may have.
    pub fn remaining_budget(&self) -> usize {
        LIST_BUDGET_BYTES.saturating_sub(self.bytes_read)
    }

    /// Whether another page may be requested at all.
    pub fn may_read_another_page(&self) -> bool {
        self.pages < MAX_PAGES && self.remaining_budget() > 0
    }

    /// Counts a page of `bytes` response bytes.
    pub fn count_page(&mut self, bytes: usize) -> Result<(), ApiError> {
        self.pages += 1;
        self.bytes_read = self.bytes_read.saturating_add(bytes);
        if self.bytes_read > LIST_BUDGET_BYTES {
            return Err(self.over_budget());
        }
        Ok(())
    }

    /// The error for a listing that would read more than its budget.
    pub fn over_budget(&self) -> ApiError {
        ApiError::ListTooLarge {
            budget: LIST_BUDGET_BYTES,
            pages: self.pages,
        }
    }

    /// Adds a task unless one of the same name is already listed; returns whether it was
    /// new.
    pub fn add(&mut self, task: Replication) -> bool {
        let hash = self.hasher.hash_one(task.task_name.as_str());
        let tasks = &self.tasks;
        if self
            .names
            .find(hash, |&i| tasks[i].task_name == task.task_name)
            .is_some()
        {
            return false;
        }
        let index = self.tasks.len();
        self.tasks.push(task);
        let (tasks, hasher) = (&self.tasks, &self.hasher);
        self.names.insert_unique(hash, index, |&i| {
            hasher.hash_one(tasks[i].task_name.as_str())
        });
        true
    }

    /// How many distinct tasks are listed.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    pub fn into_tasks(self) -> Vec<Replication> {
        self.tasks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(name: &str) -> Replication {
        Replication {
            task_name: name.to_string(),
            stage: Some("Paused".into()),
            ..Replication::default()
        }
    }

    #[test]
    fn names_are_kept_once_in_arrival_order() {
        let mut listing = Listing::new();
        assert!(listing.add(task("b")));
        assert!(listing.add(task("a")));
        assert!(!listing.add(task("b")));
        for n in 0..1000 {
            assert!(listing.add(task(&format!("t{n}"))));
        }
        assert!(!listing.add(task("t999")));
        assert_eq!(listing.len(), 1002);
        let tasks = listing.into_tasks();
        assert_eq!(tasks[0].task_name, "b");
        assert_eq!(tasks[1].task_name, "a");
    }

    #[test]
    fn the_budget_covers_all_pages_together() {
        let mut listing = Listing::new();
        let page = LIST_BUDGET_BYTES / 4;
        for _ in 0..4 {
            assert!(listing.may_read_another_page());
            listing.count_page(page).expect("within budget");
        }
        assert_eq!(listing.remaining_budget(), 0);
        assert!(!listing.may_read_another_page());
        let err = listing.count_page(1).expect_err("over budget");
        assert!(err.to_string().contains("32 MiB"), "{err}");
    }
}
