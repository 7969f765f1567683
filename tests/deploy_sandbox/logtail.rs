//! Logtail on the host (`logging.mode: sls`): installed once from the
//! region's internal release bucket, the journal kept on disk once, the
//! machine group's id written once next to the ids of the host's other stacks.

use super::{Run, bundle, repo, ros_script, sandbox, tools, with_secrets};

/// With `logging.mode: sls`: Logtail is installed once, from the region's
/// internal release bucket, the host gets its machine group's id once (another
/// stack's id in the file is kept), and the agent restarts only when the id is new.
pub fn check_logtail(run: &Run, id: &str, shown: &str) {
    let first = run.log_of_run(1);
    assert!(
        first.lines().any(|l| l.starts_with("curl ")
            && l.contains("https://logtail-release-cn-hangzhou.oss-cn-hangzhou-internal.aliyuncs.com/linux64/logtail.sh")),
        "{shown}: Logtail's install script: {first}"
    );
    assert!(
        first.contains("logtail.sh install cn-hangzhou\n"),
        "{shown}: {first}"
    );
    assert!(first.contains("ilogtaild restart"), "{shown}: {first}");
    assert!(
        first.contains("journalctl --flush"),
        "{shown}: the journal is kept on disk: {first}"
    );
    let second = run.log_of_run(2);
    assert!(
        !second.contains("logtail.sh")
            && !second.contains("ilogtaild")
            && !second.contains("journalctl"),
        "{shown}: the second run touched Logtail again: {second}"
    );
    for i in [1, 2] {
        let ids = run.read(&format!("after.{i}/ilogtail/user_defined_id"));
        assert_eq!(
            ids,
            format!("{id}\n"),
            "{shown}: user-defined ids after run {i}"
        );
    }
}

/// The plan's existing host may already run Logtail for its other stacks:
/// the deploy installs nothing, keeps their ids and adds its own once.
#[test]
fn an_existing_logtail_keeps_the_other_stacks_ids() {
    let Some(tools) = tools() else { return };
    let dir = repo().join("golden/prod");
    let (script, _) = with_secrets(&ros_script(&dir));
    let tmp = tempfile::tempdir().unwrap();
    let bundle_file = bundle(&dir, tmp.path());
    let run = sandbox(
        &tools,
        &script,
        &bundle_file,
        2,
        &[("SANDBOX_LOGTAIL_IDS", "zervigo-prod")],
    );
    assert_eq!(run.rc(1), 0, "{}", run.read("out.1"));
    let first = run.log_of_run(1);
    assert!(
        !first.contains("logtail.sh"),
        "installed over the host's Logtail: {first}"
    );
    assert!(first.contains("ilogtaild restart"), "{first}");
    assert!(!run.log_of_run(2).contains("ilogtaild"));
    assert_eq!(
        run.read("after.2/ilogtail/user_defined_id"),
        "zervigo-prod\nfuturestack-future-prod\n"
    );
}
