"""A node key inside an HSM, through its PKCS#11 module: Ed25519 with CKM_EDDSA; the private key never leaves it.

The key is made inside the token (``CKM_EC_EDWARDS_KEY_PAIR_GEN``, curve
edwards25519, sensitive and not extractable) at ``stillroom signer init
--pkcs11-module``, so a new log's genesis introduces it; the signer's state
directory then holds only ``pkcs11.json`` (module, token label, key label).
The user PIN is read from ``$STILLROOM_PKCS11_PIN`` at start, never stored.
Tested with SoftHSM2 (Debian's ``softhsm2``) and python-pkcs11.
"""

import json
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from stillroom.artifacts import atomic_write_bytes
from stillroom.errors import UsageError

PIN_VARIABLE = "STILLROOM_PKCS11_PIN"
ED25519_PARAMS = bytes.fromhex("06032b6570")  # DER of OID 1.3.101.112 (id-Ed25519), PKCS#11 3.0 §2.3.10


class Pkcs11Key:
    def __init__(self, module: str, token: str, label: str) -> None:
        pkcs11 = _library()
        pin = os.environ.get(PIN_VARIABLE)
        if not pin:
            raise UsageError(f"the node key is in a PKCS#11 token; give its user PIN in ${PIN_VARIABLE}")
        try:
            self._session = pkcs11.lib(str(Path(module).absolute())).get_token(token_label=token).open(rw=True, user_pin=pin)
            self._private = self._session.get_key(object_class=pkcs11.ObjectClass.PRIVATE_KEY, label=label)
            public = self._session.get_key(object_class=pkcs11.ObjectClass.PUBLIC_KEY, label=label)
            point = public[pkcs11.Attribute.EC_POINT]
        except pkcs11.PKCS11Error as e:
            raise UsageError(f"PKCS#11 module {module}, token {token!r}, key {label!r}: {type(e).__name__}") from None
        self._mechanism = pkcs11.Mechanism.EDDSA
        # CKA_EC_POINT is the DER OCTET STRING of the 32-byte key (04 20 ...) in SoftHSM2; some modules give it raw.
        raw = point[2:] if len(point) == 34 and point[:2] == b"\x04\x20" else point
        self._public = Ed25519PublicKey.from_public_bytes(bytes(raw))

    @classmethod
    def from_config(cls, config: dict) -> "Pkcs11Key":
        return cls(config["module"], config["token"], config["key"])

    def public_key(self) -> Ed25519PublicKey:
        return self._public

    def sign(self, data: bytes) -> bytes:
        signature = self._private.sign(data, mechanism=self._mechanism)
        self._public.verify(signature, data)  # a module that signs wrongly must not put bad signatures in the log
        return signature


def make_token_key(directory: Path, module: Path, token: str | None, *, label: str) -> Pkcs11Key:
    """Generate the node key inside the token and record where it is in ``directory/pkcs11.json``."""
    pkcs11 = _library()
    if not token:
        raise UsageError("--pkcs11-module needs --token, the label of the token to make the key in")
    if not Path(module).is_file():
        raise UsageError(f"PKCS#11 module {module} does not exist")
    pin = os.environ.get(PIN_VARIABLE)
    if not pin:
        raise UsageError(f"give the token's user PIN in ${PIN_VARIABLE}")
    try:
        with pkcs11.lib(str(Path(module).absolute())).get_token(token_label=token).open(rw=True, user_pin=pin) as session:
            if pkcs11.Mechanism.EDDSA not in session.token.slot.get_mechanisms():
                raise UsageError(f"the token {token!r} does not offer CKM_EDDSA; Stillroom's node key is Ed25519")
            session.generate_keypair(
                pkcs11.KeyType.EC_EDWARDS, mechanism=pkcs11.Mechanism.EC_EDWARDS_KEY_PAIR_GEN, store=True,
                public_template={pkcs11.Attribute.EC_PARAMS: ED25519_PARAMS, pkcs11.Attribute.LABEL: label},
                private_template={pkcs11.Attribute.LABEL: label, pkcs11.Attribute.SENSITIVE: True,
                                  pkcs11.Attribute.EXTRACTABLE: False})
    except pkcs11.PKCS11Error as e:
        raise UsageError(f"PKCS#11 module {module}, token {token!r}: {type(e).__name__} while making an Ed25519 key") from None
    config = {"module": str(Path(module).absolute()), "token": token, "key": label}
    atomic_write_bytes(Path(directory) / "pkcs11.json", json.dumps(config).encode())
    return Pkcs11Key.from_config(config)


def _library():
    try:
        import pkcs11
    except ImportError:
        raise UsageError("a PKCS#11 node key needs python-pkcs11: install Stillroom with the `hsm` extra") from None
    return pkcs11
