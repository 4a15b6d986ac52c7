//! The services go-plugin hosts expect beside the provider itself: the controller
//! (Shutdown) and the stdio mirror. Health is tonic-health's, set up in `serve`.

use std::pin::Pin;

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::proto::plugin::grpc_controller_server::{GrpcController, GrpcControllerServer};
use crate::proto::plugin::grpc_stdio_server::{GrpcStdio, GrpcStdioServer};
use crate::proto::plugin::{Empty, StdioData};

/// Answers Shutdown: first cancels in-flight work (as StopProvider does, so applies
/// return their state with job IDs), then stops the server, which lets those responses
/// go out within its grace period.
pub struct Controller {
    cancel_work: CancellationToken,
    shutdown: CancellationToken,
}

impl Controller {
    pub fn server(
        cancel_work: CancellationToken,
        shutdown: CancellationToken,
    ) -> GrpcControllerServer<Self> {
        GrpcControllerServer::new(Self {
            cancel_work,
            shutdown,
        })
    }
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!("host requested shutdown");
        self.cancel_work.cancel();
        self.shutdown.cancel();
        Ok(Response::new(Empty {}))
    }
}

/// The stdio mirror. Nothing is written to stdout or stderr outside the handshake
/// line and log lines, so the stream carries no data; it stays open until shutdown so
/// the host does not see it end early.
pub struct Stdio {
    shutdown: CancellationToken,
}

impl Stdio {
    pub fn server(shutdown: CancellationToken) -> GrpcStdioServer<Self> {
        GrpcStdioServer::new(Self { shutdown })
    }
}

type StdioStream = Pin<Box<dyn futures_util::Stream<Item = Result<StdioData, Status>> + Send>>;

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    type StreamStdioStream = StdioStream;

    async fn stream_stdio(
        &self,
        _request: Request<()>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        let shutdown = self.shutdown.clone();
        let stream = futures_util::stream::once(async move {
            shutdown.cancelled_owned().await;
            None
        })
        .filter_map(std::future::ready);
        Ok(Response::new(Box::pin(stream)))
    }
}

use futures_util::StreamExt as _;
