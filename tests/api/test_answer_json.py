"""The API's answers are written by a JSON library: whatever the model returns, the body is valid JSON."""
import json

import pytest

from api.app import _json


@pytest.mark.parametrize("value, expected", [
    (float("nan"), None), (float("inf"), None), (0.123456, 0.123456), ("quote \" and </script>", "quote \" and </script>"),
], ids=["NaN becomes null", "infinity becomes null", "a probability stays as it is", "a string is escaped"])
def test_an_answer_body_is_strict_json(value, expected):
    body = _json({"probability": value}).body
    assert json.loads(body, parse_constant=lambda c: pytest.fail(f"{c} is not JSON")) == {"probability": expected}
