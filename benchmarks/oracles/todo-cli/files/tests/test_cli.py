import pytest

from todo.cli import main


@pytest.fixture(autouse=True)
def todo_file(tmp_path, monkeypatch):
    path = tmp_path / "todo.json"
    monkeypatch.setenv("TODO_FILE", str(path))
    return path


def test_add_then_list(capsys):
    assert main(["add", "milk"]) == 0
    assert main(["list"]) == 0
    assert "1. [ ] milk" in capsys.readouterr().out


def test_done_marks_item(capsys):
    main(["add", "milk"])
    assert main(["done", "1"]) == 0
    main(["list"])
    assert "1. [x] milk" in capsys.readouterr().out


def test_done_unknown_item_fails(capsys):
    assert main(["done", "3"]) == 1
    assert "no item 3" in capsys.readouterr().err


def test_empty_list_prints_nothing(capsys):
    assert main(["list"]) == 0
    assert capsys.readouterr().out == ""
