//! Signals that end the server. SIGTERM, SIGHUP and SIGQUIT always stop it cleanly
//! (sockets removed, in-flight work cancelled and answered); SIGINT stops it only in
//! the modes a person runs, since a go-plugin host sends SIGINT to its whole process
//! group on Ctrl-C and then stops plugins itself.
//!
//! On Windows the console events stand in for them: Ctrl-Break, closing the console and
//! the system shutting down stop the server cleanly, and Ctrl-C (which the console sends
//! to every process attached to it, the host's plugins included) is SIGINT's twin.

#[cfg(unix)]
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// Cancels `shutdown` on the first stopping signal.
#[cfg(unix)]
pub fn spawn_signal_handlers(shutdown: CancellationToken, interrupt_stops: bool) {
    let stopping = [
        SignalKind::terminate(),
        SignalKind::hangup(),
        SignalKind::quit(),
    ];
    let mut listeners: Vec<(SignalKind, Signal)> = Vec::new();
    for kind in stopping {
        match signal(kind) {
            Ok(listener) => listeners.push((kind, listener)),
            Err(err) => tracing::warn!(error = %err, "could not handle a signal"),
        }
    }
    let mut interrupt = match signal(SignalKind::interrupt()) {
        Ok(listener) => Some(listener),
        Err(err) => {
            tracing::warn!(error = %err, "could not handle SIGINT");
            None
        }
    };
    for (_, listener) in listeners {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let mut listener = listener;
            tokio::select! {
                received = listener.recv() => if received.is_some() {
                    tracing::debug!("stopping on a signal");
                    shutdown.cancel();
                },
                () = shutdown.cancelled() => {}
            }
        });
    }
    if let Some(mut interrupt) = interrupt.take() {
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    received = interrupt.recv() => {
                        if received.is_none() {
                            return;
                        }
                        if interrupt_stops {
                            shutdown.cancel();
                            return;
                        }
                        tracing::debug!(
                            "ignoring SIGINT: the host stops plugins through the controller"
                        );
                    }
                    () = shutdown.cancelled() => return,
                }
            }
        });
    }
}

/// Cancels `shutdown` on the first stopping console event: Ctrl-Break, the console
/// closing, the system shutting down; Ctrl-C too when `interrupt_stops`.
#[cfg(windows)]
pub fn spawn_signal_handlers(shutdown: CancellationToken, interrupt_stops: bool) {
    use tokio::signal::windows;
    // Each event has its own listener type: one task per event.
    macro_rules! stop_on {
        ($listen:expr, $what:literal) => {
            match $listen {
                Ok(mut listener) => {
                    let shutdown = shutdown.clone();
                    tokio::spawn(async move {
                        tokio::select! {
                            received = listener.recv() => if received.is_some() {
                                tracing::debug!(event = $what, "stopping on a console event");
                                shutdown.cancel();
                            },
                            () = shutdown.cancelled() => {}
                        }
                    });
                }
                Err(err) => tracing::warn!(error = %err, event = $what, "could not handle a console event"),
            }
        };
    }
    stop_on!(windows::ctrl_break(), "Ctrl-Break");
    stop_on!(windows::ctrl_close(), "close");
    stop_on!(windows::ctrl_shutdown(), "shutdown");
    match windows::ctrl_c() {
        Ok(mut interrupt) => {
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        received = interrupt.recv() => {
                            if received.is_none() {
                                return;
                            }
                            if interrupt_stops {
                                shutdown.cancel();
                                return;
                            }
                            tracing::debug!(
                                "ignoring Ctrl-C: the host stops plugins through the controller"
                            );
                        }
                        () = shutdown.cancelled() => return,
                    }
                }
            });
        }
        Err(err) => tracing::warn!(error = %err, "could not handle Ctrl-C"),
    }
}
