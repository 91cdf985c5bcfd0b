//! The IPv4 interfaces a Probe can go out on: listed with `getifaddrs`, chosen by
//! name, or by default every interface that is up, not loopback and has multicast.
//!
//! Must not: send anything (that is `probe`'s).

use std::net::Ipv4Addr;

use nix::net::if_::InterfaceFlags;
use serde::Serialize;

use crate::Error;

/// A network interface and the IPv4 address the Probe goes out from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Interface {
    pub name: String,
    pub address: Ipv4Addr,
    pub up: bool,
    pub loopback: bool,
    pub multicast: bool,
}

/// Every interface with an IPv4 address (the first address of each), in the system's
/// order.
pub fn list_interfaces() -> Result<Vec<Interface>, Error> {
    let mut out: Vec<Interface> = Vec::new();
    for entry in nix::ifaddrs::getifaddrs().map_err(Error::ListInterfaces)? {
        let Some(address) = entry
            .address
            .as_ref()
            .and_then(|a| a.as_sockaddr_in())
            .map(|a| a.ip())
        else {
            continue;
        };
        if out.iter().any(|i| i.name == entry.interface_name) {
            continue;
        }
        out.push(Interface {
            name: entry.interface_name,
            address,
            up: entry.flags.contains(InterfaceFlags::IFF_UP),
            loopback: entry.flags.contains(InterfaceFlags::IFF_LOOPBACK),
            multicast: entry.flags.contains(InterfaceFlags::IFF_MULTICAST),
        });
    }
    Ok(out)
}

/// The interfaces to probe on: those named (each must be up with IPv4 and
/// multicast), or every up, non-loopback one with multicast when none is named.
pub fn choose(all: &[Interface], names: &[String]) -> Result<Vec<Interface>, Error> {
    let available = || {
        if all.is_empty() {
            "none".to_owned()
        } else {
            all.iter()
                .map(|i| format!("{} {}", i.name, i.address))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    if names.is_empty() {
        let chosen: Vec<Interface> = all
            .iter()
            .filter(|i| i.up && !i.loopback && i.multicast)
            .cloned()
            .collect();
        if chosen.is_empty() {
            return Err(Error::NoInterface {
                available: available(),
            });
        }
        return Ok(chosen);
    }
    let mut chosen: Vec<Interface> = Vec::new();
    for name in names {
        let Some(found) = all.iter().find(|i| &i.name == name) else {
            return Err(Error::UnknownInterface {
                name: crate::sanitize(name),
                available: available(),
            });
        };
        let reason = if !found.up {
            Some("it is down")
        } else if !found.multicast {
            Some("it has no multicast (for loopback: ip link set lo multicast on)")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(Error::UnusableInterface {
                name: name.clone(),
                reason,
            });
        }
        if !chosen.iter().any(|c| &c.name == name) {
            chosen.push(found.clone());
        }
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(name: &str, up: bool, loopback: bool, multicast: bool) -> Interface {
        Interface {
            name: name.to_owned(),
            address: Ipv4Addr::new(10, 0, 0, 1),
            up,
            loopback,
            multicast,
        }
    }

    #[test]
    fn default_takes_up_non_loopback_multicast_interfaces() {
        let all = [
            iface("lo", true, true, true),
            iface("eth0", true, false, true),
            iface("eth1", false, false, true),
            iface("tun0", true, false, false),
            iface("eth2", true, false, true),
        ];
        let chosen = choose(&all, &[]).expect("some");
        let names: Vec<&str> = chosen.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["eth0", "eth2"]);
    }

    #[test]
    fn default_with_nothing_usable_is_an_error_naming_what_exists() {
        let all = [iface("lo", true, true, true)];
        let err = choose(&all, &[]).expect_err("none usable");
        assert!(err.to_string().contains("lo 10.0.0.1"), "{err}");
    }

    #[test]
    fn named_interfaces_are_checked() {
        let all = [
            iface("lo", true, true, true),
            iface("eth1", false, false, true),
            iface("tun0", true, false, false),
        ];
        let lo = choose(&all, &["lo".to_owned(), "lo".to_owned()]).expect("lo");
        assert_eq!(lo.len(), 1, "named twice, probed once");
        let down = choose(&all, &["eth1".to_owned()]).expect_err("down");
        assert!(down.to_string().contains("down"), "{down}");
        let no_mc = choose(&all, &["tun0".to_owned()]).expect_err("no multicast");
        assert!(no_mc.to_string().contains("multicast"), "{no_mc}");
        let unknown = choose(&all, &["wlan\u{202e}9".to_owned()]).expect_err("unknown");
        assert!(unknown.to_string().contains("wlan9"), "{unknown}");
    }

    #[test]
    fn the_system_has_a_loopback_interface() {
        let all = list_interfaces().expect("getifaddrs");
        assert!(
            all.iter()
                .any(|i| i.loopback && i.address == Ipv4Addr::LOCALHOST),
            "{all:?}"
        );
    }
}
