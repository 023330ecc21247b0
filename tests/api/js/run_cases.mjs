// Runs the audit verifier module (argv[2]) on the cases read from stdin as JSON and prints
// one verdict per case, in order, as JSON: {"ok": true, "result": ...} or
// {"ok": false, "reason": ...}. Only AuditVerifyError counts as a rejection: any other error
// is a bug in the verifier and fails the run.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const verifier = await import(pathToFileURL(process.argv[2]).href);
const cases = JSON.parse(readFileSync(0, "utf8"));

const hex = (h) => Uint8Array.from(h.match(/../g), (b) => parseInt(b, 16));

async function run(c) {
  switch (c.kind) {
    case "event":
      return verifier.verifyEventProof(c.args);
    case "bundle":
      return verifier.verifyBundle(c.bundle, c.verifierKey, { origin: c.origin ?? undefined });
    case "canonical":
      return verifier.canonicalJson(c.value);
    case "payload_hash":
      return verifier.payloadHash(c.payload);
    case "entry_hash":
      return verifier.entryHash(c.event);
    case "leaf_hash":
      return verifier.toHex(await verifier.leafHash(c.entryHash));
    case "node_hash":
      return verifier.toHex(await verifier.nodeHash(hex(c.left), hex(c.right)));
    case "key_id":
      return verifier.keyId(c.name, hex(c.publicKey));
    case "checkpoint": {
      const cp = await verifier.verifyCheckpoint(c.note, c.verifierKey);
      return { origin: cp.origin, size: cp.size, root: verifier.toHex(cp.root) };
    }
    default:
      throw new Error(`unknown case kind ${c.kind}`);
  }
}

const verdicts = [];
for (const c of cases) {
  try {
    verdicts.push({ ok: true, result: await run(c) });
  } catch (err) {
    if (!(err instanceof verifier.AuditVerifyError)) throw err;
    verdicts.push({ ok: false, reason: err.reason });
  }
}
process.stdout.write(JSON.stringify(verdicts));
