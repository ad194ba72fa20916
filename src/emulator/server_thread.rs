//! The background thread a loopback server (the emulator, the Infisical stand-in) runs
//! on, and stopping it exactly once.

use std::thread::JoinHandle;

use parking_lot::Mutex;
use tokio::sync::oneshot;

/// A server thread that stops when asked or when its owner is dropped.
pub(crate) struct ServerThread(Mutex<Option<(oneshot::Sender<()>, JoinHandle<()>)>>);

impl ServerThread {
    pub(crate) fn new(shutdown: oneshot::Sender<()>, thread: JoinHandle<()>) -> Self {
        Self(Mutex::new(Some((shutdown, thread))))
    }

    /// Signals shutdown and waits for the thread, unless called from that thread itself
    /// (joining it there would deadlock). Later calls do nothing.
    pub(crate) fn stop(&self) {
        let Some((shutdown, thread)) = self.0.lock().take() else {
            return;
        };
        let _ = shutdown.send(());
        if thread.thread().id() != std::thread::current().id() {
            let _ = thread.join();
        }
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        self.stop();
    }
}
