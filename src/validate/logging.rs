//! Rules for `logging`: SLS is given a project to write to (FS183), and a
//! project is not named for nothing (FS184).

use super::Ctx;
use crate::error::Diagnostic;
use crate::spec::LogMode;

pub fn check(ctx: &mut Ctx) {
    let logging = &ctx.spec.logging;
    match (logging.mode, &logging.sls) {
        (LogMode::Sls, None) => {
            let at = ctx.at(&["logging", "mode"]);
            ctx.push(
                Diagnostic::error("FS183", "`logging.mode` is `sls`, but `logging.sls.project` names no project to send the logs to")
                    .at_opt(at)
                    .with_help("add `sls: {project: <name>}` under `logging` (3 to 63 lowercase letters, digits and `-`, unique in the region), or set `mode: local`"),
            );
        }
        (mode, Some(sls)) if mode != LogMode::Sls => {
            let at = ctx.at(&["logging", "sls"]);
            let mode = if mode == LogMode::Off { "off" } else { "local" };
            ctx.push(
                Diagnostic::warning("FS184", format!("`logging.sls` names the project `{}`, but `logging.mode` is `{mode}`: no log goes there", sls.project))
                    .at_opt(at)
                    .with_help("set `mode: sls` to ship the logs, or remove `sls`"),
            );
        }
        _ => {}
    }
}
