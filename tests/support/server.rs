//! The TCP side shared by the test servers (std threads only): a listener on 127.0.0.1 with a free port, an
//! accept loop that serves each connection on its own thread, and the bookkeeping that lets the owner stop
//! cleanly. Dropping a [`Server`] stops it: the accept loop ends, every open socket is shut down and every
//! thread is joined.
//!
//! A server is made in two steps, so the handler's state can know the address and the stop flag:
//!
//! ```no_run
//! # use hsign_e2e::server::Server;
//! let mut server = Server::bind("example");
//! let addr = server.addr().to_owned();
//! let stop = server.stop_flag();
//! server.run(move |stream| {
//!     // ... read a request from `stream` and answer it, giving up early when `stop` is set ...
//!     let _ = (&addr, &stop, stream);
//! });
//! ```

use std::collections::HashMap;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// The connection bookkeeping shared by the accept loop and the connection threads.
#[derive(Default)]
struct Connections {
    /// Clones of the open sockets, shut down when the server stops.
    open: HashMap<u64, TcpStream>,
    /// The connection threads not yet known to be finished.
    threads: Vec<JoinHandle<()>>,
    /// The id of the next socket.
    next: u64,
}

/// What the accept loop and the connection threads share.
struct Inner {
    stop: Arc<AtomicBool>,
    connections: Mutex<Connections>,
}

impl Inner {
    fn connections(&self) -> MutexGuard<'_, Connections> {
        // A panicking connection thread cannot leave the bookkeeping inconsistent.
        self.connections
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records a clone of `stream` so [`Server`]'s drop can shut it down; `None` when it cannot be cloned.
    fn track(&self, stream: &TcpStream) -> Option<u64> {
        let clone = stream.try_clone().ok()?;
        let mut c = self.connections();
        let id = c.next;
        c.next += 1;
        c.open.insert(id, clone);
        Some(id)
    }

    fn untrack(&self, id: Option<u64>) {
        if let Some(id) = id {
            self.connections().open.remove(&id);
        }
    }
}

/// A handle on a server's socket bookkeeping, for sockets a handler opens itself (to an upstream, say):
/// tracked sockets are shut down when the server stops, like the accepted ones.
#[derive(Clone)]
pub struct Sockets(Arc<Inner>);

impl Sockets {
    /// Tracks a clone of `stream` until [`Sockets::untrack`]; `None` when it cannot be cloned.
    pub fn track(&self, stream: &TcpStream) -> Option<u64> {
        self.0.track(stream)
    }

    /// Stops tracking the socket `id` returned by [`Sockets::track`].
    pub fn untrack(&self, id: Option<u64>) {
        self.0.untrack(id);
    }
}

/// A listener on 127.0.0.1 with a free port, serving connections on their own threads once [`Server::run`]
/// is called. Stops when dropped.
pub struct Server {
    name: String,
    addr: String,
    listener: Option<TcpListener>,
    inner: Arc<Inner>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds 127.0.0.1:0. `name` names the accept thread (`<name>-<port>`). Nothing is served before
    /// [`Server::run`].
    pub fn bind(name: &str) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("binding the {name} server to 127.0.0.1:0: {e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("the {name} server's address: {e}"))
            .port();
        Server {
            name: name.to_owned(),
            addr: format!("127.0.0.1:{port}"),
            listener: Some(listener),
            inner: Arc::new(Inner {
                stop: Arc::new(AtomicBool::new(false)),
                connections: Mutex::new(Connections::default()),
            }),
            accept: None,
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The flag set when the server stops: handlers that wait should check it and give up.
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.inner.stop)
    }

    /// The socket bookkeeping, for sockets a handler opens itself.
    pub fn sockets(&self) -> Sockets {
        Sockets(Arc::clone(&self.inner))
    }

    /// Starts the accept loop: every connection gets its own thread that calls `handler` with the stream.
    /// The stream is tracked while the handler runs, so stopping the server shuts it down. Panics when
    /// called twice.
    pub fn run(&mut self, handler: impl Fn(TcpStream) + Send + Sync + 'static) {
        let listener = self.listener.take().expect("Server::run called twice");
        let inner = Arc::clone(&self.inner);
        let handler: Arc<dyn Fn(TcpStream) + Send + Sync> = Arc::new(handler);
        let thread_name = format!("{}-{}", self.name, self.addr.rsplit(':').next().unwrap_or_default());
        let accept = std::thread::Builder::new()
            .name(thread_name)
            .spawn(move || accept_loop(&listener, &inner, &handler))
            .unwrap_or_else(|e| panic!("spawning the {} server's accept thread: {e}", self.name));
        self.accept = Some(accept);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.inner.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.accept.take() {
            // Wake the accept loop.
            let _ = TcpStream::connect(&self.addr);
            let _ = t.join();
        }
        let (open, threads) = {
            let mut c = self.inner.connections();
            (std::mem::take(&mut c.open), std::mem::take(&mut c.threads))
        };
        for s in open.values() {
            let _ = s.shutdown(Shutdown::Both);
        }
        for t in threads {
            let _ = t.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, inner: &Arc<Inner>, handler: &Arc<dyn Fn(TcpStream) + Send + Sync>) {
    for conn in listener.incoming() {
        if inner.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = conn else { continue };
        let (i, h) = (Arc::clone(inner), Arc::clone(handler));
        let handle = std::thread::spawn(move || {
            let id = i.track(&stream);
            h(stream);
            i.untrack(id);
        });
        let mut c = inner.connections();
        c.threads.retain(|t| !t.is_finished());
        c.threads.push(handle);
    }
}
