// The member pages' only script: optional help on top of pages that work without it.
// Read aloud (speechSynthesis, where the browser has it), the idle sign-out warning, and the
// check that the member's decision is on record (./audit-verify.js: WebCrypto SHA-256 and
// Ed25519 against the key the insurer publishes). Nothing here moves or animates.
import { verifyBundle } from "./audit-verify.js";

const byId = (id) => document.getElementById(id);

function readAloud() {
  const button = byId("read-aloud");
  if (!button || !("speechSynthesis" in window)) return;
  button.hidden = false;
  button.addEventListener("click", () => {
    const speech = window.speechSynthesis;
    if (speech.speaking) {
      speech.cancel();
      button.textContent = button.dataset.start;
      return;
    }
    const main = byId("main");
    const utterance = new SpeechSynthesisUtterance(main ? main.innerText : "");
    utterance.lang = document.documentElement.lang;
    utterance.rate = 0.9;
    utterance.onend = () => { button.textContent = button.dataset.start; };
    button.textContent = button.dataset.stop;
    speech.speak(utterance);
  });
}

function idleWarning() {
  const idle = byId("idle");
  const warning = byId("idle-warning");
  if (!idle || !warning) return;
  // Seconds left as the server counted them: the member's own clock may be wrong.
  const left = Number(idle.dataset.seconds);
  if (!Number.isFinite(left)) return;
  setTimeout(() => { warning.hidden = false; }, Math.max(0, left - 120) * 1000);
}

function proofCheck() {
  const button = byId("verify-button");
  const result = byId("verify-result");
  if (!button || !result) return;
  const noScript = byId("verify-no-js");
  if (noScript) noScript.hidden = true;
  button.hidden = false;
  button.addEventListener("click", async () => {
    result.className = "";
    result.textContent = button.dataset.working;
    try {
      const response = await fetch(button.dataset.proof, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      await verifyBundle(await response.text(), button.dataset.key);
      result.className = "ok";
      result.textContent = button.dataset.ok;
    } catch (err) {
      result.className = "fail";
      result.textContent = button.dataset.fail + (err && (err.reason || err.message) || String(err));
    }
  });
}

readAloud();
idleWarning();
proofCheck();
