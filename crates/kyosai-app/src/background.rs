//! Work that must never slow a member's request: rendering the PDF letters that mail delivery
//! attaches runs on one thread of its own at the lowest CPU priority.
//!
//! Rendering a letter takes 10–15 ms of CPU. Every enrollment mails its 契約締結証書, so at a few
//! hundred enrollments a second the delivery loop, rendering on the runtime's blocking threads at
//! normal priority, took one of the machine's two cores away from the requests themselves: the
//! enrollment capacity fell from about 880/s to about 320/s, and requests with no database at all
//! (the public simulation) lost a third of their throughput while the backlog rendered
//! (docs/BENCHMARKS.md, session 11). A mail may wait a few seconds more; a member must not. The
//! thread is niced once at start (a thread can lower its own priority, not raise it back without
//! privileges, which is why it is not a thread of a shared pool).

use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};

type Job = Box<dyn FnOnce() + Send>;

/// The background thread's queue, started on first use.
fn queue() -> &'static Mutex<mpsc::Sender<Job>> {
    static QUEUE: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("kyosai-background".into())
            .spawn(move || {
                lower_own_priority();
                for job in rx {
                    job();
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "could not start the background thread");
        }
        Mutex::new(tx)
    })
}

/// Nice 19 for the calling thread (Linux: `setpriority` on a thread id applies to that thread
/// only). Where it cannot be set the work still runs, at normal priority.
fn lower_own_priority() {
    #[cfg(target_os = "linux")]
    let lowered = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 19).is_ok();
    #[cfg(not(target_os = "linux"))]
    let lowered = false;
    if !lowered {
        tracing::warn!("background work runs at normal priority (could not lower it)");
    }
}

/// Runs `work` on the background thread and waits for its result without blocking the runtime.
pub(crate) async fn run<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, crate::AppError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(work());
    });
    queue()
        .lock()
        .map_err(|_| crate::AppError::Internal("background queue poisoned".into()))?
        .send(job)
        .map_err(|_| crate::AppError::Internal("background thread stopped".into()))?;
    rx.await
        .map_err(|_| crate::AppError::Internal("background work was dropped".into()))
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn work_runs_on_the_background_thread_at_the_lowest_priority() {
        let (name, priority) = super::run(|| {
            (
                std::thread::current().name().map(str::to_string),
                rustix::process::getpriority_process(Some(rustix::thread::gettid())),
            )
        })
        .await
        .unwrap();
        assert_eq!(name.as_deref(), Some("kyosai-background"));
        #[cfg(target_os = "linux")]
        assert_eq!(priority.unwrap(), 19);
        // The caller's own thread is untouched.
        assert_eq!(
            rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap(),
            0
        );
    }
}
