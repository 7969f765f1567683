//! Where the stack runs: the host (a new or an existing ECS instance), its
//! disk, snapshots, bootstrap and Terraform state.

use schemars::JsonSchema;
use serde::Deserialize;

use super::ByteSize;

/// Automatic snapshots of the data disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Snapshots {
    /// Hour of the day the snapshot is taken (0 to 23).
    #[serde(default = "Snapshots::default_hour")]
    #[schemars(range(min = 0, max = 23))]
    pub hour: u8,
    /// Days each snapshot is kept (1 to 65536).
    #[serde(default = "Snapshots::default_retention")]
    #[schemars(range(min = 1, max = 65536))]
    pub retention_days: u32,
}

impl Snapshots {
    fn default_hour() -> u8 {
        3
    }
    fn default_retention() -> u32 {
        7
    }
}

impl Default for Snapshots {
    fn default() -> Self {
        Snapshots {
            hour: Self::default_hour(),
            retention_days: Self::default_retention(),
        }
    }
}

/// The cloud machine that runs the stack.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// Cloud provider. Only Alibaba Cloud (`alicloud`) is supported.
    pub provider: Provider,
    /// `new`: the templates create the host (VPC, vSwitch, security group, ECS
    /// instance, data disk, elastic IP); the stack must then be self-contained.
    /// `existing`: the stack is added to a host that already runs (the plan's case);
    /// its instance and security group are template parameters, and nothing else of
    /// the host is created.
    #[serde(default)]
    pub mode: HostMode,
    /// Name of the machine. Environments whose hosts have the same name run on one
    /// machine, so their published ports must not collide.
    #[serde(default)]
    pub name: Option<String>,
    /// Region id, for example `cn-hangzhou`.
    #[schemars(regex(pattern = r"^[a-z]{2}-[a-z0-9-]+$"))]
    pub region: String,
    /// ECS instance type, for example `ecs.c7.xlarge` (4 vCPU, 8 GiB).
    #[schemars(regex(pattern = r"^ecs\.[a-z0-9-]+\.[a-z0-9-]+$"))]
    pub instance_type: String,
    /// Number of vCPUs of the instance type.
    #[schemars(range(min = 1, max = 1024))]
    pub vcpus: u32,
    /// Memory of the instance type, for example `8GiB`.
    pub memory: ByteSize,
    /// Size of the system disk, for example `40GiB`.
    pub disk: ByteSize,
    /// What the host needs outside this stack: the operating system, Docker, and
    /// containers that are already running but not described in the spec.
    #[serde(default)]
    pub reserved: Reserved,
    /// Zone of the instance, for example `cn-hangzhou-h`. The templates take it as a
    /// parameter; this is its default.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[a-z]{2}-[a-z0-9-]+-[a-z0-9]+$"))]
    pub zone: Option<String>,
    /// Image of the instance.
    #[serde(default = "Host::default_image")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9._-]+$"))]
    pub image: String,
    /// Category of the system and data disks.
    #[serde(default)]
    pub disk_category: DiskCategory,
    /// A data disk mounted at `/var/lib/docker`, so volumes do not fill the system disk.
    #[serde(default)]
    pub data_disk: Option<ByteSize>,
    /// Automatic snapshots of the data disk (with `data_disk`; these defaults
    /// apply when the section is left out): every day at `hour` (the region's
    /// time), kept `retention_days`.
    #[serde(default)]
    pub snapshots: Snapshots,
    /// Public bandwidth in Mbit/s (pay by traffic), on an elastic IP.
    #[serde(default = "Host::default_bandwidth")]
    #[schemars(range(min = 1, max = 200))]
    pub bandwidth: u32,
    /// How the instance gets the generated files at first boot.
    #[serde(default)]
    pub bootstrap: Bootstrap,
    /// Where Terraform keeps its state: an OSS bucket (encrypted, private),
    /// instead of a local `terraform.tfstate` that holds the secrets' values in
    /// plain text. The bucket must exist.
    #[serde(default)]
    pub terraform_state: Option<TerraformState>,
}

/// Terraform's remote state on OSS (the `oss` backend).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TerraformState {
    /// The OSS bucket, in the host's region.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"))]
    pub bucket: String,
    /// Table Store endpoint for state locking (with `lock_table`).
    #[serde(default)]
    pub lock_endpoint: Option<String>,
    /// Table Store table for state locking; its primary key is `LockID` (a string).
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]{0,254}$"))]
    pub lock_table: Option<String>,
}

impl Host {
    fn default_image() -> String {
        "ubuntu_22_04_x64_20G_alibase_20240926.vhd".into()
    }
    fn default_bandwidth() -> u32 {
        10
    }
}

/// Whether the templates create the host or deploy onto one that already runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum HostMode {
    /// A fresh ECS instance, created by the templates.
    #[default]
    New,
    /// An ECS instance that already runs (with Docker), given to the templates by id.
    Existing,
}

/// ECS disk categories.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiskCategory {
    /// ESSD cloud disk.
    #[default]
    CloudEssd,
    /// Standard SSD cloud disk.
    CloudSsd,
    /// Ultra cloud disk.
    CloudEfficiency,
    /// ESSD AutoPL cloud disk.
    CloudAuto,
}

impl DiskCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            DiskCategory::CloudEssd => "cloud_essd",
            DiskCategory::CloudSsd => "cloud_ssd",
            DiskCategory::CloudEfficiency => "cloud_efficiency",
            DiskCategory::CloudAuto => "cloud_auto",
        }
    }
}

/// First-boot delivery of the generated files.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bootstrap {
    /// HTTPS URL (for example a signed OSS URL) of a `.tar.gz` of the environment's
    /// generated folder. The deploy checks every file it uses against the SHA-256
    /// the templates carry. Without it the files are embedded in the deploy command,
    /// which Cloud Assistant limits in size.
    #[serde(default)]
    pub bundle_url: Option<String>,
}

/// Cloud providers futurestack can target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Alibaba Cloud.
    Alicloud,
}

/// Host capacity kept free for things outside the stack.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reserved {
    /// CPUs kept free.
    #[serde(default = "Reserved::default_cpus")]
    #[schemars(range(min = 0.0))]
    pub cpus: f64,
    /// Memory kept free.
    #[serde(default = "Reserved::default_memory")]
    pub memory: ByteSize,
}

impl Reserved {
    fn default_cpus() -> f64 {
        0.5
    }
    fn default_memory() -> ByteSize {
        ByteSize::from_mib(1024)
    }
}

impl Default for Reserved {
    fn default() -> Self {
        Reserved {
            cpus: Self::default_cpus(),
            memory: Self::default_memory(),
        }
    }
}
