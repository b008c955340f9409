"""Collection parses each benchmark file once: the folder scan that keeps boilerplates out
of collection hands its parse to validation, even when the file is reached through a link."""

from __future__ import annotations

import collections
from typing import Any

import pytest
from benchmark_files import BenchmarkWriter

from pytest_gaobench.specfile import yaml_source


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> collections.Counter[str]:
    """How many times each benchmark (by its name line) was parsed, in this process."""
    counted: collections.Counter[str] = collections.Counter()
    real = yaml_source._parse

    def counting(text: str, loader_class: Any) -> yaml_source.ParsedYaml:
        counted[text.splitlines()[0]] += 1
        return real(text, loader_class)

    monkeypatch.setattr(yaml_source, "_parse", counting)
    return counted


def test_each_benchmark_file_is_parsed_once(pytester: pytest.Pytester, bench: BenchmarkWriter,
                                             parses: collections.Counter[str]) -> None:
    for name in ("alpha", "beta", "gamma"):
        bench.write(name)
    outcome = pytester.runpytest("--collect-only", "-q")
    outcome.stdout.fnmatch_lines(["*alpha*", "*beta*", "*gamma*"])
    assert parses == {"name: alpha": 1, "name: beta": 1, "name: gamma": 1}


def test_a_file_reached_through_a_linked_folder_is_parsed_once(
        pytester: pytest.Pytester, parses: collections.Counter[str]) -> None:
    BenchmarkWriter(pytester.path / "real").write("delta")
    (pytester.path / "linked").symlink_to("real")
    outcome = pytester.runpytest("--collect-only", "-q", "linked")
    outcome.stdout.fnmatch_lines(["linked/bench_delta.yaml::delta"])
    assert parses == {"name: delta": 1}
