"""Locust user for tests/test_loadtest.py: three fast requests for every slow one.

The run stops itself after STOP_AFTER requests. `--run-time` alone is unreliable here: gevent's
loop clock is stale after Locust's slow start-up on a busy machine, so a short run-time timer can
fire almost at once; `-t` stays as the outer bound only.
"""

import gevent
from locust import HttpUser, constant, events, task

STOP_AFTER = 48
_state = {"requests": 0, "environment": None}


@events.init.add_listener
def _keep_environment(environment, **_kwargs):
    _state["environment"] = environment


@events.request.add_listener
def _stop_after_enough_requests(**_kwargs):
    _state["requests"] += 1
    if _state["requests"] == STOP_AFTER:
        gevent.spawn(_state["environment"].runner.quit)


class Visitor(HttpUser):
    wait_time = constant(0.05)

    @task(3)
    def fast(self):
        self.client.get("/fast")

    @task(1)
    def slow(self):
        self.client.get("/slow")
