//! Test support for WS-Discovery over real sockets: two network namespaces (the
//! prober's and the devices') joined by a veth pair, and a responder thread in the
//! devices' namespace that answers each Probe it receives as a test tells it to.
//!
//! Needs root (network namespaces); [`Link::new`] returns `None` with a printed note
//! otherwise. Shared by `crates/discovery/tests` and the root `tests/discover.rs`.

#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The prober's address on the link.
pub const PROBER_IP: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
/// The devices' address on the link.
pub const DEVICE_IP: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 2);

/// The real-format ProbeMatches (agsh/onvif's mock-up; `fixtures/LICENSE.agsh-onvif`),
/// with `RELATES_TO` and `SERVICE_URI` to fill in.
pub const FIXTURE: &str = include_str!("../fixtures/ProbeMatches.xml");

/// The fixture answering `relates_to`, its endpoint and scopes replaced when given.
pub fn fixture_reply(relates_to: &str, endpoint: Option<&str>, scopes: Option<&str>) -> String {
    let mut xml = FIXTURE
        .replace("RELATES_TO", relates_to)
        .replace("SERVICE_URI", "http://10.77.0.2/onvif/device_service");
    if let Some(endpoint) = endpoint {
        xml = xml.replace("uuid:c9790c3a-701b-464d-a189-0060351c8ada", endpoint);
    }
    if let Some(scopes) = scopes {
        let start = xml.find("<wsdd:Scopes>").expect("scopes") + "<wsdd:Scopes>".len();
        let end = xml.find("</wsdd:Scopes>").expect("scopes end");
        xml.replace_range(start..end, scopes);
    }
    xml
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("run ip");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Two namespaces and a veth pair between them; removed on drop.
pub struct Link {
    pub prober_ns: String,
    pub device_ns: String,
    pub prober_if: String,
    pub device_if: String,
    /// Further device namespaces added with [`Link::add_network`].
    pub more: Vec<Network>,
}

/// A further network of the prober: its own veth pair to its own device namespace,
/// 10.77.N.0/24 (the prober .1, the device .2).
pub struct Network {
    pub device_ns: String,
    pub prober_if: String,
    pub device_if: String,
    pub prober_ip: Ipv4Addr,
    pub device_ip: Ipv4Addr,
}

impl Link {
    /// A fresh link, or `None` (printed) when not root.
    pub fn new() -> Option<Link> {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("SKIPPED: WS-Discovery socket tests need root for network namespaces");
            return None;
        }
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let link = Link {
            prober_ns: format!("vigil-disc-{pid}-{n}-p"),
            device_ns: format!("vigil-disc-{pid}-{n}-d"),
            prober_if: format!("vd{}{n}p", pid % 1_000_000),
            device_if: format!("vd{}{n}d", pid % 1_000_000),
            more: Vec::new(),
        };
        ip(&["netns", "add", &link.prober_ns]);
        ip(&["netns", "add", &link.device_ns]);
        veth(
            (&link.prober_ns, &link.prober_if, PROBER_IP),
            (&link.device_ns, &link.device_if, DEVICE_IP),
        );
        Some(link)
    }

    /// Another network: a new device namespace behind a new interface of the prober.
    pub fn add_network(&mut self) -> &Network {
        let k = self.more.len() + 1;
        let network = Network {
            device_ns: format!("{}{k}", self.device_ns),
            prober_if: format!("{}{k}", self.prober_if),
            device_if: format!("{}{k}", self.device_if),
            prober_ip: Ipv4Addr::new(10, 77, k as u8, 1),
            device_ip: Ipv4Addr::new(10, 77, k as u8, 2),
        };
        // Pushed first, so that a failure below still removes the namespace on drop.
        self.more.push(network);
        let network = &self.more[k - 1];
        ip(&["netns", "add", &network.device_ns]);
        veth(
            (&self.prober_ns, &network.prober_if, network.prober_ip),
            (&network.device_ns, &network.device_if, network.device_ip),
        );
        network
    }
}

/// A veth pair between two namespaces, addressed /24 and up, once both ends have
/// their carrier (a datagram sent before is dropped).
fn veth(a: (&str, &str, Ipv4Addr), b: (&str, &str, Ipv4Addr)) {
    ip(&[
        "link", "add", a.1, "netns", a.0, "type", "veth", "peer", "name", b.1, "netns", b.0,
    ]);
    for (ns, dev, addr) in [a, b] {
        ip(&["-n", ns, "addr", "add", &format!("{addr}/24"), "dev", dev]);
        ip(&["-n", ns, "link", "set", dev, "up"]);
        ip(&["-n", ns, "link", "set", "lo", "up"]);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    for (ns, dev, _) in [a, b] {
        loop {
            let out = Command::new("ip")
                .args(["-n", ns, "-o", "link", "show", "dev", dev])
                .output()
                .expect("ip link show");
            if String::from_utf8_lossy(&out.stdout).contains("state UP") {
                break;
            }
            assert!(Instant::now() < deadline, "{dev} never came up");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        let more = self.more.iter().map(|n| &n.device_ns);
        for ns in [&self.prober_ns, &self.device_ns].into_iter().chain(more) {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// Move the calling thread into network namespace `ns` (sockets it makes then live
/// there).
fn enter(ns: &str) {
    let file = std::fs::File::open(format!("/var/run/netns/{ns}")).expect("open netns");
    nix::sched::setns(file, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
}

/// Run `f` on a thread inside namespace `ns` and return its result.
pub fn in_netns<T: Send>(ns: &str, f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("test-prober".to_owned())
            .spawn_scoped(scope, || {
                enter(ns);
                f()
            })
            .expect("spawn")
            .join()
            .expect("prober thread")
    })
}

/// A Probe the responder received.
#[derive(Clone, Debug)]
pub struct Seen {
    pub message_id: String,
    pub from: SocketAddr,
    pub text: String,
}

/// What a responder does with a Probe: send replies (or not) through the socket.
pub type Answer = Box<dyn FnMut(&Seen, &UdpSocket, &AtomicBool) + Send>;

/// A WS-Discovery responder on 239.255.255.250:3702 in the devices' namespace. It
/// calls its answer once per MessageID (a repeated Probe is not answered again) and
/// stops on drop.
pub struct Responder {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Vec<Seen>>>,
}

impl Responder {
    /// A responder on the link's first device namespace.
    pub fn start(link: &Link, answer: Answer) -> Responder {
        Self::start_in(&link.device_ns, DEVICE_IP, answer)
    }

    /// A responder in namespace `ns`, joined to the group on `address`.
    pub fn start_in(ns: &str, address: Ipv4Addr, mut answer: Answer) -> Responder {
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel(1);
        let ns = ns.to_owned();
        let stopping = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("test-responder".to_owned())
            .spawn(move || {
                enter(&ns);
                let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 3702)).expect("bind 3702");
                socket
                    .join_multicast_v4(&Ipv4Addr::new(239, 255, 255, 250), &address)
                    .expect("join group");
                socket
                    .set_read_timeout(Some(Duration::from_millis(20)))
                    .expect("timeout");
                ready_tx.send(()).expect("ready");
                let mut seen: Vec<Seen> = Vec::new();
                let mut buffer = vec![0u8; 65_536];
                while !stopping.load(Ordering::Relaxed) {
                    let Ok((len, from)) = socket.recv_from(&mut buffer) else {
                        continue;
                    };
                    let text = String::from_utf8_lossy(&buffer[..len]).into_owned();
                    let message_id = between(&text, "MessageID>", "<").unwrap_or_default();
                    let first = !seen.iter().any(|s| s.message_id == message_id);
                    let probe = Seen {
                        message_id,
                        from,
                        text,
                    };
                    seen.push(probe.clone());
                    if first {
                        answer(&probe, &socket, &stopping);
                    }
                }
                seen
            })
            .expect("spawn responder");
        ready_rx
            .recv_timeout(Duration::from_secs(5))
            .expect("responder ready");
        Responder {
            stop,
            thread: Some(thread),
        }
    }

    /// Stop and return every Probe received.
    pub fn finish(mut self) -> Vec<Seen> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .take()
            .map(|t| t.join().expect("responder thread"))
            .unwrap_or_default()
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The text between `start` and the next `end`.
pub fn between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(text[from..from + len].to_owned())
}

/// Send `payload` to the prober that sent `seen`.
pub fn reply(socket: &UdpSocket, seen: &Seen, payload: &str) {
    socket
        .send_to(payload.as_bytes(), seen.from)
        .expect("send reply");
}
