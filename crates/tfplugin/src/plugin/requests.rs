//! What happens to every request before its service sees it: the bearer token is
//! checked (when the server has one; health Check stays open, with a few such calls per
//! connection at most), the connection is marked authenticated by its first call with
//! the token, the connection's [`Session`] is put where the services find it, and the
//! RPC counts as in flight until its response is fully sent (health calls never do: a
//! Watch must not keep a connection alive).
//!
//! [`Session`]: crate::session::Session

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::body::Body;
use tonic::codegen::http::{Request, Response, header};
use tonic::codegen::{BoxFuture, Service};

use crate::plugin::activity::{AnonymousCall, ConnInfo, InFlight};
use crate::plugin::auth::BearerToken;

/// Health Check stays open: load balancers cannot send a token, and it reveals nothing
/// and acts on nothing. Watch, a stream, needs the token.
const OPEN_PATH: &str = "/grpc.health.v1.Health/Check";
/// Health calls neither keep a connection alive nor, without the token, make it a
/// client's.
const HEALTH_PREFIX: &str = "/grpc.health.v1.Health/";

/// The layer for `Server::builder().layer(..)`.
#[derive(Clone, Default)]
pub struct RequestLayer {
    bearer: Option<Arc<BearerToken>>,
    anonymous_streams: usize,
}

impl RequestLayer {
    /// Checks `bearer` when given; at most `anonymous_streams` calls without it open on
    /// one connection.
    pub fn new(bearer: Option<BearerToken>, anonymous_streams: usize) -> Self {
        Self {
            bearer: bearer.map(Arc::new),
            anonymous_streams,
        }
    }
}

impl<S> tower::Layer<S> for RequestLayer {
    type Service = RequestService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestService {
            inner,
            bearer: self.bearer.clone(),
            anonymous_streams: self.anonymous_streams,
        }
    }
}

#[derive(Clone)]
pub struct RequestService<S> {
    inner: S,
    bearer: Option<Arc<BearerToken>>,
    anonymous_streams: usize,
}

/// Who a request comes from, as far as the server can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    /// With the token, or any call of a server without one.
    Client,
    /// Without the token, to the open health Check.
    Anonymous,
    /// Without the token, to anything else.
    Refused,
}

impl<S> RequestService<S> {
    fn caller<B>(&self, request: &Request<B>) -> Caller {
        let Some(bearer) = &self.bearer else {
            return Caller::Client;
        };
        let header = request
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.as_bytes());
        if bearer.accepts(header) {
            Caller::Client
        } else if request.uri().path() == OPEN_PATH {
            Caller::Anonymous
        } else {
            Caller::Refused
        }
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
        let caller = self.caller(&request);
        if caller == Caller::Refused {
            tracing::warn!(
                path = request.uri().path(),
                "refused a call without the right bearer token"
            );
            let status = tonic::Status::unauthenticated(
                "this server requires `authorization: Bearer <token>` on every call",
            );
            return Box::pin(async move { Ok(status.into_http()) });
        }
        let health = request.uri().path().starts_with(HEALTH_PREFIX);
        let info = request.extensions().get::<ConnInfo>().cloned();
        let mut guards = Guards::default();
        if let Some(info) = &info {
            match caller {
                Caller::Anonymous => {
                    match info.standing().begin_anonymous(self.anonymous_streams) {
                        Some(call) => guards.anonymous = Some(call),
                        None => {
                            tracing::warn!(
                                session = info.session.id(),
                                "refused a call: too many calls without the token on one \
                                 connection"
                            );
                            let status = tonic::Status::resource_exhausted(format!(
                                "at most {} calls without `authorization: Bearer <token>` may \
                                 be open on one connection",
                                self.anonymous_streams
                            ));
                            return Box::pin(async move { Ok(status.into_http()) });
                        }
                    }
                }
                // A health call without a token to check is no sign of a client.
                Caller::Client if !(health && self.bearer.is_none()) => {
                    info.standing().authenticate();
                }
                Caller::Client | Caller::Refused => {}
            }
            if !health {
                guards.in_flight = Some(info.begin_request());
            }
            request.extensions_mut().insert(info.session.clone());
        }
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
            Ok(response.map(|body| {
                Body::new(Tracked {
                    body: Box::pin(body),
                    guards,
                })
            }))
        })
    }
}

/// What a call holds until its response ends.
#[derive(Default)]
struct Guards {
    /// Counted as in flight (keeps the connection from idling out).
    in_flight: Option<InFlight>,
    /// Counted as a call without the token.
    anonymous: Option<AnonymousCall>,
}

/// A response body that keeps its call counted (in flight, or open without the token)
/// until it ends: a server-streaming RPC counts for as long as its stream.
struct Tracked<B> {
    body: Pin<Box<B>>,
    guards: Guards,
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
            this.guards = Guards::default();
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
