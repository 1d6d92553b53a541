//! Serving HTTP/1.1: accepting connections within the connection limits, a deadline for each
//! request's head, and a graceful stop.
//!
//! Served with hyper's connection builder rather than `axum::serve`, which has neither a
//! header-read timeout nor a bound on connections: each connection holds a file descriptor,
//! and a server out of descriptors can no longer accept anyone, nor open its database.

use crate::connections::Connections;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// Descriptors kept free of connections, for the database, mail, logs and the runtime itself.
pub const RESERVED_DESCRIPTORS: u64 = 128;

/// How long connections get to finish their requests once the server stops.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Connections the kernel holds while the accept loop catches up with a burst (capped by the
/// system's `net.core.somaxconn`); past them new connections wait a second to be tried again.
const BACKLOG: u32 = 4096;

/// A listener on `address`, with room for bursts of connections.
pub fn listen(address: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match address {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(BACKLOG)
}

/// The most connections the descriptors allow: raises this process's soft limit on open files
/// to its hard limit where the system allows, and keeps [`RESERVED_DESCRIPTORS`] of it apart.
/// `None` when the limit cannot be read.
pub fn connections_the_descriptors_allow() -> Option<usize> {
    let soft = rlimit::increase_nofile_limit(u64::MAX)
        .or_else(|_| rlimit::getrlimit(rlimit::Resource::NOFILE).map(|(soft, _)| soft))
        .ok()?;
    let allowed = soft.saturating_sub(RESERVED_DESCRIPTORS).max(1);
    Some(usize::try_from(allowed).unwrap_or(usize::MAX))
}

/// Serves `app` on `listener` until `stop` resolves, then lets the connections finish their
/// requests (for a while) and returns.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    connections: Arc<Connections>,
    stop: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    // hyper starts this timer whenever it waits for a request's head: from the connection's
    // start, and again after each answer.
    http.timer(TokioTimer::new())
        .header_read_timeout(connections.limits().header_timeout);
    let tracker = TaskTracker::new();
    let stopping = CancellationToken::new();
    let mut stop = std::pin::pin!(stop);
    let mut accept_failed_at: Option<Instant> = None;
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors despite the reserve (or another passing failure): say
                    // so now and then, and try again soon.
                    if accept_failed_at.is_none_or(|at| at.elapsed() > Duration::from_secs(10)) {
                        tracing::warn!(%error, "cannot accept connections");
                        accept_failed_at = Some(Instant::now());
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            }
        };
        let socket = ClosableSocket::new(stream);
        let admitted = match connections.admit(peer.ip(), socket.closer()) {
            Ok(admitted) => Arc::new(admitted),
            Err(refused) => {
                // Closed at once: its descriptor is free again for another.
                tracing::debug!(%peer, ?refused, open = connections.count(), "connection refused");
                continue;
            }
        };
        // Each request carries the peer's address (for the rate limits) and keeps the
        // connection counted busy until its answer is sent.
        let service = {
            let (app, admitted) = (app.clone(), admitted.clone());
            hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                let busy = admitted.busy();
                request.extensions_mut().insert(ConnectInfo(peer));
                let app = app.clone();
                async move {
                    let response = app.oneshot(request).await?;
                    // `busy` lives as long as the body, which hyper drops once it is sent.
                    Ok::<_, Infallible>(response.map(|body| {
                        Body::new(body.map_frame(move |frame| {
                            let _ = &busy;
                            frame
                        }))
                    }))
                }
            })
        };
        let connection = http.serve_connection(TokioIo::new(socket), service);
        let stopping = stopping.clone();
        tracker.spawn(async move {
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                // Dropping the connection closes it; it has no request in progress.
                _ = admitted.must_close() => {}
                _ = stopping.cancelled() => {
                    // Finishes the request in progress, if any, then closes.
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    drop(listener);
    stopping.cancel();
    tracker.close();
    if tokio::time::timeout(STOP_GRACE, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("some connections did not finish in time; closing them");
    }
}

/// A connection's socket that the accept loop can close from outside, at once: making room for
/// a newcomer then gives a descriptor back before the next connection is accepted, however
/// busy the runtime is. Once closed, reads and writes fail (`NotConnected`).
struct ClosableSocket(Arc<Mutex<Option<TcpStream>>>);

impl ClosableSocket {
    fn new(stream: TcpStream) -> Self {
        // Answers are written whole by hyper: no waiting to fill a packet.
        let _ = stream.set_nodelay(true);
        Self(Arc::new(Mutex::new(Some(stream))))
    }

    fn closer(&self) -> impl FnOnce() + Send + 'static {
        let socket = self.0.clone();
        move || drop(socket.lock().unwrap_or_else(PoisonError::into_inner).take())
    }

    /// Runs `io` on the socket while it is open.
    fn with<T>(
        &self,
        io: impl FnOnce(Pin<&mut TcpStream>) -> Poll<std::io::Result<T>>,
    ) -> Poll<std::io::Result<T>> {
        let mut socket = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match socket.as_mut() {
            Some(stream) => io(Pin::new(stream)),
            None => Poll::Ready(Err(std::io::ErrorKind::NotConnected.into())),
        }
    }
}

impl AsyncRead for ClosableSocket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.with(|stream| stream.poll_read(cx, buf))
    }
}

impl AsyncWrite for ClosableSocket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.with(|stream| stream.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        self.with(|stream| stream.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.with(|stream| stream.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.with(|stream| stream.poll_shutdown(cx))
    }
}
