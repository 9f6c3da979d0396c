"""Encrypt and decrypt a message, and hash it: cryptography's Rust extension
(OpenSSL linked in) and cffi."""

from __future__ import annotations

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes

KEY = b"ZmRhc2ZkYXNmZGFzZmRhc2ZkYXNmZGFzZmRhc2ZkYXM="  # fixed: the output must not vary


def main() -> None:
    fernet = Fernet(KEY)
    print(fernet.decrypt(fernet.encrypt(b"attack at dawn")).decode())
    digest = hashes.Hash(hashes.SHA256())
    digest.update(b"attack at dawn")
    print(digest.finalize().hex())


if __name__ == "__main__":
    main()
