"""Frame encoding. The suites detect JSON or msgpack per frame and answer in kind."""

import json

try:  # msgpack is optional: JSON needs nothing beyond the standard library.
    import msgpack as _msgpack
except ImportError:  # pragma: no cover - depends on the host
    _msgpack = None


def msgpack_available():
    return _msgpack is not None


def encode(value, use_msgpack=False):
    if use_msgpack:
        if _msgpack is None:
            raise RuntimeError(
                "msgpack=True needs the msgpack package (pip install msgpack, or apt-get install python3-msgpack)"
            )
        return _msgpack.packb(value, use_bin_type=True)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _looks_like_msgpack(frame):
    """Same test as the suites' codec: a msgpack map starts with 0x80-0x8f, 0xde or 0xdf."""
    if not frame:
        return False
    b = frame[0]
    if 0x80 <= b <= 0x8F:
        return True
    if b in (0xDE, 0xDF):
        # A UTF-8 two-byte character would be followed by a continuation byte (0x80-0xbf).
        return len(frame) < 2 or not (0x80 <= frame[1] <= 0xBF)
    return False


def decode(frame):
    """A reply frame as Python values: JSON text, or msgpack when the request was msgpack."""
    if _looks_like_msgpack(frame):
        if _msgpack is None:
            raise RuntimeError("the suite answered in msgpack but the msgpack package is not installed")
        return _msgpack.unpackb(frame, raw=False, strict_map_key=False)
    return json.loads(frame.decode("utf-8"))
