//! What happens to every request before its service sees it: the bearer token is
//! checked (when the server has one), the connection's [`Session`] is put where the
//! services find it, and the RPC counts as in flight until its response is fully sent.
//!
//! [`Session`]: crate::session::Session

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::body::Body;
use tonic::codegen::http::{Request, Response, header};
use tonic::codegen::{BoxFuture, Service};

use crate::plugin::activity::{ConnInfo, InFlight};
use crate::plugin::auth::BearerToken;

/// Health checks stay open: they reveal nothing and act on nothing.
const OPEN_PREFIX: &str = "/grpc.health.v1.Health/";

/// The layer for `Server::builder().layer(..)`.
#[derive(Clone, Default)]
pub struct RequestLayer {
    bearer: Option<Arc<BearerToken>>,
}

impl RequestLayer {
    pub fn new(bearer: Option<BearerToken>) -> Self {
        Self {
            bearer: bearer.map(Arc::new),
        }
    }
}

impl<S> tower::Layer<S> for RequestLayer {
    type Service = RequestService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestService {
            inner,
            bearer: self.bearer.clone(),
        }
    }
}

#[derive(Clone)]
pub struct RequestService<S> {
    inner: S,
    bearer: Option<Arc<BearerToken>>,
}

impl<S> RequestService<S> {
    fn authorized<B>(&self, request: &Request<B>) -> bool {
        let Some(bearer) = &self.bearer else {
            return true;
        };
        if request.uri().path().starts_with(OPEN_PREFIX) {
            return true;
        }
        let header = request
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.as_bytes());
        bearer.accepts(header)
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RequestService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResBody: http_body::Body<Data = tonic::codegen::Bytes> + Send + 'static,
    ResBody::Error: Into<tonic::codegen::StdError>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        if !self.authorized(&request) {
            tracing::warn!(
                path = request.uri().path(),
                "refused a call without the right bearer token"
            );
            let status = tonic::Status::unauthenticated(
                "this server requires `authorization: Bearer <token>` on every call",
            );
            return Box::pin(async move { Ok(status.into_http()) });
        }
        let info = request.extensions().get::<ConnInfo>().cloned();
        let in_flight = info.as_ref().map(ConnInfo::begin_request);
        if let Some(info) = info {
            request.extensions_mut().insert(info.session);
        }
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
            Ok(response.map(|body| {
                Body::new(Tracked {
                    body: Box::pin(body),
                    in_flight,
                })
            }))
        })
    }
}

/// A response body that keeps its RPC counted as in flight until it ends (a
/// server-streaming RPC is in flight for as long as its stream).
struct Tracked<B> {
    body: Pin<Box<B>>,
    in_flight: Option<InFlight>,
}

impl<B: http_body::Body> http_body::Body for Tracked<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let frame = this.body.as_mut().poll_frame(cx);
        if let Poll::Ready(None) = frame {
            this.in_flight = None;
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
