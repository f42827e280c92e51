"""What the five-task flow shows of issues 23 to 27: the rollback plan's drift table and undone_by steps, the
guardrail policies with the plan (at Load only in a dry run), the classifying file, the Markdown a plan was made
from, and a command's --query in the step results."""

from __future__ import annotations

from test_screens import loaded_plan, resolved

from ansible_collections.coworker.aws.plugins.module_utils.plan.load import plan_info
from ansible_collections.coworker.aws.plugins.module_utils.run import questions, screens

POLICIES = {"lines": ["WARN required-tags: tags — steps: create_bucket (missing Owner)", "4 rules passed"]}


def undone_by(document):
    versioning = document["phases"][0]["steps"][1]
    versioning.pop("rollback", None)
    versioning["undone_by"] = "create_bucket"


def test_the_rollback_plan_says_what_undoes_a_step_and_ends_with_the_drift_table(tmp_path):
    loaded = loaded_plan(tmp_path, undone_by)
    drift = ["DRIFT since the run: each resource as the run left it", "  create_bucket b\x1b  CHANGED"]
    lines = screens.rollback_plan(loaded, "run-1", "failed", {"create_bucket", "enable_versioning"}, resolved(loaded),
                                  drift)
    assert lines[2:4] == ["    undo [2] enable_versioning", "        (undone with the rollback of create_bucket)"]
    assert lines[-3:-1] == ["  DRIFT since the run: each resource as the run left it", "    create_bucket b\\x1b  CHANGED"]
    assert lines[-1].startswith("  WARNING: AWS resources in account")
    plan = screens.execution_plan(loaded, "run-1", set(), resolved(loaded), None, False)
    assert "    [2/2] enable_versioning" in plan  # not "(no rollback)": its undo is create_bucket's
    assert "        rollback: undone with the rollback of create_bucket" in plan
    undo = questions.undo_lines(resolved(loaded), {"enable_versioning"})  # "What now?" option 3
    assert undo == ["       undo enable_versioning: (undone with the rollback of create_bucket)"]


def test_the_policies_come_with_the_plan_before_the_question_and_at_load_only_in_a_dry_run(tmp_path):
    loaded = dict(loaded_plan(tmp_path), policies=POLICIES)
    plan = screens.execution_plan(loaded, "run-1", set(), resolved(loaded), None, False)
    assert plan[-3:-1] == ["  Policies: WARN required-tags: tags — steps: create_bucket (missing Owner)",
                           "            4 rules passed"]
    assert screens.compact_plan(loaded, set(), resolved(loaded))[-2:] == plan[-3:-1]
    info = dict(plan_info(loaded["path"], verify=False), policies=POLICIES)
    assert not any("Policies" in line for line in screens.loading_plan(info))
    assert "  Policies:  WARN required-tags: tags — steps: create_bucket (missing Owner)" in \
        screens.loading_plan(info, dry_run=True)


def test_a_plan_made_from_markdown_says_so_at_load(tmp_path):
    info = plan_info(loaded_plan(tmp_path)["path"], verify=False)
    info["plan"]["markdown"] = {"file": "plans/bucket\x1b.md", "sha256": "ab" * 32}
    assert screens.loading_plan(info)[-1] == "  Made from: plans/bucket\\x1b.md (sha256 abababababab)"


def test_verify_names_the_file_that_classified_the_account_and_where_its_path_came_from():
    result = {"identity": {"profile": "p", "account": "123456789012", "arn": "arn:aws:sts::123456789012:user/u",
                           "alias": None, "alias_status": "none"}, "environment": "sandbox", "reason": "matched",
              "environments": {"path": "/home/u/envs.yml", "source": "extra var environments_file"},
              "approval": {"text": "claimed by u, unsigned — anyone who can edit the file can write this"}}
    lines = screens.environment_lines(result)
    assert lines[-2:] == ["Classified:  by /home/u/envs.yml (extra var environments_file)",
                          "Approval:    claimed by u, unsigned — anyone who can edit the file can write this"]


def test_the_step_results_show_what_a_query_selects_of_the_call_and_its_validation():
    batch = {"results": [{"id": "put_west", "shown": {"query": "Version", "value": 1},
                          "validation": {"calls": [{"shown": {"query": "Parameter.Name", "value": "/wf/\x1bwest"}}]}}]}
    assert screens.batch_lines(batch) == ['put_west --query Version: 1',
                                          'put_west --query Parameter.Name: "/wf/\\u001bwest"']
