#!/usr/bin/env node
/**
 * Offline driver for the reference JavaScript Data Integrity stack
 * (@digitalbazaar/vc + data-integrity + eddsa-rdfc-2022-cryptosuite).
 *
 * Reads ONE JSON request on stdin and writes ONE JSON response on stdout.
 *
 *   {"op": "verify", "credentials": [...], "documents": {...},
 *    "statusLists": {...}, "now": "...", "checkIssuer": true,
 *    "verifyStatusListCredential": true}
 *     -> {"results": [{"verified": bool, "error": "...", "errors": [...],
 *                      "statuses": [...]}, ...]}
 *   {"op": "sign", "credential": {...} | "credentials": [...],
 *    "key": {"publicKeyMultibase", "privateKeyMultibase"},
 *    "verificationMethod": "...", "controller": "...", "created": "...",
 *    "documents": {...}}
 *     -> {"credential": signed} | {"credentials": [signed, ...]}
 *   {"op": "canonize", "document": {...} | "inputs": [{...}, ...]}
 *     -> {"nquads": "..."} | {"nquadsList": ["...", ...]}
 *
 *   {"op": "jwt-verify", "tokens": [{"token", "jwk", "alg", "issuer"}, ...],
 *    "now": "..."}
 *     -> {"results": [{"verified": bool, "error": "...", "header": {...},
 *                      "payload": {...}}, ...]}
 *     (VC-JWTs checked by the npm `jose` package: signature with the JWK,
 *      alg, typ "JWT", iss, nbf and exp at "now")
 *   {"op": "jwt-sign", "alg": "ES256"|"RS256", "kid": "...", "credential": {...}}
 *     -> {"token": "...", "jwk": {...}}
 *     (a fresh key made by `jose`; the JWT claims derived from the credential
 *      here, independently of the Python code: iss, jti, nbf, exp, sub)
 *
 * A request-level failure gives {"error": "..."} and exit code 1.
 *
 * The document loader never touches the network. It serves only:
 *   - the pinned contexts listed in ../../schemas/contexts/manifest.json
 *     (each file is checked against the manifest's sha256),
 *   - documents given in the request ("documents": {url or DID: doc}),
 *     and verification methods that are fragments of those documents,
 *   - status list credentials given in the request ("statusLists"),
 *   - did:key DIDs and key ids (derived by @digitalbazaar/did-method-key
 *     with the Ed25519 Multikey header "z6Mk").
 * Anything else is an error naming the URL. (jsonld-signatures wraps every
 * loader with its own built-in copies of the security v1/v2 contexts; those
 * are static data shipped in the package, not network fetches.)
 */
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as vc from '@digitalbazaar/vc';
import {createHash} from 'node:crypto';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {driver as didKeyDriverFactory} from '@digitalbazaar/did-method-key';
import {
  cryptosuite as eddsaRdfc2022CryptoSuite
} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {fileURLToPath} from 'node:url';
import * as jose from 'jose';
import jsigs from 'jsonld-signatures';
import path from 'node:path';
import {readFileSync} from 'node:fs';
import {checkStatus as bitstringCheckStatus} from
  '@digitalbazaar/vc-bitstring-status-list';

const {purposes: {AssertionProofPurpose}} = jsigs;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CONTEXT_DIR = path.resolve(HERE, '..', '..', 'schemas', 'contexts');
const MULTIKEY_CONTEXT_V1 = 'https://w3id.org/security/multikey/v1';

// ---------------------------------------------------------------------------
// pinned contexts

function loadPinnedContexts() {
  const manifestPath = path.join(CONTEXT_DIR, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const contexts = new Map();
  for(const entry of manifest.contexts) {
    const raw = readFileSync(path.join(CONTEXT_DIR, entry.file));
    if(entry.sha256) {
      const digest = createHash('sha256').update(raw).digest('hex');
      if(digest !== entry.sha256) {
        throw new Error(
          `pinned context ${entry.file} has sha256 ${digest}, ` +
          `manifest says ${entry.sha256}`);
      }
    }
    contexts.set(entry.url, JSON.parse(raw.toString('utf8')));
  }
  return contexts;
}

const PINNED_CONTEXTS = loadPinnedContexts();

const didKeyDriver = didKeyDriverFactory();
didKeyDriver.use({
  multibaseMultikeyHeader: 'z6Mk',
  fromMultibase: Ed25519Multikey.from
});

// ---------------------------------------------------------------------------
// document loader

function asArray(value) {
  if(value === undefined || value === null) {
    return [];
  }
  return Array.isArray(value) ? value : [value];
}

/**
 * Finds the verification method `url` (= `${base}#${fragment}`) inside the
 * controller document `doc`: in `verificationMethod` or embedded in one of
 * the verification relationships. Relative ids ("#key-1") are accepted.
 */
function findVerificationMethod(doc, base, url) {
  const fragment = url.slice(base.length);
  const keys = [
    'verificationMethod', 'assertionMethod', 'authentication',
    'capabilityInvocation', 'capabilityDelegation', 'keyAgreement'
  ];
  for(const key of keys) {
    for(const vm of asArray(doc[key])) {
      if(vm && typeof vm === 'object' &&
        (vm.id === url || vm.id === fragment)) {
        return vm;
      }
    }
  }
  return undefined;
}

function verificationMethodDocument(doc, vm, url) {
  const out = {...vm, id: url};
  if(out['@context'] === undefined) {
    // the shape the did-method-key driver returns for a single key, and
    // what Ed25519Multikey.from() expects
    out['@context'] = vm.type === 'Multikey' ?
      MULTIKEY_CONTEXT_V1 : doc['@context'];
  }
  return out;
}

// did:web DIDs and status lists on this machine's loopback interface can be fetched over
// HTTP when a request sets "resolveLoopback" (tests against a running badgeservice);
// nothing else ever leaves the process.
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function loopbackUrl(url) {
  let target = url;
  if(url.startsWith('did:web:')) {
    const parts = url.slice('did:web:'.length).split(':').map(decodeURIComponent);
    const path = parts.slice(1);
    target = `http://${parts[0]}/` +
      (path.length ? `${path.join('/')}/did.json` : '.well-known/did.json');
  }
  let parsed;
  try {
    parsed = new URL(target);
  } catch {
    return null;
  }
  return parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname) ? target : null;
}

async function fetchLoopback(url) {
  const target = loopbackUrl(url);
  if(!target) {
    return null;
  }
  const response = await fetch(target, {headers: {accept: 'application/json'}});
  if(!response.ok) {
    throw new Error(`document loader: GET ${target} answered ${response.status}`);
  }
  return response.json();
}

function makeDocumentLoader(
  {documents = {}, statusLists = {}, resolveLoopback = false} = {}) {
  documents = {...documents};
  const clone = value => structuredClone(value);
  const remote = (url, document) => ({
    contextUrl: null, documentUrl: url, document
  });
  return async function documentLoader(url) {
    if(typeof url !== 'string') {
      throw new Error(`document loader was given a non-string URL: ${url}`);
    }
    if(PINNED_CONTEXTS.has(url)) {
      return remote(url, clone(PINNED_CONTEXTS.get(url)));
    }
    if(Object.hasOwn(documents, url)) {
      return remote(url, clone(documents[url]));
    }
    if(Object.hasOwn(statusLists, url)) {
      return remote(url, clone(statusLists[url]));
    }
    if(resolveLoopback && !url.startsWith('did:') && loopbackUrl(url)) {
      return remote(url, await fetchLoopback(url));
    }
    const hash = url.indexOf('#');
    const base = hash === -1 ? url : url.slice(0, hash);
    if(hash !== -1 && Object.hasOwn(documents, base)) {
      const doc = documents[base];
      const vm = findVerificationMethod(doc, base, url);
      if(!vm) {
        throw new Error(
          `document loader: "${url}" is not a verification method of the ` +
          `supplied document "${base}"`);
      }
      return remote(url, clone(verificationMethodDocument(doc, vm, url)));
    }
    if(base.startsWith('did:key:')) {
      const document = await didKeyDriver.get({url});
      if(!document) {
        throw new Error(`document loader: did:key could not resolve "${url}"`);
      }
      return remote(url, document);
    }
    if(resolveLoopback) {
      const fetched = await fetchLoopback(base);
      if(fetched) {
        documents[base] = fetched;
        return documentLoader(url);
      }
    }
    throw new Error(
      `document loader refused "${url}": not a pinned context, not in the ` +
      'request\'s "documents" or "statusLists", and not a did:key');
  };
}

// ---------------------------------------------------------------------------
// error reporting

/** Collects every message in a (possibly nested) error structure. */
function collectErrors(value, out = [], seen = new Set()) {
  if(value === undefined || value === null) {
    return out;
  }
  if(Array.isArray(value)) {
    for(const item of value) {
      collectErrors(item, out, seen);
    }
    return out;
  }
  if(typeof value !== 'object') {
    out.push(String(value));
    return out;
  }
  if(seen.has(value)) {
    return out;
  }
  seen.add(value);
  if(typeof value.message === 'string') {
    let message = value.message;
    if(value.name && value.name !== 'Error') {
      message = `${value.name}: ${message}`;
    }
    const event = value.details && value.details.event;
    if(event) {
      // jsonld safe-mode failures carry the real reason in the event
      let details = '';
      if(event.details && typeof event.details === 'object') {
        details = ' ' + JSON.stringify(event.details).slice(0, 500);
      }
      message += ` [${event.code}: ${event.message}${details}]`;
    }
    out.push(message);
  }
  collectErrors(value.errors, out, seen);
  collectErrors(value.cause, out, seen);
  if(value.details && value.details.cause) {
    collectErrors(value.details.cause, out, seen);
  }
  return out;
}

function resultErrors(result) {
  const out = [];
  const seen = new Set();
  collectErrors(result.error, out, seen);
  for(const r of asArray(result.results)) {
    collectErrors(r.error, out, seen);
    if(r.purposeResult) {
      collectErrors(r.purposeResult.error, out, seen);
    }
  }
  if(result.statusResult) {
    collectErrors(result.statusResult.error, out, seen);
    for(const r of asArray(result.statusResult.results)) {
      collectErrors(r.error, out, seen);
    }
  }
  return [...new Set(out)];
}

// ---------------------------------------------------------------------------
// operations

function newSuite(options = {}) {
  return new DataIntegrityProof({
    cryptosuite: eddsaRdfc2022CryptoSuite, ...options
  });
}

async function verifyOne(credential, request, documentLoader) {
  const statusLists = request.statusLists || {};
  const options = {credential, suite: newSuite(), documentLoader};
  if(request.now) {
    options.now = request.now;
  }
  if(request.checkIssuer === false) {
    // proof purpose + controller authorisation only, no issuer == controller
    options.purpose = new AssertionProofPurpose();
  }
  let statusMode = 'none';
  if(credential && credential.credentialStatus !== undefined) {
    if(Object.keys(statusLists).length > 0 || request.resolveLoopback) {
      statusMode = 'checked';
      options.checkStatus = opts => bitstringCheckStatus({
        ...opts,
        verifyBitstringStatusListCredential:
          request.verifyStatusListCredential !== false
      });
    } else {
      // vc requires a checkStatus function when credentialStatus is present;
      // no list was supplied, so status checking is switched off
      statusMode = 'not-checked';
      options.checkStatus = async () => ({verified: true});
    }
  }
  const result = await vc.verifyCredential(options);
  const errors = resultErrors(result);
  const out = {verified: result.verified === true};
  if(errors.length > 0 || !out.verified) {
    out.error = errors.length > 0 ? errors.join('; ') : 'not verified';
    out.errors = errors;
  }
  out.status = statusMode;
  if(result.statusResult && Array.isArray(result.statusResult.results)) {
    out.statuses = result.statusResult.results.map(r => ({
      statusPurpose: r.credentialStatus && r.credentialStatus.statusPurpose,
      statusListCredential:
        r.credentialStatus && r.credentialStatus.statusListCredential,
      statusListIndex: r.credentialStatus && r.credentialStatus.statusListIndex,
      status: r.status
    }));
  }
  return out;
}

async function opVerify(request) {
  const documentLoader = makeDocumentLoader(request);
  const results = [];
  for(const credential of asArray(request.credentials)) {
    try {
      results.push(await verifyOne(credential, request, documentLoader));
    } catch(error) {
      const errors = collectErrors(error);
      results.push({verified: false, error: errors.join('; '), errors});
    }
  }
  return {results};
}

async function makeKeyPair(request) {
  const key = request.key || {};
  const publicKeyMultibase = key.publicKeyMultibase;
  // W3C keyPair.json calls it privateKeyMultibase; Ed25519Multikey calls it
  // secretKeyMultibase. Both are 'z' + base58btc(0x8026 + key bytes), with
  // 32 bytes (seed) or the legacy 64 bytes (seed || public key); the library
  // signs with the first 32 bytes either way.
  const secretKeyMultibase = key.secretKeyMultibase || key.privateKeyMultibase;
  if(!publicKeyMultibase || !secretKeyMultibase) {
    throw new Error(
      'sign: "key" needs publicKeyMultibase and privateKeyMultibase');
  }
  const verificationMethod = request.verificationMethod ||
    `did:key:${publicKeyMultibase}#${publicKeyMultibase}`;
  const controller = request.controller || verificationMethod.split('#')[0];
  const keyPair = await Ed25519Multikey.from({
    '@context': MULTIKEY_CONTEXT_V1,
    type: 'Multikey',
    id: verificationMethod,
    controller,
    publicKeyMultibase,
    secretKeyMultibase
  });
  // Ed25519Multikey does not check that the two halves belong together
  const probe = new TextEncoder().encode('jsstack key pair check');
  const signature = await keyPair.signer().sign({data: probe});
  if(!await keyPair.verifier().verify({data: probe, signature})) {
    throw new Error(
      'sign: privateKeyMultibase does not match publicKeyMultibase');
  }
  return keyPair;
}

async function signOne(credential, request, keyPair, documentLoader) {
  const suite = newSuite({signer: keyPair.signer()});
  if(request.created) {
    // keep the caller's exact lexical form (the `date` option would
    // re-serialise it and drop fractional seconds)
    suite.proof = {created: request.created};
  }
  const options = {
    credential: structuredClone(credential), suite, documentLoader
  };
  if(request.now) {
    options.now = request.now;
  }
  return vc.issue(options);
}

async function opSign(request) {
  const keyPair = await makeKeyPair(request);
  // signing only loads contexts (the controller is checked on verify)
  const documentLoader = makeDocumentLoader(request);
  if(request.credentials !== undefined) {
    const credentials = [];
    for(const credential of asArray(request.credentials)) {
      credentials.push(
        await signOne(credential, request, keyPair, documentLoader));
    }
    return {credentials};
  }
  return {
    credential: await signOne(
      request.credential, request, keyPair, documentLoader)
  };
}

function canonize(document, documentLoader) {
  // exactly what DataIntegrityProof.createVerifyData() does with the
  // document: the cryptosuite's canonize (jsonld.toRDF + rdf-canonize
  // RDFC-1.0) with safe mode on and no base IRI
  return eddsaRdfc2022CryptoSuite.canonize(
    document, {documentLoader, base: null, safe: true});
}

async function opCanonize(request) {
  const documentLoader = makeDocumentLoader(request);
  if(request.inputs !== undefined) {
    const nquadsList = [];
    for(const document of asArray(request.inputs)) {
      nquadsList.push(await canonize(document, documentLoader));
    }
    return {nquadsList};
  }
  return {nquads: await canonize(request.document, documentLoader)};
}

async function jwtVerifyOne(entry, now) {
  try {
    const key = await jose.importJWK(entry.jwk, entry.alg);
    const {payload, protectedHeader} = await jose.jwtVerify(entry.token, key, {
      algorithms: [entry.alg],
      issuer: entry.issuer,
      typ: 'JWT',
      currentDate: now
    });
    return {verified: true, header: protectedHeader, payload};
  } catch(error) {
    return {verified: false, error: `${error.code || error.name}: ${error.message}`};
  }
}

async function opJwtVerify(request) {
  const now = request.now ? new Date(request.now) : new Date();
  const results = [];
  for(const entry of asArray(request.tokens)) {
    results.push(await jwtVerifyOne(entry, now));
  }
  return {results};
}

function numericDate(value) {
  return Math.floor(Date.parse(value) / 1000);
}

async function opJwtSign(request) {
  const {privateKey, publicKey} = await jose.generateKeyPair(
    request.alg, {extractable: true});
  const credential = request.credential;
  const issuer = typeof credential.issuer === 'string' ?
    credential.issuer : credential.issuer.id;
  const claims = {iss: issuer, jti: credential.id,
    nbf: numericDate(credential.validFrom)};
  if(credential.validUntil) {
    claims.exp = numericDate(credential.validUntil);
  }
  const subject = credential.credentialSubject && credential.credentialSubject.id;
  if(subject) {
    claims.sub = subject;
  }
  const token = await new jose.SignJWT({...credential, ...claims})
    .setProtectedHeader({alg: request.alg, kid: request.kid, typ: 'JWT'})
    .sign(privateKey);
  return {token, jwk: await jose.exportJWK(publicKey)};
}

const OPS = {
  verify: opVerify,
  sign: opSign,
  canonize: opCanonize,
  'jwt-verify': opJwtVerify,
  'jwt-sign': opJwtSign
};

// ---------------------------------------------------------------------------
// main

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function write(obj) {
  return new Promise(resolve => process.stdout.write(
    JSON.stringify(obj) + '\n', resolve));
}

async function main() {
  let request;
  try {
    request = JSON.parse(await readStdin());
  } catch(error) {
    await write({error: `request is not JSON: ${error.message}`});
    return 1;
  }
  const op = OPS[request && request.op];
  if(!op) {
    await write({
      error: `unknown op ${JSON.stringify(request && request.op)}; ` +
        `expected one of ${Object.keys(OPS).join(', ')}`
    });
    return 1;
  }
  try {
    await write(await op(request));
    return 0;
  } catch(error) {
    const errors = collectErrors(error);
    await write({error: errors.join('; ') || String(error), errors});
    return 1;
  }
}

process.exitCode = await main();
