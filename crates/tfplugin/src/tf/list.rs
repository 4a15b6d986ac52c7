//! List resources (Terraform 1.14 `terraform query`): a search for remote objects of a
//! managed resource type, answered as a stream of results, each carrying the object's
//! identity (in the managed resource's identity schema), a name for people and, when
//! asked, the whole object in the managed resource's schema.
//!
//! Implementations return a lazy stream: the service polls it only as fast as the client
//! reads, and drops it (ending any reads still to come) once the client's limit is met,
//! the client goes away or the request is cancelled.

use std::pin::Pin;

use crate::tf::diagnostics::Diagnostics;
use crate::tf::provider::RequestContext;
use crate::tf::schema::Schema;
use crate::tf::value::Value;

/// What a list is asked for.
#[derive(Debug, Clone)]
pub struct ListRequest {
    /// The `config` block of the `list` block, in [`ListResource::schema`]'s type.
    pub config: Value,
    /// Whether each result should carry the whole resource object.
    pub include_resource_object: bool,
    /// At most this many results are wanted.
    pub limit: u64,
}

/// One element of a list's answer: a found object, or diagnostics (an error ends the
/// list).
#[derive(Debug, Clone, PartialEq)]
pub struct ListEvent {
    /// The object's identity; None for an event that only carries diagnostics.
    pub identity: Option<Value>,
    pub display_name: String,
    /// The object in the managed resource's schema, when asked for.
    pub resource_object: Option<Value>,
    pub diagnostics: Diagnostics,
}

impl ListEvent {
    /// A found object.
    pub fn found(identity: Value, display_name: impl Into<String>) -> Self {
        Self {
            identity: Some(identity),
            display_name: display_name.into(),
            resource_object: None,
            diagnostics: Diagnostics::new(),
        }
    }

    /// The same result carrying the whole resource object.
    pub fn with_object(mut self, object: Value) -> Self {
        self.resource_object = Some(object);
        self
    }

    /// An event with only diagnostics (an error ends the list).
    pub fn failed(diagnostics: impl Into<Diagnostics>) -> Self {
        Self {
            identity: None,
            display_name: String::new(),
            resource_object: None,
            diagnostics: diagnostics.into(),
        }
    }

    /// Whether this event is a result (counts against the limit).
    pub fn is_result(&self) -> bool {
        self.identity.is_some()
    }
}

/// The answer of [`ListResource::list`].
pub type ListStream = Pin<Box<dyn futures_util::Stream<Item = ListEvent> + Send + 'static>>;

/// A list resource type. Terraform requires a managed resource of the same type name with
/// an identity schema: results are that resource's identities and objects.
pub trait ListResource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    /// The schema of the `config` block inside a `list` block.
    fn schema(&self) -> &Schema;
    /// Static checks of a configuration; values may be unknown.
    fn validate(&self, config: &Value) -> Diagnostics;
    /// The results, read lazily as the stream is polled.
    fn list(&self, ctx: RequestContext, request: ListRequest) -> ListStream;
}
