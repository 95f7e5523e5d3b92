"""Each task of the scenario requests the route its share is counted on (profile.TASK_ROUTES): the share of the mix
that reaches the judged endpoint sizes every stage before the load (slo/verdicts/sample_fit.py)."""
import pytest

from loadtests.profile import TASK_ROUTES, Scenario
from loadtests.tasks import Tasks


class NamingClient:
    """A client that records the name each request is sent under (the API's endpoint label), and answers nothing."""

    def __init__(self):
        self.names = []

    def post(self, path, name, **_):
        self.names.append(name)

    def get(self, path, name, **_):
        self.names.append(name)


@pytest.mark.parametrize("task", sorted(TASK_ROUTES))
def test_each_task_requests_the_route_its_share_is_counted_on(task):
    tasks = Tasks.__new__(Tasks)   # the traffic tables are not needed to send one request
    tasks.ids, tasks.user_features, tasks.payloads, tasks.payload_json = ["u1"], {"u1": "{}"}, [{}], ["{}"]
    tasks.keep = lambda *a: None
    client = NamingClient()
    getattr(tasks, task)(client)
    assert client.names == [TASK_ROUTES[task]]


def test_the_default_mix_sends_eight_in_ten_requests_to_predict_by_user_id():
    """The measured share in a default run: 11.94 of 14.84 req/s at the gated stage were /predict (80 %)."""
    assert Scenario().share_of("/predict") == pytest.approx(0.8)


class SlowClient:
    """A client whose every answer takes at least 20 ms."""

    def post(self, path, name, **_):
        import time
        time.sleep(0.02)
        return "answer"


@pytest.mark.parametrize("task", ["predict_user", "predict_features"])
def test_each_prediction_task_hands_on_how_long_its_answer_took(task):
    """What the generator saw of each answer: where the API records nothing, its tail is read from these."""
    tasks = Tasks.__new__(Tasks)
    tasks.ids, tasks.user_features, tasks.payloads, tasks.payload_json = ["u1"], {"u1": "{}"}, [{}], ["{}"]
    kept = []
    tasks.keep = lambda *a: kept.append(a)
    getattr(tasks, task)(SlowClient())
    (answer, route, *_, latency_s), = kept
    assert answer == "answer" and route == TASK_ROUTES[task] and 0.02 <= latency_s < 5
