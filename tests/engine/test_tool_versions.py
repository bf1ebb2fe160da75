"""A builder image's tool versions are asked once per image id (tool_versions.py)."""

from pytest_quill.engine.backends.tool_versions import remembered


def asker(answers: list[str]):
    def ask() -> str:
        answers.append("asked")
        return "make: GNU Make 4.3"

    return ask


def test_the_answer_is_kept_per_image_and_tools(tmp_path):
    asked: list[str] = []
    for _ in range(2):
        assert remembered(tmp_path, "sha256:aa", ["make"], asker(asked)) == "make: GNU Make 4.3"
    assert asked == ["asked"]
    remembered(tmp_path, "sha256:bb", ["make"], asker(asked))  # another image
    remembered(tmp_path, "sha256:aa", ["make", "gcc"], asker(asked))  # other tools
    assert len(asked) == 3
    assert sorted(path.suffix for path in tmp_path.iterdir()) == [".txt"] * 3


def test_without_a_folder_every_call_asks(tmp_path):
    asked: list[str] = []
    remembered(None, "sha256:aa", ["make"], asker(asked))
    remembered(None, "sha256:aa", ["make"], asker(asked))
    assert asked == ["asked", "asked"]


def test_a_folder_that_cannot_be_written_keeps_nothing_and_still_answers(tmp_path):
    blocker = tmp_path / "cache"  # a file where the cache folder would be: mkdir fails
    blocker.write_text("")
    asked: list[str] = []
    for _ in range(2):
        assert remembered(blocker / "toolchains", "sha256:aa", ["make"], asker(asked)) == "make: GNU Make 4.3"
    assert asked == ["asked", "asked"]
    assert list(tmp_path.iterdir()) == [blocker]
