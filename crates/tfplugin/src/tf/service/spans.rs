//! Each RPC's tracing: a request id unique within the process, the span fields
//! Terraform's own SDKs log (`tf_rpc`, `tf_req_id`, `tf_resource_type`), and the
//! request/response lines with the diagnostics' counts.

use std::sync::atomic::{AtomicU64, Ordering};

use tracing::Instrument;

use crate::tf::diagnostics::Diagnostics;

/// Request ids unique within the process: a random prefix and a counter, so log lines
/// from two provider processes never share one.
pub(super) struct RequestIds {
    prefix: String,
    counter: AtomicU64,
}

impl RequestIds {
    pub(super) fn new() -> Self {
        let prefix = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
        Self {
            prefix,
            counter: AtomicU64::new(0),
        }
    }

    pub(super) fn next(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n:06}", self.prefix)
    }
}

fn log_outcome(diagnostics: &Diagnostics) {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.0.len() - errors;
    tracing::debug!(
        diagnostic_error_count = errors,
        diagnostic_warning_count = warnings,
        "Served request"
    );
    for d in diagnostics.iter() {
        if d.is_error() {
            tracing::warn!(
                diagnostic_summary = %d.summary,
                diagnostic_detail = %d.detail,
                "Response contains error diagnostic"
            );
        }
    }
}

/// Runs `body` inside the RPC's span with the usual request/response log lines.
pub(super) async fn traced<T>(
    span: tracing::Span,
    body: impl Future<Output = (T, Diagnostics)>,
) -> T {
    async move {
        tracing::debug!("Received request");
        let (out, diagnostics) = body.await;
        log_outcome(&diagnostics);
        out
    }
    .instrument(span)
    .await
}
