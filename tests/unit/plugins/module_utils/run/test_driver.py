"""The Run task's loop with a scripted session and person: what is journaled, asked, verified and sent."""

from __future__ import annotations

import yaml

from plan_samples import base_plan

from ansible_collections.coworker.aws.plugins.module_utils.errors import GuardRefusal
from ansible_collections.coworker.aws.plugins.module_utils.plan.load import load_plan
from ansible_collections.coworker.aws.plugins.module_utils.run import driver, loop
from ansible_collections.coworker.aws.plugins.module_utils.run.journal import run_state


class Journal:
    def __init__(self):
        self.events, self.commits = [], 0

    def append(self, event, **fields):
        self.events.append(dict(fields, event=event))

    def commit(self):
        self.commits += 1


class Session:
    """What the driver needs of run/executor.RunSession, with each batch's result scripted."""

    def __init__(self, loaded, batches):
        self.loaded, self.run_id, self.batches = loaded, "run-1", list(batches)
        self.journal, self.sent, self.reverified, self.changed = Journal(), [], 0, False

    def state(self):
        state = run_state([])
        state["started"] = {"profile": None}
        return state

    def batch(self, steps):
        self.sent.append(list(steps))
        result = self.batches.pop(0)
        if isinstance(result, Exception):
            raise result
        self.changed = self.changed or bool(result.get("completed"))
        return result

    def rollback(self):
        self.sent.append("rollback")
        return {"rollback": [{"id": "create_bucket", "calls": [{"cli": "aws s3api delete-bucket", "status": "done"}]}],
                "changed": True}

    def reverify(self):
        self.reverified += 1

    def commit(self):
        self.journal.commit()

    def refresh_report(self):
        self.refreshed = getattr(self, "refreshed", 0) + 1


def two_phases(tmp_path):
    document = base_plan()
    second = document["phases"][0]["steps"].pop()
    document["phases"].append({"name": "Protection", "steps": [second]})
    path = tmp_path / "plan.yml"
    path.write_text(yaml.safe_dump(document))
    return load_plan(str(path), verify=False)


def run(tmp_path, batches, answers=(), prompts=True, on_failure="ask"):
    loaded = two_phases(tmp_path)
    session = Session(loaded, batches)
    asked, said = [], []
    script = list(answers)

    def ask(text):
        asked.append(text)
        assert session.journal.commits, "the journal reaches the disk before a question"
        return script.pop(0)

    ctx = loop.Context(loaded["segments"], prompts=prompts, on_failure=on_failure)
    end = driver.Driver(session, ctx, ask, said.append).run()
    return end, session, asked, said


OK_A = {"completed": ["create_bucket"], "not_run": [], "results": []}
OK_B = {"completed": ["enable_versioning"], "not_run": [], "results": []}
FAILED_B = {"completed": [], "failed_step": "enable_versioning", "not_run": [], "error": {"kind": "conflict"},
            "results": [{"id": "enable_versioning", "error": {"text": "ParameterAlreadyExists: it exists"}}]}


def events(session):
    return [e["event"] for e in session.journal.events]


def test_yes_at_the_checkpoint_runs_both_phases_and_journals_the_answer_and_the_end(tmp_path):
    end, session, asked, _said = run(tmp_path, [OK_A, OK_B], ["yes"])
    assert session.sent == [["create_bucket"], ["enable_versioning"]]
    assert 'CHECKPOINT: phase 2 "Protection" starts with:' in asked[0] and asked[0].endswith("Continue? (yes/no)\n")
    assert events(session) == ["checkpoint", "outcome"]
    assert (end["outcome"], end["by_person"], end["changed"]) == ("auto", False, True)


def test_a_failure_is_shown_once_then_retry_after_the_fix_completes(tmp_path):
    end, session, asked, said = run(tmp_path, [OK_A, FAILED_B, OK_B], ["yes", "1"])
    assert session.sent == [["create_bucket"], ["enable_versioning"], ["enable_versioning"]]
    assert said == ["enable_versioning error: ParameterAlreadyExists: it exists"]
    assert "Step enable_versioning failed. What now?" in asked[1] and "undo create_bucket" not in asked[1]
    assert [e.get("choice") for e in session.journal.events if e["event"] == "decision"] == ["retry"]
    assert end["outcome"] == "auto"


def test_rollback_chosen_at_what_now_rolls_back_and_says_what_each_undo_did(tmp_path):
    end, session, _asked, said = run(tmp_path, [OK_A, FAILED_B], ["yes", "3"])
    assert session.sent[-1] == "rollback"
    assert "  aws s3api delete-bucket  -> done" in said
    assert end["outcome"] == "auto" and end["changed"]


def test_without_a_person_a_failure_follows_on_failure(tmp_path):
    end, session, asked, _said = run(tmp_path, [OK_A, FAILED_B], prompts=False)
    assert asked == [] and session.sent[-1] == "rollback"
    _end, session, _asked, _said = run(tmp_path, [OK_A, FAILED_B], prompts=False, on_failure="abort")
    assert "rollback" not in session.sent


def test_a_refusal_in_a_batch_is_said_once_journaled_and_ends_the_run(tmp_path):
    end, session, _asked, said = run(tmp_path, [GuardRefusal("STOPPING: bucket not owned")], prompts=False)
    assert said == ["REFUSED: STOPPING: bucket not owned"]
    assert events(session)[:2] == ["refused", "decision"]
    assert end["outcome"] == "refused"


def test_ctrl_c_at_a_question_stops_as_the_person_chose(tmp_path):
    end, session, _asked, _said = run(tmp_path, [OK_A], [None])
    assert session.sent == [["create_bucket"]]
    assert (end["outcome"], end["by_person"]) == ("aborted", True)


def test_an_answer_that_goes_on_has_the_credentials_verified_again_first(tmp_path):
    _end, session, _asked, _said = run(tmp_path, [OK_A, OK_B], ["yes"])
    assert session.reverified == 1
    _end, session, _asked, _said = run(tmp_path, [OK_A], ["no"])
    assert session.reverified == 0  # nothing more is sent


def test_credentials_that_changed_while_a_question_waited_refuse_the_rest(tmp_path):
    loaded = two_phases(tmp_path)
    session = Session(loaded, [OK_A])

    def changed():
        raise GuardRefusal("STOPPING: Detected environment: production")
    session.reverify = changed
    said = []
    ctx = loop.Context(loaded["segments"], prompts=True)
    end = driver.Driver(session, ctx, lambda text: "yes", said.append).run()
    assert session.sent == [["create_bucket"]] and end["outcome"] == "refused"
    assert events(session)[:2] == ["checkpoint", "refused"]
    assert said == ["REFUSED: STOPPING: Detected environment: production"]


def test_the_bound_ends_a_run_that_would_not_end(tmp_path, monkeypatch):
    monkeypatch.setattr(loop, "max_moves", lambda ctx: 3)
    end, session, _asked, _said = run(tmp_path, [OK_A, FAILED_B, FAILED_B], ["yes", "1", "1"])
    assert (end["outcome"], "bound of 3 moves" in end["note"]) == ("paused", True)
    assert events(session)[-1] == "outcome"
