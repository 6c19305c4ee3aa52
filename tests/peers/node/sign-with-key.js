#!/usr/bin/env node
// hsign interop peer: sign with a plain EC P-256 key through sigstore-js,
// offline (custom Signer, no witnesses => no Fulcio/Rekor/TSA), and write
// a Sigstore bundle JSON.
//
// usage: node sign-with-key.js <message|dsse> <private-key.pem> <input-file> <out-bundle.json> [payloadType] [hint]
//   private-key.pem: unencrypted PKCS#8 ("PRIVATE KEY") or SEC1 ("EC PRIVATE KEY")
//   payloadType:     dsse only; default application/vnd.in-toto+json ("" = default)
//   hint:            optional verificationMaterial.publicKey.hint ("" = none)
'use strict';

const fs = require('fs');
const nodeCrypto = require('crypto');
const { MessageSignatureBundleBuilder, DSSEBundleBuilder } = require('@sigstore/sign');
const { bundleToJSON } = require('@sigstore/bundle');

const DEFAULT_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

function usage(msg) {
  if (msg) process.stderr.write(`error: ${msg}\n`);
  process.stderr.write(
    'usage: node sign-with-key.js <message|dsse> <private-key.pem> <input-file> <out-bundle.json> [payloadType] [hint]\n'
  );
  process.exit(2);
}

// A sigstore-js Signer backed by a local private key: ECDSA over SHA-256,
// DER-encoded signature (the same encoding cosign uses).
class KeySigner {
  constructor(privateKey, hint) {
    this.privateKey = privateKey;
    this.publicKeyPEM = nodeCrypto
      .createPublicKey(privateKey)
      .export({ type: 'spki', format: 'pem' })
      .toString();
    this.hint = hint;
  }

  async sign(data) {
    const signature = nodeCrypto.sign('sha256', data, this.privateKey);
    const key = { $case: 'publicKey', publicKey: this.publicKeyPEM };
    if (this.hint) key.hint = this.hint;
    return { signature, key };
  }
}

async function main(argv) {
  if (argv.length < 4 || argv.length > 6) usage();
  const [mode, keyPath, inputPath, outPath, payloadTypeArg, hintArg] = argv;
  if (mode !== 'message' && mode !== 'dsse') usage(`unknown mode "${mode}"`);

  const privateKey = nodeCrypto.createPrivateKey(fs.readFileSync(keyPath, 'utf8'));
  if (privateKey.asymmetricKeyType !== 'ec' ||
      privateKey.asymmetricKeyDetails.namedCurve !== 'prime256v1') {
    throw new Error(`expected an EC P-256 private key, got ${privateKey.asymmetricKeyType} ` +
      `${(privateKey.asymmetricKeyDetails || {}).namedCurve || ''}`.trim());
  }
  const signer = new KeySigner(privateKey, hintArg || undefined);
  const data = fs.readFileSync(inputPath);

  let bundle;
  if (mode === 'message') {
    const builder = new MessageSignatureBundleBuilder({ signer, witnesses: [] });
    bundle = await builder.create({ data });
  } else {
    const builder = new DSSEBundleBuilder({ signer, witnesses: [] });
    bundle = await builder.create({ data, type: payloadTypeArg || DEFAULT_PAYLOAD_TYPE });
  }

  fs.writeFileSync(outPath, JSON.stringify(bundleToJSON(bundle)) + '\n');
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`${err.name || 'Error'}: ${err.message}\n`);
  process.exit(1);
});
