"""hsign benchmark peer: verify keyless Sigstore bundles offline with sigstore-python's API, in one process.

usage: python verify_keyless.py <trusted_root.json> <identity> <issuer> <artifact> <bundle.json>...
Prints "OK <n>" and "verify_ms <ms>" (the verification loop only, bundles already parsed); exits 1 with the
error on the first bundle that does not verify.
"""

import sys
import time

from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier, policy


def main(argv):
    if len(argv) < 5:
        print("usage: verify_keyless.py <trusted_root.json> <identity> <issuer> <artifact> <bundle.json>...", file=sys.stderr)
        return 2
    root_path, identity, issuer, artifact_path, *bundle_paths = argv
    verifier = Verifier(trusted_root=TrustedRoot.from_file(root_path))
    want = policy.Identity(identity=identity, issuer=issuer)
    artifact = open(artifact_path, "rb").read()
    bundles = [(p, Bundle.from_json(open(p, "rb").read())) for p in bundle_paths]
    start = time.perf_counter()
    for p, bundle in bundles:
        try:
            verifier.verify_artifact(artifact, bundle, want)
        except Exception as e:  # noqa: BLE001 - report any failure with the bundle's name
            print(f"{p}: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
    ms = (time.perf_counter() - start) * 1000
    print(f"OK {len(bundles)}")
    print(f"verify_ms {ms:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
