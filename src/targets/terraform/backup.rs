//! Terraform blocks of the backup bucket (`backups.oss`): private, public
//! access blocked, encrypted at rest, kept by `terraform destroy`, with a
//! lifecycle rule that removes each copy after its retention. The same bucket
//! as the ROS template's `BackupBucket`.

use crate::model::Stack;
use crate::model::backup;

use super::super::hcl::{Block, raw, string};

pub fn blocks(stack: &Stack) -> Vec<Block> {
    let Some(oss) = backup::oss(stack) else {
        return Vec::new();
    };
    let bucket = Block::new("resource", &["alicloud_oss_bucket", "backups"])
        .comment("checkov:skip=CKV_ALI_6:encrypted at rest with OSS-managed keys (AES256); a customer master key would add a KMS key to pay for and keep")
        .comment("checkov:skip=CKV_ALI_10:each copy is written once under a new key (x-oss-forbid-overwrite) and the host may not delete; versioning would keep what the lifecycle rule removes")
        .comment("checkov:skip=CKV_ALI_11:the host uploads through the region's internal endpoint; transfer acceleration is for distant clients")
        .comment("checkov:skip=CKV_ALI_12:access logging needs a second bucket; the RAM policy lets only this stack's host add objects")
        .attr("bucket", string(&oss.bucket))
        .attr("force_destroy", raw("false"))
        .blank()
        .block(
            Block::new("server_side_encryption_rule", &[]).attr("sse_algorithm", string("AES256")),
        )
        .blank()
        .block(
            Block::new("lifecycle_rule", &[])
                .attr("id", string(&oss.rule_id))
                .attr("prefix", string(&format!("{}/", oss.prefix)))
                .attr("enabled", raw("true"))
                .blank()
                .block(
                    Block::new("expiration", &[])
                        .attr("days", raw(oss.retention_days.to_string())),
                )
                .blank()
                .block(Block::new("abort_multipart_upload", &[]).attr("days", raw("1"))),
        )
        .blank()
        .block(Block::new("lifecycle", &[]).attr("prevent_destroy", raw("true")));
    vec![
        bucket,
        Block::new("resource", &["alicloud_oss_bucket_acl", "backups"])
            .attr("bucket", raw("alicloud_oss_bucket.backups.bucket"))
            .attr("acl", string("private")),
        Block::new(
            "resource",
            &["alicloud_oss_bucket_public_access_block", "backups"],
        )
        .attr("bucket", raw("alicloud_oss_bucket.backups.bucket"))
        .attr("block_public_access", raw("true")),
    ]
}
