#!/usr/bin/env node
// hsign interop peer: verify a Sigstore bundle against a plain public key,
// offline, with the low-level @sigstore/verify Verifier: empty trusted root,
// a key selector that always returns the given key, and no tlog / ctlog /
// timestamp requirements.
//
// usage: node verify-with-key.js <bundle.json> <public-key.pem> [artifact-file]
//   artifact-file is required for messageSignature bundles, optional for DSSE.
// Prints "OK" and exits 0 on success; prints "<name>: <message>" to stderr and
// exits 1 on failure (2 on bad usage).
'use strict';

const fs = require('fs');
const { Verifier, toTrustMaterial, toSignedEntity } = require('@sigstore/verify');
const { bundleFromJSON } = require('@sigstore/bundle');
const { crypto } = require('@sigstore/core');

function usage() {
  process.stderr.write('usage: node verify-with-key.js <bundle.json> <public-key.pem> [artifact-file]\n');
  process.exit(2);
}

function main(argv) {
  if (argv.length < 2 || argv.length > 3) usage();
  const [bundlePath, keyPath, artifactPath] = argv;

  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  // The key must be passed as a PEM *string*: a Buffer would be parsed as DER.
  const pem = fs.readFileSync(keyPath, 'utf8');
  const publicKey = crypto.createPublicKey(pem);
  const artifact = artifactPath === undefined ? undefined : fs.readFileSync(artifactPath);

  if (bundle.content.$case === 'messageSignature' && artifact === undefined) {
    throw Object.assign(new Error('a messageSignature bundle needs the artifact file'), { name: 'UsageError' });
  }

  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  };
  const trustMaterial = toTrustMaterial(trustedRoot, () => ({ publicKey, validFor: () => true }));
  const verifier = new Verifier(trustMaterial, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  verifier.verify(toSignedEntity(bundle, artifact));
  process.stdout.write('OK\n');
}

try {
  main(process.argv.slice(2));
} catch (err) {
  const code = err.code ? ` [${err.code}]` : '';
  const fields = Array.isArray(err.fields) ? ` (${err.fields.join(', ')})` : '';
  process.stderr.write(`${err.name || 'Error'}${code}: ${err.message}${fields}\n`);
  process.exit(1);
}
