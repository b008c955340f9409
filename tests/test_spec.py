"""Unit tests of the spec: the schema, defaults and every validation message."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gaobench.model.spec import BenchmarkConfig, SpecError
from pytest_gaobench.specfile.load import load_spec

BASE = """\
name: calc
boilerplate_path: start
workflow_phases:
  - phase_name: build
"""


def load(tmp_path: Path, text: str) -> BenchmarkConfig:
    (tmp_path / "start").mkdir(exist_ok=True)
    path = tmp_path / "bench.yaml"
    path.write_text(text)
    return load_spec(path)


def issues(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load(tmp_path, text)
    return [str(issue).split(":", 1)[1] for issue in caught.value.issues]


def test_minimal_file_gets_defaults(tmp_path: Path) -> None:
    config = load(tmp_path, BASE)
    assert config.name == "calc" and config.project == "calc"
    assert config.timeout_seconds == 1800
    assert config.workflow_phases[0].agent == "developer"
    assert config.workflow_phases[0].continue_on_failure is False
    assert config.phase_timeout(config.workflow_phases[0]) == 1800
    assert config.boilerplate_dir == (tmp_path / "start").resolve()
    assert config.success_criteria.tests_must_pass is False


def test_the_full_gao_dev_schema_loads(tmp_path: Path) -> None:
    (tmp_path / "oracle").mkdir()
    config = load(tmp_path, """\
name: todo-cli
description: Build a todo CLI
version: 1.0
tags: [smoke, python]
project_name: todo
boilerplate_path: start
timeout_seconds: 900
budget: {max_cost_usd: 2.0, max_tokens: 400000, max_turns: 60}
model: claude-sonnet-5-5
initial_prompt: Build it.
workflow_phases:
  - phase_name: implementation
    agent: developer
    prompt: Implement.
    timeout_seconds: 600
    continue_on_failure: true
    expected_artifacts: ["todo/*.py"]
success_criteria:
  tests_must_pass: true
  min_test_coverage: 80
  max_errors: 0
  max_manual_interventions: 0
  required_features: ["todo/cli.py"]
  commands:
    - {name: build, run: "python -m compileall -q todo"}
oracle: oracle
metadata: {owner: team-a}
""")
    assert config.version == "1.0"  # a YAML float taken as the text the user meant
    assert config.budget.max_turns == 60
    assert config.phase_timeout(config.workflow_phases[0]) == 600
    assert config.success_criteria.commands[0].name == "build"
    assert config.metadata == {"owner": "team-a"}
    assert config.oracle_dir == (tmp_path / "oracle").resolve()


def test_unknown_keys_suggest_the_nearest_known_key(tmp_path: Path) -> None:
    found = issues(tmp_path, BASE + "    promt: hi\nsucess_criteria: {}\nzzz: 1\n")
    assert found[0] == "5: workflow_phases[0]: unknown key 'promt' (did you mean 'prompt'?)"
    assert found[1] == "6: unknown key 'sucess_criteria' (did you mean 'success_criteria'?)"
    assert found[2].startswith("7: unknown key 'zzz' (known keys: name, description")


def test_wrong_types_are_not_coerced(tmp_path: Path) -> None:
    found = issues(tmp_path, BASE + "success_criteria:\n  tests_must_pass: 'yes'\n"
                                    "timeout_seconds: '30'\n")
    assert any(f.startswith("6: success_criteria.tests_must_pass: Input should be a valid "
                            "boolean") for f in found)
    assert any(f.startswith("7: timeout_seconds: Input should be a valid number") for f in found)


def test_negative_and_zero_timeouts_are_rejected(tmp_path: Path) -> None:
    found = issues(tmp_path, BASE.replace("- phase_name: build",
                                          "- phase_name: build\n    timeout_seconds: 0")
                   + "timeout_seconds: -1\n")
    assert "5: workflow_phases[0].timeout_seconds: Input should be greater than 0 (got 0)" in found
    assert "6: timeout_seconds: Input should be greater than 0 (got -1)" in found


def test_missing_required_keys(tmp_path: Path) -> None:
    found = issues(tmp_path, "description: nothing else\n")
    assert "1: name: required key is missing" in found
    assert "1: workflow_phases: required key is missing" in found


def test_empty_phase_list_is_rejected(tmp_path: Path) -> None:
    found = issues(tmp_path, "name: x\nboilerplate_path: start\nworkflow_phases: []\n")
    assert found[0].startswith("3: workflow_phases: List should have at least 1 item")


def test_bad_names_and_tags(tmp_path: Path) -> None:
    text = BASE.replace("name: calc", "name: 'has space'") + "tags: [ok, 'not ok']\n"
    found = issues(tmp_path, text)
    assert found[0].startswith("1: name: String should match pattern")
    assert found[1].startswith("5: tags[1]: String should match pattern")


def test_boilerplate_source_rules(tmp_path: Path) -> None:
    both = issues(tmp_path, BASE + "boilerplate_url: https://example.invalid/r.git\n")
    assert both == ["1: give exactly one of boilerplate_path or boilerplate_url (both are set)"]
    neither = issues(tmp_path, "name: x\nworkflow_phases:\n  - phase_name: a\n")
    assert neither == ["1: give exactly one of boilerplate_path or boilerplate_url "
                       "(neither is set)"]
    ref_alone = issues(tmp_path, BASE + "boilerplate_ref: v1\n")
    assert ref_alone == ["5: boilerplate_ref: boilerplate_ref needs boilerplate_url"]


def test_paths_may_not_leave_the_benchmark_folder(tmp_path: Path) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    (tmp_path / "outside").mkdir()
    (inner / "link").symlink_to(tmp_path / "outside")
    (inner / "bench.yaml").write_text(
        "name: x\nboilerplate_path: link\noracle: ../outside\nworkflow_phases:\n"
        "  - phase_name: a\n    expected_artifacts: [/etc/passwd, ../x]\n"
        "success_criteria:\n  required_features: [ok.py, ../../x.py]\n")
    with pytest.raises(SpecError) as caught:
        load_spec(inner / "bench.yaml")
    text = str(caught.value)
    assert "bench.yaml:2: boilerplate_path: 'link' points outside the benchmark's folder" in text
    assert "bench.yaml:3: oracle: '../outside' points outside" in text
    assert "bench.yaml:6: workflow_phases[0].expected_artifacts[0]: '/etc/passwd' must be" in text
    assert "workflow_phases[0].expected_artifacts[1]: '../x' must be a path inside" in text
    assert "bench.yaml:8: success_criteria.required_features[1]: '../../x.py' must be" in text


def test_duplicate_phase_names_and_duplicate_keys(tmp_path: Path) -> None:
    dupes = issues(tmp_path, BASE + "  - phase_name: build\n")
    assert dupes == ["5: workflow_phases[1].phase_name: duplicate phase name 'build' "
                     "(also phase 1)"]
    keys = issues(tmp_path, BASE + "name: again\n")
    assert keys == ["5: name: duplicate key"]


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    found = issues(tmp_path, "name: x\ndescription: a\n\tversion: 2\n")
    assert found[0].startswith("3: invalid YAML: found character '\\t'")


def test_error_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load(tmp_path, "name: x\n")
    assert caught.value.file == tmp_path / "bench.yaml"
    assert str(caught.value).startswith(f"{tmp_path / 'bench.yaml'}:1: ")


def test_the_backstop_covers_every_step_with_a_limit(tmp_path: Path) -> None:
    from pytest_gaobench.plugin.collect import backstop_seconds

    (tmp_path / "bp").mkdir()
    path = tmp_path / "bench_x.yaml"
    path.write_text(
        "name: x\nboilerplate_path: bp\ntimeout_seconds: 100\n"
        "workflow_phases: [{phase_name: build}]\n"
        "metrics: [{name: size, run: 'echo {}', timeout_seconds: 7}]\n"
        "success_criteria:\n  tests_must_pass: true\n  test_timeout_seconds: 50\n"
        "  lint: {run: 'true', timeout_seconds: 11}\n"
        "  commands: [{name: build, run: 'true', timeout_seconds: 13}]\n")
    spec = load_spec(path)
    assert backstop_seconds(spec, grace=5) == 100 + 50 + 11 + 13 + 7 + 5


def test_setup_and_named_tests_count_in_the_backstop(tmp_path: Path) -> None:
    from pytest_gaobench.plugin.collect import backstop_seconds

    (tmp_path / "test.patch").write_text("")
    config = load(tmp_path, BASE.replace("name: calc\n", "name: calc\ntimeout_seconds: 100\n")
                  + "setup: [{name: deps, run: 'true', timeout_seconds: 30}]\n"
                  "success_criteria:\n  grading_patch: test.patch\n"
                  "  test_timeout_seconds: 50\n"
                  "  named_tests: {must_pass: ['tests/test_a.py::test_x']}\n")
    patch_seconds = 120
    assert backstop_seconds(config, grace=5) == 30 + 100 + 50 + patch_seconds + 5


def test_named_tests_setup_and_grading_patch_rules(tmp_path: Path) -> None:
    found = issues(tmp_path, BASE + "setup: [{name: a, run: x}, {name: a, run: y}]\n"
                   "success_criteria:\n  grading_patch: missing.patch\n"
                   "  python_path: [../deps]\n")
    assert any("setup[1].name: duplicate setup name 'a'" in issue for issue in found)
    assert any("'missing.patch' does not exist" in issue for issue in found)
    assert any("grading_patch needs named_tests" in issue for issue in found)
    assert any("python_path[0]: '../deps' must be a path inside" in issue for issue in found)
    found = issues(tmp_path, BASE + "success_criteria:\n  named_tests:\n"
                   "    must_pass: ['/etc/test_x.py::t', '']\n")
    assert any("named_tests.must_pass[0]: test id '/etc/test_x.py::t'" in issue
               for issue in found)
    assert any("named_tests.must_pass[1]: test id '': an empty test id" in issue
               for issue in found)
    found = issues(tmp_path, BASE + "success_criteria:\n  named_tests: {}\n")
    assert any("name at least one test" in issue for issue in found)


def test_an_environment_says_what_is_wrong_with_it(tmp_path: Path) -> None:
    found = " | ".join(issues(tmp_path, BASE + (
        "environment:\n  python: 3.10\n  env: {PATH: /evil, GAOBENCH_X: '1', OK_1: 'yes'}\n")))
    assert 'write the version in quotes (python: "3.1")' in found
    assert "GAOBENCH_X, PATH cannot be set: the harness sets them for the sandbox" in found
    config = load(tmp_path, BASE + 'environment:\n  python: "3.10"\n  install: [pip -V]\n')
    assert config.environment is not None and config.environment.version == (3, 10)
    found = " | ".join(issues(tmp_path, BASE + (
        'environment: {python: "3.9"}\nsuccess_criteria:\n  grading_tests: hidden\n'
        "  grading_mode: out_of_process\n")))
    assert "out_of_process grading runs the solution in the harness's own interpreter" in found


def test_a_container_environment_says_what_it_cannot_do(tmp_path: Path) -> None:
    found = " | ".join(issues(tmp_path, BASE + (
        "environment: {image: a, dockerfile: Dockerfile}\n"
        "success_criteria: {tests_must_pass: true, verifier: tests}\n")))
    assert "give exactly one of image or dockerfile" in found
    assert "tests_must_pass runs the harness's Python in the workspace" in found
    found = " | ".join(issues(tmp_path, BASE + "success_criteria: {verifier: tests}\n"))
    assert "verifier needs a container environment" in found
    config = load(tmp_path, BASE.replace("boilerplate_path: start\n", "") + (
        "environment: {image: debian, workdir: /work}\n"
        "success_criteria: {tests_must_pass: true, test_command: ./run-tests}\n"))
    assert config.container is not None and config.container.workdir == "/work"
