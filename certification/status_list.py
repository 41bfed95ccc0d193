"""The revocation list as W3C Bitstring Status List v1.0 says (decision 56): one bit a
certificate, at its index (the certificate's id, given once by the database's sequence), set
when the certificate is revoked or replaced; the bits gzip-compressed, base64url-encoded
without padding and prefixed "u" (multibase); left-most bit first; at least 131,072 bits."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterable

# The specification's minimum, so that one index tells a verifier little about which
# certificate it is; the list grows by whole blocks of this size.
BLOCK = 131_072


class BadStatusList(ValueError):
    pass


def size_for(highest_index: int) -> int:
    return max(1, -(-(highest_index + 1) // BLOCK)) * BLOCK


def encode(set_indices: Iterable[int], size: int) -> str:
    bits = bytearray(size // 8)
    for index in set_indices:
        if not 0 <= index < size:
            raise ValueError(f"Index {index} is outside a list of {size} entries.")
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0))
    return "u" + packed.decode().rstrip("=")


def decode(encoded: str) -> bytes:
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise BadStatusList("The encoded list is not base64url multibase (it must begin with u).")
    body = encoded[1:]
    try:
        return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, OSError, EOFError) as error:
        raise BadStatusList(f"The encoded list cannot be read: {error}") from error


def is_set(bits: bytes, index: int) -> bool:
    if not 0 <= index < len(bits) * 8:
        raise BadStatusList(f"Index {index} is outside the list ({len(bits) * 8} entries).")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))
