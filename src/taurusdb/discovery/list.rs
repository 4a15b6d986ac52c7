//! `list "taurusdb_replication_pause"` (Terraform 1.14 `terraform query`): every task of
//! an instance, optionally of one stage, as the identity a `taurusdb_replication_pause`
//! would have, named `<task_name> (<stage>)`, and, when asked, as the resource object an
//! import would start from (stage filled in, no job ID, flags at their defaults).
//!
//! The task list is read page by page as the results are consumed: once `limit` results
//! are out no further page is requested. A failed read is one event with the API error.
//!
//! Names and stages come from the service and go to the terminal and into generated
//! `import` blocks: a listed task whose name the resource itself would refuse (the API's
//! own rule, see [`task_name_problem`]) has no usable identity, so it is left out with a
//! warning naming it (escaped); the display name is made [`printable`]. A task whose
//! name is not a string at all is left out by the API client; each page with such tasks
//! gives one warning naming their positions.

use std::collections::VecDeque;

use futures_util::StreamExt as _;
use tokio_util::sync::CancellationToken;

use crate::taurusdb::discovery::{Instance, Provider, validate_instance};
use crate::taurusdb::pause::model::{PauseState, TYPE_NAME};
use crate::taurusdb::task::diagnose;
use crate::taurusdb::task::{ImportId, attrs};
use stdx::printable::printable;
use taurusdb_api::filter::TaskFilter;
use taurusdb_api::names::task_name_problem;
use taurusdb_api::pages::TaskPages;
use taurusdb_api::{ApiClient, ReplicationTask, UnreadableTasks};
use tfplugin::tf::attr::Attr;
use tfplugin::tf::diagnostics::{Diagnostic, Diagnostics};
use tfplugin::tf::list::{ListEvent, ListRequest, ListResource, ListStream};
use tfplugin::tf::provider::RequestContext;
use tfplugin::tf::schema::{Attribute, Block, Presence, Schema};
use tfplugin::tf::types::Type;
use tfplugin::tf::value::Value;

/// The `stage` filter of the list's `config` block.
pub const STAGE: &str = "stage";

pub struct ReplicationPauseList {
    schema: Schema,
    provider: Provider,
}

impl ReplicationPauseList {
    pub fn new(provider: Provider) -> Self {
        Self {
            schema: schema(),
            provider,
        }
    }
}

/// The list's first steps, before any TaurusDB API call: its configuration, the instance
/// (its project looked up when neither the list nor the provider names one) and the
/// client.
async fn start(
    provider: &Provider,
    ctx: &RequestContext,
    config: &Value,
) -> Result<(ApiClient, Instance, TaskFilter), Diagnostics> {
    {
        let config = ListConfig::from_value(config)?;
        let problems = validate_instance(&config.instance_id, &config.project_id);
        if problems.has_errors() {
            return Err(problems);
        }
        let instance = provider
            .instance(ctx, &config.instance_id, &config.project_id)
            .await?;
        let client = provider.client(ctx)?;
        let filter = TaskFilter {
            name: None,
            stage: config.stage.known().cloned(),
        };
        Ok((client, instance, filter))
    }
}

/// The schema of the `config` block of a `list "taurusdb_replication_pause"`.
pub fn schema() -> Schema {
    let string = |name, presence| Attribute::new(name, Type::String, presence);
    Schema::new(
        0,
        Block {
            attributes: vec![
                string(attrs::INSTANCE_ID, Presence::Required).describe(
                    "ID of the TaurusDB HTAP (StarRocks) instance whose tasks are listed.",
                ),
                string(attrs::PROJECT_ID, Presence::Optional)
                    .describe("Project of the instance; defaults to the provider's `project_id`."),
                string(STAGE, Presence::Optional).describe(
                    "Only tasks at this stage, compared without regard to case: `Wait`, \
                     `Full`, `Incremental`, `Paused` or `Cancelled`.",
                ),
            ],
            blocks: Vec::new(),
            description: "Lists the data synchronization tasks of a TaurusDB HTAP (StarRocks) \
                          instance as `taurusdb_replication_pause` resources, for `terraform \
                          query`: each with the identity an `import` block takes, a display \
                          name `<task_name> (<stage>)` and, with `include_resource = true`, \
                          the resource object.",
        },
    )
}

/// The `config` block of a `list "taurusdb_replication_pause"`.
struct ListConfig {
    instance_id: Attr<String>,
    project_id: Attr<String>,
    stage: Attr<String>,
}

impl ListConfig {
    fn from_value(value: &Value) -> Result<Self, Diagnostic> {
        Ok(Self {
            instance_id: Attr::read(value, attrs::INSTANCE_ID)?,
            project_id: Attr::read(value, attrs::PROJECT_ID)?,
            stage: Attr::read(value, STAGE)?,
        })
    }
}

impl ListResource for ReplicationPauseList {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        match ListConfig::from_value(config) {
            Ok(config) => validate_instance(&config.instance_id, &config.project_id),
            Err(d) => d.into(),
        }
    }

    fn list(&self, ctx: RequestContext, request: ListRequest) -> ListStream {
        let provider = self.provider.clone();
        let started = async move {
            let (client, instance, filter) = match start(&provider, &ctx, &request.config).await {
                Ok(started) => started,
                Err(diagnostics) => {
                    return futures_util::stream::iter([ListEvent::failed(diagnostics)]).boxed();
                }
            };
            let pages = client.task_pages(&instance.project_id, &instance.instance_id);
            let listing = Listing {
                pages,
                pending: VecDeque::new(),
                instance,
                filter,
                include_resource_object: request.include_resource_object,
                remaining: request.limit,
                cancel: ctx.cancel,
                finished: false,
            };
            futures_util::stream::unfold(listing, |mut listing| async move {
                let event = listing.next().await?;
                Some((event, listing))
            })
            .boxed()
        };
        futures_util::stream::once(started).flatten().boxed()
    }
}

/// A list in progress: pages are read only when the tasks already read are used up.
struct Listing {
    pages: TaskPages,
    pending: VecDeque<ReplicationTask>,
    instance: Instance,
    filter: TaskFilter,
    include_resource_object: bool,
    remaining: u64,
    cancel: CancellationToken,
    finished: bool,
}

impl Listing {
    /// The next event, or None when the list is over.
    async fn next(&mut self) -> Option<ListEvent> {
        while !self.finished && self.remaining > 0 {
            if let Some(task) = self.pending.pop_front() {
                if !self.filter.keeps(&task) {
                    continue;
                }
                if let Some(problem) = task_name_problem(&task.task_name) {
                    return Some(ListEvent::failed(unusable_name(&task.task_name, &problem)));
                }
                self.remaining -= 1;
                return Some(self.result(task));
            }
            match self.pages.next_page(&self.cancel).await {
                Ok(Some(page)) => {
                    self.pending.extend(page.tasks);
                    if !page.unreadable.is_empty() {
                        return Some(ListEvent::failed(unreadable(&page.unreadable)));
                    }
                }
                Ok(None) => self.finished = true,
                Err(err) => {
                    self.finished = true;
                    return Some(ListEvent::failed(diagnose::list_failed(
                        &err,
                        &self.instance.project_id,
                        &self.instance.instance_id,
                    )));
                }
            }
        }
        None
    }

    /// The event for one task.
    fn result(&self, task: ReplicationTask) -> ListEvent {
        let import = ImportId {
            project_id: Some(self.instance.project_id.clone()),
            instance_id: self.instance.instance_id.clone(),
            task_name: task.task_name.clone(),
        };
        let mut state = PauseState::from_import(import, Attr::Null);
        state.id = state.derived_id();
        state.stage = task.stage.clone().into();
        let display_name = printable(&match &task.stage {
            Some(stage) => format!("{} ({stage})", task.task_name),
            None => task.task_name.clone(),
        });
        let event = ListEvent::found(state.identity(), display_name);
        if self.include_resource_object {
            event.with_object(state.to_value())
        } else {
            event
        }
    }
}

/// The warning for the tasks of a page whose name is not a string at all.
fn unreadable(tasks: &UnreadableTasks) -> Diagnostic {
    Diagnostic::warning("Listed task skipped", tasks.to_string())
}

/// The warning for a listed task whose name is not one the resource accepts.
fn unusable_name(name: &str, problem: &str) -> Diagnostic {
    const SHOWN: usize = 200;
    let mut shown: String = name.chars().take(SHOWN).collect();
    if name.chars().nth(SHOWN).is_some() {
        shown.push('…');
    }
    Diagnostic::warning(
        "Listed task skipped",
        format!(
            "The service listed a task named \"{}\", which {}: {TYPE_NAME} cannot manage or \
             import it, so it is not in the results.",
            printable(&shown),
            printable(problem),
        ),
    )
}
