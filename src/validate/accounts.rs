//! Per-app database accounts (`accounts:` on a database): each names an app
//! that uses the database, a declared password secret, and what that account
//! may touch, which must be its own (FS177).

use std::collections::BTreeMap;

use super::{Ctx, list, values::is_sql_identifier};
use crate::error::Diagnostic;
use crate::model::accounts::user_name;
use crate::spec::{Kind, Service};
use crate::suggest::did_you_mean;

pub fn check(ctx: &mut Ctx) {
    let spec = ctx.spec;
    for (db, s) in spec.services.iter().filter(|(_, s)| !s.accounts.is_empty()) {
        check_database(ctx, db, s);
        let mut owners: BTreeMap<String, &str> = BTreeMap::new();
        for (app, account) in &s.accounts {
            let at = |ctx: &Ctx, rest: &[&str]| {
                let mut path = vec!["services", db.as_str(), "accounts", app.as_str()];
                path.extend_from_slice(rest);
                ctx.at(&path)
            };
            check_app(ctx, db, app);
            if !spec.secrets.contains_key(&account.password) {
                let d = Diagnostic::error("FS104", format!("the account of `{app}` on `{db}` refers to secret `{}`, which is not declared", account.password))
                    .at_opt(at(ctx, &["password"]))
                    .with_help(format!("declare it under the top-level `secrets:` as `{}: {{env: <VARIABLE>}}`", account.password));
                ctx.push(d);
            }
            let sql = matches!(s.kind, Kind::Mysql | Kind::Postgres);
            let user = user_name(app);
            if sql && !is_sql_identifier(&user) {
                let d = Diagnostic::error("FS177", format!("the account name `{user}` of `{app}` on `{db}` is not a plain SQL name"))
                    .at_opt(ctx.key(&["services", db, "accounts", app]))
                    .with_help("an app with an account needs a name that starts with a letter and has at most 32 characters: the account is named after it, with `_` for `-`");
                ctx.push(d);
            }
            let field_for = |field: &str, ok: bool, kinds: &str| {
                (!ok).then(|| {
                    Diagnostic::error(
                        "FS177",
                        format!(
                            "`{field}` of an account is for {kinds}; `{db}` is `{}`",
                            s.kind.as_str()
                        ),
                    )
                    .with_help(format!("remove `{field}`"))
                })
            };
            if let Some(d) = account
                .database
                .as_ref()
                .and_then(|_| field_for("database", sql, "`mysql` and `postgres`"))
            {
                ctx.push(d.at_opt(at(ctx, &["database"])));
            }
            if let Some(d) = account.indices.as_ref().and_then(|_| {
                field_for("indices", s.kind == Kind::Elasticsearch, "`elasticsearch`")
            }) {
                ctx.push(d.at_opt(at(ctx, &["indices"])));
            }
            if sql {
                let own = account.database.clone().unwrap_or_else(|| user.clone());
                if account.database.is_some() && !is_sql_identifier(&own) {
                    let d = Diagnostic::error("FS171", format!("`database` `{}` of the account of `{app}` on `{db}` is not a plain SQL name", own.escape_debug()))
                        .at_opt(at(ctx, &["database"]))
                        .with_help("use letters, digits and `_`, starting with a letter or `_`, at most 32: the job puts it into SQL");
                    ctx.push(d);
                } else if !is_sql_identifier(&own) {
                    // Named after the app, whose name is reported above.
                } else if s.kind == Kind::Postgres && s.database.as_deref() == Some(own.as_str()) {
                    // The job closes an app's database to PUBLIC, which the
                    // exporter's account connects to `database` through.
                    let d = Diagnostic::error("FS177", format!("the account of `{app}` on `{db}` is given `{own}`, the database of `{db}`'s own user"))
                        .at_opt(at(ctx, &["database"]))
                        .with_help(format!("an app's account gets a database of its own: name another one (it is made at deploy), or leave `{app}` on `{db}`'s user"));
                    ctx.push(d);
                } else if let Some(first) = owners.insert(own.clone(), app) {
                    let d = Diagnostic::error(
                        "FS177",
                        format!("`{first}` and `{app}` are both given database `{own}` on `{db}`"),
                    )
                    .at_opt(at(ctx, &["database"]))
                    .with_help("each app's account gets a database of its own");
                    ctx.push(d);
                }
            }
            for (i, pattern) in account.indices.iter().flatten().enumerate() {
                if !is_index_pattern(pattern) {
                    let d = Diagnostic::error("FS177", format!("index pattern `{}` of the account of `{app}` on `{db}` is not the app's own", pattern.escape_debug()))
                        .at_opt(at(ctx, &["indices", &i.to_string()]))
                        .with_help(format!("write lowercase names or prefixes such as `{app}-*`: letters, digits, `.`, `_`, `-`, starting with a letter or digit, `*` only at the end"));
                    ctx.push(d);
                }
            }
        }
    }
}

/// An index name or prefix pattern an app may own: not a system index (`.`),
/// not every index (`*`), nothing ES would take as a list (`,`) or exclusion.
fn is_index_pattern(p: &str) -> bool {
    let body = p.strip_suffix('*').unwrap_or(p);
    let b = body.as_bytes();
    !b.is_empty()
        && p.len() <= 255
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-".contains(c))
}

/// A database whose accounts futurestack can make: a container with authentication.
fn check_database(ctx: &mut Ctx, db: &str, s: &Service) {
    let why = if s.managed.is_some() {
        Some("a managed database's accounts are made in the cloud console")
    } else if s.kind == Kind::Elasticsearch && s.security == Some(false) {
        Some("without `security` Elasticsearch has no accounts")
    } else {
        None
    };
    if let Some(why) = why {
        let d = Diagnostic::error(
            "FS177",
            format!("`{db}` has `accounts`, which futurestack cannot make"),
        )
        .at_opt(ctx.key(&["services", db, "accounts"]))
        .with_help(format!("{why}: remove `accounts`"));
        ctx.push(d);
    }
}

/// The account's key is an app that uses the database.
fn check_app(ctx: &mut Ctx, db: &str, app: &str) {
    let spec = ctx.spec;
    let problem = match spec.services.get(app) {
        None => {
            let apps: Vec<&str> = spec
                .services
                .iter()
                .filter(|(_, s)| s.kind == Kind::App)
                .map(|(n, _)| n.as_str())
                .collect();
            let hint = did_you_mean(app, apps.iter().copied())
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            Some(format!(
                "{hint}accounts are keyed by the apps that use `{db}`: {}",
                list(&apps)
            ))
        }
        Some(s) if s.kind != Kind::App => Some("accounts are for `app` services".to_owned()),
        Some(s) if !s.uses.iter().any(|u| u == db) => Some(format!(
            "add `{db}` to the `uses` of `{app}`, or remove its account"
        )),
        Some(_) => None,
    };
    if let Some(help) = problem {
        let d = Diagnostic::error(
            "FS177",
            format!("`{db}` has an account for `{app}`, which is not an app that uses it"),
        )
        .at_opt(ctx.key(&["services", db, "accounts", app]))
        .with_help(help);
        ctx.push(d);
    }
}
