//! Data sources: read-only lookups a configuration can refer to (`data "type" "name"`).
//! The service decodes their configuration with the schema's type, calls [`DataSource`]
//! on plain values and encodes the state it returns.

use crate::tf::diagnostics::Diagnostics;
use crate::tf::provider::RequestContext;
use crate::tf::schema::Schema;
use crate::tf::value::Value;

/// ReadDataSource output: the configuration with its computed attributes filled in.
#[derive(Debug, Clone)]
pub struct DataReadResponse {
    pub state: Value,
    pub diagnostics: Diagnostics,
}

/// A data source type.
#[tonic::async_trait]
pub trait DataSource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    /// Static checks of a configuration; values may be unknown.
    fn validate(&self, config: &Value) -> Diagnostics;
    /// Reads; `config` is wholly known here.
    async fn read(&self, ctx: &RequestContext, config: Value) -> DataReadResponse;
}
