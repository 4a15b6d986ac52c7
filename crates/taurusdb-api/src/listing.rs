//! One listing of an instance's tasks, page by page, within bounds.
//!
//! The list call is paged and the service decides what a page holds, so a hostile or
//! broken server could answer page after page of ever-new names until memory runs out.
//! A [`Listing`] therefore bounds what one listing may cost, whatever the server says:
//! the response bytes of all its pages together ([`LIST_BUDGET_BYTES`]), the pages
//! ([`MAX_PAGES`]) and, as pages hold at most [`PAGE_SIZE`] tasks (the wire layer refuses
//! longer ones), the distinct tasks ([`MAX_TASKS`]); every text field is cut at
//! [`MAX_TEXT_BYTES`](super::wire::MAX_TEXT_BYTES). Going past a bound is an error, never
//! a silently shorter list. Each task is kept once: a whole-list read keeps the tasks and
//! indexes them by name; a page-by-page read hands each new task out and keeps only its
//! name. What one listing holds is thus at most the byte budget in text plus
//! [`MAX_TASKS`] small records.
//!
//! A listed task whose `task_name` is not a string (a number, null) has no name to be
//! found, shown or paused by: it is left out and counted ([`UnreadableTasks`]), and the
//! callers turn the count into a warning, rather than the one task failing the listing.

use std::fmt;
use std::hash::BuildHasher;
use std::ops::Deref;

use crate::error::{ApiError, ListBound};
use crate::wire::{ReplicationTask, UnreadableTask};

/// The list call's page size (the API's maximum).
pub const PAGE_SIZE: usize = 100;
/// At most this many pages are read, whatever the server says.
pub const MAX_PAGES: usize = 1000;
/// At most this many distinct tasks are listed: [`MAX_PAGES`] full pages.
pub const MAX_TASKS: usize = MAX_PAGES * PAGE_SIZE;
/// All response bodies of one listing together may be at most this large. Real task
/// lists are a few hundred bytes per task; 32 MiB is ample for [`MAX_TASKS`] of them.
pub const LIST_BUDGET_BYTES: usize = 32 << 20;

/// How many left-out tasks a warning names by position; the rest are only counted.
pub const UNREADABLE_EXAMPLES: usize = 5;

/// The listed tasks left out because their `task_name` is not a string: how many, and
/// the first [`UNREADABLE_EXAMPLES`] of them. Its `Display` is the warning callers give
/// (no text from the service in it: positions and JSON kinds only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnreadableTasks {
    pub count: usize,
    pub examples: Vec<UnreadableTask>,
}

impl UnreadableTasks {
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Notes one more left-out task.
    pub fn add(&mut self, task: UnreadableTask) {
        self.count += 1;
        if self.examples.len() < UNREADABLE_EXAMPLES {
            self.examples.push(task);
        }
    }
}

impl fmt::Display for UnreadableTasks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (tasks, they, them) = match self.count {
            1 => ("task", "it is", "it"),
            _ => ("tasks", "they are", "them"),
        };
        write!(
            f,
            "TaurusDB listed {} {tasks} whose task_name is not a string (",
            self.count
        )?;
        for (n, task) in self.examples.iter().enumerate() {
            let sep = if n == 0 { "" } else { ", " };
            write!(f, "{sep}position {}: {}", task.position, task.found)?;
        }
        let more = self.count.saturating_sub(self.examples.len());
        if more > 0 {
            write!(f, ", and {more} more")?;
        }
        write!(
            f,
            "); {they} left out: there is no name to find, show or pause {them} by."
        )
    }
}

/// An instance's whole task list: the tasks, and those left out. Derefs to the tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskList {
    pub tasks: Vec<ReplicationTask>,
    pub unreadable: UnreadableTasks,
}

impl Deref for TaskList {
    type Target = [ReplicationTask];

    fn deref(&self) -> &[ReplicationTask] {
        &self.tasks
    }
}

impl From<Vec<ReplicationTask>> for TaskList {
    fn from(tasks: Vec<ReplicationTask>) -> Self {
        Self {
            tasks,
            unreadable: UnreadableTasks::default(),
        }
    }
}

/// What a listing keeps of the tasks it admitted.
#[derive(Debug)]
enum Kept {
    /// The tasks themselves (a whole-list read returns them all at the end).
    Tasks(Vec<ReplicationTask>),
    /// Only their names (a page-by-page read hands the tasks out as they come).
    Names(Vec<Box<str>>),
}

impl Kept {
    fn name(&self, index: usize) -> &str {
        match self {
            Kept::Tasks(tasks) => &tasks[index].task_name,
            Kept::Names(names) => &names[index],
        }
    }

    fn len(&self) -> usize {
        match self {
            Kept::Tasks(tasks) => tasks.len(),
            Kept::Names(names) => names.len(),
        }
    }
}

/// The tasks collected so far and what reading them cost.
#[derive(Debug)]
pub struct Listing {
    kept: Kept,
    /// Indices into `kept`, hashed by task name.
    names: hashbrown::HashTable<usize>,
    hasher: std::hash::RandomState,
    bytes_read: usize,
    pages: usize,
    unreadable: UnreadableTasks,
}

impl Default for Listing {
    fn default() -> Self {
        Self::new()
    }
}

impl Listing {
    /// A listing that keeps every task it admits ([`Listing::into_list`]).
    pub fn new() -> Self {
        Self::keeping(Kept::Tasks(Vec::new()))
    }

    /// A listing that hands each new task back to the caller and keeps only its name.
    pub fn handing_out() -> Self {
        Self::keeping(Kept::Names(Vec::new()))
    }

    fn keeping(kept: Kept) -> Self {
        Self {
            kept,
            names: hashbrown::HashTable::new(),
            hasher: std::hash::RandomState::new(),
            bytes_read: 0,
            pages: 0,
            unreadable: UnreadableTasks::default(),
        }
    }

    /// How many bytes the next page may have.
    pub fn remaining_budget(&self) -> usize {
        LIST_BUDGET_BYTES.saturating_sub(self.bytes_read)
    }

    /// Whether another page may be requested within the byte budget.
    pub fn may_read_another_page(&self) -> bool {
        self.remaining_budget() > 0
    }

    /// How many pages were read.
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// Counts a page of `bytes` response bytes; a page past [`MAX_PAGES`] or the byte
    /// budget is an error.
    pub fn count_page(&mut self, bytes: usize) -> Result<(), ApiError> {
        self.pages += 1;
        self.bytes_read = self.bytes_read.saturating_add(bytes);
        if self.bytes_read > LIST_BUDGET_BYTES {
            return Err(self.over_budget());
        }
        if self.pages > MAX_PAGES {
            return Err(self.too_many_pages());
        }
        Ok(())
    }

    /// The error for a listing that would read more than its byte budget.
    pub fn over_budget(&self) -> ApiError {
        self.too_many(ListBound::Bytes(LIST_BUDGET_BYTES))
    }

    /// The error for a listing that would read more than [`MAX_PAGES`] pages, i.e. list
    /// more than [`MAX_TASKS`] tasks.
    pub fn too_many_pages(&self) -> ApiError {
        self.too_many(ListBound::Tasks(MAX_TASKS))
    }

    fn too_many(&self, bound: ListBound) -> ApiError {
        ApiError::ListTooLarge {
            bound,
            pages: self.pages,
        }
    }

    /// Admits a task: None when one of the same name is already listed or the listing
    /// keeps it; the task itself when it is new and the listing hands tasks out. More
    /// than [`MAX_TASKS`] distinct tasks is an error.
    pub fn add(&mut self, task: ReplicationTask) -> Result<Option<ReplicationTask>, ApiError> {
        let hash = self.hasher.hash_one(task.task_name.as_str());
        let kept = &self.kept;
        if self
            .names
            .find(hash, |&i| kept.name(i) == task.task_name)
            .is_some()
        {
            return Ok(None);
        }
        if self.kept.len() >= MAX_TASKS {
            return Err(self.too_many(ListBound::Tasks(MAX_TASKS)));
        }
        let index = self.kept.len();
        let handed_out = match &mut self.kept {
            Kept::Tasks(tasks) => {
                tasks.push(task);
                None
            }
            Kept::Names(names) => {
                names.push(task.task_name.as_str().into());
                Some(task)
            }
        };
        let (kept, hasher) = (&self.kept, &self.hasher);
        self.names
            .insert_unique(hash, index, |&i| hasher.hash_one(kept.name(i)));
        Ok(handed_out)
    }

    /// Notes a task left out because its name is not a string.
    pub fn add_unreadable(&mut self, task: UnreadableTask) {
        self.unreadable.add(task);
    }

    /// The tasks left out so far.
    pub fn unreadable(&self) -> &UnreadableTasks {
        &self.unreadable
    }

    /// How many entries the service listed that this listing accounted for: the
    /// distinct tasks and those left out (the offset of the next page).
    pub fn entries(&self) -> usize {
        self.kept.len() + self.unreadable.count
    }

    /// How many distinct tasks are listed.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The tasks kept (none for a listing that hands them out) and those left out.
    pub fn into_list(self) -> TaskList {
        TaskList {
            tasks: match self.kept {
                Kept::Tasks(tasks) => tasks,
                Kept::Names(_) => Vec::new(),
            },
            unreadable: self.unreadable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(name: &str) -> ReplicationTask {
        ReplicationTask {
            task_name: name.to_string(),
            stage: Some("Paused".into()),
            ..ReplicationTask::default()
        }
    }

    #[test]
    fn names_are_kept_once_in_arrival_order() {
        let mut listing = Listing::new();
        let mut add = |name: &str| {
            let before = listing.len();
            assert_eq!(listing.add(task(name)).expect("within bounds"), None);
            listing.len() > before
        };
        assert!(add("b"));
        assert!(add("a"));
        assert!(!add("b"));
        for n in 0..1000 {
            assert!(add(&format!("t{n}")));
        }
        assert!(!add("t999"));
        assert_eq!(listing.len(), 1002);
        let tasks = listing.into_list();
        assert_eq!(tasks[0].task_name, "b");
        assert_eq!(tasks[1].task_name, "a");
    }

    #[test]
    fn left_out_tasks_are_counted_and_the_first_few_named() {
        let at = |position| UnreadableTask {
            position,
            found: "null",
        };
        let mut one = UnreadableTasks::default();
        assert!(one.is_empty());
        one.add(at(3));
        assert_eq!(
            one.to_string(),
            "TaurusDB listed 1 task whose task_name is not a string (position 3: null); it \
             is left out: there is no name to find, show or pause it by."
        );
        let mut many = UnreadableTasks::default();
        for position in (1..=4).chain(101..=104) {
            many.add(at(position));
        }
        assert_eq!(many.count, 8);
        assert_eq!(many.examples.len(), UNREADABLE_EXAMPLES);
        let text = many.to_string();
        assert!(text.contains("8 tasks"), "{text}");
        assert!(
            text.contains("position 101: null, and 3 more); they are"),
            "{text}"
        );
        let mut listing = Listing::new();
        listing.add(task("a")).expect("within bounds");
        listing.add_unreadable(at(2));
        assert_eq!((listing.len(), listing.entries()), (1, 2));
        assert_eq!(listing.into_list().unreadable.count, 1);
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

    #[test]
    fn a_listing_handing_tasks_out_keeps_names_only() {
        let mut listing = Listing::handing_out();
        let out = listing.add(task("a")).expect("within bounds");
        assert_eq!(out.map(|t| t.task_name).as_deref(), Some("a"));
        assert_eq!(listing.add(task("a")).expect("within bounds"), None);
        assert_eq!(listing.len(), 1);
        assert!(listing.into_list().is_empty());
    }

    #[test]
    fn more_pages_or_tasks_than_the_bounds_are_an_error() {
        let mut listing = Listing::handing_out();
        for _ in 0..MAX_PAGES {
            listing.count_page(1).expect("within bounds");
        }
        let err = listing.count_page(1).expect_err("one page too many");
        assert!(err.to_string().contains("100000 tasks"), "{err}");
        let mut listing = Listing::handing_out();
        for n in 0..MAX_TASKS {
            listing.add(task(&format!("t{n}"))).expect("within bounds");
        }
        let err = listing.add(task("one_more")).expect_err("a task too many");
        assert!(err.to_string().contains("100000 tasks"), "{err}");
    }
}
