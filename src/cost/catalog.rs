//! The ECS instance types futurestack knows (`data/ecs-instance-types.tsv`,
//! read from Alibaba Cloud's size tables): what a type offers, and the
//! smallest type of a generation that fits what a stack needs.

use std::sync::OnceLock;

/// One instance type of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceType {
    /// `ecs.c7.2xlarge`.
    pub name: &'static str,
    /// `c7`.
    pub family: &'static str,
    pub vcpus: u32,
    pub memory_gib: u32,
    /// `x86_64` or `arm64`: images must be built for it.
    pub arch: &'static str,
}

impl InstanceType {
    /// The family's series: `c` (compute, 1:2), `g` (general, 1:4), `r` (memory, 1:8).
    pub fn series(&self) -> char {
        self.family.chars().next().unwrap_or('?')
    }

    /// The generation and make: `7`, `7a`, `8i`, `8y`.
    pub fn generation(&self) -> &'static str {
        &self.family[1..]
    }
}

const TABLE: &str = include_str!("../../data/ecs-instance-types.tsv");

/// Every instance type, in the table's order.
pub fn all() -> &'static [InstanceType] {
    static ALL: OnceLock<Vec<InstanceType>> = OnceLock::new();
    ALL.get_or_init(|| {
        TABLE
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|line| {
                let cells: Vec<&'static str> = line.split('\t').collect();
                let [name, vcpus, memory, arch] = cells[..] else {
                    panic!("data/ecs-instance-types.tsv: a row has four cells: {line}");
                };
                InstanceType {
                    name,
                    family: name
                        .split('.')
                        .nth(1)
                        .expect("names are ecs.<family>.<size>"),
                    vcpus: vcpus.parse().expect("vcpus is a number"),
                    memory_gib: memory.parse().expect("memory_gib is a number"),
                    arch,
                }
            })
            .collect()
    })
}

/// The catalogue's entry for `name`.
pub fn lookup(name: &str) -> Option<&'static InstanceType> {
    all().iter().find(|t| t.name == name)
}

/// Whether the catalogue has the family of `ecs.<family>.<size>` (its size may
/// still be one ECS does not offer).
pub fn knows_family(name: &str) -> bool {
    let family = name.split('.').nth(1);
    all().iter().any(|t| Some(t.family) == family)
}

/// The generation candidates come from: the current type's (so the make and
/// the architecture stay), or the seventh (x86_64) for a type futurestack
/// does not know.
pub fn generation_of(current: &str) -> &'static str {
    let family = current.split('.').nth(1).unwrap_or("");
    all()
        .iter()
        .find(|t| t.family == family)
        .map_or("7", InstanceType::generation)
}

/// The smallest type of `generation` (c, g or r series) with at least `cpus`
/// vCPUs and `memory_mib` of memory: fewest vCPUs first, then least memory.
pub fn smallest_fit(generation: &str, cpus: f64, memory_mib: u64) -> Option<&'static InstanceType> {
    let mut fits: Vec<&InstanceType> = all()
        .iter()
        .filter(|t| t.generation() == generation)
        .filter(|t| {
            f64::from(t.vcpus) + 1e-9 >= cpus && u64::from(t.memory_gib) * 1024 >= memory_mib
        })
        .collect();
    fits.sort_by_key(|t| (t.vcpus, t.memory_gib, t.series()));
    fits.first().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_reads_and_its_exceptions_hold() {
        assert!(all().len() > 150);
        let t = lookup("ecs.c8i.48xlarge").unwrap();
        assert_eq!((t.vcpus, t.memory_gib, t.arch), (192, 512, "x86_64"));
        assert_eq!(lookup("ecs.g8y.small").unwrap().arch, "arm64");
        assert!(
            lookup("ecs.c7a.3xlarge").is_none(),
            "AMD families have no 3xlarge"
        );
        assert!(knows_family("ecs.c7a.3xlarge"));
        assert!(!knows_family("ecs.t6.large"));
        assert!(all().iter().all(|t| t.vcpus != 6), "no type has 6 vCPUs");
        for t in all() {
            assert!(matches!(t.series(), 'c' | 'g' | 'r'), "{}", t.name);
            assert!(t.name.starts_with(&format!("ecs.{}.", t.family)));
        }
    }

    #[test]
    fn the_smallest_fit_prefers_fewer_vcpus_then_less_memory() {
        // 6 vCPU / 12 GiB (the plan's upgrade) does not exist: 8 / 16 it is.
        assert_eq!(
            smallest_fit("7", 6.0, 12 * 1024).unwrap().name,
            "ecs.c7.2xlarge"
        );
        // Memory-bound: 4 vCPUs with 16 GiB is a g, not a larger c.
        assert_eq!(
            smallest_fit("7", 3.5, 14 * 1024).unwrap().name,
            "ecs.g7.xlarge"
        );
        assert_eq!(
            smallest_fit("7", 2.0, 4 * 1024).unwrap().name,
            "ecs.c7.large"
        );
        assert_eq!(
            smallest_fit("8a", 9.0, 1024).unwrap().name,
            "ecs.c8a.4xlarge"
        );
        assert!(smallest_fit("7", 500.0, 1024).is_none());
        assert_eq!(generation_of("ecs.g8y.large"), "8y");
        assert_eq!(generation_of("ecs.t6.large"), "7");
    }
}
