//! What a stack needs of its host: the budget of limits against the host (the
//! capacity rules' numbers) and the smallest instance type that fits it.

use serde::Serialize;

use super::catalog;
use crate::model::Stack;

/// The capacity budget of a stack against its host.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    pub cpus_used: f64,
    pub cpus_available: f64,
    pub memory_used_mib: u64,
    pub memory_available_mib: u64,
    pub disk_used_mib: u64,
    pub disk_mib: u64,
}

pub fn budget(stack: &Stack) -> Budget {
    let host = &stack.host;
    // A one-off job futurestack adds (the DingTalk config writer) has exited
    // before the services it prepares start: it takes no share of the host.
    let running = || {
        stack
            .services
            .iter()
            .filter(|s| !(s.generated && s.restart == crate::spec::Restart::No))
    };
    Budget {
        cpus_used: running().map(|s| s.cpus).sum::<f64>() + host.reserved.cpus,
        cpus_available: f64::from(host.vcpus),
        memory_used_mib: running().map(|s| s.memory.mib()).sum::<u64>()
            + host.reserved.memory.mib(),
        memory_available_mib: host.memory.mib(),
        disk_used_mib: stack
            .volumes
            .iter()
            .filter_map(|v| v.size)
            .map(|s| s.mib())
            .sum(),
        disk_mib: host.data_disk.unwrap_or(host.disk).mib(),
    }
}

/// vCPUs and memory of an instance type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shape {
    pub instance_type: String,
    pub vcpus: u32,
    pub memory_gib: u32,
}

impl Shape {
    fn of(t: &catalog::InstanceType) -> Shape {
        Shape {
            instance_type: t.name.to_owned(),
            vcpus: t.vcpus,
            memory_gib: t.memory_gib,
        }
    }
}

/// What the stack needs of its host and which instance type fits it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Capacity {
    /// The sum of the limits plus the host's reservation (what already runs).
    pub cpus: f64,
    pub memory_mib: u64,
    /// The volumes' sizes, in GiB.
    pub volumes_gib: u64,
    pub headroom_percent: u32,
    /// The needs with the headroom on top: what an instance type must offer.
    pub wanted_cpus: f64,
    pub wanted_memory_mib: u64,
    /// The host the spec describes.
    pub host: Shape,
    /// Whether the host offers what is wanted.
    pub host_fits: bool,
    /// The smallest type of the host's generation that offers it (none when
    /// even the largest does not).
    pub smallest_fit: Option<Shape>,
}

/// The needs of `stack` and the smallest type that fits them with `headroom_percent`.
pub fn capacity(stack: &Stack, headroom_percent: u32) -> Capacity {
    let b = budget(stack);
    let factor = 1.0 + f64::from(headroom_percent) / 100.0;
    // Hundredths of a vCPU, so 8.5 × 1.2 is 10.2 on every machine.
    let wanted_cpus = (b.cpus_used * factor * 100.0).round() / 100.0;
    let wanted_memory_mib = (b.memory_used_mib * u64::from(100 + headroom_percent)).div_ceil(100);
    let host = &stack.host;
    let generation = catalog::generation_of(&host.instance_type);
    Capacity {
        cpus: (b.cpus_used * 100.0).round() / 100.0,
        memory_mib: b.memory_used_mib,
        volumes_gib: b.disk_used_mib.div_ceil(1024),
        headroom_percent,
        wanted_cpus,
        wanted_memory_mib,
        host: Shape {
            instance_type: host.instance_type.clone(),
            vcpus: host.vcpus,
            memory_gib: u32::try_from(host.memory.mib() / 1024).unwrap_or(u32::MAX),
        },
        host_fits: f64::from(host.vcpus) + 1e-9 >= wanted_cpus
            && host.memory.mib() >= wanted_memory_mib,
        smallest_fit: catalog::smallest_fit(generation, wanted_cpus, wanted_memory_mib)
            .map(Shape::of),
    }
}
