// markwatch console: the queue's keyboard. j/k move, c confirm, d dismiss, r reason, u undo,
// o open on the platform, Enter details. Decisions go to the JSON API with the page's CSRF token.
(function () {
  "use strict";
  const queue = document.getElementById("queue");
  if (!queue) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const canDecide = queue.dataset.canDecide === "1";
  const one = queue.classList.contains("one");
  const note = document.getElementById("note");
  const reason = document.getElementById("reason");
  const done = [];  // ids decided on this page, newest last (for undo)
  let busy = false;
  const rows = () => Array.from(queue.querySelectorAll("article.row"));
  let current = 0;

  function select(i) {
    const all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(i, all.length - 1));
    all.forEach((r, n) => r.classList.toggle("sel", n === current));
    all[current].scrollIntoView({ block: "nearest" });
  }

  function say(text, bad) {
    let box = document.querySelector(".flash");
    if (!box) {
      box = document.createElement("div");
      box.className = "flash";
      box.setAttribute("role", "status");
      document.body.insertBefore(box, document.querySelector("main"));
    }
    box.className = "flash" + (bad ? " bad" : "");
    box.textContent = text;  // text only: nothing from the server becomes markup
  }

  async function decide(id, action) {
    const body = { action: action, note: note && note.value ? note.value : null };
    if (action === "confirm" && reason && reason.value) body.reason = reason.value;
    const resp = await fetch("/api/listings/" + encodeURIComponent(id) + "/decision", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      credentials: "same-origin",
      body: JSON.stringify(body),
    });
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) throw new Error(typeof data.detail === "string" ? data.detail : "HTTP " + resp.status);
    return data;
  }

  function mark(row, status) {
    row.dataset.status = status;
    const badge = row.querySelector(".status");
    if (badge) { badge.textContent = status; badge.className = "status st-" + status; }
    row.classList.toggle("done", status !== "new" && status !== "relisted");
  }

  async function act(action) {
    if (!canDecide) { say("viewers read only: ask an admin for the analyst role", true); return; }
    if (busy) return;
    const all = rows();
    if (action === "undo") {
      const id = done.pop();
      if (id === undefined) { say("nothing to undo on this page", true); return; }
      busy = true;
      try {
        const out = await decide(id, "undo");
        const row = all.find((r) => r.dataset.id === String(id));
        if (row) { mark(row, out.status); select(all.indexOf(row)); }
        say("listing " + id + ": back to " + out.status);
      } catch (e) { done.push(id); say(e.message, true); } finally { busy = false; }
      return;
    }
    const row = all[current];
    if (!row) return;
    busy = true;
    try {
      const out = await decide(row.dataset.id, action);
      done.push(row.dataset.id);
      mark(row, out.status);
      say("listing " + row.dataset.id + ": " + out.status);
      if (note) note.value = "";
      if (one) { window.location.reload(); return; }
      select(current + 1);
    } catch (e) { say(e.message, true); } finally { busy = false; }
  }

  document.addEventListener("keydown", (ev) => {
    if (ev.target === note) {
      if (ev.key === "Escape" || ev.key === "Enter") { note.blur(); ev.preventDefault(); }
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement || ev.target instanceof HTMLTextAreaElement) return;
    const all = rows();
    switch (ev.key) {
      case "j": select(current + 1); break;
      case "k": select(current - 1); break;
      case "c": act("confirm"); break;
      case "d": act("dismiss"); break;
      case "u": act("undo"); break;
      case "r": if (note) { note.focus(); } break;
      case "o": {
        const url = all[current] && all[current].dataset.url;
        if (url) window.open(url, "_blank", "noopener,noreferrer"); else say("no platform link for this listing", true);
        break;
      }
      case "Enter": if (all[current]) window.location.href = "/listings/" + encodeURIComponent(all[current].dataset.id); break;
      default: return;
    }
    ev.preventDefault();
  });
  rows().forEach((r, n) => r.addEventListener("click", (ev) => { if (!(ev.target instanceof HTMLAnchorElement)) select(n); }));
  select(0);
})();
