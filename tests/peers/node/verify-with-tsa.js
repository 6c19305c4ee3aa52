#!/usr/bin/env node
// hsign interop peer: verify Sigstore bundles that carry an RFC 3161 timestamp, against a plain public key
// and a trusted_root.json holding the transparency log AND the timestamping authority, offline, with the
// low-level @sigstore/verify Verifier.
//
// Each bundle is verified twice:
//   1. as is, with tlogThreshold 1 and timestampThreshold 1;
//   2. with its tlog entries removed, tlogThreshold 0 and timestampThreshold 1: the RFC 3161 timestamp is
//      then the only timestamp, so it must verify against the trusted root's TSA (a tlog integrated time
//      would otherwise satisfy the threshold alone).
//
// usage: node verify-with-tsa.js <trusted_root.json> <public-key.pem> <artifact-file|-> <bundle.json>...
//   "-" as the artifact: DSSE bundles, checked without an artifact.
// Prints "OK <n>" and exits 0 when every bundle verifies both ways; prints
// "<bundle>: <name>: <message>" to stderr and exits 1 on the first failure.
'use strict';

const fs = require('fs');
const { Verifier, toTrustMaterial, toSignedEntity } = require('@sigstore/verify');
const { bundleFromJSON } = require('@sigstore/bundle');
const { crypto } = require('@sigstore/core');
const { TrustedRoot } = require('@sigstore/protobuf-specs');

function main(argv) {
  if (argv.length < 4) {
    process.stderr.write('usage: node verify-with-tsa.js <trusted_root.json> <public-key.pem> <artifact|-> <bundle.json>...\n');
    process.exit(2);
  }
  const [rootPath, keyPath, artifactPath, ...bundlePaths] = argv;
  const trustedRoot = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootPath, 'utf8')));
  const publicKey = crypto.createPublicKey(fs.readFileSync(keyPath, 'utf8'));
  const artifact = artifactPath === '-' ? undefined : fs.readFileSync(artifactPath);
  const trustMaterial = toTrustMaterial(trustedRoot, () => ({ publicKey, validFor: () => true }));
  const withLog = new Verifier(trustMaterial, { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 1 });
  const tsaOnly = new Verifier(trustMaterial, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 1 });
  for (const p of bundlePaths) {
    const json = JSON.parse(fs.readFileSync(p, 'utf8'));
    const stripped = JSON.parse(JSON.stringify(json));
    stripped.verificationMaterial.tlogEntries = [];
    for (const [what, verifier, doc] of [['with log', withLog, json], ['timestamp only', tsaOnly, stripped]]) {
      try {
        verifier.verify(toSignedEntity(bundleFromJSON(doc), artifact));
      } catch (err) {
        const code = err.code ? ` [${err.code}]` : '';
        process.stderr.write(`${p} (${what}): ${err.name || 'Error'}${code}: ${err.message}\n`);
        process.exit(1);
      }
    }
  }
  process.stdout.write(`OK ${bundlePaths.length}\n`);
}

main(process.argv.slice(2));
