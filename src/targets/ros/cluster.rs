//! `ros/template.yaml` on ACK: the cluster's VPC and vSwitches, the managed
//! cluster (`ALIYUN::CS::ManagedKubernetesCluster`) with its components, one
//! node pool sized from the capacity budget, the managed services in the
//! same VPC, and the `k8s/` manifests applied with `ALIYUN::CS::ClusterApplication`.

use crate::model::Stack;
use crate::model::cloud;
use crate::model::kubernetes::{self as k8s, Cluster};
use crate::render::{Files, with_banner};
use crate::spec::{Kind, Tier};
use crate::targets::kubernetes::yaml::{Y, documents, i, s};

fn r(name: &str) -> Y {
    Y::map([("Ref", s(name))])
}

fn att(resource: &str, attribute: &str) -> Y {
    Y::map([("Fn::GetAtt", Y::seq([s(resource), s(attribute)]))])
}

fn resource(kind: &str, properties: Y) -> Y {
    Y::map([("Type", s(kind)), ("Properties", properties)])
}

pub fn render(stack: &Stack, cluster: &Cluster, before: &Files) -> Files {
    let name = stack.project.as_str();
    let mut params = vec![
        ("ZoneId".to_owned(), {
            let mut p = Y::map([
                ("Type", s("String")),
                ("Description", s("Zone of the nodes and their vSwitches.")),
            ]);
            if let Some(zone) = &stack.host.zone {
                p.push("Default", s(zone.as_str()));
            }
            p.push("AssociationProperty", s("ALIYUN::ECS::Instance:ZoneId"));
            p
        }),
        (
            "NodeInstanceType".to_owned(),
            Y::map([
                ("Type", s("String")),
                (
                    "Description",
                    s(
                        "ECS instance type of the nodes; the spec's host section sizes the pods for it.",
                    ),
                ),
                ("Default", s(stack.host.instance_type.as_str())),
                (
                    "AssociationProperty",
                    s("ALIYUN::ECS::Instance::InstanceType"),
                ),
            ]),
        ),
        (
            "NodeCount".to_owned(),
            Y::map([
                ("Type", s("Number")),
                ("Description", s(k8s::node_count_reason(cluster))),
                ("Default", i(cluster.nodes)),
                ("MinValue", i(1)),
                ("MaxValue", i(100)),
            ]),
        ),
    ];
    let managed = cloud::managed(stack);
    for (service, _) in &managed {
        if let Some(secret) = cloud::secret_for(stack, service, "password") {
            params.push((
                secret.ros_parameter.clone(),
                Y::map([
                    ("Type", s("String")),
                    ("Description", s(secret.description.as_str())),
                    ("NoEcho", Y::Bool(true)),
                    ("MinLength", i(8)),
                    ("AllowedPattern", s(cloud::SECRET_PATTERN)),
                    ("ConstraintDescription", s(cloud::SECRET_RULE)),
                ]),
            ));
        }
    }
    let mut resources = vec![
        (
            "Vpc".to_owned(),
            resource(
                "ALIYUN::ECS::VPC",
                Y::map([("VpcName", s(name)), ("CidrBlock", s(k8s::VPC_CIDR))]),
            ),
        ),
        (
            "VSwitch".to_owned(),
            resource(
                "ALIYUN::ECS::VSwitch",
                Y::map([
                    ("VSwitchName", s(format!("{name}-nodes"))),
                    ("VpcId", r("Vpc")),
                    ("ZoneId", r("ZoneId")),
                    ("CidrBlock", s(k8s::NODE_CIDR)),
                ]),
            ),
        ),
        (
            "PodVSwitch".to_owned(),
            resource(
                "ALIYUN::ECS::VSwitch",
                Y::map([
                    ("VSwitchName", s(format!("{name}-pods"))),
                    ("VpcId", r("Vpc")),
                    ("ZoneId", r("ZoneId")),
                    ("CidrBlock", s(k8s::POD_CIDR)),
                ]),
            ),
        ),
        (
            "Cluster".to_owned(),
            resource(
                "ALIYUN::CS::ManagedKubernetesCluster",
                Y::map([
                    ("Name", s(name)),
                    ("ClusterSpec", s(k8s::CLUSTER_SPEC)),
                    ("KubernetesVersion", s(cluster.version.as_str())),
                    ("VpcId", r("Vpc")),
                    ("VSwitchIds", Y::seq([r("VSwitch")])),
                    ("PodVswitchIds", Y::seq([r("PodVSwitch")])),
                    ("ServiceCidr", s(k8s::SERVICE_CIDR)),
                    ("ProxyMode", s(k8s::PROXY_MODE)),
                    ("SnatEntry", Y::Bool(true)),
                    ("EndpointPublicAccess", Y::Bool(false)),
                    (
                        "DeletionProtection",
                        Y::Bool(stack.tier == Tier::Production),
                    ),
                    (
                        "Addons",
                        Y::seq(k8s::addons(cluster).into_iter().map(|(addon, config)| {
                            let mut a = Y::map([("Name", s(addon))]);
                            if let Some(c) = config {
                                a.push("Config", s(c));
                            }
                            a
                        })),
                    ),
                ]),
            ),
        ),
        (
            "NodePool".to_owned(),
            resource(
                "ALIYUN::CS::ClusterNodePool",
                Y::map([
                    ("ClusterId", att("Cluster", "ClusterId")),
                    ("Count", r("NodeCount")),
                    (
                        "NodePoolInfo",
                        Y::map([("Name", s(format!("{name}-nodes")))]),
                    ),
                    // Managed nodes: repaired and patched by ACK, one node at a time.
                    (
                        "Management",
                        Y::map([
                            ("Enable", Y::Bool(true)),
                            ("AutoRepair", Y::Bool(true)),
                            (
                                "UpgradeConfig",
                                Y::map([("AutoUpgrade", Y::Bool(true)), ("MaxUnavailable", i(1))]),
                            ),
                        ]),
                    ),
                    (
                        "ScalingGroup",
                        Y::map([
                            ("VSwitchIds", Y::seq([r("VSwitch")])),
                            ("InstanceTypes", Y::seq([r("NodeInstanceType")])),
                            ("SystemDiskCategory", s("cloud_essd")),
                            ("SystemDiskSize", i(k8s::system_disk_gib(stack))),
                        ]),
                    ),
                ]),
            ),
        ),
    ];
    let mut manifests = Y::map([
        ("Type", s("ALIYUN::CS::ClusterApplication")),
        ("DependsOn", s("NodePool")),
    ]);
    manifests.push(
        "Properties",
        Y::map([
            ("ClusterId", att("Cluster", "ClusterId")),
            ("DefaultNamespace", s(cluster.namespace.as_str())),
            (
                "YamlContent",
                s(crate::targets::kubernetes::manifests(before)),
            ),
        ]),
    );
    resources.push(("Manifests".to_owned(), manifests));
    let mut outputs = vec![(
        "ClusterId".to_owned(),
        Y::map([
            (
                "Description",
                s("ACK cluster id (`aliyun cs GET /k8s/<id>/user_config` gives its kubeconfig)."),
            ),
            ("Value", att("Cluster", "ClusterId")),
        ]),
    )];
    for (service, m) in &managed {
        let res = cloud::ros_resource(service);
        let password = cloud::secret_for(stack, service, "password").map(|p| r(&p.ros_parameter));
        let label = format!("{name}-{}", service.name);
        let env = |key: &str| service.env.get(key).cloned();
        let props = match service.kind {
            Kind::Mysql | Kind::Postgres => {
                let (engine, charset) = if service.kind == Kind::Mysql {
                    ("MySQL", "utf8mb4")
                } else {
                    ("PostgreSQL", "UTF8")
                };
                let mut p = Y::map([
                    ("DBInstanceDescription", s(label)),
                    ("Engine", s(engine)),
                    ("EngineVersion", s(m.version.as_str())),
                    ("DBInstanceClass", s(m.class.as_str())),
                    ("DBInstanceStorage", i(m.storage_gib)),
                    ("DBInstanceNetType", s("Intranet")),
                    ("PayType", s("Postpaid")),
                    ("SecurityIPList", s(k8s::VPC_CIDR)),
                    ("VpcId", r("Vpc")),
                    ("VSwitchId", r("VSwitch")),
                    ("ZoneId", r("ZoneId")),
                ]);
                if let Some(user) = env("MYSQL_USER").or_else(|| env("POSTGRES_USER")) {
                    p.push("MasterUsername", s(user));
                    p.push("MasterUserType", s("Normal"));
                }
                if let Some(pw) = password {
                    p.push("MasterUserPassword", pw);
                }
                if let Some(db) = env("MYSQL_DATABASE").or_else(|| env("POSTGRES_DB")) {
                    p.push(
                        "DBMappings",
                        Y::seq([Y::map([
                            ("DBName", s(db)),
                            ("CharacterSetName", s(charset)),
                        ])]),
                    );
                }
                resource("ALIYUN::RDS::DBInstance", p)
            }
            Kind::Redis => {
                let mut p = Y::map([
                    ("InstanceName", s(label)),
                    ("InstanceClass", s(m.class.as_str())),
                    ("EngineVersion", s(m.version.as_str())),
                    ("ChargeType", s("PostPaid")),
                    ("VpcId", r("Vpc")),
                    ("VSwitchId", r("VSwitch")),
                    ("ZoneId", r("ZoneId")),
                ]);
                if let Some(pw) = password {
                    p.push("Password", pw);
                }
                resource("ALIYUN::REDIS::Instance", p)
            }
            _ => {
                let mut p = Y::map([
                    ("Description", s(label)),
                    ("Version", s(m.version.as_str())),
                    ("InstanceChargeType", s("PostPaid")),
                    ("VSwitchId", r("VSwitch")),
                    (
                        "DataNode",
                        Y::map([
                            ("Amount", i(m.nodes)),
                            ("Spec", s(m.class.as_str())),
                            ("DiskSize", i(m.storage_gib)),
                            ("DiskType", s("cloud_essd")),
                        ]),
                    ),
                ]);
                if let Some(pw) = password {
                    p.push("Password", pw);
                }
                resource("ALIYUN::ElasticSearch::Instance", p)
            }
        };
        resources.push((res.clone(), props));
        outputs.push((
            format!("{res}Endpoint"),
            Y::map([
                (
                    "Description",
                    s(format!(
                        "Private endpoint of the managed {} `{}`: `${}` for `k8s/apply.sh`.",
                        service.kind.as_str(),
                        service.name,
                        m.endpoint_var
                    )),
                ),
                (
                    "Value",
                    att(&res, cloud::ros_endpoint_attribute(service.kind)),
                ),
            ]),
        ));
    }
    let template = Y::map([
        ("ROSTemplateFormatVersion", s("2015-09-01")),
        (
            "Description",
            s(format!(
                "{} ({}): an ACK managed Kubernetes cluster running the stack. Generated by futurestack.",
                stack.project,
                stack.tier.as_str()
            )),
        ),
        ("Parameters", Y::Map(params)),
        ("Resources", Y::Map(resources)),
        ("Outputs", Y::Map(outputs)),
    ]);
    let path = "ros/template.yaml".to_owned();
    let text = with_banner(&path, stack, &documents(&[template]));
    Files::from([(path, text)])
}
