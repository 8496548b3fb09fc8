//! The client network a rate limit is keyed on: an IPv4 address as is, an IPv6 address by its
//! /64 (one subscriber usually holds a whole /64 and can pick any address in it), and an
//! IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a dual-stack socket reports) as its IPv4.

use std::{
    fmt,
    net::{IpAddr, Ipv6Addr},
};

/// A client's own address, as the server worked it out (the TCP peer, or the trusted proxies'
/// `X-Forwarded-For`): what is recorded where Stripe asks who accepted its terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// A client's network, normalised from its address; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientNetwork(IpAddr);

impl ClientNetwork {
    /// The network `ip` belongs to.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(IpAddr::V4(v4)),
                None => Self(IpAddr::V6(Ipv6Addr::from(
                    u128::from(v6) & !u128::from(u64::MAX),
                ))),
            },
        }
    }
}

impl fmt::Display for ClientNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network(ip: &str) -> ClientNetwork {
        ClientNetwork::of(ip.parse().unwrap())
    }

    #[test]
    fn ipv6_addresses_in_one_slash_64_are_one_network() {
        assert_eq!(network("2001:db8:1:2::1"), network("2001:db8:1:2:ffff::9"));
        assert_ne!(network("2001:db8:1:2::1"), network("2001:db8:1:3::1"));
        assert_eq!(network("2001:db8:1:2::1").to_string(), "2001:db8:1:2::/64");
    }

    #[test]
    fn ipv4_addresses_stay_whole_and_mapped_ones_are_ipv4() {
        assert_ne!(network("192.0.2.1"), network("192.0.2.2"));
        assert_eq!(network("::ffff:192.0.2.1"), network("192.0.2.1"));
        assert_eq!(network("::ffff:192.0.2.1").to_string(), "192.0.2.1");
    }
}
