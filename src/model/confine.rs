//! Least privilege for every container the stack runs, from the confinement
//! table in [`super::contracts`]: `no-new-privileges`, all capabilities dropped
//! but the ones the image needs, a read-only root where the image writes only
//! to its volumes and tmpfs folders, a process limit, and an explicit non-root
//! `user:` where the image runs as one.

use super::contracts::{User, confinement, contract};
use super::{Hardening, Service};
use crate::spec::Kind;

pub(super) fn apply(services: &mut [Service]) {
    for service in services.iter_mut().filter(|s| !s.external) {
        let c = confinement(service.kind);
        let mut cap_add: Vec<String> = c.cap_add.iter().map(|c| (*c).to_owned()).collect();
        // An app listening below 1024 (FS118 warns) needs to bind it.
        if service.kind == Kind::App && service.ports.iter().any(|p| p.container < 1024) {
            cap_add.push("NET_BIND_SERVICE".to_owned());
        }
        cap_add.sort();
        service.hardening = Hardening {
            confined: true,
            cap_add,
            read_only: c.read_only,
            tmpfs: c.tmpfs.iter().map(|t| (*t).to_owned()).collect(),
            pids_limit: (c.pids > 0).then_some(c.pids),
        };
        // futurestack's own choice where the image would run as root, else the
        // image's non-root user made explicit.
        let user = match contract(service.kind).user {
            User::Set(user) => Some(user),
            _ => c.user,
        };
        if service.user.is_none() {
            service.user = user.map(str::to_owned);
        }
    }
}
