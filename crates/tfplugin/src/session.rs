//! `Session`: the client connection a request arrived on.
//!
//! The serving layer (`plugin`) makes one per accepted connection; the protocol layer
//! (`tf`) hands it to the provider in every `RequestContext`. A provider that must
//! keep clients apart (the standalone `serve` mode) keeps its state in the session:
//! each value lives exactly as long as the connection and the requests still running on
//! it, so nothing has to be cleaned up by hand. Neither layer owns this type, so that
//! neither has to know the other.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// One client connection. Clones share the same state.
#[derive(Clone)]
pub struct Session(Arc<Inner>);

struct Inner {
    id: u64,
    values: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl Session {
    /// A fresh session with a process-unique id.
    pub fn new() -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Self(Arc::new(Inner {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            values: Mutex::new(HashMap::new()),
        }))
    }

    /// Process-unique, for logs.
    pub fn id(&self) -> u64 {
        self.0.id
    }

    /// This session's value of type `T`, created with `T::default()` on first use.
    pub fn value<T: Any + Send + Sync + Default>(&self) -> Arc<T> {
        let mut values = match self.0.values.lock() {
            Ok(values) => values,
            Err(poisoned) => poisoned.into_inner(),
        };
        let entry = values
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(T::default()));
        match Arc::clone(entry).downcast::<T>() {
            Ok(value) => value,
            // Unreachable: the key is T's TypeId. Replace rather than panic.
            Err(_) => {
                let value = Arc::new(T::default());
                *entry = value.clone();
                value
            }
        }
    }
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Session({})", self.0.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[derive(Default)]
    struct Counter(AtomicUsize);

    #[test]
    fn clones_share_values_and_sessions_do_not() {
        let a = Session::new();
        let b = Session::new();
        a.value::<Counter>().0.fetch_add(1, Ordering::Relaxed);
        assert_eq!(a.clone().value::<Counter>().0.load(Ordering::Relaxed), 1);
        assert_eq!(b.value::<Counter>().0.load(Ordering::Relaxed), 0);
        assert_ne!(a.id(), b.id());
    }

    #[test]
    fn values_end_with_the_last_clone() {
        let session = Session::new();
        let value = Arc::downgrade(&session.value::<Counter>());
        let clone = session.clone();
        drop(session);
        assert!(
            value.upgrade().is_some(),
            "a request still holds the session"
        );
        drop(clone);
        assert!(value.upgrade().is_none(), "freed with the connection");
    }
}
