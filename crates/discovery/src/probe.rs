//! One probe: the socket, the Probe sent out of each chosen interface (and once more
//! shortly after), and the replies read until the time is up, a cap is reached or the
//! caller cancels. Replies are parsed (`parse`), checked against our MessageID and
//! merged per endpoint reference.
//!
//! Must not: answer anything, connect to a device, or read past the caps.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockRef, Socket, Type};

use crate::interfaces::{self, Interface};
use crate::parse::{self, MAX_LIST_ENTRIES, Match};
use crate::text::{onvif_scope, sanitize};
use crate::{Device, Discovery, Error, MAX_DURATION, MULTICAST_GROUP, PORT, ProbeOptions, message};

/// When the Probe is sent a second time (WS-Discovery repeats UDP messages once).
const REPEAT_DELAY: Duration = Duration::from_millis(250);
/// The longest one wait for a datagram lasts, so a cancel is seen quickly.
const POLL: Duration = Duration::from_millis(100);

/// Send a WS-Discovery Probe and collect the answers; blocks for at most
/// `options.duration`. See the crate documentation.
///
/// Errors are about this machine (no usable interface, a socket that cannot be
/// made, the Probe not sent anywhere); what devices send never makes it fail.
pub fn probe(options: &ProbeOptions) -> Result<Discovery, Error> {
    if options.duration.is_zero() || options.duration > MAX_DURATION {
        return Err(Error::Duration {
            secs: options.duration.as_secs_f64(),
        });
    }
    if options.max_devices == 0 || options.max_datagrams == 0 {
        return Err(Error::Caps);
    }
    let all = interfaces::list_interfaces()?;
    let chosen = interfaces::choose(&all, &options.interfaces)?;
    let message_id = message::new_message_id()?;
    let span = tracing::debug_span!("discovery", message_id = %message_id);
    let _entered = span.enter();
    let envelope = message::probe_envelope(&message_id);
    let socket = open_socket()?;

    let start = Instant::now();
    let deadline = start + options.duration;
    let resend_at = start + REPEAT_DELAY;
    send_all(&socket, &chosen, envelope.as_bytes())?;
    let mut resent = false;
    let mut collector = Collector::new(&message_id, options.max_devices);
    let mut buffer = vec![0u8; parse::MAX_REPLY_BYTES];
    let mut datagrams = 0usize;
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        if options
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            tracing::debug!("probe cancelled");
            break;
        }
        if !resent && now >= resend_at {
            resent = true;
            if let Err(err) = send_all(&socket, &chosen, envelope.as_bytes()) {
                tracing::debug!(%err, "the repeated Probe was not sent");
            }
        }
        let wake = if resent { deadline } else { resend_at };
        let wait = wake
            .saturating_duration_since(now)
            .clamp(Duration::from_millis(1), POLL);
        socket
            .set_read_timeout(Some(wait))
            .map_err(|source| Error::Io {
                what: "set the discovery socket's timeout".to_owned(),
                source,
            })?;
        match socket.recv_from(&mut buffer) {
            Ok((len, from)) => {
                datagrams += 1;
                collector.take(&buffer[..len], from.ip());
            }
            Err(err)
                if matches!(
                    err.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) =>
            {
                continue;
            }
            Err(err) => {
                // An ICMP error or the like; counted, so a storm of them is bounded too.
                datagrams += 1;
                tracing::debug!(%err, "reading a reply failed");
            }
        }
        if datagrams >= options.max_datagrams {
            tracing::debug!(datagrams, "datagram cap reached; listening stops");
            collector.truncated = true;
            break;
        }
    }
    tracing::debug!(
        devices = collector.devices.len(),
        malformed = collector.malformed,
        ignored = collector.ignored,
        datagrams,
        "probe done"
    );
    Ok(Discovery {
        devices: collector.devices,
        malformed: collector.malformed,
        ignored: collector.ignored,
        truncated: collector.truncated,
        interfaces: chosen,
        duration: start.elapsed(),
    })
}

/// A UDP socket on an ephemeral port of every address (replies come unicast to it),
/// multicast limited to the local link and looped back (a device on this host answers).
fn open_socket() -> Result<UdpSocket, Error> {
    let io = |what: &str| {
        let what = what.to_owned();
        move |source| Error::Io { what, source }
    };
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))
        .map_err(io("create the discovery socket"))?;
    socket
        .bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)).into())
        .map_err(io("bind the discovery socket"))?;
    socket
        .set_multicast_ttl_v4(1)
        .map_err(io("set the multicast TTL"))?;
    socket
        .set_multicast_loop_v4(true)
        .map_err(io("set multicast loopback"))?;
    Ok(socket.into())
}

/// The Probe out of each interface; an error only when it went out of none (a
/// failure on some is logged, once).
fn send_all(socket: &UdpSocket, chosen: &[Interface], probe: &[u8]) -> Result<(), Error> {
    let group = SocketAddrV4::new(MULTICAST_GROUP, PORT);
    let mut failures: Vec<(&str, std::io::Error)> = Vec::new();
    for interface in chosen {
        let sent = SockRef::from(socket)
            .set_multicast_if_v4(&interface.address)
            .and_then(|()| socket.send_to(probe, group));
        match sent {
            Ok(_) => tracing::debug!(interface = %interface.name, "Probe sent"),
            Err(err) => failures.push((&interface.name, err)),
        }
    }
    if failures.len() == chosen.len() {
        let all: Vec<String> = failures
            .iter()
            .map(|(name, err)| format!("{name}: {err}"))
            .collect();
        return Err(Error::NotSent(all.join("; ")));
    }
    for (name, err) in failures {
        tracing::warn!(interface = %name, %err, "the Probe could not be sent on this interface");
    }
    Ok(())
}

/// The replies so far, merged per endpoint.
struct Collector<'a> {
    message_id: &'a str,
    max_devices: usize,
    devices: Vec<Device>,
    malformed: u32,
    ignored: u32,
    truncated: bool,
}

impl<'a> Collector<'a> {
    fn new(message_id: &'a str, max_devices: usize) -> Self {
        Self {
            message_id,
            max_devices,
            devices: Vec::new(),
            malformed: 0,
            ignored: 0,
            truncated: false,
        }
    }

    /// One datagram from `from`.
    fn take(&mut self, bytes: &[u8], from: IpAddr) {
        let reply = match parse::parse_reply(bytes) {
            Ok(reply) => reply,
            Err(err) => {
                self.malformed = self.malformed.saturating_add(1);
                tracing::debug!(%from, %err, "malformed WS-Discovery reply skipped");
                return;
            }
        };
        if reply.relates_to.as_deref() != Some(self.message_id) {
            self.ignored = self.ignored.saturating_add(1);
            tracing::debug!(%from, "reply to another message ignored");
            return;
        }
        for found in reply.matches {
            self.add(found, from);
        }
    }

    fn add(&mut self, found: Match, from: IpAddr) {
        let endpoint = sanitize(&found.endpoint);
        if endpoint.is_empty() {
            self.malformed = self.malformed.saturating_add(1);
            tracing::debug!(%from, "ProbeMatch without a readable endpoint skipped");
            return;
        }
        let device = Device {
            address: from,
            name: onvif_scope(&found.scopes, "name"),
            hardware: onvif_scope(&found.scopes, "hardware"),
            endpoint,
            xaddrs: clean(&found.xaddrs),
            scopes: clean(&found.scopes),
            types: clean(&found.types),
        };
        if let Some(known) = self
            .devices
            .iter_mut()
            .find(|d| d.endpoint == device.endpoint)
        {
            merge(known, device);
        } else if self.devices.len() < self.max_devices {
            self.devices.push(device);
        } else if !self.truncated {
            self.truncated = true;
            tracing::debug!(
                max = self.max_devices,
                "device cap reached; new devices are dropped"
            );
        }
    }
}

fn clean(list: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for entry in list.iter().map(|e| sanitize(e)) {
        if !entry.is_empty() && !out.contains(&entry) {
            out.push(entry);
        }
    }
    out
}

/// A second answer from the same endpoint adds what it says that the first did not.
fn merge(known: &mut Device, again: Device) {
    fn union(into: &mut Vec<String>, more: Vec<String>) {
        for entry in more {
            if into.len() < MAX_LIST_ENTRIES && !into.contains(&entry) {
                into.push(entry);
            }
        }
    }
    union(&mut known.xaddrs, again.xaddrs);
    union(&mut known.scopes, again.scopes);
    union(&mut known.types, again.types);
    if known.name.is_none() {
        known.name = again.name;
    }
    if known.hardware.is_none() {
        known.hardware = again.hardware;
    }
}
