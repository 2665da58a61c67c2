"""Python client for the agent suites: MemoryHub (7010), ModelManagerSuite (7011), AdaptiveLearningSuite (7012).

    from agent_suites_client import Client

    with Client("tcp://127.0.0.1:7010") as hub:
        reply = hub.call("add_memory", content="User prefers Tagalog", memory_type="knowledge_fact")
        print(reply["status"], reply.get("memory_id"))
"""

from .client import Client, NoReplyError, Stream, health_endpoint_of, normalize_endpoint
from .codec import msgpack_available

__all__ = ["Client", "NoReplyError", "Stream", "health_endpoint_of", "normalize_endpoint", "msgpack_available"]
__version__ = "0.1.0"
