//! FS125: a service's `env` cannot replace a variable futurestack sets itself,
//! so no rule can be dodged through it (`xpack.security.enabled: "false"`
//! behind FS116, a `MYSQL_ROOT_PASSWORD_FILE` or `MYSQL_HOST` of one's own).

use super::Ctx;
use crate::error::Diagnostic;

pub fn check(ctx: &mut Ctx) {
    let stack = ctx.stack;
    for service in stack.services.iter().filter(|s| !s.generated) {
        let mut keys = service.env_overrides.clone();
        keys.sort();
        keys.dedup();
        for key in keys {
            let at = ctx.at(&["services", &service.name, "env", &key]);
            ctx.push(
                Diagnostic::error(
                    "FS125",
                    format!("`env` of `{}` sets `{key}`, which futurestack sets itself", service.name),
                )
                .at_opt(at)
                .with_help(format!(
                    "remove `{key}` from `env`: it comes from the spec (the kind's settings such as `database`, `user`, `heap`, `security` and `secrets`, or a service in `uses`); change those instead"
                )),
            );
        }
    }
}
