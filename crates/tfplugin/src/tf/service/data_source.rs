//! The service's side of data sources: ValidateDataResourceConfig and ReadDataSource,
//! decoded with the data source's schema and dispatched to its [`DataSource`].

use std::sync::Arc;

use super::{ProviderService, decode, encode_noted};
use crate::proto::tfplugin6 as pb;
use crate::tf::data_source::DataSource;
use crate::tf::diagnostics::{Diagnostic, Diagnostics};
use crate::tf::provider::RequestContext;

impl ProviderService {
    fn data_source(&self, type_name: &str) -> Result<&Arc<dyn DataSource>, Diagnostic> {
        self.data_sources.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown data source",
                format!("This provider serves no data source named {type_name:?}."),
            )
        })
    }

    pub(super) fn validate_data(
        &self,
        req: &pb::validate_data_resource_config::Request,
    ) -> Diagnostics {
        let data_source = match self.data_source(&req.type_name) {
            Ok(data_source) => data_source,
            Err(d) => return d.into(),
        };
        let ty = data_source.schema().value_type();
        match decode(req.config.as_ref(), ty, "data source configuration") {
            Ok(config) => data_source.validate(&config),
            Err(d) => d.into(),
        }
    }

    /// ReadDataSource: the state the data source read, or (on failure) the configuration
    /// as it came, with the diagnostics.
    pub(super) async fn read_data(
        &self,
        ctx: &RequestContext,
        req: pb::read_data_source::Request,
    ) -> (pb::read_data_source::Response, Diagnostics) {
        let mut response = pb::read_data_source::Response {
            state: req.config.clone(),
            ..Default::default()
        };
        let diagnostics = match self.data_source(&req.type_name) {
            Ok(data_source) => {
                let ty = data_source.schema().value_type();
                match decode(req.config.as_ref(), ty, "data source configuration") {
                    Ok(config) => {
                        let read = data_source.read(ctx, config).await;
                        let mut diagnostics = read.diagnostics;
                        response.state =
                            encode_noted(&read.state, ty, "data source state", &mut diagnostics);
                        diagnostics
                    }
                    Err(d) => d.into(),
                }
            }
            Err(d) => d.into(),
        };
        response.diagnostics = diagnostics.to_proto();
        (response, diagnostics)
    }
}
