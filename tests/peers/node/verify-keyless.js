#!/usr/bin/env node
// hsign interop/benchmark peer: verify keyless Sigstore bundles offline with @sigstore/verify against a
// trusted_root.json and an expected identity (SAN) and OIDC issuer: certificate chain, SCT, tlog entry.
//
// usage: node verify-keyless.js <trusted_root.json> <identity> <issuer> <artifact> <bundle.json>...
// Prints "OK <n>" when every bundle verifies (exit 0), else "<bundle>: <error>" on stderr (exit 1). With
// HSIGN_PEER_TIMING=1 also "verify_ms <ms>" for the verification loop (bundles already parsed).
'use strict';

const fs = require('fs');
const { Verifier, toTrustMaterial, toSignedEntity } = require('@sigstore/verify');
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');

function main(argv) {
  if (argv.length < 5) {
    process.stderr.write('usage: node verify-keyless.js <trusted_root.json> <identity> <issuer> <artifact> <bundle.json>...\n');
    process.exit(2);
  }
  const [rootPath, identity, issuer, artifactPath, ...bundlePaths] = argv;
  const trustMaterial = toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootPath, 'utf8'))));
  // HSIGN_PEER_NO_SCT=1: certificates from a CA without a CT log (hsign's test Fulcio).
  const ctlogThreshold = process.env.HSIGN_PEER_NO_SCT ? 0 : 1;
  const verifier = new Verifier(trustMaterial, { tlogThreshold: 1, ctlogThreshold, timestampThreshold: 0 });
  const artifact = fs.readFileSync(artifactPath);
  const policy = { subjectAlternativeName: identity, extensions: { issuer } };
  const entities = bundlePaths.map((p) => [p, bundleFromJSON(JSON.parse(fs.readFileSync(p, 'utf8')))]);
  const start = process.hrtime.bigint();
  for (const [p, bundle] of entities) {
    try {
      verifier.verify(toSignedEntity(bundle, artifact), policy);
    } catch (err) {
      process.stderr.write(`${p}: ${err.name || 'Error'}${err.code ? ` [${err.code}]` : ''}: ${err.message}\n`);
      process.exit(1);
    }
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  process.stdout.write(`OK ${entities.length}\n`);
  if (process.env.HSIGN_PEER_TIMING) process.stdout.write(`verify_ms ${ms.toFixed(1)}\n`);
}

main(process.argv.slice(2));
