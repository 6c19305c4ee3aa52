#!/usr/bin/env node
// hsign interop peer: verify Sigstore bundles against a plain public key AND a
// transparency log, offline, with the low-level @sigstore/verify Verifier. The
// log (its key and id) comes from a trusted_root.json; one verified tlog entry
// (SET and/or inclusion proof with checkpoint) is required per bundle.
//
// usage: node verify-with-log.js <trusted_root.json> <public-key.pem> <artifact-file|-> <bundle.json>...
//        node verify-with-log.js <trusted_root.json> <public-key.pem> --pairs <artifact> <bundle> ...
//   "-" as the artifact: DSSE bundles, checked without an artifact. With --pairs each bundle has its own
//   artifact file.
// Prints "OK <n>" and exits 0 when every bundle verifies; prints
// "<bundle>: <name>: <message>" to stderr and exits 1 on the first failure.
// With HSIGN_PEER_TIMING=1 it also prints "verify_ms <ms>" (the verification
// loop only, bundles already parsed) to stdout, for benchmarks.
'use strict';

const fs = require('fs');
const { Verifier, toTrustMaterial, toSignedEntity } = require('@sigstore/verify');
const { bundleFromJSON } = require('@sigstore/bundle');
const { crypto } = require('@sigstore/core');
const { TrustedRoot } = require('@sigstore/protobuf-specs');

function main(argv) {
  if (argv.length < 4) {
    process.stderr.write('usage: node verify-with-log.js <trusted_root.json> <public-key.pem> <artifact|-> <bundle.json>...\n');
    process.exit(2);
  }
  const [rootPath, keyPath, artifactPath, ...bundlePaths] = argv;
  const trustedRoot = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootPath, 'utf8')));
  const publicKey = crypto.createPublicKey(fs.readFileSync(keyPath, 'utf8'));
  const read = (p) => (p === '-' ? undefined : fs.readFileSync(p));
  const pairs = [];
  if (artifactPath === '--pairs') {
    for (let i = 0; i + 1 < bundlePaths.length; i += 2) pairs.push([bundlePaths[i + 1], read(bundlePaths[i])]);
  } else {
    const artifact = read(artifactPath);
    for (const p of bundlePaths) pairs.push([p, artifact]);
  }
  const trustMaterial = toTrustMaterial(trustedRoot, () => ({ publicKey, validFor: () => true }));
  const verifier = new Verifier(trustMaterial, { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 0 });
  const entities = pairs.map(([p, artifact]) => [p, bundleFromJSON(JSON.parse(fs.readFileSync(p, 'utf8'))), artifact]);
  const start = process.hrtime.bigint();
  for (const [p, bundle, artifact] of entities) {
    try {
      verifier.verify(toSignedEntity(bundle, artifact));
    } catch (err) {
      const code = err.code ? ` [${err.code}]` : '';
      process.stderr.write(`${p}: ${err.name || 'Error'}${code}: ${err.message}\n`);
      process.exit(1);
    }
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  process.stdout.write(`OK ${entities.length}\n`);
  if (process.env.HSIGN_PEER_TIMING) process.stdout.write(`verify_ms ${ms.toFixed(1)}\n`);
}

main(process.argv.slice(2));
