//! The action RPCs of the `tfplugin6.Provider` service (Terraform 1.14+):
//! ValidateActionConfig, PlanAction and InvokeAction, dispatched to the provider's
//! [`Action`]s, and the action schemas and names that GetProviderSchema and GetMetadata
//! list.
//!
//! InvokeAction runs the action on a task of its own and streams what it reports: one
//! Progress event per message, as it comes, then exactly one Completed with the
//! diagnostics, always last, even when the action panicked. The stream holds a guard
//! on the request's cancellation token: a client that drops the stream (Ctrl-C, a lost
//! connection) cancels the work as StopProvider does, so nothing runs on for nobody.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::oneshot;
use tokio_util::sync::DropGuard;
use tonic::Request;

use super::{EventStream, ProviderService, decode, traced};
use crate::proto::tfplugin6 as pb;
use crate::tf::action::{Action, PROGRESS_BACKLOG, ProgressReader, progress_channel};
use crate::tf::diagnostics::{Diagnostic, Diagnostics};
use crate::tf::value::Value;

/// The provider's actions, by type name.
pub(super) struct Actions {
    by_name: HashMap<&'static str, Arc<dyn Action>>,
}

impl Actions {
    pub(super) fn new(actions: Vec<Arc<dyn Action>>) -> Self {
        Self {
            by_name: actions.into_iter().map(|a| (a.type_name(), a)).collect(),
        }
    }

    /// GetProviderSchema's `action_schemas`.
    pub(super) fn schemas(&self) -> HashMap<String, pb::ActionSchema> {
        self.by_name
            .iter()
            .map(|(name, action)| {
                let schema = Some(action.schema().to_proto());
                (name.to_string(), pb::ActionSchema { schema })
            })
            .collect()
    }

    /// GetMetadata's `actions`.
    pub(super) fn metadata(&self) -> Vec<pb::get_metadata::ActionMetadata> {
        self.by_name
            .keys()
            .map(|name| pb::get_metadata::ActionMetadata {
                type_name: name.to_string(),
            })
            .collect()
    }

    /// The action `type_name` names and its configuration, decoded with its schema.
    fn with_config(
        &self,
        type_name: &str,
        config: Option<&pb::DynamicValue>,
    ) -> Result<(Arc<dyn Action>, Value), Diagnostic> {
        let action = self.by_name.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown action",
                format!("This provider offers no action named {type_name:?}."),
            )
        })?;
        let config = decode(config, action.schema().value_type(), "action configuration")?;
        Ok((action.clone(), config))
    }
}

impl ProviderService {
    pub(super) async fn serve_validate_action(
        &self,
        request: Request<pb::validate_action_config::Request>,
    ) -> pb::validate_action_config::Response {
        let req = request.into_inner();
        let span = self.span("ValidateActionConfig", &req.type_name);
        let diagnostics = traced(span, async {
            let diagnostics = match self
                .actions
                .with_config(&req.type_name, req.config.as_ref())
            {
                Ok((action, config)) => action.validate(&config),
                Err(d) => d.into(),
            };
            (diagnostics.clone(), diagnostics)
        })
        .await;
        pb::validate_action_config::Response {
            diagnostics: diagnostics.to_proto(),
        }
    }

    pub(super) async fn serve_plan_action(
        &self,
        request: Request<pb::plan_action::Request>,
    ) -> pb::plan_action::Response {
        let ctx = self.context(&request);
        let req = request.into_inner();
        let span = self.span("PlanAction", &req.action_type);
        let diagnostics = traced(span, async {
            let diagnostics = match self
                .actions
                .with_config(&req.action_type, req.config.as_ref())
            {
                Ok((action, config)) => action.plan(&ctx, &config).await,
                Err(d) => d.into(),
            };
            (diagnostics.clone(), diagnostics)
        })
        .await;
        pb::plan_action::Response {
            diagnostics: diagnostics.to_proto(),
            deferred: None,
        }
    }

    /// Starts the action and answers with its event stream.
    pub(super) fn serve_invoke_action(
        &self,
        request: Request<pb::invoke_action::Request>,
    ) -> EventStream<pb::invoke_action::Event> {
        let ctx = self.context(&request);
        let req = request.into_inner();
        let span = self.span("InvokeAction", &req.action_type);
        let work = self
            .actions
            .with_config(&req.action_type, req.config.as_ref());
        let (progress, reader) = progress_channel(PROGRESS_BACKLOG);
        let (done, finished) = oneshot::channel();
        let cancel_on_drop = ctx.cancel.clone().drop_guard();
        tokio::spawn(async move {
            let diagnostics = traced(span, async move {
                let diagnostics = match work {
                    Ok((action, config)) => action.invoke(&ctx, &config, &progress).await,
                    Err(d) => d.into(),
                };
                (diagnostics.clone(), diagnostics)
            })
            .await;
            // The reader may be gone (the client dropped the stream): nothing to tell.
            let _ = done.send(diagnostics);
        });
        Box::pin(invoke_events(InvokeStream {
            reader,
            phase: Phase::Running(finished),
            _cancel_on_drop: cancel_on_drop,
        }))
    }
}

/// The event stream's state.
struct InvokeStream {
    reader: ProgressReader,
    phase: Phase,
    /// Dropped with the stream: cancels the work.
    _cancel_on_drop: DropGuard,
}

enum Phase {
    /// The action runs; its diagnostics arrive here when it ends.
    Running(oneshot::Receiver<Diagnostics>),
    /// It ended: once every message is out, Completed with these.
    Finished(Diagnostics),
    /// Completed was sent.
    Ended,
}

/// Progress events as messages come, then one Completed once the action ended and
/// every message it sent is out.
fn invoke_events(
    state: InvokeStream,
) -> impl futures_util::Stream<Item = Result<pb::invoke_action::Event, tonic::Status>> + Send + 'static
{
    futures_util::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(message) = state.reader.try_next() {
                return Some((Ok(progress_event(message)), state));
            }
            match std::mem::replace(&mut state.phase, Phase::Ended) {
                Phase::Ended => return None,
                Phase::Finished(diagnostics) => {
                    return Some((Ok(completed_event(&diagnostics)), state));
                }
                Phase::Running(mut finished) => {
                    state.phase = tokio::select! {
                        result = &mut finished => Phase::Finished(
                            result.unwrap_or_else(|_| vanished().into())
                        ),
                        () = state.reader.sent() => Phase::Running(finished),
                    };
                }
            }
        }
    })
}

fn progress_event(message: String) -> pb::invoke_action::Event {
    pb::invoke_action::Event {
        r#type: Some(pb::invoke_action::event::Type::Progress(
            pb::invoke_action::event::Progress { message },
        )),
    }
}

fn completed_event(diagnostics: &Diagnostics) -> pb::invoke_action::Event {
    pb::invoke_action::Event {
        r#type: Some(pb::invoke_action::event::Type::Completed(
            pb::invoke_action::event::Completed {
                diagnostics: diagnostics.to_proto(),
            },
        )),
    }
}

/// The action's task ended without an answer (it panicked).
fn vanished() -> Diagnostic {
    Diagnostic::error(
        "The action stopped unexpectedly",
        "The provider's action ended without a result. This is a bug in the provider; its \
         log (TF_LOG_PROVIDER=debug) may say more.",
    )
}
