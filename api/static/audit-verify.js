// Verifier of the claims audit trail's proofs, written from docs/audit-format.md.
//
// One dependency-free ES module for browsers and Node >= 20: SHA-256 and Ed25519 come from
// WebCrypto (globalThis.crypto.subtle). It shares no code with the Python implementation,
// so the two check each other (tests/audit/test_js_verifier.py).
//
//   import { verifyEventProof, verifyBundle } from "./audit-verify.js";
//   await verifyEventProof({ event, proof, checkpoint, verifierKey });   // JSON proof
//   await verifyEventProof({ event, proof: tlogProofText, verifierKey }); // C2SP tlog-proof
//   await verifyBundle(bundleText, verifierKey);                          // an export bundle
//
// Every function that verifies resolves with what it verified or rejects with an
// AuditVerifyError whose `reason` says what failed. The verifier key must come from the
// verifier (published by the insurer), never from the files being checked; a checkpoint is
// accepted only for the origin named by that key unless `origin` names another.

const SIG_PREFIX = "\u2014 ";
const TLOG_HEADER = "c2sp.org/tlog-proof@v1";
const BUNDLE_FORMATS = ["claims-audit-export/1", "claims-audit-export/2"];
const HEX64 = /^[0-9a-f]{64}$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const MAX_DEPTH = 128;
const MAX_SIGNATURES = 100;
const encoder = new TextEncoder();

export class AuditVerifyError extends Error {
  constructor(reason) {
    super(reason);
    this.name = "AuditVerifyError";
    this.reason = reason;
  }
}

function fail(reason) {
  throw new AuditVerifyError(reason);
}

// --- bytes, hex, base64 ---------------------------------------------------------------------

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromHex(hex, what) {
  if (typeof hex !== "string" || !HEX64.test(hex)) fail(`${what} is not 64 lowercase hex digits`);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function toBase64(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

// Standard base64 that must re-encode to the same text (no spaces, no stray bits).
function fromBase64(text, what) {
  let binary;
  try {
    binary = atob(text);
  } catch {
    fail(`${what} is not valid base64`);
  }
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  if (toBase64(bytes) !== text) fail(`${what} is not canonical base64`);
  return bytes;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export async function sha256(bytes) {
  const data = typeof bytes === "string" ? encoder.encode(bytes) : bytes;
  return new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", data));
}

// --- canonical JSON (RFC 8785 on the subset the log stores) -------------------------------

export function canonicalJson(value) {
  return canonical(value, 0, "$");
}

function canonical(value, depth, path) {
  if (depth > MAX_DEPTH) fail(`${path}: nested deeper than ${MAX_DEPTH}`);
  if (value === null) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "number") {
    // Money is a decimal string in this log; numbers are integers of at most 2**53 - 1.
    if (!Number.isSafeInteger(value)) fail(`${path}: numbers must be integers within 2**53 - 1`);
    return Object.is(value, -0) ? "0" : String(value);
  }
  if (typeof value === "string") {
    if (!value.isWellFormed()) fail(`${path}: a string holds a lone surrogate`);
    return JSON.stringify(value); // escapes exactly " \ and U+0000..U+001F, as RFC 8785
  }
  if (Array.isArray(value)) {
    return `[${value.map((v, i) => canonical(v, depth + 1, `${path}[${i}]`)).join(",")}]`;
  }
  if (typeof value === "object") {
    // Array.prototype.sort compares UTF-16 code units: the RFC 8785 member order.
    const members = Object.keys(value)
      .sort()
      .map((k) => `${canonical(k, depth + 1, path)}:${canonical(value[k], depth + 1, `${path}.${k}`)}`);
    return `{${members.join(",")}}`;
  }
  fail(`${path}: not a JSON value`);
}

// --- the event: payload_hash, entry_hash, leaf ---------------------------------------------

function text(event, key, nullable = false) {
  const v = event[key];
  if (v === null && nullable) return null;
  if (typeof v !== "string") fail(`event.${key} must be a string`);
  return v;
}

export async function payloadHash(payload) {
  return toHex(await sha256(canonicalJson(payload)));
}

export async function entryHash(event) {
  const seq = event.seq;
  if (!Number.isSafeInteger(seq) || seq < 1) fail("event.seq must be a positive integer");
  for (const key of ["payload_hash", "prev_hash"]) fromHex(text(event, key), `event.${key}`);
  const header = {
    actor: text(event, "actor"),
    claim_id: text(event, "claim_id", true),
    event_id: text(event, "event_id"),
    event_type: text(event, "event_type"),
    occurred_at: text(event, "occurred_at"),
    payload_hash: text(event, "payload_hash"),
    prev_hash: text(event, "prev_hash"),
    recorded_at: text(event, "recorded_at"),
    seq,
  };
  return toHex(await sha256(canonicalJson(header)));
}

export async function leafHash(entryHashHex) {
  return sha256(concat(Uint8Array.of(0), fromHex(entryHashHex, "entry_hash")));
}

export async function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

// Recomputes payload_hash and entry_hash from the event's content; returns its leaf hash.
export async function checkEvent(event) {
  if (event === null || typeof event !== "object" || Array.isArray(event)) {
    fail("the event must be a JSON object");
  }
  if (!("payload" in event)) fail("event has no payload");
  if ((await payloadHash(event.payload)) !== text(event, "payload_hash")) {
    fail("event payload does not match its payload_hash");
  }
  const stated = fromHex(text(event, "entry_hash"), "event.entry_hash");
  if ((await entryHash(event)) !== toHex(stated)) {
    fail("event content does not match its entry_hash");
  }
  return leafHash(event.entry_hash);
}

// --- the tree: RFC 9162 section 2.1.3.2 ----------------------------------------------------

export async function verifyInclusion(leaf, index, size, proof, root) {
  if (!Number.isSafeInteger(index) || index < 0) fail("leaf index is not a non-negative integer");
  if (!Number.isSafeInteger(size) || size < 0) fail("tree size is not a non-negative integer");
  if (index >= size) fail(`leaf index ${index} is not below tree size ${size}`);
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) fail("proof has more hashes than the tree size allows");
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) fail("proof has fewer hashes than the tree size needs");
  if (!equalBytes(r, root)) fail("computed root does not match the checkpoint's root");
}

// --- keys and checkpoints (C2SP signed-note, tlog-checkpoint) ------------------------------

function checkName(name, what) {
  if (!name || /[+\s]/u.test(name) || /[\u0000-\u001f\u007f]/.test(name)) {
    fail(`${what} ${JSON.stringify(name)} is not a valid key name`);
  }
}

export async function keyId(name, publicKey) {
  const digest = await sha256(concat(encoder.encode(`${name}\n`), Uint8Array.of(1), publicKey));
  return toHex(digest.slice(0, 4));
}

// `name+keyid+base64(0x01 || 32-byte Ed25519 public key)`.
export async function parseVerifierKey(keyText) {
  if (typeof keyText !== "string") fail("the verifier key must be text");
  const key = keyText.trim();
  if (key.startsWith("PRIVATE+KEY+")) fail("this is a secret signer key, not a verifier key");
  const first = key.indexOf("+");
  const second = key.indexOf("+", first + 1);
  if (first < 0 || second < 0) fail("the verifier key is not of the form name+keyid+key");
  const name = key.slice(0, first);
  const id = key.slice(first + 1, second);
  checkName(name, "verifier key name");
  if (!/^[0-9a-f]{8}$/.test(id)) fail("the verifier key ID is not 8 lowercase hex digits");
  const raw = fromBase64(key.slice(second + 1), "verifier key material");
  if (raw.length !== 33 || raw[0] !== 1) fail("the verifier key is not an Ed25519 (type 0x01) key");
  const publicKey = raw.slice(1);
  if ((await keyId(name, publicKey)) !== id) {
    fail("the verifier key ID does not match its name and public key");
  }
  let cryptoKey;
  try {
    cryptoKey = await globalThis.crypto.subtle.importKey(
      "raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  } catch {
    fail("the verifier key is not a valid Ed25519 public key");
  }
  return { name, keyId: id, publicKey, cryptoKey };
}

function splitNote(note) {
  if (typeof note !== "string") fail("the checkpoint must be text");
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note) || !note.isWellFormed()) {
    fail("the checkpoint holds a control character or invalid Unicode");
  }
  if (!note.endsWith("\n")) fail("the checkpoint must end in a newline");
  const split = note.lastIndexOf("\n\n");
  if (split < 0) fail("the checkpoint has no blank line before its signatures");
  if (note.length === split + 2) fail("the checkpoint has no signatures");
  const body = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split("\n");
  if (lines.length > MAX_SIGNATURES) fail(`more than ${MAX_SIGNATURES} signatures`);
  return { body, lines };
}

// Verifies the note's signature by `key` (other keys' signatures are ignored) and returns
// the body's origin, size and root.
async function openCheckpoint(note, key) {
  const { body, lines } = splitNote(note);
  let verified = false;
  const seen = new Set();
  for (const line of lines) {
    if (!line.startsWith(SIG_PREFIX)) fail("a signature line does not start with '\u2014 '");
    const rest = line.slice(SIG_PREFIX.length);
    const space = rest.indexOf(" ");
    if (space < 0) fail("a signature line is not '\u2014 <name> <signature>'");
    const name = rest.slice(0, space);
    checkName(name, "signature key name");
    const raw = fromBase64(rest.slice(space + 1), "signature");
    if (raw.length < 5) fail("a signature is too short to hold a key ID");
    const id = toHex(raw.slice(0, 4));
    if (seen.has(`${name}+${id}`)) fail(`duplicate signature by ${name}`);
    seen.add(`${name}+${id}`);
    if (name !== key.name || id !== key.keyId) continue; // another key's (e.g. a witness)
    if (raw.length !== 68) fail(`the signature by ${name} is not a 64-byte Ed25519 signature`);
    const ok = await globalThis.crypto.subtle.verify(
      { name: "Ed25519" }, key.cryptoKey, raw.slice(4), encoder.encode(body));
    if (!ok) fail(`the signature by ${name} does not verify`);
    verified = true;
  }
  if (!verified) fail(`the checkpoint has no signature by key ${key.name}+${key.keyId}`);
  const fields = body.slice(0, -1).split("\n");
  if (fields.length !== 3) fail("the checkpoint body must have exactly 3 lines");
  const [origin, sizeText, rootText] = fields;
  if (!origin || origin !== origin.trim()) fail("the checkpoint origin is empty or padded");
  if (!DECIMAL.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    fail("the checkpoint size is not a canonical decimal this verifier can hold");
  }
  const root = fromBase64(rootText, "checkpoint root");
  if (root.length !== 32) fail("the checkpoint root is not 32 bytes");
  return { origin, size: Number(sizeText), root };
}

// Verifies a signed checkpoint; its origin must be `origin`, by default the key's name.
export async function verifyCheckpoint(note, verifierKey, { origin } = {}) {
  const key = typeof verifierKey === "string" ? await parseVerifierKey(verifierKey) : verifierKey;
  const expected = origin ?? key.name;
  const checkpoint = await openCheckpoint(note, key);
  if (checkpoint.origin !== expected) {
    fail(`checkpoint is for origin ${JSON.stringify(checkpoint.origin)}, expected ` +
      `${JSON.stringify(expected)}${origin == null ? " (the verifier key's name)" : ""}`);
  }
  return checkpoint;
}

// --- proofs: proof.json and C2SP tlog-proof ------------------------------------------------

function parseJsonProof(proof) {
  const obj = typeof proof === "string" ? parseJson(proof, "proof") : proof;
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    fail("the proof must be a JSON object");
  }
  const extra = Object.keys(obj).filter((k) => !["hashes", "leaf_index", "tree_size"].includes(k));
  if (extra.length) fail(`the proof has unknown fields: ${extra.sort().join(", ")}`);
  for (const k of ["leaf_index", "tree_size"]) {
    if (!Number.isSafeInteger(obj[k]) || obj[k] < 0) fail(`proof.${k} must be a non-negative integer`);
  }
  if (!Array.isArray(obj.hashes)) fail("proof.hashes must be a list of hex strings");
  const hashes = obj.hashes.map((h, i) => fromHex(h, `proof.hashes[${i}]`));
  return { index: obj.leaf_index, treeSize: obj.tree_size, hashes };
}

export function isTlogProof(proof) {
  return typeof proof === "string" && proof.startsWith(`${TLOG_HEADER}\n`);
}

// c2sp.org/tlog-proof@v1, [extra <b64>], index N, base64 hashes, empty line, checkpoint.
export function parseTlogProof(proofText) {
  if (!isTlogProof(proofText)) fail(`a tlog-proof starts with the line ${TLOG_HEADER}`);
  const split = proofText.indexOf("\n\n");
  if (split < 0 || split + 2 === proofText.length) {
    fail("the tlog-proof has no empty line followed by its checkpoint");
  }
  const lines = proofText.slice(0, split).split("\n").slice(1);
  let extra = null;
  if (lines.length && lines[0].startsWith("extra ")) {
    extra = fromBase64(lines.shift().slice(6), "tlog-proof extra data"); // never trusted
  }
  if (!lines.length || !lines[0].startsWith("index ")) fail("the tlog-proof needs an 'index N' line");
  const indexText = lines.shift().slice(6);
  if (!DECIMAL.test(indexText) || !Number.isSafeInteger(Number(indexText))) {
    fail("the tlog-proof index is not a canonical decimal");
  }
  if (lines.length > 63) fail("the tlog-proof has more than 63 hashes");
  const hashes = lines.map((line, i) => {
    const h = fromBase64(line, `tlog-proof hash ${i}`);
    if (h.length !== 32) fail(`tlog-proof hash ${i} is not 32 bytes`);
    return h;
  });
  return { index: Number(indexText), hashes, checkpoint: proofText.slice(split + 2), extra };
}

function parseJson(textValue, what) {
  try {
    return JSON.parse(textValue);
  } catch {
    fail(`the ${what} is not valid JSON`);
  }
}

// Verifies that `event` is in the log as committed to by a signed checkpoint.
// `proof` is a proof.json (object or text) with `checkpoint` (the note text), or a tlog-proof
// text (which carries its checkpoint). Resolves with what was verified.
export async function verifyEventProof({ event, proof, checkpoint, verifierKey, origin }) {
  const doc = typeof event === "string" ? parseJson(event, "event") : event;
  const leaf = await checkEvent(doc);
  let index;
  let hashes;
  let note;
  let statedSize = null;
  if (isTlogProof(proof)) {
    if (checkpoint !== undefined && checkpoint !== null) {
      fail("a tlog-proof carries its checkpoint: give no other");
    }
    ({ index, hashes, checkpoint: note } = parseTlogProof(proof));
  } else {
    if (typeof checkpoint !== "string") fail("a JSON proof needs the checkpoint it is against");
    ({ index, hashes, treeSize: statedSize } = parseJsonProof(proof));
    note = checkpoint;
  }
  const signed = await verifyCheckpoint(note, verifierKey, { origin });
  if (statedSize !== null && statedSize !== signed.size) {
    fail(`proof is for tree size ${statedSize}, checkpoint is for ${signed.size}`);
  }
  if (index !== doc.seq - 1) fail(`proof is for leaf index ${index}, event seq ${doc.seq} is leaf ${doc.seq - 1}`);
  await verifyInclusion(leaf, index, signed.size, hashes, signed.root);
  return {
    eventId: doc.event_id,
    seq: doc.seq,
    claimId: doc.claim_id,
    entryHash: doc.entry_hash,
    leafHash: toHex(leaf),
    origin: signed.origin,
    treeSize: signed.size,
    root: toHex(signed.root),
  };
}

// Verifies every event of an export bundle against its one signed checkpoint. The bundle's
// informational_verifier_key (verifier_key in format 1) is never read.
export async function verifyBundle(bundle, verifierKey, { origin } = {}) {
  const doc = typeof bundle === "string" ? parseJson(bundle, "bundle") : bundle;
  if (doc === null || typeof doc !== "object" || !BUNDLE_FORMATS.includes(doc.format)) {
    fail(`not a ${BUNDLE_FORMATS.join(" or ")} bundle`);
  }
  if (typeof doc.checkpoint !== "string" || !Array.isArray(doc.events) || !doc.events.length) {
    fail("the bundle needs a checkpoint and a non-empty list of events");
  }
  const key = await parseVerifierKey(verifierKey);
  const signed = await verifyCheckpoint(doc.checkpoint, key, { origin });
  if (doc.origin !== signed.origin || doc.tree_size !== signed.size) {
    fail("the bundle's origin or tree_size is not its signed checkpoint's");
  }
  const results = [];
  for (const [i, item] of doc.events.entries()) {
    if (item === null || typeof item !== "object" || typeof item.event !== "object") {
      fail(`events[${i}] must be {event, proof}`);
    }
    if (item.event === null || item.event.claim_id !== doc.claim_id) {
      fail(`events[${i}] is for another claim`);
    }
    try {
      results.push(await verifyEventProof({
        event: item.event, proof: item.proof, checkpoint: doc.checkpoint,
        verifierKey: key, origin: signed.origin,
      }));
    } catch (err) {
      if (err instanceof AuditVerifyError) fail(`events[${i}] (seq ${item.event.seq}): ${err.reason}`);
      throw err;
    }
  }
  return results;
}
