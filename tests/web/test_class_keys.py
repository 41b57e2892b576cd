"""Keyboard keys of new classes: a class named by one character is typed with it."""

import pytest

from labelapp.projects.class_lines import ClassLinesError, parse_class_lines


def keys(text: str) -> dict[str, str]:
    return {spec.name: spec.key for spec in parse_class_lines(text)}


def test_digit_classes_are_typed_with_their_own_digit() -> None:
    # not "0" with 1 and "9" with 0: on a digits project that labels every image one off
    assert keys("\n".join("0123456789")) == {digit: digit for digit in "0123456789"}


def test_other_classes_take_the_free_keys_in_order() -> None:
    # "1" keeps its digit; the others take 2, 3... around it; "a" accepts a prediction
    assert keys("cat\n1\nx\na\ndog") == {"cat": "2", "1": "1", "x": "x", "a": "3", "dog": "4"}


def test_a_key_given_on_the_line_wins_over_a_class_name() -> None:
    assert keys("cat 7\n7\ndog") == {"cat": "7", "7": "1", "dog": "2"}
    with pytest.raises(ClassLinesError, match="same key"):
        parse_class_lines("cat 7\ndog 7")
