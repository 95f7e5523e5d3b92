"""What a simulated client asks, by the profile's weights: the traffic tables it draws from and the weighted tasks."""
from __future__ import annotations

import gc
import json
import random
import uuid

from loadtests import clock
from loadtests.profile import Profile
from loadtests.traffic import load_traffic


def freeze_heap() -> None:
    """Move what is loaded so far out of the garbage collector's sight: a full collection over the traffic tables
    stalls the loop that times requests for about 50 ms (54 ms measured after import)."""
    gc.collect()
    gc.freeze()


class Tasks:
    """The profile's scenario as tasks: user ids and payloads (each serialized once), and the weighted choice among
    /predict by user id, /predict/features and /health. `keep` records a 2xx answer's inputs and outputs, and how
    long the answer took as this client saw it."""

    def __init__(self, profile: Profile, keep):
        ids, payloads = load_traffic(profile.scenario.traffic)
        serving = payloads if profile.scenario.traffic == "serving" else load_traffic("serving")[1]
        self.ids, self.payloads = ids, payloads
        # For /predict by user id, that user's 14 features in the snapshot the generator draws from (what a served
        # prediction's inputs are), for drift against any API.
        self.user_features = {u: json.dumps(f) for u, f in zip(ids, serving)}
        self.payload_json = [json.dumps(p) for p in payloads]
        self.keep = keep
        tasks = {"predict_user": self.predict_user, "predict_features": self.predict_features, "health": self.health}
        self.tasks, self.weights = zip(*[(tasks[n], w) for n, w in profile.scenario.weights.items() if w > 0])
        freeze_heap()

    def pick(self):
        """One task at random by the scenario's weights."""
        return random.choices(self.tasks, self.weights)[0]

    # Every request is named by its route, as the API's endpoint label.
    def predict_user(self, client) -> None:
        user = random.choice(self.ids)
        self._predict(client, "/predict", {"user_id": user}, user, self.user_features[user])

    def predict_features(self, client) -> None:
        i = random.randrange(len(self.payloads))
        self._predict(client, "/predict/features", self.payloads[i], None, self.payload_json[i])

    def _predict(self, client, route: str, body: dict, user_id: str | None, features_json: str) -> None:
        """One prediction request under its own id, kept with how long its answer took."""
        rid = uuid.uuid4().hex
        sent = clock.now()
        answer = client.post(route, json=body, name=route, headers={"X-Request-ID": rid})
        self.keep(answer, route, user_id, features_json, rid, clock.now() - sent)

    @staticmethod
    def health(client) -> None:
        client.get("/health", name="/health")
