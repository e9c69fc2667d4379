"""A minimal gRPC-over-HTTP/2 client that sends header names as given.

grpcio rejects metadata keys with uppercase letters before sending them,
and HTTP/2 (RFC 9113, section 8.2.1) requires lowercase names, so this
client is the only way these tests send `Authorization` to the server
itself. It speaks plaintext HTTP/2 with prior knowledge, sends one unary
call per connection and encodes every header as an HPACK literal without
Huffman coding (RFC 7541, section 6.2.2).

To read the result, it looks for `grpc-status` sent as a plain literal.
gRPC 1.51 servers send it that way on a new connection. A Huffman-coded
status raises an error instead of being misread.
"""

import re
import socket
import struct

CONNECTION_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

FRAME_DATA = 0x0
FRAME_HEADERS = 0x1
FRAME_RST_STREAM = 0x3
FRAME_SETTINGS = 0x4
FRAME_GOAWAY = 0x7

FLAG_END_STREAM = 0x1
FLAG_ACK = 0x1
FLAG_END_HEADERS = 0x4

STREAM_ID = 1

# A literal header whose name and value are not Huffman coded: the value's
# length byte has its top bit clear, and a status is at most 2 digits.
PLAIN_GRPC_STATUS = re.compile(rb"grpc-status([\x01\x02])(\d{1,2})")

# Bytes read per recv call.
READ_CHUNK_BYTES = 65536


def _hpack_integer(value, prefix_bits):
    """Encode `value` with an N-bit prefix (RFC 7541, section 5.1)."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([value])
    encoded = [limit]
    value -= limit
    while value >= 128:
        encoded.append(value % 128 + 128)
        value //= 128
    encoded.append(value)
    return bytes(encoded)


def _literal_header(name, value):
    """Encode a literal header field without indexing, new name."""
    name_bytes = name.encode("ascii")
    value_bytes = value.encode("ascii")
    return (b"\x00" + _hpack_integer(len(name_bytes), 7) + name_bytes +
            _hpack_integer(len(value_bytes), 7) + value_bytes)


def _frame(frame_type, flags, stream_id, payload):
    return (struct.pack(">I", len(payload))[1:] +
            bytes([frame_type, flags]) + struct.pack(">I", stream_id) +
            payload)


class CallResult:
    """What the server sent back on the call's stream."""

    def __init__(self, frames):
        self.frames = frames

    @property
    def has_response_message(self):
        """Whether a DATA frame carried a response message."""
        return any(frame_type == FRAME_DATA and payload
                   for frame_type, _, stream, payload in self.frames
                   if stream == STREAM_ID)

    @property
    def grpc_status(self):
        """The numeric grpc-status of the trailers.

        Raises ValueError if the stream was reset or the status is missing
        or Huffman coded.
        """
        header_blocks = b"".join(
            payload for frame_type, _, stream, payload in self.frames
            if frame_type == FRAME_HEADERS and stream == STREAM_ID)
        match = PLAIN_GRPC_STATUS.search(header_blocks)
        if match is None:
            raise ValueError(
                "no plain grpc-status in the server's headers; frames "
                f"received (type, flags, stream): "
                f"{[frame[:3] for frame in self.frames]}")
        return int(match.group(2))


def unary_call(port, method, headers, request, timeout_seconds=10):
    """Make one unary gRPC call to 127.0.0.1:`port` and return a CallResult.

    `headers` is a sequence of (name, value) pairs, sent in that order and
    letter case after the pseudo-headers. `request` is the serialized
    request message.
    """
    pseudo_headers = [
        (":method", "POST"),
        (":scheme", "http"),
        (":path", method),
        (":authority", f"127.0.0.1:{port}"),
        ("content-type", "application/grpc"),
        ("te", "trailers"),
    ]
    header_block = b"".join(
        _literal_header(name, value)
        for name, value in [*pseudo_headers, *headers])
    # gRPC's length-prefixed message: not compressed, 4-byte length.
    message = b"\x00" + struct.pack(">I", len(request)) + request

    frames = []
    with socket.create_connection(("127.0.0.1", port),
                                  timeout=timeout_seconds) as connection:
        connection.sendall(CONNECTION_PREFACE +
                           _frame(FRAME_SETTINGS, 0, 0, b"") +
                           _frame(FRAME_HEADERS, FLAG_END_HEADERS, STREAM_ID,
                                  header_block) +
                           _frame(FRAME_DATA, FLAG_END_STREAM, STREAM_ID,
                                  message))
        received = b""
        while not _stream_closed(frames):
            chunk = connection.recv(READ_CHUNK_BYTES)
            if not chunk:
                break
            received += chunk
            while len(received) >= 9:
                length = int.from_bytes(received[:3], "big")
                if len(received) < 9 + length:
                    break
                frame_type, flags = received[3], received[4]
                stream = int.from_bytes(received[5:9], "big") & 0x7FFFFFFF
                frames.append(
                    (frame_type, flags, stream, received[9:9 + length]))
                received = received[9 + length:]
                if frame_type == FRAME_SETTINGS and not flags & FLAG_ACK:
                    connection.sendall(_frame(FRAME_SETTINGS, FLAG_ACK, 0,
                                              b""))
    return CallResult(frames)


def _stream_closed(frames):
    for frame_type, flags, stream, _ in frames:
        if frame_type == FRAME_GOAWAY:
            return True
        if stream != STREAM_ID:
            continue
        if frame_type == FRAME_RST_STREAM:
            return True
        if frame_type == FRAME_HEADERS and flags & FLAG_END_STREAM:
            return True
    return False
