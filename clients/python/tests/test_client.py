"""
The Python client against real suites. tests/clients/pythonClient.test.ts starts MemoryHub,
ModelManagerSuite (the tiny generated model as "tiny") and AdaptiveLearningSuite on free ports and
passes their endpoints in AGENT_SUITES_* variables; run.py runs this file and reports each test.
"""

import os
import socket
import sys
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import zmq  # noqa: E402

from agent_suites_client import Client, NoReplyError, health_endpoint_of, msgpack_available  # noqa: E402
from agent_suites_client import codec  # noqa: E402


def endpoint(name):
    value = os.environ.get("AGENT_SUITES_" + name)
    if not value:
        raise unittest.SkipTest("AGENT_SUITES_%s is not set (run through tests/clients/pythonClient.test.ts)" % name)
    return value


def hub(**options):
    return Client(endpoint("MEMORYHUB"), health_endpoint=endpoint("MEMORYHUB_HEALTH"), **options)


def unused_port():
    """A loopback port nothing listens on (bound, then released) in 10000-31999, like the TS tests."""
    for _ in range(200):
        s = socket.socket()
        try:
            port = 10000 + int.from_bytes(os.urandom(2), "big") % 22000
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free port")


class LossyProxy(threading.Thread):
    """
    Forwards requests to a suite and throws away the first `drop` replies, as a network that
    loses a reply would. The suite itself is the real one.
    """

    def __init__(self, backend, drop=1):
        super().__init__(daemon=True)
        self.backend = backend
        self.drop = drop
        self.dropped = []
        self.forwarded = 0
        self.ready = threading.Event()
        self.stopping = threading.Event()
        self.endpoint = None

    def run(self):
        ctx = zmq.Context.instance()
        front = ctx.socket(zmq.ROUTER)
        back = ctx.socket(zmq.DEALER)
        front.setsockopt(zmq.LINGER, 0)
        back.setsockopt(zmq.LINGER, 0)
        port = front.bind_to_random_port("tcp://127.0.0.1", min_port=10000, max_port=32000)
        back.connect(self.backend)
        self.endpoint = "tcp://127.0.0.1:%d" % port
        self.ready.set()
        poller = zmq.Poller()
        poller.register(front, zmq.POLLIN)
        poller.register(back, zmq.POLLIN)
        try:
            while not self.stopping.is_set():
                for sock, _ in poller.poll(50):
                    frames = sock.recv_multipart()
                    if sock is front:
                        self.forwarded += 1
                        back.send_multipart(frames)
                    elif len(self.dropped) < self.drop:
                        self.dropped.append(codec.decode(frames[-1]))
                    else:
                        front.send_multipart(frames)
        finally:
            front.close()
            back.close()

    def __enter__(self):
        self.start()
        self.ready.wait(5)
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.join(5)


class CallTests(unittest.TestCase):
    def test_call_returns_the_reply_as_sent_and_errors_are_replies(self):
        with hub() as c:
            added = c.call("add_memory", content="Python client writes a memory", memory_type="knowledge_fact")
            self.assertEqual(added["status"], "success")
            self.assertTrue(added["memory_id"].startswith("mem-"))
            missing = c.call("get_memory", memory_id="mem-does-not-exist")
            self.assertEqual(missing["status"], "error")
            self.assertEqual(missing["message"], "Memory with ID mem-does-not-exist not found.")
            self.assertEqual(missing["error"], missing["message"])

    def test_send_keeps_legacy_envelopes(self):
        with hub() as c:
            added = c.send({"action": "add_memory", "data": {"content": "sent in a data envelope"}})
            got = c.send({"action": "get_memory", "data": {"memory_id": added["memory_id"]}})
            self.assertEqual(got["status"], "success")
            self.assertEqual(got["memory"]["content"], "sent in a data envelope")

    def test_every_request_carries_a_request_id_that_the_reply_echoes(self):
        with hub() as c:
            reply = c.call("kv.set", namespace="py", key="rid", value=1)
            self.assertRegex(reply["request_id"], r"^[0-9a-f]{32}$")
            mine = c.call("kv.get", namespace="py", key="rid", request_id="my-own-id")
            self.assertEqual(mine["request_id"], "my-own-id")

    def test_unknown_action_is_a_reply_naming_the_nearest_actions(self):
        with hub() as c:
            reply = c.call("get_memroy", memory_id="x")
            self.assertEqual(reply["status"], "error")
            self.assertEqual(reply["message"], "Unknown action: get_memroy")
            self.assertIn("get_memory", reply["did_you_mean"])

    def test_target_agent_per_call_and_per_client(self):
        with hub() as c:
            reply = c.call("health_check", target_agent="SessionMemoryAgent")
            self.assertEqual(reply, dict(reply, status="success", agent="SessionMemoryAgent", healthy=True))
        with hub(target_agent="KnowledgeBase") as kb:
            fact = kb.call("add_fact", topic="python", content="the client speaks JSON over REQ")
            self.assertEqual(fact["status"], "success")
            self.assertEqual(kb.call("get_fact", topic="python")["fact"]["content"], "the client speaks JSON over REQ")

    def test_msgpack_round_trip(self):
        if not msgpack_available():
            with self.assertRaisesRegex(RuntimeError, "msgpack"):
                hub(msgpack=True)
            return
        with hub(msgpack=True) as c:
            value = {"list": [1, 2.5, "three"], "nested": {"ok": True}, "none": None}
            self.assertEqual(c.call("kv.set", namespace="py", key="mp", value=value)["status"], "success")
            self.assertEqual(c.call("kv.get", namespace="py", key="mp")["value"], value)

    def test_health_socket(self):
        with hub() as c:
            health = c.health()
            self.assertIn(health["status"], ("ok", "degraded"))
            self.assertEqual(health["service"], "MemoryHub")
            ping = c.call("ping")
            self.assertEqual((ping["name"], ping["message"]), ("MemoryHub", "MemoryHub is healthy"))
            self.assertEqual(ping["port"], int(c.endpoint.rsplit(":", 1)[1]))
        self.assertEqual(health_endpoint_of("tcp://10.0.0.17:7010"), "tcp://10.0.0.17:7110")
        self.assertEqual(Client("127.0.0.1:7011").health_endpoint, "tcp://127.0.0.1:7111")


class RetryTests(unittest.TestCase):
    def test_silence_raises_a_timeout_error_after_the_retries_quickly(self):
        dead = "tcp://127.0.0.1:%d" % unused_port()
        started = time.monotonic()
        with Client(dead, timeout_ms=150, retries=2) as c:
            with self.assertRaises(NoReplyError) as caught:
                c.call("ping")
        elapsed = time.monotonic() - started
        self.assertIsInstance(caught.exception, TimeoutError)
        self.assertEqual(caught.exception.attempts, 3)
        self.assertIn(dead, str(caught.exception))
        self.assertGreaterEqual(elapsed, 0.44)
        self.assertLess(elapsed, 2.0)

    def test_a_lost_reply_is_retried_on_a_fresh_socket_and_the_write_runs_once(self):
        marker = "lostreply" + uuid.uuid4().hex[:12]
        with LossyProxy(endpoint("MEMORYHUB"), drop=1) as proxy:
            with Client(proxy.endpoint, timeout_ms=1000, retries=3) as c:
                reply = c.call("add_memory", content="written once despite a lost reply " + marker)
            self.assertEqual(proxy.forwarded, 2, "the request was sent twice")
        self.assertEqual(len(proxy.dropped), 1)
        self.assertEqual(reply["status"], "success")
        self.assertEqual(reply["memory_id"], proxy.dropped[0]["memory_id"], "the retry got the first answer again")
        with hub() as c:
            found = c.call("search_memory", query=marker, limit=20)
        self.assertEqual([r["memory_id"] for r in found["results"] if marker in r["content"]], [reply["memory_id"]])


class OtherSuiteTests(unittest.TestCase):
    def test_streamed_generation_over_dealer(self):
        with Client(endpoint("MODELMANAGER"), timeout_ms=30000) as mm:
            stream = mm.stream("generate_text", model_id="tiny", prompt="The weather", max_tokens=12, seed=3)
            chunks = list(stream)
            self.assertGreater(len(chunks), 1)
            self.assertTrue(all(ch["stream"] == "chunk" and isinstance(ch["text"], str) for ch in chunks))
            self.assertEqual(stream.reply["status"], "success")
            self.assertEqual(stream.reply["stream"], "end")
            self.assertEqual("".join(ch["text"] for ch in chunks), stream.reply["text"])
            once = mm.call("generate_text", model_id="tiny", prompt="The weather", max_tokens=12, seed=3)
            self.assertEqual(once["text"], stream.reply["text"])

    def test_legacy_command_dialect(self):
        with Client(endpoint("MODELMANAGER")) as mm:
            reply = mm.send({"command": "GET_LOADED_MODELS_STATUS"})
            self.assertEqual(reply["status"], "SUCCESS")
            self.assertIn("loaded_models", reply)

    def test_adaptive_learning_training_status(self):
        with Client(endpoint("ADAPTIVELEARNING")) as al:
            reply = al.call("training.status")
            self.assertEqual(reply["status"], "success")
            self.assertIsInstance(reply["jobs"], list)


if __name__ == "__main__":
    unittest.main()
